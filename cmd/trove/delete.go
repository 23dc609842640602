package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/registry"
	"github.com/trove-ml/trove/repo"
	"github.com/trove-ml/trove/retention"
)

type deleteOptions struct {
	spec          string
	deleteAliases bool
	json          bool
}

func newDeleteCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "delete",
		Usage:     "delete a version (final once trove gc has run)",
		ArgsUsage: "NAME:vN|NAME:ALIAS",
		Description: "The version stops resolving at once; its number is never given out again. Its content\n" +
			"is deleted by the next trove gc (and on a remote, after a push, by a GC there): deletion\n" +
			"is final after GC and cannot be undone.\n\n" +
			"Refused while the version has custom aliases (unless --delete-aliases), while a registry\n" +
			"link names it (protected aliases included), or while trove.lock pins it, in the work tree or\n" +
			"at the tip of any branch.\n\n" + exitCodesHelp,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "delete-aliases", Usage: "release the version's custom aliases with it"},
			&cli.BoolFlag{Name: "json", Usage: jsonUsage},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			a, err := argsExactly(cmd, 1, "NAME:vN")
			if err != nil {
				return err
			}
			o := deleteOptions{spec: a[0], deleteAliases: cmd.Bool("delete-aliases"), json: cmd.Bool("json")}
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error { return runDelete(ctx, e, r, o) })
		},
	}
}

type deleteJSON struct {
	Artifact string   `json:"artifact"`
	Version  string   `json:"version"`
	Record   string   `json:"record"`
	Released []string `json:"releasedAliases"`
	// Final is when deletion becomes final: "at the next trove gc".
	Final string `json:"final"`
}

func runDelete(ctx context.Context, e env, r *repo.Repo, o deleteOptions) error {
	name, sel, err := splitSpec(o.spec)
	if err != nil {
		return err
	}
	if sel == "" {
		return usagef("delete: name the version: %s:vN (or an alias); deleting every version is not a thing trove does at once", name)
	}
	l, err := r.LogOrFetch(ctx, name)
	if err != nil {
		return err
	}
	v, err := l.Resolve(sel)
	if err != nil {
		return fmt.Errorf("%s: %w", o.spec, err)
	}
	check := retention.DeleteCheck{ReleaseAliases: o.deleteAliases}
	links, err := registry.Holds(ctx, r.RefsKV(), v.Record)
	if err != nil {
		return err
	}
	for _, h := range links {
		s := h.String()
		if h.Blocks() {
			s += " (protected: " + strings.Join(h.Protected, ", ") + ")"
		}
		check.Links = append(check.Links, s)
	}
	h, _, err := holds(ctx, r)
	if err != nil {
		return err
	}
	check.Pins = append(check.Pins, h.Pinned[v.Record]...)
	var released []string
	done, err := r.Refs().Delete(ctx, refs.DeleteRequest{
		Name: name, Versions: []int{v.N}, Reason: refs.ReasonDeleted,
		At: func(refs.Version) time.Time { return r.Now() },
		Check: func(l *refs.Log, v refs.Version) error {
			released = l.AliasesOf(v.N)
			return check.Check(name, l, v)
		},
	})
	if err != nil {
		return err
	}
	if len(done) == 0 {
		return fmt.Errorf("%w: %s:v%d was deleted already", refs.ErrDeleted, name, v.N)
	}
	if released == nil {
		released = []string{}
	}
	out := deleteJSON{Artifact: name, Version: fmt.Sprintf("v%d", v.N), Record: v.Record.String(), Released: released, Final: "at the next trove gc"}
	if o.json {
		return printJSON(e.stdout, out)
	}
	fmt.Fprintf(e.stdout, "deleted %s:v%d", name, v.N)
	if len(released) > 0 {
		fmt.Fprintf(e.stdout, " and released its aliases %s", strings.Join(released, ", "))
	}
	fmt.Fprintln(e.stdout)
	fmt.Fprintln(e.stdout, "Its content goes at the next trove gc; after that the deletion is final and cannot be undone.")
	if len(r.RemoteNames()) > 0 {
		fmt.Fprintln(e.stdout, "Push to delete it on the remote too (a GC there deletes its content).")
	}
	return nil
}
