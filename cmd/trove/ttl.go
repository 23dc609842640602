package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/lineage"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/repo"
	"github.com/trove-ml/trove/retention"
)

func newTTLCommand(e env) *cli.Command {
	return &cli.Command{
		Name:  "ttl",
		Usage: "set and show how long versions are kept",
		Description: "A TTL counts from the version's creation time, also when set later. When it runs out\n" +
			"the version is expired: it no longer resolves, its aliases are released, and the next\n" +
			"trove gc deletes it for good. inherit follows the project default\n" +
			"(trove config set ttl.default 90d). A version linked into a registry has no TTL.",
		Commands: []*cli.Command{newTTLSetCommand(e), newTTLShowCommand(e)},
	}
}

type ttlSetOptions struct {
	spec, ttl            string
	upstream, downstream bool
	json                 bool
}

func newTTLSetCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "set",
		Usage:     "set a version's TTL: 30d, 12h, 1d12h, never or inherit",
		ArgsUsage: "NAME:vN|NAME:ALIAS TTL",
		Description: "--upstream also sets it on the versions this one was made from (through the runs\n" +
			"that logged it, transitively); --downstream on the versions made from it.\n" +
			"Expired versions not yet collected can be given a longer TTL to keep them.\n" +
			"When the project names TTL admins (trove config set ttl.admins), only they may.\n\n" + exitCodesHelp,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "upstream", Usage: "also the versions it was made from"},
			&cli.BoolFlag{Name: "downstream", Usage: "also the versions made from it"},
			&cli.BoolFlag{Name: "json", Usage: jsonUsage},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			a, err := argsExactly(cmd, 2, "NAME:vN TTL")
			if err != nil {
				return err
			}
			o := ttlSetOptions{spec: a[0], ttl: a[1], upstream: cmd.Bool("upstream"), downstream: cmd.Bool("downstream"), json: cmd.Bool("json")}
			if _, err := retention.ParseTTL(o.ttl); err != nil {
				return usagef("ttl set: %v", err)
			}
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error { return runTTLSet(ctx, e, r, o) })
		},
	}
}

// ttlVersionJSON is one version's TTL, as ttl set and ttl show print it.
type ttlVersionJSON struct {
	Artifact  string `json:"artifact"`
	Version   string `json:"version"`
	TTL       string `json:"ttl"`
	Source    string `json:"source"`
	Created   string `json:"created"`
	Expires   string `json:"expires,omitempty"`
	Remaining string `json:"remaining,omitempty"`
	Expired   bool   `json:"expired"`
	// Retiring is set when the artifact's retention policy expires the
	// version at the next GC.
	Retiring bool     `json:"retiring,omitempty"`
	HeldBy   []string `json:"heldBy,omitempty"`
	Problem  string   `json:"problem,omitempty"`
}

func ttlJSON(name string, st retention.Status, now time.Time) ttlVersionJSON {
	j := ttlVersionJSON{Artifact: name, Version: fmt.Sprintf("v%d", st.Version.N), TTL: st.TTL.String(), Source: string(st.Source),
		Created: st.Version.Created.UTC().Format(time.RFC3339), Expired: st.Expired, Retiring: st.ByPolicy, HeldBy: st.HeldBy, Problem: st.Problem}
	if rem, ok := st.Remaining(now); ok {
		j.Expires = st.Expires.UTC().Format(time.RFC3339)
		j.Remaining = retention.FormatRemaining(rem)
	}
	return j
}

func runTTLSet(ctx context.Context, e env, r *repo.Repo, o ttlSetOptions) error {
	if err := r.MaySetTTL(); err != nil {
		return err
	}
	name, sel, err := splitSpec(o.spec)
	if err != nil {
		return err
	}
	l, err := r.LogOrFetch(ctx, name)
	if err != nil {
		return err
	}
	// The log itself, not Resolve: an expired version not yet collected
	// can still be given a longer TTL.
	v, err := l.Resolve(sel)
	if err != nil {
		return fmt.Errorf("%s: %w", o.spec, err)
	}
	targets := map[string][]int{name: {v.N}}
	if o.upstream || o.downstream {
		more, err := lineageTargets(ctx, r, name, v, o.upstream, o.downstream)
		if err != nil {
			return err
		}
		for art, ns := range more {
			targets[art] = append(targets[art], ns...)
		}
	}
	linked, err := r.LinkedRecords(ctx)
	if err != nil {
		return err
	}
	// Pins (in the work tree and at every branch tip) hold an expired
	// version against GC; what the next GC does depends on them.
	h, _, err := holds(ctx, r)
	if err != nil {
		return err
	}
	out := []ttlVersionJSON{}
	now := r.Now()
	for _, art := range sortedKeys(targets) {
		if err := r.Refs().SetTTL(ctx, art, targets[art], o.ttl); err != nil {
			return err
		}
		l, err := r.Refs().Log(ctx, art)
		if err != nil {
			return err
		}
		sts, err := r.Statuses(ctx, art, l, retention.Holds{Pinned: h.Pinned, PinnedRoots: h.PinnedRoots})
		if err != nil {
			return err
		}
		for _, n := range targets[art] {
			st, ok := retention.Find(sts, n)
			if !ok {
				continue
			}
			out = append(out, ttlJSON(art, st, now))
			if o.json {
				continue
			}
			switch {
			case linked[st.Version.Record] || st.Source == retention.SourceRegistry:
				fmt.Fprintf(e.stdout, "%s:v%d: ttl %s recorded, but the version is linked into a registry: its TTL stays off\n", art, n, o.ttl)
			case st.TTL.IsNever():
				fmt.Fprintf(e.stdout, "%s:v%d: ttl %s: never expires\n", art, n, o.ttl)
			case st.Expired && len(st.HeldBy) > 0:
				fmt.Fprintf(e.stdout, "%s:v%d: ttl %s: expired on %s; held by %s, so GC keeps it (it no longer resolves by name)\n", art, n, o.ttl, humanTime(st.Expires), strings.Join(st.HeldBy, ", "))
			case st.Expired:
				fmt.Fprintf(e.stdout, "%s:v%d: ttl %s: expired on %s; the next trove gc deletes it\n", art, n, o.ttl, humanTime(st.Expires))
			default:
				rem, _ := st.Remaining(now)
				fmt.Fprintf(e.stdout, "%s:v%d: ttl %s: expires %s (%s left)\n", art, n, o.ttl, humanTime(st.Expires), retention.FormatRemaining(rem))
			}
		}
	}
	if o.json {
		return printJSON(e.stdout, out)
	}
	return nil
}

