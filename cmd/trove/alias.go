package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/repo"
)

// splitSpec splits NAME[:SEL] for commands that act on an artifact's log.
func splitSpec(s string) (name, sel string, err error) {
	sp, err := refs.ParseSpec(s)
	if err != nil {
		return "", "", err
	}
	if sp.Collection != "" {
		return "", "", usagef("%q is a registry path; give an artifact NAME[:ALIAS]", s)
	}
	return sp.Name, sp.Selector, nil
}

func newAliasCommand(e env) *cli.Command {
	return &cli.Command{
		Name:  "alias",
		Usage: "set, remove and list an artifact's aliases",
		Commands: []*cli.Command{
			{
				Name:        "set",
				Usage:       "point ALIAS at a version, moving it from the version that holds it",
				ArgsUsage:   "NAME[:ALIAS|:vN] ALIAS",
				Description: exitCodesHelp,
				Action: func(ctx context.Context, cmd *cli.Command) error {
					a, err := argsExactly(cmd, 2, "NAME[:ALIAS|:vN] ALIAS")
					if err != nil {
						return err
					}
					name, sel, err := splitSpec(a[0])
					if err != nil {
						return err
					}
					if err := checkName("alias", a[1]); err != nil {
						return err
					}
					return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
						v, prev, err := r.Refs().SetAlias(ctx, name, sel, a[1])
						if err != nil {
							return err
						}
						printAliasMove(e.stdout, name, a[1], v.N, prev)
						return nil
					})
				},
			},
			{
				Name:        "rm",
				Usage:       "remove a custom alias",
				ArgsUsage:   "NAME ALIAS",
				Description: exitCodesHelp,
				Action: func(ctx context.Context, cmd *cli.Command) error {
					a, err := argsExactly(cmd, 2, "NAME ALIAS")
					if err != nil {
						return err
					}
					return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
						n, err := r.Refs().RemoveAlias(ctx, a[0], a[1])
						if err != nil {
							return err
						}
						fmt.Fprintf(e.stdout, "%s: removed %s (was v%d)\n", a[0], a[1], n)
						return nil
					})
				},
			},
			{
				Name:        "ls",
				Usage:       "list an artifact's aliases",
				ArgsUsage:   "NAME",
				Description: exitCodesHelp,
				Flags:       []cli.Flag{&cli.BoolFlag{Name: "json", Usage: jsonUsage}},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					a, err := argsExactly(cmd, 1, "NAME")
					if err != nil {
						return err
					}
					return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
						l, err := r.Refs().Log(ctx, a[0])
						if err != nil {
							return err
						}
						out := map[string]string{}
						if v, ok := l.Latest(); ok {
							out["latest"] = fmt.Sprintf("v%d", v.N)
						}
						for al, n := range l.Aliases {
							out[al] = fmt.Sprintf("v%d", n)
						}
						if cmd.Bool("json") {
							return printJSON(e.stdout, out)
						}
						tw := newTable(e.stdout)
						for _, k := range sortedKeys(out) {
							fmt.Fprintf(tw, "%s\t%s\n", k, out[k])
						}
						return tw.Flush()
					})
				},
			},
		},
	}
}

func newTagCommand(e env) *cli.Command {
	tagAction := func(add bool) cli.ActionFunc {
		return func(ctx context.Context, cmd *cli.Command) error {
			a := cmd.Args().Slice()
			if len(a) < 2 {
				return usagef("tag %s: want NAME[:ALIAS] TAG...", cmd.Name)
			}
			name, sel, err := splitSpec(a[0])
			if err != nil {
				return err
			}
			for _, t := range a[1:] {
				if err := checkName("tag", t); err != nil {
					return err
				}
			}
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
				var v refs.Version
				if add {
					v, err = r.Refs().SetTags(ctx, name, sel, a[1:], nil)
				} else {
					v, err = r.Refs().SetTags(ctx, name, sel, nil, a[1:])
				}
				if err != nil {
					return err
				}
				l, err := r.Refs().Log(ctx, name)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "%s:v%d tags: %s\n", name, v.N, strings.Join(l.TagsOf(v.N), ", "))
				return nil
			})
		}
	}
	return &cli.Command{
		Name:  "tag",
		Usage: "add or remove tags of a version (many versions may share a tag)",
		Commands: []*cli.Command{
			{Name: "add", Usage: "add tags", ArgsUsage: "NAME[:ALIAS] TAG...", Description: exitCodesHelp, Action: tagAction(true)},
			{Name: "rm", Usage: "remove tags", ArgsUsage: "NAME[:ALIAS] TAG...", Description: exitCodesHelp, Action: tagAction(false)},
		},
	}
}

func checkName(what, s string) error {
	if err := manifest.ValidateName(what, s); err != nil {
		return &usageError{err}
	}
	return nil
}

// printAliasMove says what setting alias of owner (an artifact or a
// collection) to version n did; prev is the version it named before, or
// negative.
func printAliasMove(w io.Writer, owner, alias string, n, prev int) {
	switch {
	case prev == n:
		fmt.Fprintf(w, "%s already names %s:v%d\n", alias, owner, n)
	case prev >= 0:
		fmt.Fprintf(w, "%s: %s -> v%d (moved from v%d)\n", owner, alias, n, prev)
	default:
		fmt.Fprintf(w, "%s: %s -> v%d\n", owner, alias, n)
	}
}
