package main

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/repo"
)

func newInitCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "init",
		Usage:     "create a repository in the current folder (or -C DIR)",
		ArgsUsage: " ",
		Description: "Creates .trove/ with its config (meant to be committed with your code) and its data\n" +
			"(kept out of Git by .trove/.gitignore).\n\n" + exitCodesHelp,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "project", Usage: "project `NAME` (default: the folder's name)"},
			&cli.StringFlag{Name: "entity", Usage: "the user or team `NAME` that owns the project, as in W&B's entity/project/name (default: none, and names with any entity resolve)"},
			&cli.BoolFlag{Name: "json", Usage: jsonUsage},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if _, err := argsExactly(cmd, 0, "none"); err != nil {
				return err
			}
			dir, err := workDir(cmd)
			if err != nil {
				return err
			}
			r, err := repo.Init(ctx, dir, repo.InitOptions{Project: cmd.String("project"), Entity: cmd.String("entity")}, repoOptions(cmd, e))
			if err != nil {
				return err
			}
			defer r.Close()
			if cmd.Bool("json") {
				out := map[string]string{"root": r.Root, "project": r.Config.Project}
				if r.Config.Entity != "" {
					out["entity"] = r.Config.Entity
				}
				return printJSON(e.stdout, out)
			}
			full := r.Config.Project
			if r.Config.Entity != "" {
				full = r.Config.Entity + "/" + full
			}
			fmt.Fprintf(e.stdout, "Initialised trove repository for project %q in %s\n", full, r.Dir)
			return nil
		},
	}
}