// lineageTargets finds, by lineage, the live versions upstream and/or
// downstream of v, by artifact.
func lineageTargets(ctx context.Context, r *repo.Repo, name string, v refs.Version, up, down bool) (map[string][]int, error) {
	s := openLineage(r)
	dirs := []lineage.Direction{}
	if up {
		dirs = append(dirs, lineage.Upstream)
	}
	if down {
		dirs = append(dirs, lineage.Downstream)
	}
	out := map[string][]int{}
	seen := map[objects.ID]bool{v.Record: true}
	for _, d := range dirs {
		g, err := s.Graph(ctx, lineage.VersionRef{Record: v.Record, Artifact: name, Version: v.N}, lineage.GraphOptions{Direction: d})
		if err != nil {
			return nil, err
		}
		for _, n := range g.Nodes {
			if n.Kind != lineage.VersionNode || n.VersionState != refs.StateLive {
				continue
			}
			rec, err := objects.ParseID(n.ID)
			if err != nil || seen[rec] {
				continue
			}
			seen[rec] = true
			l, err := r.Refs().Log(ctx, n.Version.Artifact)
			if errors.Is(err, refs.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			for _, lv := range l.Versions {
				if lv.Record == rec && lv.State == refs.StateLive {
					out[n.Version.Artifact] = append(out[n.Version.Artifact], lv.N)
				}
			}
		}
	}
	return out, nil
}

func newTTLShowCommand(e env) *cli.Command {
	return &cli.Command{
		Name:        "show",
		Usage:       "show the TTL and the time left of an artifact's versions",
		ArgsUsage:   "NAME[:ALIAS]",
		Description: exitCodesHelp,
		Flags:       []cli.Flag{&cli.BoolFlag{Name: "json", Usage: jsonUsage}},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			a, err := argsExactly(cmd, 1, "NAME[:ALIAS]")
			if err != nil {
				return err
			}
			name, sel, err := splitSpec(a[0])
			if err != nil {
				return err
			}
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
				l, err := r.LogOrFetch(ctx, name)
				if err != nil {
					return err
				}
				h, _, err := holds(ctx, r)
				if err != nil {
					return err
				}
				sts, err := r.Statuses(ctx, name, l, h)
				if err != nil {
					return err
				}
				if sel != "" {
					v, err := l.Resolve(sel)
					if err != nil {
						return fmt.Errorf("%s: %w", a[0], err)
					}
					st, _ := retention.Find(sts, v.N)
					sts = []retention.Status{st}
				}
				now := r.Now()
				out := []ttlVersionJSON{}
				for _, st := range sts {
					out = append(out, ttlJSON(name, st, now))
				}
				if cmd.Bool("json") {
					return printJSON(e.stdout, out)
				}
				tw := newTable(e.stdout)
				fmt.Fprintln(tw, "VERSION\tTTL\tFROM\tCREATED\tEXPIRES\tREMAINING")
				for i, st := range sts {
					j := out[i]
					exp, rem := "never", "-"
					if j.Expires != "" {
						exp, rem = humanTime(st.Expires), j.Remaining
					}
					switch {
					case st.Expired && !st.Goes():
						rem = "expired (kept by " + strings.Join(st.HeldBy, ", ") + ")"
					case st.Expired:
						rem = "expired (GC deletes it)"
					case st.ByPolicy:
						rem += " (retention policy: next GC deletes it)"
					}
					if st.Problem != "" {
						rem += " (" + st.Problem + ")"
					}
					fmt.Fprintf(tw, "v%d\t%s\t%s\t%s\t%s\t%s\n", st.Version.N, j.TTL, j.Source, humanTime(st.Version.Created), exp, rem)
				}
				return tw.Flush()
			})
		},
	}
}
