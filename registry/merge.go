package registry

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Merge combines two registries that both descend from base: local, written
// in this repository since base was fetched, and remote, what the bucket
// holds now. base is nil when the registry had no common ancestor (both
// sides created it, as happens when two clones materialise a core
// registry, or create a custom one of the same name).
//
// Every change of both sides is kept where the two do not touch the same
// thing. Where they do, the remote's change stands: it was published
// first, and others may already rely on it (as refs.Merge keeps the
// remote's move of an artifact alias). The local change is left out and
// reported in [MergeReport.NotApplied], with the command that applies it
// again; nothing else of the merge waits for it, so a push or fetch never
// stops at a registry conflict. The rules:
//   - Links always merge: every remote link keeps its number; local links
//     made since base are appended after the remote's, in their local
//     order, with new numbers ([MergeReport.Renumbered]); a live local
//     link to a version the remote has live-linked too becomes the
//     remote's link. A collection both sides created for different types
//     keeps its name for the remote's links, and the local one is renamed
//     ([MergeReport.Renamed]).
//   - An unlink on either side wins over a live link, except that a
//     local unlink is not applied where the remote moved an alias onto the
//     link since base, or protects an alias on it that was not protected
//     here (so no admin approved the unlink).
//   - Collection aliases merge three-way by link (local numbers mapped to
//     merged ones): the side that moved an alias wins; moved (or removed)
//     differently on both sides, the remote's stands. A local move of an
//     alias that the remote protected meanwhile is not applied either. An
//     alias that only lost its link to an unlink on the other side is
//     dropped ([MergeReport.Dropped]); a local move onto a link the remote
//     unlinked is not applied.
//   - Accepted types are the union of both sides; AnyType holds if either
//     side has it (types are add-only). Protected aliases and admins merge
//     element by element: a side that changed an element relative to base
//     wins. The description takes the side that changed it. Where both
//     sides changed a setting differently (two descriptions; both removing
//     admins down to none) the remote's stands.
//   - A registry created on both sides at once (a custom registry, base
//     nil) is the remote's: its description, admins and protected aliases
//     stand, and the local ones are reported. It also accepts the local
//     types that the local collections need; the other local types are
//     reported.
//   - The counter is above both sides', so the merged encoding differs
//     from both.
//
// Merge does not change its arguments. It returns an error only if the
// result breaks an invariant (ErrCorrupt: an input was inconsistent).
func Merge(base, local, remote *Registry) (*Registry, *MergeReport, error) {
	if base == nil {
		base = &Registry{}
	}
	m := &merger{local: local, remote: remote, out: remote.Clone(), rep: &MergeReport{}}
	out := m.out
	out.Counter = max(local.Counter, remote.Counter) + 1
	created := concurrentlyCreated(base, local, remote)
	if created {
		m.createdSettings()
	} else {
		m.settings(base)
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
			// New here: merged into an empty collection, so the rules
			// for aliases the remote protects apply to it too.
			m.collection(name, &Collection{}, lc, m.newCollection(name, lc.Type))
			continue
		case lc.Type != rc.Type:
			to := m.freeName(name, lc.Type)
			m.collection(to, &Collection{}, lc, m.newCollection(to, lc.Type))
			m.rep.Renamed = append(m.rep.Renamed, Renamed{From: name, To: to, Type: lc.Type, RemoteType: rc.Type})
			continue
		}
		bc := base.Collections[name]
		if bc == nil || bc.Type != lc.Type {
			bc = &Collection{}
		}
		m.collection(name, bc, lc, out.Collections[name])
	}
	if created {
		m.createdTypes()
	}
	out.normalize()
	if err := out.check(); err != nil {
		return nil, nil, corruptf("merged registry: %v", err)
	}
	return out, m.rep, nil
}

// merger holds one [Merge] under way.
type merger struct {
	local, remote *Registry
	// out starts as a copy of remote and becomes the merged registry.
	out *Registry
	rep *MergeReport
}

