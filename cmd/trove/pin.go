package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/gitpair"
	"github.com/trove-ml/trove/gitpair/workspace"
	"github.com/trove-ml/trove/internal/units"
	"github.com/trove-ml/trove/repo"
)

// gitpairErr marks the Git-pairing errors that are the user's input to fix
// (a bad trove.lock, a bad path, no Git work tree) as usage errors, exit
// status 2.
func gitpairErr(err error) error {
	for _, s := range []error{gitpair.ErrBadLock, gitpair.ErrLockConflict, gitpair.ErrBadPin, gitpair.ErrNotGit,
		gitpair.ErrBadRevision, gitpair.ErrHookConflict, gitpair.ErrBadPrePush, workspace.ErrNotPinned, workspace.ErrUnsafePath} {
		if errors.Is(err, s) {
			return &usageError{err}
		}
	}
	return err
}

// withWorkspace opens the repository and its workspace, runs fn and
// closes it.
func withWorkspace(ctx context.Context, cmd *cli.Command, e env, fn func(w *workspace.Workspace) error) error {
	return gitpairErr(withRepo(ctx, cmd, e, func(r *repo.Repo) error {
		w, err := workspace.New(r)
		if err != nil {
			return err
		}
		refs, closeRefs := newResolver(r)
		w.SetRefs(refs)
		return errors.Join(fn(w), closeRefs())
	}))
}

// pinPath maps a command-line path to a pin's path in the workspace.
func pinPath(cmd *cli.Command, w *workspace.Workspace, p string) (string, error) {
	abs, err := absPath(cmd, p)
	if err != nil {
		return "", err
	}
	return w.PinPath(abs)
}

const pinExitHelp = exitCodesHelp + `

trove.lock errors (a Git conflict marker, a bad line), paths outside the
project folder and paths nesting in another pin exit 2 and change nothing.`

func newPinCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "pin",
		Usage:     "pin a version to a path in trove.lock and materialise it there",
		ArgsUsage: "NAME[:ALIAS] PATH | --update PATH",
		Description: "Resolves NAME[:ALIAS] now (fetching it from the remote if it is not here) and records the\n" +
			"artifact, version number, content digest, record id and alias in trove.lock, in the project\n" +
			"folder (beside .trove), then writes the version's files under PATH. Commit trove.lock with\n" +
			"your code; 'trove checkout' (or the hooks of 'trove hooks install') brings the data back\n" +
			"for any commit. PATH is added to .gitignore. A pin already at PATH is replaced.\n\n" +
			"--update moves the pin at PATH to the version its alias names now (after fetching the\n" +
			"artifact's log from the remote, if there is one).\n\n" + pinExitHelp,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "update", Aliases: []string{"u"}, Usage: "move the pin at PATH to what its alias names now"},
			&cli.BoolFlag{Name: "json", Usage: jsonUsage},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			n, usage := 2, "NAME[:ALIAS] PATH"
			if cmd.Bool("update") {
				n, usage = 1, "--update PATH"
			}
			a, err := argsExactly(cmd, n, usage)
			if err != nil {
				return err
			}
			return withWorkspace(ctx, cmd, e, func(w *workspace.Workspace) error {
				p, err := pinPath(cmd, w, a[n-1])
				if err != nil {
					return err
				}
				var res *workspace.PinResult
				if cmd.Bool("update") {
					res, err = w.Update(ctx, p)
				} else {
					res, err = w.Pin(ctx, a[0], p)
				}
				if err != nil {
					return err
				}
				if cmd.Bool("json") {
					return printJSON(e.stdout, pinResultInfo(res))
				}
				printPin(e, res)
				return nil
			})
		},
	}
}

func printPin(e env, res *workspace.PinResult) {
	p := res.Pin
	switch prev := res.Previous; {
	case prev == nil:
		fmt.Fprintf(e.stdout, "%s: pinned %s (%s) in trove.lock\n", p.Path, p.Name(), p.Alias)
	case prev.Record == p.Record:
		fmt.Fprintf(e.stdout, "%s: %s (%s) was already pinned\n", p.Path, p.Name(), p.Alias)
	default:
		fmt.Fprintf(e.stdout, "%s: pinned %s (%s), was %s\n", p.Path, p.Name(), p.Alias, prev.Name())
	}
	printCheckedOut(e, res.Checkout)
	if res.Ignored != "" {
		fmt.Fprintf(e.stdout, "  added %s to .gitignore\n", res.Ignored)
	}
}

func printCheckedOut(e env, co workspace.CheckedOut) {
	fmt.Fprintf(e.stdout, "  %s -> %s: %d files written (%s), %d up to date", co.Version, co.Pin.Path, co.Written, units.Bytes(co.Bytes), co.Skipped)
	if co.Removed > 0 {
		fmt.Fprintf(e.stdout, ", %d removed", co.Removed)
	}
	fmt.Fprintln(e.stdout)
	if co.Warning != "" {
		fmt.Fprintf(e.stderr, "trove: warning: %s\n", co.Warning)
	}
}

func newUnpinCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "unpin",
		Usage:     "remove the pin at PATH from trove.lock (the files stay)",
		ArgsUsage: "PATH",
		Description: "Removes PATH's line from trove.lock and from .gitignore. The files at PATH are left\n" +
			"where they are. GC and 'trove delete' still hold the version while trove.lock pins it at the\n" +
			"tip of any branch, local or remote-tracking (commit the unpin, and push it, to let it go).\n\n" + pinExitHelp,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: jsonUsage}},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			a, err := argsExactly(cmd, 1, "PATH")
			if err != nil {
				return err
			}
			return withWorkspace(ctx, cmd, e, func(w *workspace.Workspace) error {
				p, err := pinPath(cmd, w, a[0])
				if err != nil {
					return err
				}
				old, err := w.Unpin(ctx, p)
				if err != nil {
					return err
				}
				if cmd.Bool("json") {
					return printJSON(e.stdout, map[string]any{"unpinned": pinInfo(old)})
				}
				fmt.Fprintf(e.stdout, "%s: unpinned %s (the files stay)\n", old.Path, old.Name())
				return nil
			})
		},
	}
}
