package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/gc"
	"github.com/trove-ml/trove/gitpair"
	"github.com/trove-ml/trove/internal/units"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/registry"
	"github.com/trove-ml/trove/repo"
	"github.com/trove-ml/trove/retention"
)

type gcOptions struct {
	dryRun, json, verbose bool
	remote                string
	grace                 *time.Duration
	threshold             float64
}

func newGCCommand(e env) *cli.Command {
	return &cli.Command{
		Name:  "gc",
		Usage: "delete expired versions and what nothing live reaches, here or on a remote",
		Description: "Marks from every live root (unexpired versions, registry links, pins in trove.lock;\n" +
			"runs are always kept) and sweeps the rest: expired versions are recorded deleted, except\n" +
			"those a pin holds (kept, and listed; 'trove ttl set' makes them resolve again),\n" +
			"dead packs deleted, packs mostly dead rewritten. Deletion is final: nothing comes back.\n" +
			"--dry-run prints the plan: what expires, which packs go, and the objects and bytes freed.\n\n" +
			"On a remote (--remote), nothing younger than the grace period (default 24h) is touched,\n" +
			"so pushes in progress are safe; packs are first taken out of the indexes and deleted by a\n" +
			"GC at least one grace period later. Locally the repository lock keeps every other trove\n" +
			"process out, so the default grace is 0.\n\n" + exitCodesHelp,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print the plan and change nothing"},
			&cli.StringFlag{Name: "remote", Usage: "collect on remote `NAME` instead of here"},
			&cli.StringFlag{Name: "grace", Usage: "keep everything younger than `DURATION` (0, 30m, 1h, 1d; default 0 here, 24h on a remote)"},
			&cli.StringFlag{Name: "repack-threshold", Value: "25%", Usage: "rewrite packs whose dead share reaches `PERCENT`"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "list the packs kept too"},
			&cli.BoolFlag{Name: "json", Usage: jsonUsage},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if _, err := argsExactly(cmd, 0, ""); err != nil {
				return err
			}
			o := gcOptions{dryRun: cmd.Bool("dry-run"), json: cmd.Bool("json"), verbose: cmd.Bool("verbose"), remote: cmd.String("remote")}
			if g := cmd.String("grace"); g != "" {
				d, err := parseGrace(g)
				if err != nil {
					return usagef("--grace %q: %v (use e.g. 0, 30m, 1h, 1d)", g, err)
				}
				o.grace = &d
			}
			th, err := parsePercent(cmd.String("repack-threshold"))
			if err != nil {
				return usagef("--repack-threshold: %v (use e.g. 25%%)", err)
			}
			o.threshold = th
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error { return runGC(ctx, e, cmd, r, o) })
		},
	}
}

// parseGrace parses a grace period: 0, or a duration with units s, m, h, d.
func parseGrace(s string) (time.Duration, error) {
	if s == "0" || s == "0s" {
		return 0, nil
	}
	return retention.ParseDuration(s)
}

// parsePercent parses "25%" or "0.25" into (0, 1].
func parsePercent(s string) (float64, error) {
	v, pct := strings.CutSuffix(s, "%")
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if pct {
		f /= 100
	}
	if !(f > 0 && f <= 1) { // NaN, which ParseFloat takes, is refused too
		return 0, fmt.Errorf("%q is outside (0%%, 100%%]", s)
	}
	return f, nil
}

// gcProgress adapts the CLI's progress to package gc's.
type gcProgress struct{ p repo.Progress }

func (g gcProgress) Start(phase string, total int64, bytes bool) gc.Meter {
	return g.p.Start(phase, total, bytes)
}

// holds gathers what holds versions from outside their logs: registry
// links, and the pins (as roots too) of the work tree's trove.lock and of
// trove.lock at every branch tip Git knows (gitpair.Pins).
func holds(ctx context.Context, r *repo.Repo) (retention.Holds, []gc.Root, error) {
	h := retention.Holds{Pinned: map[objects.ID][]string{}, PinnedRoots: map[objects.ID][]string{}}
	var err error
	if h.Linked, err = r.LinkedRecords(ctx); err != nil {
		return h, nil, err
	}
	pins, err := gitpair.Pins(ctx, r.Root)
	if err != nil {
		// An unreadable lock, here or at a branch tip, must stop GC
		// rather than count as no pins.
		return h, nil, fmt.Errorf("pins: %w (GC holds the pins of the work tree's trove.lock and of every branch's: fix that lock, or resolve its merge, before collecting)", err)
	}
	var roots []gc.Root
	for _, p := range pins {
		where := p.Label()
		h.Pinned[p.Record] = append(h.Pinned[p.Record], where)
		h.PinnedRoots[p.Digest] = append(h.PinnedRoots[p.Digest], where)
		roots = append(roots, gc.Root{Record: p.Record, Tree: p.Digest, Why: "pin " + where})
	}
	return h, roots, nil
}

