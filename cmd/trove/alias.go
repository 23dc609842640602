package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

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
						if _, err := r.LogOrFetch(ctx, name); err != nil {
							return err
						}
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
						if _, err := r.LogOrFetch(ctx, a[0]); err != nil {
							return err
						}
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
				Name:  "ls",
				Usage: "list an artifact's aliases",
				Description: "Lists the aliases as NAME:ALIAS resolves them now: latest is the newest version whose\n" +
					"TTL has not run out, and a custom alias on an expired version is shown released (it\n" +
					"resolves to nothing; 'trove ttl set NAME:vN D' before the next GC brings it back).\n\n" + exitCodesHelp,
				ArgsUsage: "NAME",
				Flags:     []cli.Flag{&cli.BoolFlag{Name: "json", Usage: jsonUsage}},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					a, err := argsExactly(cmd, 1, "NAME")
					if err != nil {
						return err
					}
					return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
						l, err := r.LogOrFetch(ctx, a[0])
						if err != nil {
							return err
						}
						als, err := r.Aliases(ctx, a[0], l)
						if err != nil {
							return err
						}
						return printAliases(e, a[0], als, cmd.Bool("json"))
					})
				},
			},
		},
	}
}

// aliasesJSON is what `alias ls --json` prints.
type aliasesJSON struct {
	Artifact string      `json:"artifact"`
	Aliases  []aliasJSON `json:"aliases"`
}

// aliasJSON is one alias. Version is what it resolves to, and is empty
// when it is released: Released then names the version it was on and why
// (that version's TTL ran out), and Expired says when.
type aliasJSON struct {
	Alias    string     `json:"alias"`
	Version  string     `json:"version,omitempty"`
	Released string     `json:"released,omitempty"`
	Expired  *time.Time `json:"expired,omitempty"`
}

func printAliases(e env, name string, als []repo.Alias, asJSON bool) error {
	if asJSON {
		out := aliasesJSON{Artifact: name, Aliases: []aliasJSON{}}
		for _, al := range als {
			j := aliasJSON{Alias: al.Name, Released: al.Released}
			if al.Released == "" {
				j.Version = fmt.Sprintf("v%d", al.Version.N)
			} else if !al.Expired.IsZero() {
				t := al.Expired.UTC()
				j.Expired = &t
			}
			out.Aliases = append(out.Aliases, j)
		}
		return printJSON(e.stdout, out)
	}
	tw := newTable(e.stdout)
	latest := false
	for _, al := range als {
		latest = latest || al.Name == "latest"
		if al.Released != "" {
			fmt.Fprintf(tw, "%s\treleased: %s\n", al.Name, al.Released)
			continue
		}
		fmt.Fprintf(tw, "%s\tv%d\n", al.Name, al.Version.N)
	}
	if !latest {
		fmt.Fprintf(tw, "latest\tnone: no version of %s resolves\n", name)
	}
	return tw.Flush()
}

func newTagCommand(e env) *cli.Command {
	tagAction := func(add bool) cli.ActionFunc {
		return func(ctx context.Context, cmd *cli.Command) error {
			a := cmd.Args().Slice()
			if len(a) < 2 {
				return usagef("%s: want NAME[:ALIAS] TAG... %s", commandPath(cmd), helpHint(cmd))
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
				if _, err := r.LogOrFetch(ctx, name); err != nil {
					return err
				}
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
