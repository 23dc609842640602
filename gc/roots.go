package gc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/retention"
)

// Logs lists artifact logs; *refs.Refs satisfies it, and so does the
// remote view GC builds over a bucket's refs.
type Logs interface {
	Artifacts(ctx context.Context, fn func(name string, l *refs.Log) error) error
}

// RootOptions say what holds versions and when "now" is.
type RootOptions struct {
	// Settings are the retention rules (default TTL, policies).
	Settings retention.Settings
	// Holds are registry links and pins, for retention. Live links are
	// roots themselves, whatever their artifact's log says.
	Holds retention.Holds
	// Pins are the pins gitpair.Pins finds (the work tree's trove.lock and
	// every branch tip's) as roots: each pin's record and its
	// content digest (the tree), kept whatever the logs say.
	Pins []Root
	// Now decides expiry.
	Now time.Time
}

// Root is a version record kept live, with why.
type Root struct {
	Record objects.ID
	// Tree is the version's root tree; zero when only the record says
	// (registry links and pins name records).
	Tree objects.ID
	Why  string
}

// Going is a live version that expired or that a retention policy
// expires: GC records it deleted in its log, and its content goes unless
// something else reaches it.
type Going struct {
	Artifact string
	Status   retention.Status
	Policy   retention.Policy
}

// String names the version and why it goes, or, for a version a pin
// holds, why it stays.
func (g Going) String() string {
	s := fmt.Sprintf("%s:v%d %s", g.Artifact, g.Status.Version.N, g.Status.Why(g.Policy))
	if !g.Status.Goes() {
		s += ", held by " + strings.Join(g.Status.HeldBy, ", ")
	}
	return s
}

// Roots is the result of [FindRoots].
type Roots struct {
	// Roots lists what is live, sorted by record.
	Roots []Root
	// Going lists versions that go, by artifact and number; Held lists
	// versions that expired but stay because a pin holds them (as
	// `trove delete` refuses a pinned version, a TTL does not get round
	// the pin). They are roots, counted in Versions.
	Going, Held []Going
	// Versions, Links and Pins count the roots of each kind.
	Versions, Links, Pins int
	// Statuses maps every artifact to what retention said of its live
	// versions, for expiring them.
	Statuses map[string][]retention.Status
}

// Digest is a fingerprint of the roots: equal digests mean equal roots,
// and so, the store being content-addressed, equal mark sets.
func (r *Roots) Digest() objects.ID {
	h := objects.NewHasher()
	for _, x := range r.Roots {
		_, _ = h.Write(x.Record[:]) // hashing never fails
		_, _ = h.Write(x.Tree[:])
	}
	return h.Sum()
}

// FindRoots evaluates retention over every log and returns what is live.
// records reads version records, for their TTL and, for links and pins,
// their root tree; a record it cannot find is treated as having no TTL.
func FindRoots(ctx context.Context, logs Logs, records manifest.BlobGetter, o RootOptions) (*Roots, error) {
	rs := &Roots{Statuses: map[string][]retention.Status{}}
	readRecord := func(ctx context.Context, id objects.ID) (*manifest.Record, error) {
		b, err := records.GetBlob(ctx, id)
		if err != nil {
			return nil, err
		}
		return manifest.DecodeRecord(b)
	}
	recordTTL := func(ctx context.Context, v refs.Version) (string, error) {
		rec, err := readRecord(ctx, v.Record)
		if errors.Is(err, objects.ErrNotFound) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		return rec.TTL, nil
	}
	byRecord := map[objects.ID]*Root{}
	add := func(r Root) {
		if have, ok := byRecord[r.Record]; ok {
			if have.Tree.IsZero() {
				have.Tree = r.Tree
			}
			return
		}
		byRecord[r.Record] = &r
	}
	err := logs.Artifacts(ctx, func(name string, l *refs.Log) error {
		sts, err := retention.Evaluate(ctx, name, l, o.Settings, o.Holds, recordTTL, o.Now)
		if err != nil {
			return err
		}
		rs.Statuses[name] = sts
		for _, st := range sts {
			if st.Goes() {
				rs.Going = append(rs.Going, Going{Artifact: name, Status: st, Policy: o.Settings.Policies[name]})
				continue
			}
			if st.Expired {
				rs.Held = append(rs.Held, Going{Artifact: name, Status: st, Policy: o.Settings.Policies[name]})
			}
			rs.Versions++
			v := st.Version
			add(Root{Record: v.Record, Tree: v.Root, Why: fmt.Sprintf("%s:v%d", name, v.N)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("gc: find roots: %w", err)
	}
	for _, rec := range sortedIDs(o.Holds.Linked) {
		if o.Holds.Linked[rec] {
			rs.Links++
			add(Root{Record: rec, Why: "registry link"})
		}
	}
	for _, pin := range o.Pins {
		rs.Pins++
		add(pin)
	}
	// Records named only by links and pins: their tree is in the record.
	for _, r := range byRecord {
		if !r.Tree.IsZero() {
			continue
		}
		rec, err := readRecord(ctx, r.Record)
		if errors.Is(err, objects.ErrNotFound) {
			continue // not here: nothing it reaches can be here either
		}
		if err != nil {
			return nil, fmt.Errorf("gc: %s: version record %s: %w", r.Why, r.Record.Short(), err)
		}
		r.Tree = rec.Root
	}
	for _, r := range byRecord {
		rs.Roots = append(rs.Roots, *r)
	}
	sort.Slice(rs.Roots, func(i, j int) bool { return idLess(rs.Roots[i].Record, rs.Roots[j].Record) })
	for _, gs := range [][]Going{rs.Going, rs.Held} {
		sort.Slice(gs, func(i, j int) bool {
			a, b := gs[i], gs[j]
			if a.Artifact != b.Artifact {
				return a.Artifact < b.Artifact
			}
			return a.Status.Version.N < b.Status.Version.N
		})
	}
	return rs, nil
}

// ExpireLocal records the going versions deleted in the local logs.
func (r *Roots) ExpireLocal(ctx context.Context, rs *refs.Refs, now time.Time) ([]Going, error) {
	var done []Going
	names := map[string]bool{}
	for _, g := range r.Going {
		names[g.Artifact] = true
	}
	for _, name := range sortedKeys(names) {
		vs, err := retention.Expire(ctx, rs, name, r.Statuses[name], now)
		if err != nil {
			return done, fmt.Errorf("gc: expire %s: %w", name, err)
		}
		for _, v := range vs {
			for _, g := range r.Going {
				if g.Artifact == name && g.Status.Version.N == v.N {
					done = append(done, g)
				}
			}
		}
	}
	return done, nil
}

func idLess(a, b objects.ID) bool { return string(a[:]) < string(b[:]) }

func sortedIDs[V any](m map[objects.ID]V) []objects.ID {
	out := make([]objects.ID, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	slices.SortFunc(out, func(a, b objects.ID) int { return slices.Compare(a[:], b[:]) })
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// decodeRecordTTL returns the TTL of an encoded version record.
func decodeRecordTTL(b []byte) (string, error) {
	rec, err := manifest.DecodeRecord(b)
	if err != nil {
		return "", err
	}
	return rec.TTL, nil
}
