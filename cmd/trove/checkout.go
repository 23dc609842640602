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
		Description: "Writes each pinned version's files at its path, only those that differ, fetching from the\n" +
			"remote what is not here. Files that only the previously checked-out version had are removed if\n" +
			"unchanged; anything else in the folder stays. Where the version has a file and one with other\n" +
			"content is there that trove did not place, or that changed since (a file you edited), or a\n" +
			"folder of yours is in the way of a file, or a file of yours of a folder, the pin fails naming\n" +
			"it, and nothing of that pin is written; --force replaces them (your changes are lost). With\n" +
			"--rev, trove.lock is read as it is in that Git commit; the Git work tree is not touched. A pin\n" +
			"that fails does not stop the others. The Git hooks never force.\n\n" + pinExitHelp,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "rev", Usage: "read trove.lock from Git commit `REV` (branch, tag, HEAD~1, hash)"},
			&cli.BoolFlag{Name: "json", Usage: jsonUsage},
			&cli.BoolFlag{Name: "force", Usage: "replace whatever is at the pinned versions' paths: files you changed or made there, and folders in the way with all they hold (other files stay)"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if _, err := argsExactly(cmd, 0, "none"); err != nil {
				return err
			}
			return withWorkspace(ctx, cmd, e, func(w *workspace.Workspace) error {
				return runCheckout(ctx, e, w, workspace.CheckoutOptions{Rev: cmd.String("rev"), Force: cmd.Bool("force")}, cmd.Bool("json"), false)
			})
		},
	}
}

// runCheckout checks out the pins with o and renders the result. Quiet
// (for hooks, which run on every Git checkout) names only the pins where
// something changed.
func runCheckout(ctx context.Context, e env, w *workspace.Workspace, o workspace.CheckoutOptions, asJSON, quiet bool) error {
	res, err := w.Checkout(ctx, o)
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