func (m *merger) notApplied(n NotApplied) { m.rep.NotApplied = append(m.rep.NotApplied, n) }

// concurrentlyCreated reports whether local and remote are two creations
// of one custom registry, made without seeing each other.
func concurrentlyCreated(base, local, remote *Registry) bool {
	if !base.Created.IsZero() || local.Created.IsZero() || remote.Created.IsZero() {
		return false
	}
	return !local.Created.Equal(remote.Created) || local.CreatedBy != remote.CreatedBy
}

// settings merges the registry's settings three-way.
func (m *merger) settings(base *Registry) {
	local, remote, out := m.local, m.remote, m.out
	if d, ok := merge3(base.Description, local.Description, remote.Description); ok {
		out.Description = d
	} else {
		m.notApplied(NotApplied{What: "description",
			Local: fmt.Sprintf("set to %q here", local.Description), Remote: fmt.Sprintf("to %q on the remote", remote.Description),
			Kept: fmt.Sprintf("%q", remote.Description), redo: redo{why: "no command changes a description"}})
	}
	out.Types = union(local.Types, remote.Types)
	out.AnyType = local.AnyType || remote.AnyType
	out.Protected = mergeSet(base.Protected, local.Protected, remote.Protected)
	out.Admins = mergeSet(base.Admins, local.Admins, remote.Admins)
	if len(out.Admins) == 0 && len(remote.Admins) > 0 {
		// Each side removed admins the other kept: a registry that had
		// admins keeps at least one.
		out.Admins = slices.Clone(remote.Admins)
		m.notApplied(NotApplied{What: "admins",
			Local:  "removed " + strings.Join(minus(base.Admins, local.Admins), ", ") + " here",
			Remote: "removed " + strings.Join(minus(base.Admins, remote.Admins), ", ") + " on the remote",
			Kept:   strings.Join(remote.Admins, ", "), redo: redo{why: "a registry keeps at least one admin"}})
	}
}

// createdSettings takes the remote's settings for a registry both sides
// created, and reports the local ones that differ. Types come later
// (createdTypes), once the collections are merged.
func (m *merger) createdSettings() {
	local, remote := m.local, m.remote
	by := fmt.Sprintf(" on the remote (created there by %s at the same time)", remote.CreatedBy)
	if local.Description != remote.Description {
		m.notApplied(NotApplied{What: "description",
			Local: fmt.Sprintf("%q here", local.Description), Remote: fmt.Sprintf("%q", remote.Description) + by,
			Kept: fmt.Sprintf("%q", remote.Description), redo: redo{why: "no command changes a description"}})
	}
	if extra := minus(local.Admins, remote.Admins); len(extra) > 0 {
		m.notApplied(NotApplied{What: "admins",
			Local: strings.Join(local.Admins, ", ") + " here", Remote: strings.Join(remote.Admins, ", ") + by,
			Kept: strings.Join(remote.Admins, ", "), redo: redo{kind: redoAdminAdd, args: extra}})
	}
	if extra := minus(local.Protected, remote.Protected); len(extra) > 0 {
		m.notApplied(NotApplied{What: "protected aliases",
			Local: strings.Join(extra, ", ") + " protected here", Remote: "not" + by,
			Kept: orNone(remote.Protected), redo: redo{kind: redoProtect, args: extra}})
	}
}

