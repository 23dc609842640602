package main

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/gitpair/workspace"
)

func newCheckoutCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "checkout",
		Usage:     "materialise every version trove.lock pins, at its path",
		ArgsUsage: " ",
		Description: "Writes each pinned version's files at its path, only those that differ (a file you edited\n" +
			"at one of the version's paths is replaced by the version's), fetching from the remote what is\n" +
			"not here. Files that only the previously checked-out version had are removed if unchanged;\n" +
			"anything else in the folder stays: where the version has a file and a folder of yours is in\n" +
			"the way, or a folder and a file of yours is, the pin fails, naming it. With --rev, trove.lock\n" +
			"is read as it is in that Git commit; the Git work tree is not touched. A pin that fails does\n" +
			"not stop the others.\n\n" + pinExitHelp,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "rev", Usage: "read trove.lock from Git commit `REV` (branch, tag, HEAD~1, hash)"},
			&cli.BoolFlag{Name: "json", Usage: jsonUsage},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if _, err := argsExactly(cmd, 0, "none"); err != nil {
				return err
			}
			return withWorkspace(ctx, cmd, e, func(w *workspace.Workspace) error {
				return runCheckout(ctx, e, w, cmd.String("rev"), cmd.Bool("json"), false)
			})
		},
	}
}

// runCheckout checks out the pins and renders the result. Quiet (for
// hooks, which run on every Git checkout) names only the pins where
// something changed.
func runCheckout(ctx context.Context, e env, w *workspace.Workspace, rev string, asJSON, quiet bool) error {
	res, err := w.Checkout(ctx, workspace.CheckoutOptions{Rev: rev})
	if res == nil {
		return err
	}
	if asJSON {
		if jerr := printJSON(e.stdout, checkoutInfo(res)); jerr != nil {
			return jerr
		}
		return err
	}
	for _, co := range res.Pins {
		if co.Error != "" {
			continue // reported with the error
		}
		if quiet && co.Written == 0 && co.Removed == 0 {
			if co.Warning != "" { // the hook is quiet, not the warning
				fmt.Fprintf(e.stderr, "trove: warning: %s\n", co.Warning)
			}
			continue
		}
		printCheckedOut(e, co)
	}
	if len(res.Pins) == 0 && !quiet {
		fmt.Fprintln(e.stdout, "trove.lock pins nothing")
	}
	return err
}
