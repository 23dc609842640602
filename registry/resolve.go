package registry

import (
	"context"
	"errors"
	"fmt"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
)

// Target is what a registry path resolves to: the link, and the artifact
// version it names as that artifact's log holds it now.
type Target struct {
	// Registry and Collection name the collection.
	Registry, Collection string
	// Link is the selected link.
	Link Link
	// Artifact is the linked artifact's name; Log its log as read.
	Artifact string
	Log      *refs.Log
	// Version is the artifact version whose record the link names. Its
	// number may differ from Link.Version if the version was renumbered
	// when it reached a remote.
	Version refs.Version
}

// Resolve finds the artifact version that registry/REG/COLL:SEL names. sel
// is "latest" (or empty), "vN" or a custom alias of the collection. kv is
// the refs namespace holding both registries and artifact logs.
//
// Errors wrap ErrNotFound (no registry), ErrNoCollection, ErrNoLink,
// ErrUnlinked, or ErrDangling when the linked version is gone from its
// artifact's log; a deleted version matches refs.ErrDeleted too.
func Resolve(ctx context.Context, kv refs.KV, reg, coll, sel string) (*Target, error) {
	if err := checkCollectionName(coll); err != nil {
		return nil, err
	}
	g, _, err := load(kv.Get, reg)
	if err != nil {
		return nil, err
	}
	c, err := collection(g, reg, coll)
	if err != nil {
		return nil, err
	}
	l, err := c.Select(sel)
	if err != nil {
		return nil, wrapPath(reg, coll, sel, err)
	}
	t := &Target{Registry: reg, Collection: coll, Link: l, Artifact: l.Artifact}
	name := fmt.Sprintf("%s:v%d", path(reg, coll), l.N)
	t.Log, err = refs.New(kv).Log(ctx, l.Artifact)
	if errors.Is(err, refs.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s links %s:v%d, but there is no artifact %q (fetch it from the remote it came from)", ErrDangling, name, l.Artifact, l.Version, l.Artifact)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, v := range t.Log.Versions {
		if v.Record != l.Record {
			continue
		}
		if v.State != refs.StateLive {
			return nil, fmt.Errorf("%w: %w: %s links %s:v%d, which was deleted", ErrDangling, refs.ErrDeleted, name, l.Artifact, v.N)
		}
		t.Version = v
		return t, nil
	}
	return nil, fmt.Errorf("%w: %s links %s:v%d (record %s), which the artifact's log does not hold (fetch it from the remote it came from)",
		ErrDangling, name, l.Artifact, l.Version, l.Record.Short())
}

// StateUnknown is the [LinkedVersion] state of a link whose record is not
// in its artifact's log here (or whose artifact is not here): it was
// linked elsewhere and not fetched yet.
const StateUnknown = "unknown"

// LinkedVersion is the artifact version a link names, as its artifact's
// log holds it now.
type LinkedVersion struct {
	// N is the version's number now; the link's number at link time
	// (Link.Version) when State is StateUnknown.
	N int
	// State is refs.StateLive, refs.StateDeleted, or StateUnknown.
	State string
}

// VersionsNow finds what each link of c names now, by its record in its
// artifact's log (as [Resolve] does), and returns it by link number.
// Numbers given at link time go stale when a version is renumbered on
// reaching a remote; these do not. It reads each artifact's log once; a
// missing artifact or record is StateUnknown, not an error.
func VersionsNow(ctx context.Context, kv refs.KV, c *Collection) (map[int]LinkedVersion, error) {
	out := make(map[int]LinkedVersion, len(c.Links))
	logs := map[string]*refs.Log{}
	rs := refs.New(kv)
	for _, l := range c.Links {
		lg, read := logs[l.Artifact]
		if !read {
			var err error
			lg, err = rs.Log(ctx, l.Artifact)
			if errors.Is(err, refs.ErrNotFound) {
				lg, err = nil, nil
			}
			if err != nil {
				return nil, fmt.Errorf("registry: link v%d: %w", l.N, err)
			}
			logs[l.Artifact] = lg
		}
		lv := LinkedVersion{N: l.Version, State: StateUnknown}
		if lg != nil {
			for _, v := range lg.Versions {
				if v.Record == l.Record {
					lv = LinkedVersion{N: v.N, State: v.State}
					break
				}
			}
		}
		out[l.N] = lv
	}
	return out, nil
}

// VersionNow finds what one link names now, as [VersionsNow] does.
func VersionNow(ctx context.Context, kv refs.KV, l Link) (LinkedVersion, error) {
	m, err := VersionsNow(ctx, kv, &Collection{Links: []Link{l}})
	return m[l.N], err
}

// Hold is a live link naming a version, as [Holds] reports it.
type Hold struct {
	// Registry and Collection name the collection; N is the link number.
	Registry, Collection string
	N                    int
	// Aliases are the link's custom aliases, sorted; Protected are those
	// among them that the registry protects.
	Aliases, Protected []string
}

// Blocks reports whether the hold forbids deleting the version: it does
// when the link holds a protected alias (PRODUCT.md: "a protected alias
// (registry) blocks deletion").
func (h Hold) Blocks() bool { return len(h.Protected) > 0 }

// String names the link as registry/REG/COLL:vN.
func (h Hold) String() string { return fmt.Sprintf("%s:v%d", path(h.Registry, h.Collection), h.N) }

// Holds returns every live link naming the version record, in registry and
// collection order. `trove delete` calls it before deleting a version and
// refuses when any hold [Hold.Blocks]; it may delete a version that holds
// are not blocking, and then those links resolve to an error wrapping
// ErrDangling until someone unlinks them. Unlinked links hold nothing.
func Holds(ctx context.Context, kv refs.KV, record objects.ID) ([]Hold, error) {
	var out []Hold
	err := each(ctx, kv, func(reg string, g *Registry) error {
		for _, coll := range g.CollectionNames() {
			c := g.Collections[coll]
			for _, l := range c.Links {
				if l.State != LinkLive || l.Record != record {
					continue
				}
				h := Hold{Registry: reg, Collection: coll, N: l.N, Aliases: c.AliasesOf(l.N)}
				for _, a := range h.Aliases {
					if g.IsProtected(a) {
						h.Protected = append(h.Protected, a)
					}
				}
				out = append(out, h)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// LinkedRecords returns every version record that any link names, live or
// unlinked, mapped to whether a live link names it.
//
// Every record in the map has its TTL off: linking turned it off and
// unlinking does not bring it back (PRODUCT.md, TTL). Retention must treat
// such versions as never expiring whatever their record's "ttl" says, and
// GC must keep every record mapped to true as a live root (ARCHITECTURE.md,
// "TTL and GC"). One scan of the registries serves a whole GC run.
func LinkedRecords(ctx context.Context, kv refs.KV) (map[objects.ID]bool, error) {
	out := map[objects.ID]bool{}
	err := each(ctx, kv, func(_ string, g *Registry) error {
		for _, c := range g.Collections {
			for _, l := range c.Links {
				if l.TTLOff || l.State == LinkLive {
					out[l.Record] = out[l.Record] || l.State == LinkLive
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// TTLOff reports whether a link, live or unlinked, has turned the TTL of
// the version record off. `trove ttl show` and `ttl set` use it for one
// version; retention over many versions uses [LinkedRecords].
func TTLOff(ctx context.Context, kv refs.KV, record objects.ID) (bool, error) {
	m, err := LinkedRecords(ctx, kv)
	if err != nil {
		return false, err
	}
	_, ok := m[record]
	return ok, nil
}