// createdTypes gives a registry both sides created the remote's types and
// those the merged collections need, and reports the other local types.
func (m *merger) createdTypes() {
	local, remote, out := m.local, m.remote, m.out
	out.Types, out.AnyType = slices.Clone(remote.Types), remote.AnyType
	var needed []string
	for _, name := range out.CollectionNames() {
		if t := out.Collections[name].Type; !out.accepts(t) {
			out.Types = union(out.Types, []string{t})
			needed = append(needed, t)
		}
	}
	kept := acceptedTypes(out)
	if len(needed) > 0 {
		kept += ", with " + strings.Join(needed, ", ") + " for your collections"
	}
	if local.AnyType && !out.AnyType {
		m.notApplied(NotApplied{What: "accepted types",
			Local: "any type here", Remote: acceptedTypes(remote) + " on the remote (created there at the same time)",
			Kept: kept, redo: redo{why: "a registry that accepts listed types cannot be made to accept any"}})
		return
	}
	var extra []string
	for _, t := range local.Types {
		if !out.accepts(t) {
			extra = append(extra, t)
		}
	}
	if len(extra) > 0 {
		m.notApplied(NotApplied{What: "accepted types",
			Local: acceptedTypes(local) + " here", Remote: acceptedTypes(remote) + " on the remote (created there at the same time)",
			Kept: kept, redo: redo{kind: redoAddType, args: extra}})
	}
}

// newCollection adds an empty collection of type typ to the merged
// registry and returns it.
func (m *merger) newCollection(name, typ string) *Collection {
	if m.out.Collections == nil {
		m.out.Collections = map[string]*Collection{}
	}
	c := &Collection{Type: typ}
	m.out.Collections[name] = c
	return c
}

// freeName returns a collection name that neither side uses, for the local
// collection name of type typ: "name-typ", else "name-typ-2", ….
func (m *merger) freeName(name, typ string) string {
	const maxName = 128 // manifest.MaxArtifactNameLen: collection names follow artifact names
	for i := 1; ; i++ {
		suffix := "-" + typ
		if i > 1 {
			suffix += fmt.Sprintf("-%d", i)
		}
		cand := name
		if len(cand)+len(suffix) > maxName {
			cand = cand[:maxName-len(suffix)]
		}
		cand += suffix
		if m.local.Collections[cand] == nil && m.out.Collections[cand] == nil {
			return cand
		}
	}
}

// guarded reports whether alias a is protected in the merged registry
// but was not here: a local change to it was made without an admin.
func (m *merger) guarded(a string) bool { return m.out.IsProtected(a) && !m.local.IsProtected(a) }

// protected reports whether alias a is protected on either side.
func (m *merger) protected(a string) bool { return m.out.IsProtected(a) || m.local.IsProtected(a) }