// findRoots evaluates retention over the local logs.
func findRoots(ctx context.Context, r *repo.Repo) (*gc.Roots, error) {
	set, err := r.Retention()
	if err != nil {
		return nil, err
	}
	h, pins, err := holds(ctx, r)
	if err != nil {
		return nil, err
	}
	return gc.FindRoots(ctx, r.Refs(), storeBlobs{r.Store()}, gc.RootOptions{Settings: set, Holds: h, Pins: pins, Now: r.Now()})
}

// storeBlobs reads blobs from the local store.
type storeBlobs struct{ st *objects.Store }

func (s storeBlobs) GetBlob(ctx context.Context, id objects.ID) ([]byte, error) {
	b, _, err := s.st.Get(ctx, id, nil)
	return b, err
}

type gcJSON struct {
	Remote  string   `json:"remote,omitempty"`
	DryRun  bool     `json:"dryRun"`
	Expired []string `json:"expired"`
	// Held lists versions that expired but that a pin in trove.lock
	// keeps: GC neither records them deleted nor sweeps their content.
	Held      []string `json:"held"`
	Reachable int      `json:"reachable"`
	Deleted   int      `json:"packsDeleted"`
	Rewritten int      `json:"packsRewritten"`
	Condemned int      `json:"packsCondemned,omitempty"`
	Rescued   int      `json:"packsRescued,omitempty"`
	Young     int      `json:"packsYoung"`
	// Objects and Bytes are freed now (planned, for a dry run); on a
	// remote, LaterObjects and LaterBytes go at a GC after the grace period.
	Objects      int   `json:"objects"`
	Bytes        int64 `json:"bytes"`
	LaterObjects int   `json:"laterObjects,omitempty"`
	LaterBytes   int64 `json:"laterBytes,omitempty"`
	// Unfinished and UnfinishedBytes count the leftovers of interrupted
	// uploads to a remote, removed now (planned, for a dry run).
	Unfinished      int      `json:"unfinishedUploads,omitempty"`
	UnfinishedBytes int64    `json:"unfinishedBytes,omitempty"`
	Problems        []string `json:"problems"`
}

// minSafeRemoteGrace is the remote grace period below which gc warns: a
// push of a large version over a slow link can take about that long.
const minSafeRemoteGrace = time.Hour

// maxLocalReplans bounds re-planning when the roots moved (only another
// goroutine of this process could move them: the lock keeps others out).
const maxLocalReplans = 3

func runGC(ctx context.Context, e env, cmd *cli.Command, r *repo.Repo, o gcOptions) error {
	if o.remote != "" {
		return runRemoteGC(ctx, e, cmd, r, o)
	}
	s := gc.DefaultSafety()
	if o.grace != nil {
		s.Grace = *o.grace
	}
	s.RepackThreshold = o.threshold
	opts := gc.Options{Safety: &s, Now: r.Now, Progress: gcProgress{newProgress(e, cmd.Bool("no-progress"))}}
	st := r.Store()
	for attempt := 0; ; attempt++ {
		roots, err := findRoots(ctx, r)
		if err != nil {
			return err
		}
		p, err := gc.PlanLocal(ctx, st, roots, opts)
		if err != nil {
			return err
		}
		out := gcJSON{DryRun: o.dryRun, Expired: []string{}, Held: heldText(p.Held), Reachable: p.Reachable, Problems: append([]string{}, p.Problems...)}
		for _, g := range p.Going {
			out.Expired = append(out.Expired, g.String())
		}
		for _, pk := range p.Packs {
			switch pk.Action {
			case gc.Delete:
				out.Deleted++
			case gc.Repack:
				out.Rewritten++
			case gc.Young:
				out.Young++
			}
		}
		out.Objects, out.Bytes = p.Freed()
		if o.dryRun {
			if o.json {
				return printJSON(e.stdout, out)
			}
			return p.WriteText(e.stdout, o.verbose)
		}
		current, err := findRoots(ctx, r)
		if err != nil {
			return err
		}
		res, err := gc.ExecuteLocal(ctx, st, r.Refs(), p, current, opts)
		if errors.Is(err, gc.ErrRootsChanged) && attempt < maxLocalReplans {
			continue
		}
		if err != nil {
			return err
		}
		out.Objects, out.Bytes = res.Objects, res.Bytes
		if o.json {
			return printJSON(e.stdout, out)
		}
		if o.verbose {
			if err := p.WriteText(e.stdout, true); err != nil {
				return err
			}
		}
		for _, g := range res.Expired {
			fmt.Fprintf(e.stdout, "expired %s\n", g)
		}
		printHeld(e, p.Held)
		fmt.Fprintf(e.stdout, "freed %d objects, %s: %d packs deleted, %d rewritten", res.Objects, units.Bytes(res.Bytes), res.PacksDeleted, res.PacksRewritten)
		if out.Young > 0 {
			fmt.Fprintf(e.stdout, "; %d packs younger than the grace period kept", out.Young)
		}
		fmt.Fprintln(e.stdout)
		for _, pr := range p.Problems {
			fmt.Fprintf(e.stderr, "trove: gc: %s\n", pr)
		}
		return nil
	}
}

