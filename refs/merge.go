package refs

import (
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/trove-ml/trove/objects"
)

// MergeResult is what [Merge] decided.
type MergeResult struct {
	// Remote is the log to write to the remote: the remote's log with the
	// included local versions appended and local alias, tag and deletion
	// changes applied.
	Remote *Log
	// Local is the new local log: Remote, then the local versions that were
	// not included, renumbered after Remote's (their numbers stay
	// provisional until they reach the remote).
	Local *Log
	// Renumbered maps record ids of local versions whose number changed to
	// their old and new numbers.
	Renumbered map[objects.ID][2]int
	// Collapsed maps record ids of local versions whose content equalled
	// the remote's latest to the remote version they became.
	Collapsed map[objects.ID]int
	// Conflicts describes alias moves made on both sides to different
	// versions; the remote's move was kept.
	Conflicts []string
	// Kept lists local deletions the remote did not take, because it
	// holds the version (see [MergeOptions]); the version is live again in
	// Local too.
	Kept []KeptVersion
	// Pending lists local deletions not taken to the remote yet, because
	// what might hold the version could not be read there
	// ([MergeOptions.Unsure]); they stay deleted in Local, so the next
	// push tries them again.
	Pending []KeptVersion
}

// KeptVersion is a version deleted here that the remote holds live.
type KeptVersion struct {
	N      int // its number on the remote
	Record objects.ID
	Why    string // what holds it: "its TTL was set to never on the remote"
}

// MergeOptions say which local versions [Merge] pushes and what, beyond
// the logs, holds a version on the remote.
type MergeOptions struct {
	// Include accepts the local versions to push; nil pushes none (as a
	// fetch does).
	Include func(Version) bool
	// Held returns what holds a remote version that the local log deleted
	// since base, as the remote sees it now (a live registry link there),
	// or "" when nothing does. Nil: nothing outside the log holds.
	Held func(Version) string
	// Unsure returns, for such a version that nothing holds as far as can
	// be seen, why that cannot be known now ("a registry there could not
	// be read"), or "". The deletion then waits (Pending).
	Unsure func(Version) string
}