// collection merges local's changes since base into mc, which starts as a
// copy of the remote's collection.
func (m *merger) collection(name string, bc, lc, mc *Collection) {
	rc := &Collection{Links: slices.Clone(mc.Links), Aliases: mc.Aliases}
	// Base links (numbers below bc.Next) are the same on both sides; an
	// unlink made locally carries over, unless the remote gave the link an
	// alias since base, or protects one on it that was not protected here.
	for _, l := range lc.Links {
		if l.N >= bc.Next || l.State != LinkUnlinked {
			continue
		}
		i := mc.find(l.N)
		if i < 0 || mc.Links[i].State != LinkLive {
			continue
		}
		var why []string
		prot := false
		for _, a := range rc.AliasesOf(l.N) {
			prot = prot || m.protected(a)
			if bn, ok := bc.Aliases[a]; !ok || bn != l.N {
				why = append(why, fmt.Sprintf("alias %s set on it", a))
			} else if m.guarded(a) {
				why = append(why, fmt.Sprintf("alias %s on it protected", a))
			}
		}
		if len(why) > 0 {
			m.notApplied(NotApplied{Collection: name, What: fmt.Sprintf("unlink v%d", l.N),
				Local: "unlinked here", Remote: strings.Join(why, ", ") + " on the remote",
				Kept: fmt.Sprintf("v%d linked", l.N), Protected: prot, redo: redo{kind: redoUnlink, n: l.N}})
			continue
		}
		mc.Links[i] = l
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
				m.rep.Renumbered = append(m.rep.Renumbered, Renumbered{Collection: name, From: l.N, To: n, Collapsed: true})
				continue
			}
		}
		from := l.N
		l.N = mc.Next
		mc.Next++
		mc.Links = append(mc.Links, l)
		renum[from] = l.N
		if from != l.N {
			m.rep.Renumbered = append(m.rep.Renumbered, Renumbered{Collection: name, From: from, To: l.N})
		}
	}
	mapLocal := func(n int) int {
		if to, ok := renum[n]; ok {
			return to
		}
		return n
	}
	// unlinkedBy reports whether c unlinked base link n.
	unlinkedBy := func(c *Collection, n int) bool {
		l, ok := c.link(n)
		return ok && n < bc.Next && l.State == LinkUnlinked
	}
	live := func(v string) bool {
		l, ok := mc.link(aliasNum(v))
		return v != "" && ok && l.State == LinkLive
	}
	aliases := map[string]int{}
	var names []string
	for _, am := range []map[string]int{bc.Aliases, lc.Aliases, rc.Aliases} {
		for a := range am {
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
		// What this side did, as the user did it: a link made here may
		// have a new number now.
		here := aliasChange(b, aliasVal(lv, lok)) + " here"
		if lok && l != b && lv != aliasNum(l) {
			here += fmt.Sprintf(" (that link is %s now)", l)
		}
		v, ok := merge3(b, l, r)
		switch {
		case !ok:
			// Moved differently on both sides: the remote's stands.
			m.notApplied(NotApplied{Collection: name, What: "alias " + a,
				Local: here, Remote: aliasChange(b, r) + " on the remote",
				Kept: orNoneAlias(r), Protected: m.protected(a), redo: aliasRedo(a, l)})
			v = r
		case l != b && l != r && m.guarded(a):
			// Changed here without an admin, and the remote protected
			// the alias meanwhile: its value stands.
			m.notApplied(NotApplied{Collection: name, What: "alias " + a,
				Local: here, Remote: "protected on the remote meanwhile",
				Kept: orNoneAlias(r), Protected: true, redo: aliasRedo(a, l)})
			v = r
		}
		if v == "" {
			continue
		}
		if !live(v) {
			switch {
			case v == b:
				// Its link was unlinked: the alias goes with it.
				if lok && l == b {
					m.rep.Dropped = append(m.rep.Dropped, name+":"+a)
				}
			case v == l:
				// Moved here onto a link the remote unlinked: the
				// unlink stands, and so does the remote's alias. The
				// version can be linked again.
				ll, _ := lc.link(lv)
				kept := ""
				if live(r) {
					kept = r
					aliases[a] = aliasNum(r)
				}
				m.notApplied(NotApplied{Collection: name, What: "alias " + a,
					Local: here, Remote: l + " unlinked on the remote",
					Kept: orNoneAlias(kept), Protected: m.protected(a), redo: redo{kind: redoLink, alias: a, link: ll}})
			default:
				// The remote moved it onto a link unlinked here; such
				// local unlinks are not applied, so only inconsistent
				// inputs get here. The alias goes.
				m.rep.Dropped = append(m.rep.Dropped, name+":"+a)
			}
			continue
		}
		aliases[a] = aliasNum(v)
	}
	mc.Aliases = aliases
}

// aliasChange says what a side did to an alias, from b to v: "set on v2",
// "moved to v2", "removed".
func aliasChange(b, v string) string {
	switch {
	case v == "":
		return "removed"
	case b == "":
		return "set on " + v
	}
	return "moved to " + v
}

// aliasRedo is the command that gives alias a the local value l again.
func aliasRedo(a, l string) redo {
	if l == "" {
		return redo{kind: redoAliasRm, alias: a}
	}
	return redo{kind: redoAliasSet, alias: a, n: aliasNum(l)}
}

func orNoneAlias(v string) string {
	if v == "" {
		return "no such alias"
	}
	return v
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// minus returns the elements of a that b lacks.
func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
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
