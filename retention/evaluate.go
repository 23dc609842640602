package retention

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
)

// Source says where a version's TTL in force comes from.
type Source string

// Sources, in the order they are consulted (see the package comment).
const (
	SourceRegistry Source = "registry" // a registry link turned it off
	SourceOverride Source = "override" // trove ttl set
	SourceRecord   Source = "record"   // given at commit
	SourceDefault  Source = "default"  // the project default (inherit)
)

// Holds are what holds versions from outside their artifact's log.
type Holds struct {
	// Linked maps every record a registry link names (live or unlinked) to
	// whether a live link names it (registry.LinkedRecords). Every record
	// in it has its TTL off; live links also hold against policies.
	Linked map[objects.ID]bool
	// Pinned maps records pinned in the work tree's trove.lock, or in
	// trove.lock at a branch tip, to the pins' labels (gitpair.HeldPin), and PinnedRoots the pinned content digests
	// (root trees) likewise: a pinned version that collapsed into an equal
	// one on push is found by its digest. A pin holds its version against
	// policies and against expiry alike (as `trove delete` refuses a
	// pinned version): an expired, pinned version no longer resolves by
	// name, but it does not go. Only a registry link turns a TTL off.
	Pinned      map[objects.ID][]string
	PinnedRoots map[objects.ID][]string
}

// RecordTTL returns the TTL stored in a version's record, as given at
// commit ("" when none was given). It is called once per live version
// whose log entry has no override.
type RecordTTL func(ctx context.Context, v refs.Version) (string, error)

// Status is what retention says about one live version.
type Status struct {
	Version refs.Version
	// TTL is the TTL in force (never or a period, never inherit) and
	// Source where it came from; Given is the spelling found there.
	TTL    TTL
	Source Source
	Given  string
	// Expires is Created + TTL; zero when the TTL is never.
	Expires time.Time
	// Expired is true when Expires is not after now.
	Expired bool
	// ByPolicy is true when the artifact's retention policy expires the
	// version (applied by GC; the version still resolves until then).
	ByPolicy bool
	// HeldBy lists what holds the version: against policies, registry
	// links ("registry link"), pins ("pin PATH"), custom aliases
	// ("alias best") when the policy keeps aliased versions; once it has
	// expired, pins only (a link turns the TTL off instead, and an alias
	// is released). A held version does not go.
	HeldBy []string
	// Problem, if not empty, says why a stored TTL could not be read; the
	// version is then treated as never expiring, the safe side.
	Problem string
}

// Goes reports whether the version is to be deleted: expired and not
// pinned, or expired by policy.
func (s *Status) Goes() bool { return (s.Expired && len(s.HeldBy) == 0) || s.ByPolicy }

// Remaining returns the time left before expiry at now (0 if expired),
// and false when the version never expires.
func (s *Status) Remaining(now time.Time) (time.Duration, bool) {
	if s.Expires.IsZero() {
		return 0, false
	}
	return max(s.Expires.Sub(now), 0), true
}

// Why says, for messages, why a version goes: "expired on 2026-…",
// "retention policy keep-last 3".
func (s *Status) Why(p Policy) string {
	if s.Expired {
		return "expired on " + s.Expires.UTC().Format("2006-01-02 15:04:05 UTC") + " (TTL " + s.TTL.String() + ", " + string(s.Source) + ")"
	}
	if s.ByPolicy {
		return "retention policy " + p.String()
	}
	return ""
}

// Evaluate says, for every live version in l (in number order), which TTL
// is in force, when it expires and whether it has, and whether the
// artifact's policy in set expires it. It reads record TTLs through
// recordTTL only for versions without an override and not TTL-off by a
// registry link. It fails only when recordTTL fails.
func Evaluate(ctx context.Context, name string, l *refs.Log, set Settings, h Holds, recordTTL RecordTTL, now time.Time) ([]Status, error) {
	var out []Status
	for _, v := range l.Versions {
		if v.State != refs.StateLive {
			continue
		}
		st := Status{Version: v}
		if err := resolveTTL(ctx, &st, set, h, recordTTL); err != nil {
			return nil, fmt.Errorf("%s:v%d: %w", name, v.N, err)
		}
		if !st.TTL.IsNever() {
			st.Expires = v.Created.Add(st.TTL.Period())
			st.Expired = !now.Before(st.Expires)
		}
		if st.Expired {
			st.HeldBy = pinsOf(h, v)
		}
		out = append(out, st)
	}
	if p, ok := set.Policies[name]; ok && p.KeepLast > 0 {
		applyPolicy(out, l, p, h)
	}
	return out, nil
}

// resolveTTL finds the TTL in force for st.Version.
func resolveTTL(ctx context.Context, st *Status, set Settings, h Holds, recordTTL RecordTTL) error {
	v := st.Version
	if _, ok := h.Linked[v.Record]; ok {
		st.TTL, st.Source, st.Given = NeverTTL(), SourceRegistry, Never
		return nil
	}
	given, src := v.TTL, SourceOverride
	if given == "" {
		src = SourceRecord
		if recordTTL != nil {
			var err error
			if given, err = recordTTL(ctx, v); err != nil {
				return err
			}
		}
	}
	t := TTL{}
	if given != "" {
		var err error
		if t, err = ParseTTL(given); err != nil {
			st.TTL, st.Source, st.Given = NeverTTL(), src, given
			st.Problem = err.Error() + "; treated as never"
			return nil
		}
	}
	if t.IsInherit() {
		t, src = set.DefaultTTL, SourceDefault
		if given == "" {
			given = Inherit
		}
	}
	st.TTL, st.Source, st.Given = t, src, given
	return nil
}

// applyPolicy marks ByPolicy on live, unexpired versions older than the
// newest p.KeepLast that nothing holds.
func applyPolicy(sts []Status, l *refs.Log, p Policy, h Holds) {
	idx := make([]int, 0, len(sts))
	for i := range sts {
		if !sts[i].Expired {
			idx = append(idx, i)
		}
	}
	sort.Slice(idx, func(a, b int) bool { return sts[idx[a]].Version.N > sts[idx[b]].Version.N })
	for k, i := range idx {
		st := &sts[i]
		if live := h.Linked[st.Version.Record]; live {
			st.HeldBy = append(st.HeldBy, "registry link")
		}
		st.HeldBy = append(st.HeldBy, pinsOf(h, st.Version)...)
		if p.KeepAliased {
			for _, a := range l.AliasesOf(st.Version.N) {
				st.HeldBy = append(st.HeldBy, "alias "+a)
			}
		}
		if k >= p.KeepLast && len(st.HeldBy) == 0 {
			st.ByPolicy = true
		}
	}
}

// pinsOf returns the holds ("pin PATH") of the pins on v: by its record,
// else by its content digest.
func pinsOf(h Holds, v refs.Version) []string {
	paths := h.Pinned[v.Record]
	if len(paths) == 0 {
		paths = h.PinnedRoots[v.Root]
	}
	var out []string
	for _, path := range paths {
		out = append(out, "pin "+path)
	}
	return out
}

// Latest returns the live, unexpired version with the highest number:
// what "latest" names while expired versions wait for GC.
func Latest(sts []Status) (Status, bool) {
	for i := len(sts) - 1; i >= 0; i-- {
		if !sts[i].Expired {
			return sts[i], true
		}
	}
	return Status{}, false
}

// Find returns the status of version n, if it is live.
func Find(sts []Status, n int) (Status, bool) {
	for _, s := range sts {
		if s.Version.N == n {
			return s, true
		}
	}
	return Status{}, false
}
