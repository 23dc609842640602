package registry

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Renumbered records a local link that [Merge] gave another number.
type Renumbered struct {
	Collection string
	// From is the link's local number, To its number after the merge.
	From, To int
	// Collapsed is true when the remote had linked the same version too:
	// the local link became that link instead of a new one.
	Collapsed bool
}

// MergeReport says what [Merge] did beyond taking both sides' changes.
type MergeReport struct {
	// Renumbered lists local links that got new numbers, in collection and
	// number order. A push tells the user about each.
	Renumbered []Renumbered
	// Dropped lists aliases ("COLL:ALIAS") removed because the other side
	// unlinked the link they named.
	Dropped []string
}

// Conflict is one pair of changes [Merge] cannot both keep.
type Conflict struct {
	// Collection is empty for a registry setting.
	Collection string
	// What names the setting: "description", "type", "admins",
	// "alias NAME".
	What string
	// Local and Remote describe each side's value.
	Local, Remote string
}

func (c Conflict) String() string {
	where := ""
	if c.Collection != "" {
		where = "collection " + c.Collection + ": "
	}
	return fmt.Sprintf("%s%s: local %s, remote %s", where, c.What, c.Local, c.Remote)
}

// ConflictError lists the conflicts of a [Merge]. It matches [ErrConflict].
type ConflictError struct {
	Conflicts []Conflict
}