// Merge combines an artifact's log as last seen on a remote (base), as it
// is locally (local), and as it is on the remote now (remote), for pushing
// the local versions that include accepts. A nil base or remote is an
// empty log. Versions are matched by record id; the remote's numbering wins;
// included local versions get the next remote numbers, except that one
// whose content equals the remote's latest becomes that version. Aliases and
// tags merge three-way: a change made on one side wins over no change; an
// alias moved differently on both sides keeps the remote's value and is
// reported in Conflicts.
//
// Deletions on either side win, with one exception: a deletion made here
// on what this clone knew when it last saw the remote does not override
// what the remote learnt since. A local deletion is not taken, and is
// reported in Kept, when the remote holds the version in a way this clone
// had not seen (the version is then live again locally, and its content,
// if collected here, is on the remote):
//   - a TTL override set on the remote since base, for a version that
//     expired here (by TTL or retention policy): someone extended it;
//   - a custom alias the remote moved onto it since base, for a version
//     deleted here with `trove delete`, which refuses aliased versions;
//   - whatever o.Held reports (a live registry link on the remote).
func Merge(base, local, remote *Log, o MergeOptions) (*MergeResult, error) {
	include := o.Include
	if include == nil {
		include = func(Version) bool { return false }
	}
	if base == nil {
		base = &Log{}
	}
	if remote == nil {
		remote = &Log{}
	}
	if remote.Type != "" && local.Type != "" && remote.Type != local.Type {
		return nil, fmt.Errorf("%w: the remote's artifact has type %q, the local one %q", ErrTypeMismatch, remote.Type, local.Type)
	}
	out := remote.clone()
	if out.Type == "" {
		out.Type = local.Type
	}
	res := &MergeResult{Remote: out, Renumbered: map[objects.ID][2]int{}, Collapsed: map[objects.ID]int{}}

	inOut := func(rec objects.ID) (int, bool) {
		for _, v := range out.Versions {
			if v.Record == rec {
				return v.N, true
			}
		}
		return 0, false
	}
	baseLive := map[objects.ID]bool{}
	baseVersion := map[objects.ID]Version{}
	for _, v := range base.Versions {
		baseLive[v.Record] = v.State == StateLive
		baseVersion[v.Record] = v
	}
	// Deletions made locally since base propagate, unless the remote
	// holds the version in a way this clone had not seen.
	pending := map[objects.ID]Version{}
	for _, v := range local.Versions {
		if v.State != StateDeleted || !baseLive[v.Record] {
			continue
		}
		n, ok := inOut(v.Record)
		if !ok {
			continue
		}
		ov := &out.Versions[out.find(n)]
		if ov.State == StateDeleted {
			continue
		}
		if why := heldOnRemote(base, remote, baseVersion[v.Record], *ov, v, o.Held); why != "" {
			res.Kept = append(res.Kept, KeptVersion{N: ov.N, Record: ov.Record, Why: why})
			continue
		}
		if o.Unsure != nil {
			if why := o.Unsure(*ov); why != "" {
				res.Pending = append(res.Pending, KeptVersion{N: ov.N, Record: ov.Record, Why: why})
				pending[v.Record] = v
				continue
			}
		}
		ov.State, ov.Reason, ov.Deleted = StateDeleted, v.Reason, v.Deleted
	}
	// Included local versions the remote lacks are appended.
	var rest []Version
	for _, v := range local.Versions {
		if _, ok := inOut(v.Record); ok {
			continue
		}
		if v.State != StateLive {
			// One deleted before it was ever pushed goes as a tombstone
			// if its number is still free, so that the numbers after it
			// stay too: numbers are never reused, and a number someone
			// saw here keeps naming what it named (or nothing). Once
			// others' versions took its number, numbers here are
			// renumbered anyway and the tombstone would only use one up.
			if _, seen := baseVersion[v.Record]; !seen && v.State == StateDeleted && v.N == out.Next && include(v) {
				out.Versions = append(out.Versions, v)
				out.Next++
			}
			continue
		}
		if !include(v) {
			rest = append(rest, v)
			continue
		}
		if latest, ok := out.Latest(); ok && latest.Root == v.Root {
			res.Collapsed[v.Record] = latest.N
			continue
		}
		nv := v
		nv.N = out.Next
		out.Next++
		out.Versions = append(out.Versions, nv)
		if nv.N != v.N {
			res.Renumbered[v.Record] = [2]int{v.N, nv.N}
		}
	}

	// TTL overrides, three-way per record: a change made on one side wins
	// over no change; set differently on both sides, the remote's stays.
	baseTTL := map[objects.ID]string{}
	for _, v := range base.Versions {
		baseTTL[v.Record] = v.TTL
	}
	localTTL := map[objects.ID]string{}
	for _, v := range local.Versions {
		localTTL[v.Record] = v.TTL
	}
	for i := range out.Versions {
		ov := &out.Versions[i]
		l, ok := localTTL[ov.Record]
		if b := baseTTL[ov.Record]; !ok || l == b || l == ov.TTL {
			continue
		} else if ov.TTL == b {
			ov.TTL = l
		} else {
			res.Conflicts = append(res.Conflicts, fmt.Sprintf("ttl of v%d: set here to %q and on the remote to %q; kept the remote's", ov.N, l, ov.TTL))
		}
	}

	recordOf := func(l *Log, n int, ok bool) objects.ID {
		if !ok {
			return objects.ID{}
		}
		if v, found := l.Version(n); found {
			return v.Record
		}
		return objects.ID{}
	}
	numberIn := func(l *Log, rec objects.ID) (int, bool) {
		if n, ok := res.Collapsed[rec]; ok {
			return n, true
		}
		for _, v := range l.Versions {
			if v.Record == rec && v.State == StateLive {
				return v.N, true
			}
		}
		return 0, false
	}

	// Aliases, three-way on the records they name.
	names := map[string]bool{}
	for _, l := range []*Log{base, local, remote} {
		for a := range l.Aliases {
			names[a] = true
		}
	}
	out.Aliases = map[string]int{}
	localAliases := map[string]objects.ID{}
	for _, a := range slices.Sorted(maps.Keys(names)) {
		bn, bok := base.Aliases[a]
		ln, lok := local.Aliases[a]
		rn, rok := remote.Aliases[a]
		b, l, r := recordOf(base, bn, bok), recordOf(local, ln, lok), recordOf(remote, rn, rok)
		want := r
		switch {
		case l == b:
		case r == b || l == r:
			want = l
		default:
			res.Conflicts = append(res.Conflicts, fmt.Sprintf("alias %q: moved here to v%d and on the remote to %s; kept the remote's", a, ln, describe(remote, rn, rok)))
		}
		if !want.IsZero() {
			if n, ok := numberIn(out, want); ok {
				out.Aliases[a] = n
			} else if want == l && containsRecord(out, l) {
				// Moved here onto a version the remote deleted meanwhile.
				res.Conflicts = append(res.Conflicts, fmt.Sprintf("alias %q: set here on v%d, which the remote deleted; not applied (set it on a live version)", a, ln))
				if n, ok := numberIn(out, r); ok && !r.IsZero() {
					out.Aliases[a] = n
				}
			} else if !r.IsZero() {
				if n, ok := numberIn(out, r); ok {
					out.Aliases[a] = n
				}
			}
		}
		if !l.IsZero() && l != b {
			localAliases[a] = l
		}
	}

	// Tags, three-way per (tag, record).
	tagNames := map[string]bool{}
	for _, l := range []*Log{base, local, remote} {
		for t := range l.Tags {
			tagNames[t] = true
		}
	}
	has := func(l *Log, t string, rec objects.ID) bool {
		for _, n := range l.Tags[t] {
			if recordOf(l, n, true) == rec {
				return true
			}
		}
		return false
	}
	out.Tags = map[string][]int{}
	for _, t := range slices.Sorted(maps.Keys(tagNames)) {
		for _, v := range out.Versions {
			b, l, r := has(base, t, v.Record), has(local, t, v.Record), has(remote, t, v.Record)
			for rec, n := range res.Collapsed {
				if n == v.N && has(local, t, rec) {
					l = true
				}
			}
			if l != b && l || l == b && r {
				out.addTag(t, v.N)
			}
		}
	}
	if len(out.Aliases) == 0 {
		out.Aliases = nil
	}
	if len(out.Tags) == 0 {
		out.Tags = nil
	}
	out.Counter = max(remote.Counter, base.Counter) + 1

	// The local log: the remote's, then what was not pushed.
	loc := out.clone()
	for _, v := range rest {
		nv := v
		nv.N = loc.Next
		loc.Next++
		loc.Versions = append(loc.Versions, nv)
		if nv.N != v.N {
			res.Renumbered[v.Record] = [2]int{v.N, nv.N}
		}
		for t, ns := range local.Tags {
			if slices.Contains(ns, v.N) {
				loc.addTag(t, nv.N)
			}
		}
	}
	// A local alias move to a version that stays local stays local too.
	for a, rec := range localAliases {
		if containsRecord(out, rec) {
			continue
		}
		if n, ok := numberIn(loc, rec); ok {
			if loc.Aliases == nil {
				loc.Aliases = map[string]int{}
			}
			loc.Aliases[a] = n
		}
	}
	// A pending deletion stays here, as it was made (its aliases released),
	// for the next push to try again.
	for i := range loc.Versions {
		lv, ok := pending[loc.Versions[i].Record]
		if !ok {
			continue
		}
		v := &loc.Versions[i]
		v.State, v.Reason, v.Deleted = StateDeleted, lv.Reason, lv.Deleted
		for a, n := range loc.Aliases {
			if n == v.N {
				delete(loc.Aliases, a)
			}
		}
	}
	loc.Counter = max(local.Counter, out.Counter) + 1
	res.Local = loc
	return res, nil
}

