package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/registry"
	"github.com/trove-ml/trove/repo"
)

type linkResultJSON struct {
	Collection        string            `json:"collection"`
	Version           string            `json:"version"`
	Artifact          string            `json:"artifact"`
	ArtifactVersion   string            `json:"artifactVersion"`
	Record            string            `json:"record"`
	Existing          bool              `json:"existing"`
	CreatedCollection bool              `json:"createdCollection"`
	Aliases           []string          `json:"aliases"`
	Moved             map[string]string `json:"movedAliases,omitempty"`
	TTL               string            `json:"ttl"`
}

func newLinkCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "link",
		Usage:     "link a version into a registry collection (no data is copied)",
		ArgsUsage: "NAME[:ALIAS] registry/REG/COLL",
		Description: "Appends a link to the collection: it becomes the collection's next vN and its\n" +
			"latest. The collection is created if it does not exist; it accepts the type of its\n" +
			"first link, and the registry must accept that type. Linking turns the version's\n" +
			"TTL off, for good. Linking a version the collection already links adds no link and\n" +
			"applies --alias to it. Setting a protected alias needs --admin as a registry admin.\n" +
			"The target may also be spelled ORG/wandb-registry-REG/COLL.\n\n" + exitCodesHelp,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "alias", Usage: "set collection `ALIAS` on the link (repeatable)"},
			newAdminFlag(),
			&cli.BoolFlag{Name: "json", Usage: jsonUsage},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			a, err := argsExactly(cmd, 2, "NAME[:ALIAS] registry/REG/COLL")
			if err != nil {
				return err
			}
			reg, coll, sel, err := parseCollection(a[1])
			if err != nil {
				return err
			}
			if sel != "" {
				return usagef("link: %q: the target is a collection, without :%s (collection versions are numbered by trove)", a[1], sel)
			}
			aliases := cmd.StringSlice("alias")
			for _, al := range aliases {
				if err := checkName("alias", al); err != nil {
					return err
				}
				if err := refs.CheckAlias(al); err != nil {
					return &usageError{err}
				}
			}
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
				v, err := r.ResolveOrFetch(ctx, a[0])
				if err != nil {
					return linkSourceErr(err)
				}
				fetchRegistry(ctx, r, e, reg, coll)
				res, err := registries(r, e).Link(ctx, registry.LinkRequest{
					Registry: reg, Collection: coll,
					Artifact: v.Name, Version: v.Version.N, Type: v.Record.Type, Record: v.Version.Record,
					Aliases: aliases, Admin: cmd.Bool("admin"),
				})
				if err != nil {
					return err
				}
				c, err := registries(r, e).Collection(ctx, reg, coll)
				if err != nil {
					return err
				}
				p := "registry/" + reg + "/" + coll
				j := linkResultJSON{
					Collection: p, Version: fmt.Sprintf("v%d", res.Link.N),
					Artifact: v.Name, ArtifactVersion: fmt.Sprintf("v%d", v.Version.N), Record: v.Version.Record.String(),
					Existing: res.Existing, CreatedCollection: res.CreatedCollection,
					Aliases: nonNil(c.AliasesOf(res.Link.N)), Moved: movedAliases(res.Moved), TTL: "off",
				}
				if cmd.Bool("json") {
					return printJSON(e.stdout, j)
				}
				w := e.stdout
				if res.Existing {
					fmt.Fprintf(w, "%s is linked already as %s:%s\n", v, p, j.Version)
				} else {
					fmt.Fprintf(w, "%s -> %s:%s", v, p, j.Version)
					if res.CreatedCollection {
						fmt.Fprintf(w, " (new collection of type %s)", c.Type)
					}
					fmt.Fprintln(w)
				}
				if len(j.Aliases) > 0 {
					fmt.Fprintf(w, "aliases: %s\n", strings.Join(j.Aliases, ", "))
				}
				moved := make([]string, 0, len(j.Moved))
				for al, from := range j.Moved {
					moved = append(moved, fmt.Sprintf("%s (from %s)", al, from))
				}
				sort.Strings(moved)
				if len(moved) > 0 {
					fmt.Fprintf(w, "moved: %s\n", strings.Join(moved, ", "))
				}
				if !res.Existing {
					fmt.Fprintf(w, "TTL of %s is now off (linked versions do not expire)\n", v)
				}
				return nil
			})
		},
	}
}

// linkSourceErr makes a version that cannot be found a usage error (exit 2,
// nothing written); the error names what was asked for already.
func linkSourceErr(err error) error {
	for _, s := range []error{refs.ErrNotFound, refs.ErrNoVersion, refs.ErrDeleted, registry.ErrDangling} {
		if errors.Is(err, s) {
			return &usageError{fmt.Errorf("link: %w", err)}
		}
	}
	return err
}

func newUnlinkCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "unlink",
		Usage:     "remove a link from a registry collection",
		ArgsUsage: "registry/REG/COLL:vN|ALIAS",
		Description: "The link stays in the collection's log as unlinked, so its number is never\n" +
			"given out again; its aliases are removed (a protected one needs --admin as a\n" +
			"registry admin). The version itself is untouched, and its TTL stays off.\n\n" + exitCodesHelp,
		Flags: []cli.Flag{newAdminFlag(), &cli.BoolFlag{Name: "json", Usage: jsonUsage}},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			a, err := argsExactly(cmd, 1, "registry/REG/COLL:vN")
			if err != nil {
				return err
			}
			reg, coll, sel, err := parseCollection(a[0])
			if err != nil {
				return err
			}
			if sel == "" {
				return usagef("unlink: name the link: %s:vN (see trove registry show registry/%s/%s)", a[0], reg, coll)
			}
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
				fetchRegistry(ctx, r, e, reg, coll)
				res, err := registries(r, e).Unlink(ctx, reg, coll, sel, cmd.Bool("admin"))
				if err != nil {
					return err
				}
				// The version as numbered now, as registry show names it.
				now, err := registry.VersionNow(ctx, r.RefsKV(), res.Link)
				if err != nil {
					return err
				}
				p := fmt.Sprintf("registry/%s/%s:v%d", reg, coll, res.Link.N)
				if cmd.Bool("json") {
					return printJSON(e.stdout, map[string]any{
						"link": p, "artifact": res.Link.Artifact, "artifactVersion": fmt.Sprintf("v%d", now.N),
						"artifactVersionThen": fmt.Sprintf("v%d", res.Link.Version), "artifactState": now.State,
						"removedAliases": nonNil(res.RemovedAliases),
					})
				}
				fmt.Fprintf(e.stdout, "unlinked %s (%s)\n", p, linkedVersionText(linkJSON{
					Artifact: res.Link.Artifact, ArtifactVersion: fmt.Sprintf("v%d", now.N),
					ArtifactVersionThen: fmt.Sprintf("v%d", res.Link.Version), ArtifactState: now.State,
				}))
				if len(res.RemovedAliases) > 0 {
					fmt.Fprintf(e.stdout, "removed aliases: %s\n", strings.Join(res.RemovedAliases, ", "))
				}
				return nil
			})
		},
	}
}

func newRegistryAliasCommand(e env) *cli.Command {
	return &cli.Command{
		Name:  "alias",
		Usage: "set or remove a collection's aliases",
		Commands: []*cli.Command{
			{
				Name:        "set",
				Usage:       "point ALIAS at a link, moving it from the link that holds it",
				ArgsUsage:   "registry/REG/COLL:vN|ALIAS|latest ALIAS",
				Description: exitCodesHelp,
				Flags:       []cli.Flag{newAdminFlag(), &cli.BoolFlag{Name: "json", Usage: jsonUsage}},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					a, err := argsExactly(cmd, 2, "registry/REG/COLL:vN ALIAS")
					if err != nil {
						return err
					}
					reg, coll, sel, err := parseCollection(a[0])
					if err != nil {
						return err
					}
					return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
						fetchRegistry(ctx, r, e, reg, coll)
						l, prev, err := registries(r, e).SetAlias(ctx, reg, coll, sel, a[1], cmd.Bool("admin"))
						if err != nil {
							return err
						}
						p := "registry/" + reg + "/" + coll
						if cmd.Bool("json") {
							j := map[string]any{"collection": p, "alias": a[1], "version": fmt.Sprintf("v%d", l.N)}
							if prev >= 0 {
								j["previous"] = fmt.Sprintf("v%d", prev)
							}
							return printJSON(e.stdout, j)
						}
						printAliasMove(e.stdout, p, a[1], l.N, prev)
						return nil
					})
				},
			},
			{
				Name:        "rm",
				Usage:       "remove a collection alias",
				ArgsUsage:   "registry/REG/COLL ALIAS",
				Description: exitCodesHelp,
				Flags:       []cli.Flag{newAdminFlag(), &cli.BoolFlag{Name: "json", Usage: jsonUsage}},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					a, err := argsExactly(cmd, 2, "registry/REG/COLL ALIAS")
					if err != nil {
						return err
					}
					reg, coll, sel, err := parseCollection(a[0])
					if err != nil {
						return err
					}
					if sel != "" {
						return usagef("registry alias rm: give the collection without a version: registry/%s/%s %s", reg, coll, a[1])
					}
					return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
						fetchRegistry(ctx, r, e, reg, coll)
						n, err := registries(r, e).RemoveAlias(ctx, reg, coll, a[1], cmd.Bool("admin"))
						if err != nil {
							return err
						}
						p := "registry/" + reg + "/" + coll
						if cmd.Bool("json") {
							return printJSON(e.stdout, map[string]any{"collection": p, "alias": a[1], "previous": fmt.Sprintf("v%d", n)})
						}
						fmt.Fprintf(e.stdout, "%s: removed %s (was v%d)\n", p, a[1], n)
						return nil
					})
				},
			},
		},
	}
}