func (e *ConflictError) Error() string {
	var parts []string
	for _, c := range e.Conflicts {
		parts = append(parts, c.String())
	}
	return fmt.Sprintf("%v: %s", ErrConflict, strings.Join(parts, "; "))
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Merge combines two registries that both descend from base: local, written
// in this repository since base was fetched, and remote, what the bucket
// holds now. base is nil when the registry had no common ancestor (both
// sides created it, as happens when two clones materialise a core
// registry).
//
// The rules:
//   - Accepted types are the union of both sides; AnyType holds if either
//     side has it (types are add-only).
//   - Protected aliases and admins merge element by element: a side that
//     changed an element relative to base wins; both sides agree otherwise.
//     Both sides removing different admins down to none is a conflict.
//   - The description takes the side that changed it; two different
//     changes conflict.
//   - Links: every remote link keeps its number. Local links made since
//     base are appended after the remote's, in their local order, with new
//     numbers (reported in [MergeReport.Renumbered]); a live local link to a
//     version the remote has live-linked too becomes the remote's link. An
//     unlink on either side wins over a live link.
//   - Collection aliases merge three-way by link (local numbers mapped to
//     merged ones): the side that moved an alias wins; two different moves
//     conflict. An alias that only lost its link to an unlink on the other
//     side is dropped (as unlinking drops aliases); an alias moved onto a
//     link that the other side unlinked conflicts.
//   - The counter is above both sides', so the merged encoding differs
//     from both.
//
// Merge does not change its arguments. It returns an error matching
// ErrConflict (a *[ConflictError]) when changes conflict, or ErrCorrupt if
// the result breaks an invariant (which means an input was inconsistent).
func Merge(base, local, remote *Registry) (*Registry, *MergeReport, error) {
	if base == nil {
		base = &Registry{}
	}
	out := remote.clone()
	rep := &MergeReport{}
	var conflicts []Conflict

	out.Counter = max(local.Counter, remote.Counter) + 1
	if d, ok := merge3(base.Description, local.Description, remote.Description); ok {
		out.Description = d
	} else {
		conflicts = append(conflicts, Conflict{What: "description", Local: fmt.Sprintf("%q", local.Description), Remote: fmt.Sprintf("%q", remote.Description)})
	}
	out.Types = union(local.Types, remote.Types)
	out.AnyType = local.AnyType || remote.AnyType
	out.Protected = mergeSet(base.Protected, local.Protected, remote.Protected)
	out.Admins = mergeSet(base.Admins, local.Admins, remote.Admins)
	if len(out.Admins) == 0 && len(local.Admins) > 0 && len(remote.Admins) > 0 {
		conflicts = append(conflicts, Conflict{What: "admins", Local: strings.Join(local.Admins, ","), Remote: strings.Join(remote.Admins, ",")})
	}
	if out.Created.IsZero() {
		out.Created, out.CreatedBy = local.Created, local.CreatedBy
	}

	for _, name := range union(local.CollectionNames(), remote.CollectionNames()) {
		lc, rc := local.Collections[name], remote.Collections[name]
		switch {
		case lc == nil:
			continue // out has the remote's
		case rc == nil:
			if out.Collections == nil {
				out.Collections = map[string]*Collection{}
			}
			out.Collections[name] = lc.clone()
			continue
		case lc.Type != rc.Type:
			conflicts = append(conflicts, Conflict{Collection: name, What: "type", Local: lc.Type, Remote: rc.Type})
			continue
		}
		bc := base.Collections[name]
		if bc == nil {
			bc = &Collection{}
		}
		conflicts = append(conflicts, mergeCollection(name, bc, lc, out.Collections[name], rep)...)
	}
	if len(conflicts) > 0 {
		return nil, nil, &ConflictError{Conflicts: conflicts}
	}
	out.normalize()
	if err := out.check(); err != nil {
		return nil, nil, corruptf("merged registry: %v", err)
	}
	return out, rep, nil
}

// mergeCollection merges local's changes since base into mc, which starts
// as a copy of the remote's collection.
func mergeCollection(name string, bc, lc, mc *Collection, rep *MergeReport) []Conflict {
	rc := &Collection{Links: slices.Clone(mc.Links), Aliases: mc.Aliases}
	// Base links (numbers below bc.Next) are the same on both sides; an
	// unlink made locally carries over.
	for _, l := range lc.Links {
		if l.N >= bc.Next || l.State != LinkUnlinked {
			continue
		}
		if i := mc.find(l.N); i >= 0 && mc.Links[i].State == LinkLive {
			mc.Links[i] = l
		}
	}
	// Local links since base go after the remote's.
	renum := map[int]int{}
	for _, l := range lc.Links {
		if l.N < bc.Next {
			continue
		}
		if l.State == LinkLive {
			if n, ok := liveLinkTo(mc, l); ok {
				renum[l.N] = n
				rep.Renumbered = append(rep.Renumbered, Renumbered{Collection: name, From: l.N, To: n, Collapsed: true})
				continue
			}
		}
		from := l.N
		l.N = mc.Next
		mc.Next++
		mc.Links = append(mc.Links, l)
		renum[from] = l.N
		if from != l.N {
			rep.Renumbered = append(rep.Renumbered, Renumbered{Collection: name, From: from, To: l.N})
		}
	}
	mapLocal := func(n int) int {
		if m, ok := renum[n]; ok {
			return m
		}
		return n
	}
	// unlinkedBy reports whether c unlinked base link n.
	unlinkedBy := func(c *Collection, n int) bool {
		l, ok := c.link(n)
		return ok && n < bc.Next && l.State == LinkUnlinked
	}
	var conflicts []Conflict
	aliases := map[string]int{}
	var names []string
	for _, m := range []map[string]int{bc.Aliases, lc.Aliases, rc.Aliases} {
		for a := range m {
			if !slices.Contains(names, a) {
				names = append(names, a)
			}
		}
	}
	sort.Strings(names)
	for _, a := range names {
		bv, bok := bc.Aliases[a]
		b := aliasVal(bv, bok)
		lv, lok := lc.Aliases[a]
		l := aliasVal(mapLocal(lv), lok)
		rv, rok := rc.Aliases[a]
		r := aliasVal(rv, rok)
		// An alias a side lost only because it unlinked the alias's link
		// counts as unchanged on that side; the unlink is merged on its own.
		if bok && !lok && unlinkedBy(lc, bv) {
			l = b
		}
		if bok && !rok && unlinkedBy(rc, bv) {
			r = b
		}
		m, ok := merge3(b, l, r)
		if !ok {
			conflicts = append(conflicts, Conflict{Collection: name, What: "alias " + a, Local: l, Remote: r})
			continue
		}
		if m == "" {
			continue
		}
		n := aliasNum(m)
		if ml, ok := mc.link(n); !ok || ml.State != LinkLive {
			if m == b {
				if lok { // local still had it: tell the user it went
					rep.Dropped = append(rep.Dropped, name+":"+a)
				}
				continue
			}
			conflicts = append(conflicts, Conflict{Collection: name, What: "alias " + a, Local: l + " (moved)", Remote: r + " (v" + fmt.Sprint(n) + " unlinked)"})
			continue
		}
		aliases[a] = n
	}
	mc.Aliases = aliases
	return conflicts
}

// liveLinkTo returns the number of c's live link to the same record as l.
func liveLinkTo(c *Collection, l Link) (int, bool) {
	for _, m := range c.Links {
		if m.State == LinkLive && m.Record == l.Record {
			return m.N, true
		}
	}
	return 0, false
}

// aliasVal spells an alias's target for merge3: "" for absent, "vN".
func aliasVal(n int, ok bool) string {
	if !ok {
		return ""
	}
	return fmt.Sprintf("v%d", n)
}

func aliasNum(v string) int {
	var n int
	fmt.Sscanf(v, "v%d", &n)
	return n
}

// merge3 merges one value three-way: the side that changed it wins; two
// different changes conflict.
func merge3(base, local, remote string) (string, bool) {
	switch {
	case local == remote:
		return local, true
	case local == base:
		return remote, true
	case remote == base:
		return local, true
	}
	return "", false
}

// mergeSet merges sorted sets element by element with [merge3]'s rule.
func mergeSet(base, local, remote []string) []string {
	var out []string
	for _, x := range union(base, union(local, remote)) {
		b, l, r := slices.Contains(base, x), slices.Contains(local, x), slices.Contains(remote, x)
		keep := l // both sides agree, or only local changed it
		if l == b {
			keep = r // only remote changed it
		}
		if keep {
			out = append(out, x)
		}
	}
	return out
}

// union returns the sorted union of two string sets.
func union(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	sort.Strings(out)
	return slices.Compact(out)
}
