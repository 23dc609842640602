package main

import (
	"context"
	"fmt"
	"github.com/trove-ml/trove/internal/visible"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/repo"
)

type changeJSON struct {
	Path string    `json:"path"`
	Op   string    `json:"op"`
	Old  *fileJSON `json:"old,omitempty"`
	New  *fileJSON `json:"new,omitempty"`
}

func newDiffCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "list files added, removed and changed between two versions",
		ArgsUsage: "A B",
		Description: "A and B are version names (NAME:ALIAS, NAME:vN, digests). Unchanged folders are\n" +
			"skipped by digest, so diffs of large versions cost only what changed. Each line is a mark\n" +
			"and a path: + added, - removed, M modified, T of another kind (a file became a folder,\n" +
			"a link, or a reference, or the other way round).\n\n" + exitCodesHelp,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: jsonUsage}},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			a, err := argsExactly(cmd, 2, "A B")
			if err != nil {
				return err
			}
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
				va, err := r.ResolveOrFetch(ctx, a[0])
				if err != nil {
					return err
				}
				vb, err := r.ResolveOrFetch(ctx, a[1])
				if err != nil {
					return err
				}
				trees, err := r.Browse().Trees(ctx, va.Record.Root, vb.Record.Root)
				if err != nil {
					return err
				}
				out := []changeJSON{}
				err = manifest.Diff(ctx, trees, va.Record.Root, vb.Record.Root, func(c manifest.Change) error {
					j := changeJSON{Path: c.Path, Op: c.Op.String()}
					if c.Old != nil {
						f := fileInfo(c.Path, *c.Old)
						j.Old = &f
					}
					if c.New != nil {
						f := fileInfo(c.Path, *c.New)
						j.New = &f
					}
					out = append(out, j)
					return nil
				})
				if err != nil {
					return err
				}
				if cmd.Bool("json") {
					return printJSON(e.stdout, out)
				}
				for _, c := range out {
					fmt.Fprintf(e.stdout, "%s %s\n", diffMark(c.Op), visible.String(c.Path))
				}
				return nil
			})
		},
	}
}

func diffMark(op string) string {
	switch op {
	case "added":
		return "+"
	case "removed":
		return "-"
	case "type-changed":
		return "T" // as git diff --name-status says
	}
	return "M"
}
