package repo

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/registry"
	"github.com/trove-ml/trove/remote"
)

// remoteHolds reads what holds versions on the remote from outside their
// artifact logs: the live links of its registries. A deletion made here
// without having seen such a link (it was made, or pushed, after this
// clone last fetched) must not reach the remote (refs.Merge, Kept), as
// `trove delete` would have refused it and a link turns the TTL off.
// The returned function names, for a version, one link that holds it.
//
// A registry that cannot be read or decoded (damaged, or of a newer
// format) may hold any version: unsure then says so for every version
// nothing else holds, and its deletion waits here (refs.MergeResult
// Pending) until the registry can be read, while push and fetch go on.
func (r *Repo) remoteHolds(ctx context.Context, c *conn) (held, unsure func(refs.Version) string, err error) {
	c.seen = nil // list afresh
	names, err := remoteRegistryNames(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	seen := &registriesSeen{names: names, refs: map[string]remote.Ref{}}
	defer func() { c.seen = seen }()
	links := map[objects.ID]string{}
	var unreadable string
	for _, name := range names {
		ref, err := c.rep.GetRef(ctx, registryRefPrefix+name)
		if err != nil && ctx.Err() != nil {
			return nil, nil, err
		}
		if err == nil {
			seen.refs[name] = ref
		}
		if err == nil && ref.Body == nil {
			continue // deleted since listed
		}
		var g *registry.Registry
		if err == nil {
			g, err = registry.Decode(ref.Body)
		}
		if err != nil {
			if unreadable == "" {
				unreadable = fmt.Sprintf("registry %s on %s, which may link it, could not be read (%v)", name, c.name, err)
			}
			continue
		}
		// A link this clone unlinked, and has yet to push, holds nothing:
		// the push that carries the deletion carries the unlink too.
		// Unless the registry merge will refuse that unlink: the remote
		// moved an alias onto the link since this clone last saw it, or
		// protects one there (registry.Merge's rule).
		base, _ := r.trackedRegistry(c, name)
		unlinkedHere := map[string]bool{}
		if lg, err := r.localRegistry(name); err == nil && lg != nil {
			for cn, cl := range lg.Collections {
				for _, l := range cl.Links {
					if l.State != registry.LinkLive {
						unlinkedHere[cn+"\x00"+l.Record.String()] = true
					}
				}
			}
		}
		colls := make([]string, 0, len(g.Collections))
		for cn := range g.Collections {
			colls = append(colls, cn)
		}
		sort.Strings(colls)
		for _, cn := range colls {
			for _, l := range g.Collections[cn].Links {
				if unlinkedHere[cn+"\x00"+l.Record.String()] && !aliasedSince(g, base, cn, l) {
					continue
				}
				if _, seen := links[l.Record]; !seen && l.State == registry.LinkLive {
					links[l.Record] = fmt.Sprintf("registry/%s/%s:v%d links it on %s", name, cn, l.N, c.name)
				}
			}
		}
	}
	return func(v refs.Version) string { return links[v.Record] },
		func(refs.Version) string { return unreadable }, nil
}

// aliasedSince reports whether the remote registry g holds an alias on
// link l of collection cn that base (g as this clone last saw it) did not,
// or protects an alias on it: a local unlink of l is then not applied.
func aliasedSince(g, base *registry.Registry, cn string, l registry.Link) bool {
	for _, a := range g.Collections[cn].AliasesOf(l.N) {
		if slices.Contains(g.Protected, a) {
			return true
		}
		if base == nil || base.Collections[cn] == nil || !slices.Contains(base.Collections[cn].AliasesOf(l.N), a) {
			return true
		}
	}
	return false
}
