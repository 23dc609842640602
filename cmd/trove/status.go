package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/gitpair/workspace"
)

func newStatusCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "report pinned paths that are missing, modified, behind their alias, or not pushed",
		ArgsUsage: " ",
		Description: "Checks every pin of trove.lock, offline: whether its path is missing or differs from the\n" +
			"pinned version, whether its alias names another version now ('trove pin --update PATH'\n" +
			"moves it), whether the version's TTL ran out (the pin keeps it from GC; 'trove ttl set'\n" +
			"extends it), and whether the default remote holds the version (as last seen; 'trove fetch'\n" +
			"refreshes that). A file is read only if its size, times or inode changed since trove last\n" +
			"read or wrote it ('trove verify' reads every byte). A modified pin is restored by 'trove\n" +
			"checkout --force', which replaces the files you changed (plain 'trove checkout' refuses to)\n" +
			"and removes none you added; where the folder still holds another version trove placed (trove.lock\n" +
			"changed, by a Git checkout, merge or rebase, without a checkout after it), plain 'trove checkout'\n" +
			"replaces it. Exits 3 if anything needs attention.\n\n" + pinExitHelp,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: jsonUsage}},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if _, err := argsExactly(cmd, 0, "none"); err != nil {
				return err
			}
			return withWorkspace(ctx, cmd, e, func(w *workspace.Workspace) error {
				st, err := w.Status(ctx)
				if err != nil {
					return err
				}
				if cmd.Bool("json") {
					if err := printJSON(e.stdout, statusInfo(st)); err != nil {
						return err
					}
				} else {
					printStatus(e, st)
				}
				if !st.Clean() {
					n := 0
					for _, p := range st.Pins {
						if !p.Clean() {
							n++
						}
					}
					return &exitCodeError{exitMismatch, fmt.Errorf("status: %d of %d pin(s) need attention", n, len(st.Pins))}
				}
				return nil
			})
		},
	}
}

func printStatus(e env, st *workspace.Status) {
	if len(st.Pins) == 0 {
		fmt.Fprintln(e.stdout, "trove.lock pins nothing")
		return
	}
	tw := newTable(e.stdout)
	fmt.Fprintf(tw, "PATH\tVERSION\tALIAS\tSTATE\n")
	for _, p := range st.Pins {
		var s []string
		if p.Unavailable != "" {
			s = append(s, "unavailable")
		}
		if p.Missing {
			s = append(s, "missing")
		}
		if p.Modified {
			c := p.Changes
			s = append(s, fmt.Sprintf("modified (%d missing, %d extra, %d changed)", len(c.Missing), len(c.Extra), len(c.Changed)))
		}
		if p.Behind {
			s = append(s, "behind: "+p.Pin.Alias+" is "+p.AliasNow)
		}
		if p.AliasError != "" {
			s = append(s, "alias gone")
		}
		if p.Expired != "" {
			s = append(s, "expired (kept by the pin)")
		}
		if p.Unpushed {
			s = append(s, "not pushed to "+st.Remote)
		}
		if len(s) == 0 {
			s = append(s, "ok")
		}
		v := p.Pin.Name()
		if p.Version != "" && p.Version != v {
			v += " (now " + p.Version + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Pin.Path, v, p.Pin.Alias, strings.Join(s, "; "))
	}
	tw.Flush()
	for _, p := range st.Pins {
		if p.Unavailable != "" {
			fmt.Fprintf(e.stdout, "%s\n", p.Unavailable)
		}
		if p.AliasError != "" {
			fmt.Fprintf(e.stdout, "%s: alias %s: %s\n", p.Pin.Path, p.Pin.Alias, p.AliasError)
		}
		if p.Expired != "" {
			fmt.Fprintln(e.stdout, p.Expired)
		}
		if p.Modified && len(p.Changes.Changed) > 0 {
			printModified(e, p)
		}
	}
}

// printModified advises on a pin whose files differ from its version's,
// by what trove last placed there: another version's files (trove.lock
// changed since) are replaced by a plain checkout; files changed after
// trove placed this version only by --force; and where that is not known,
// checkout first, which names what only --force replaces.
func printModified(e env, p workspace.PinStatus) {
	n := plural(len(p.Changes.Changed), "file")
	switch {
	case p.Stale:
		fmt.Fprintf(e.stdout, "%s: %s changed: the folder holds %s's files, as trove placed them, and trove.lock pins %s now; 'trove checkout' puts %s's in place\n",
			p.Pin.Path, n, p.Placed, p.Version, p.Version)
	case p.Placed == "":
		fmt.Fprintf(e.stdout, "%s: %s changed; 'trove checkout' replaces those trove placed and names any you changed, which 'trove checkout --force' replaces (your changes are lost)\n",
			p.Pin.Path, n)
	default:
		fmt.Fprintf(e.stdout, "%s: %s changed; 'trove checkout --force' puts the version's back (your changes are lost)\n", p.Pin.Path, n)
	}
}