// heldOnRemote says what holds remote version rv against its deletion
// here (lv), given base, the remote version as last seen (bv): see Merge.
func heldOnRemote(base, remote *Log, bv, rv, lv Version, held func(Version) string) string {
	if lv.Reason != ReasonDeleted && rv.TTL != bv.TTL {
		ttl := rv.TTL
		if ttl == "" {
			ttl = "its commit's TTL"
		}
		return fmt.Sprintf("its TTL was set to %s on the remote", ttl)
	}
	if lv.Reason == ReasonDeleted {
		for _, a := range slices.Sorted(maps.Keys(remote.Aliases)) {
			if remote.Aliases[a] != rv.N {
				continue
			}
			if bn, ok := base.Aliases[a]; !ok || bn != bv.N {
				return fmt.Sprintf("alias %q was set on it on the remote", a)
			}
		}
	}
	if held != nil {
		return held(rv)
	}
	return ""
}

func containsRecord(l *Log, rec objects.ID) bool {
	for _, v := range l.Versions {
		if v.Record == rec {
			return true
		}
	}
	return false
}

func describe(l *Log, n int, ok bool) string {
	if !ok {
		return "nothing (removed)"
	}
	return fmt.Sprintf("v%d", n)
}

// clone returns a deep copy of l.
func (l *Log) clone() *Log {
	c := *l
	c.Versions = slices.Clone(l.Versions)
	c.Aliases = maps.Clone(l.Aliases)
	c.Tags = map[string][]int{}
	for t, ns := range l.Tags {
		c.Tags[t] = slices.Clone(ns)
	}
	sort.Slice(c.Versions, func(i, j int) bool { return c.Versions[i].N < c.Versions[j].N })
	return &c
}