func runRemoteGC(ctx context.Context, e env, cmd *cli.Command, r *repo.Repo, o gcOptions) error {
	name, rep, err := r.OpenRemote(ctx, o.remote)
	if err != nil {
		return err
	}
	s := gc.DefaultRemoteSafety()
	if o.grace != nil {
		s.Grace = *o.grace
		if s.Grace < minSafeRemoteGrace {
			fmt.Fprintf(e.stderr, "trove: warning: --grace %s on a remote: a push to %s that started more than %s ago and is still running can lose the versions it uploads (the default, %s, leaves a day); use a short grace only when no one pushes\n",
				retention.FormatDuration(s.Grace), o.remote, retention.FormatDuration(s.Grace), retention.FormatDuration(gc.DefaultRemoteGrace))
		}
	}
	s.RepackThreshold = o.threshold
	set, err := r.Retention()
	if err != nil {
		return err
	}
	h, pins, err := holds(ctx, r)
	if err != nil {
		return err
	}
	ro := gc.RemoteOptions{
		Options: gc.Options{Safety: &s, Now: r.Now, Progress: gcProgress{newProgress(e, cmd.Bool("no-progress"))}},
		Name:    name, Local: r.Store(), Settings: set, Holds: h, Pins: pins,
		LinkedRecords: registry.LinkedRecords, Cache: r.RemoteCache(name),
		TempDir: filepath.Join(r.Dir, "tmp"), By: r.User(),
	}
	p, res, err := gc.CollectRemote(ctx, rep, ro, o.dryRun)
	if err != nil {
		return fmt.Errorf("remote %s: %w", name, err)
	}
	out := gcJSON{Remote: name, DryRun: o.dryRun, Expired: []string{}, Held: heldText(p.Held), Reachable: p.Reachable, Problems: append([]string{}, p.Problems...)}
	for _, g := range p.Going {
		out.Expired = append(out.Expired, g.String())
	}
	for _, pk := range p.Packs {
		switch pk.Action {
		case gc.Condemn:
			out.Condemned++
		case gc.Repack:
			out.Rewritten++
			out.Condemned++
		case gc.Young:
			out.Young++
		}
	}
	for _, pk := range p.Due {
		switch {
		case pk.Action == gc.Rescue:
			out.Rescued++
		case !pk.Missing:
			out.Deleted++
		}
	}
	out.Objects, out.Bytes, out.LaterObjects, out.LaterBytes = p.Freed()
	out.Unfinished, out.UnfinishedBytes = len(p.Unfinished), p.UnfinishedBytes()
	if res != nil {
		out.Objects, out.Bytes = res.Objects, res.Bytes
		out.Rescued = res.Rescued
		out.Unfinished, out.UnfinishedBytes = res.Unfinished, res.UnfinishedBytes
		out.Problems = append(out.Problems, res.Problems...)
	}
	if o.json {
		return printJSON(e.stdout, out)
	}
	if o.dryRun || o.verbose {
		if err := p.WriteText(e.stdout, o.verbose); err != nil {
			return err
		}
		if o.dryRun {
			return nil
		}
	}
	for _, g := range res.Expired {
		fmt.Fprintf(e.stdout, "expired %s on %s\n", g, name)
	}
	printHeld(e, p.Held)
	fmt.Fprintf(e.stdout, "%s: deleted %d packs (%s) condemned by an earlier GC; condemned %d packs (%s, deleted by a GC after %s)",
		name, res.Deleted, units.Bytes(res.Bytes), res.Condemned, units.Bytes(out.LaterBytes), retention.FormatDuration(s.Grace))
	if res.Rescued > 0 {
		fmt.Fprintf(e.stdout, "; %d packs indexed again (reached by a push)", res.Rescued)
	}
	if res.Unfinished > 0 {
		fmt.Fprintf(e.stdout, "; removed %d unfinished uploads (%s)", res.Unfinished, units.Bytes(res.UnfinishedBytes))
	}
	fmt.Fprintln(e.stdout)
	for _, pr := range out.Problems {
		fmt.Fprintf(e.stderr, "trove: gc: %s\n", pr)
	}
	return nil
}

// heldText lists the expired versions a pin keeps, for --json.
func heldText(held []gc.Going) []string {
	out := []string{}
	for _, g := range held {
		out = append(out, g.String())
	}
	return out
}

// printHeld says which expired versions a pin keeps, and how to keep them
// resolvable by name too.
func printHeld(e env, held []gc.Going) {
	for _, g := range held {
		fmt.Fprintf(e.stdout, "kept %s (no longer resolves by name; 'trove ttl set %s:v%d 30d' or never extends it)\n",
			g, g.Artifact, g.Status.Version.N)
	}
}
