package main

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/repo"
)

func newUseCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "use",
		Usage:     "mark a version as an input of the current run, without downloading it",
		ArgsUsage: "NAME[:ALIAS]",
		Description: "For commands that read a version some other way (from a mounted bucket, through\n" +
			"'trove pull' in another folder, by a reference's URL): records the input edge that\n" +
			"'trove pull' would. The run is --run ID or $" + runIDEnv + " (set by 'trove run'); outside a\n" +
			"run this is an error. A version known only on the remote is looked up there (its log, not\n" +
			"its files).\n\n" + exitCodesHelp,
		Flags: []cli.Flag{runFlag(), &cli.BoolFlag{Name: "json", Usage: jsonUsage}},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			a, err := argsExactly(cmd, 1, "NAME[:ALIAS]")
			if err != nil {
				return err
			}
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
				rl, err := currentRun(ctx, cmd, e, r)
				if err != nil {
					return err
				}
				if rl == nil {
					return usagef("use: not inside a run: start the command with 'trove run -- COMMAND', or name the run with --run ID (see trove runs)")
				}
				v, err := r.ResolveOrFetch(ctx, a[0])
				if err != nil {
					return err
				}
				if err := rl.used(ctx, v); err != nil {
					return err
				}
				if cmd.Bool("json") {
					return printJSON(e.stdout, map[string]any{
						"run": rl.id, "artifact": v.Name, "version": fmt.Sprintf("v%d", v.Version.N),
						"record": v.Version.Record.String(), "digest": v.Version.Root.String(),
					})
				}
				fmt.Fprintf(e.stdout, "run %s uses %s (%s)\n", rl.id, v, v.Version.Root.Short())
				return nil
			})
		},
	}
}
