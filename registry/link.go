package registry

import (
	"context"
	"fmt"
	"strings"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// collection returns collection coll of g, or an error wrapping
// ErrNoCollection.
func collection(g *Registry, reg, coll string) (*Collection, error) {
	c := g.Collections[coll]
	if c == nil {
		return nil, fmt.Errorf("%w: registry/%s/%s (collections: trove registry show %s)", ErrNoCollection, reg, coll, reg)
	}
	return c, nil
}

// path names a collection as users write it.
func path(reg, coll string) string { return "registry/" + reg + "/" + coll }

// wrapPath wraps err with the collection path and selector it concerns.
func wrapPath(reg, coll, sel string, err error) error {
	p := path(reg, coll)
	if sel != "" {
		p += ":" + sel
	}
	return fmt.Errorf("%s: %w", p, err)
}

// LinkRequest asks [Registries.Link] to link a version into a collection.
// The caller resolves the version first (it must exist: its record durable
// and in its artifact's log) and passes what it found.
type LinkRequest struct {
	// Registry and Collection name the target. The collection is created
	// if it does not exist; the registry must exist.
	Registry, Collection string
	// Artifact, Version and Type describe the linked version: its
	// artifact's name, its number and its type.
	Artifact string
	Version  int
	Type     string
	// Record is the id of the version record; links resolve by it.
	Record objects.ID
	// Aliases are set on the link, moving them from other links of the
	// collection.
	Aliases []string
	// Admin says the caller acts as a registry admin (--admin): needed to
	// set a protected alias.
	Admin bool
}

// LinkResult says what [Registries.Link] did.
type LinkResult struct {
	// Link is the new link, or the live link that already names the
	// version.
	Link Link
	// Existing is true when the version was linked already: no link was
	// added, the aliases were applied to that link.
	Existing bool
	// CreatedCollection is true when the link created the collection.
	CreatedCollection bool
	// Moved maps aliases taken from other links to the number each named.
	Moved map[string]int
}

// Link appends a link to the version to a collection, in one transaction:
// the new link gets the collection's next number and becomes its latest,
// and req.Aliases move to it. Linking a version that a live link already
// names adds no link (as committing equal content adds no version) and
// applies the aliases to that link.
//
// It fails, writing nothing, with ErrNotFound if the registry does not
// exist, ErrTypeMismatch if the registry or the collection does not accept
// req.Type, ErrProtected or ErrNotAdmin for a protected alias, and
// ErrInvalid for bad names.
func (rs *Registries) Link(ctx context.Context, req LinkRequest) (LinkResult, error) {
	if err := checkCollectionName(req.Collection); err != nil {
		return LinkResult{}, err
	}
	if err := manifest.ValidateName("artifact name", req.Artifact); err != nil {
		return LinkResult{}, invalid(err)
	}
	if err := manifest.ValidateName("type", req.Type); err != nil {
		return LinkResult{}, invalid(err)
	}
	if req.Version < 0 || req.Record.IsZero() {
		return LinkResult{}, invalidf("link %s:v%d: no version record", req.Artifact, req.Version)
	}
	for _, a := range req.Aliases {
		if err := invalid(checkAlias(a)); err != nil {
			return LinkResult{}, err
		}
	}
	var res LinkResult
	err := rs.update(ctx, req.Registry, func(g *Registry) (bool, error) {
		res = LinkResult{}
		if !g.accepts(req.Type) {
			return false, fmt.Errorf("%w: registry %q accepts %s; %s:v%d has type %q (an admin can add it: trove registry add-type %s %s)",
				ErrTypeMismatch, req.Registry, acceptedTypes(g), req.Artifact, req.Version, req.Type, req.Registry, req.Type)
		}
		c := g.Collections[req.Collection]
		if c == nil {
			c = &Collection{Type: req.Type}
			if g.Collections == nil {
				g.Collections = map[string]*Collection{}
			}
			g.Collections[req.Collection] = c
			res.CreatedCollection = true
		} else if c.Type != req.Type {
			return false, fmt.Errorf("%w: collection %s holds type %q; %s:v%d has type %q (link it into a collection of its type)",
				ErrTypeMismatch, path(req.Registry, req.Collection), c.Type, req.Artifact, req.Version, req.Type)
		}
		for _, l := range c.Links {
			if l.State == LinkLive && l.Record == req.Record {
				res.Link, res.Existing = l, true
			}
		}
		if !res.Existing {
			res.Link = Link{
				N:        c.Next,
				Artifact: req.Artifact,
				Version:  req.Version,
				Record:   req.Record,
				Linked:   rs.now().UTC(),
				By:       rs.user,
				State:    LinkLive,
				TTLOff:   true,
			}
			c.Links = append(c.Links, res.Link)
			c.Next++
		}
		moved, changed, err := rs.setAliases(g, req.Registry, c, res.Link.N, req.Aliases, req.Admin)
		if err != nil {
			return false, err
		}
		res.Moved = moved
		return !res.Existing || changed, nil
	})
	if err != nil {
		return LinkResult{}, err
	}
	return res, nil
}

// setAliases points aliases at link n of c, checking protection. It
// returns the aliases taken from other links and whether any alias changed.
func (rs *Registries) setAliases(g *Registry, reg string, c *Collection, n int, aliases []string, admin bool) (moved map[string]int, changed bool, err error) {
	for _, a := range aliases {
		prev, held := c.Aliases[a]
		if held && prev == n {
			continue
		}
		if err := rs.guardAlias(g, reg, a, admin); err != nil {
			return nil, false, err
		}
		changed = true
		if held {
			if moved == nil {
				moved = map[string]int{}
			}
			moved[a] = prev
		}
		if c.Aliases == nil {
			c.Aliases = map[string]int{}
		}
		c.Aliases[a] = n
	}
	return moved, changed, nil
}

func acceptedTypes(g *Registry) string {
	if g.AnyType {
		return "any type"
	}
	if len(g.Types) == 1 {
		return "type " + g.Types[0]
	}
	return "types " + strings.Join(g.Types, ", ")
}

// UnlinkResult says what [Registries.Unlink] did.
type UnlinkResult struct {
	// Link is the link as it is now, unlinked.
	Link Link
	// RemovedAliases are the aliases the link held, now gone.
	RemovedAliases []string
}

// Unlink marks the link sel names as unlinked. The link stays in the log,
// so its number is never given out again; its aliases are removed (a
// protected one needs admin). The version itself is untouched and its TTL
// stays off. sel must be given: "vN", a custom alias or "latest".
func (rs *Registries) Unlink(ctx context.Context, reg, coll, sel string, admin bool) (UnlinkResult, error) {
	if err := checkCollectionName(coll); err != nil {
		return UnlinkResult{}, err
	}
	if sel == "" {
		return UnlinkResult{}, invalidf("unlink %s: name the link (%s:vN or :ALIAS)", path(reg, coll), path(reg, coll))
	}
	var res UnlinkResult
	err := rs.update(ctx, reg, func(g *Registry) (bool, error) {
		c, err := collection(g, reg, coll)
		if err != nil {
			return false, err
		}
		l, err := c.Select(sel)
		if err != nil {
			return false, wrapPath(reg, coll, sel, err)
		}
		aliases := c.AliasesOf(l.N)
		for _, a := range aliases {
			if err := rs.guardAlias(g, reg, a, admin); err != nil {
				return false, fmt.Errorf("unlink %s:v%d: %w", path(reg, coll), l.N, err)
			}
		}
		for _, a := range aliases {
			delete(c.Aliases, a)
		}
		i := c.find(l.N)
		c.Links[i].State = LinkUnlinked
		c.Links[i].Unlinked = rs.now().UTC()
		c.Links[i].UnlinkedBy = rs.user
		res = UnlinkResult{Link: c.Links[i], RemovedAliases: aliases}
		return true, nil
	})
	return res, err
}

// SetAlias points alias at the link sel names, moving it from the link
// that holds it. It returns the link and the number the alias named
// before, or -1. A protected alias needs admin.
func (rs *Registries) SetAlias(ctx context.Context, reg, coll, sel, alias string, admin bool) (l Link, prev int, err error) {
	if err := checkCollectionName(coll); err != nil {
		return Link{}, -1, err
	}
	if err := invalid(checkAlias(alias)); err != nil {
		return Link{}, -1, err
	}
	err = rs.update(ctx, reg, func(g *Registry) (bool, error) {
		c, err := collection(g, reg, coll)
		if err != nil {
			return false, err
		}
		if l, err = c.Select(sel); err != nil {
			return false, wrapPath(reg, coll, sel, err)
		}
		prev = -1
		if p, ok := c.Aliases[alias]; ok {
			prev = p
		}
		_, changed, err := rs.setAliases(g, reg, c, l.N, []string{alias}, admin)
		return changed, err
	})
	return l, prev, err
}

// RemoveAlias removes a custom alias from a collection and returns the
// number it named. Removing an alias that does not exist is an error
// wrapping ErrNoLink, so a typo does not pass silently. A protected alias
// needs admin.
func (rs *Registries) RemoveAlias(ctx context.Context, reg, coll, alias string, admin bool) (n int, err error) {
	if err := checkCollectionName(coll); err != nil {
		return -1, err
	}
	if err := invalid(checkAlias(alias)); err != nil {
		return -1, err
	}
	err = rs.update(ctx, reg, func(g *Registry) (bool, error) {
		c, err := collection(g, reg, coll)
		if err != nil {
			return false, err
		}
		var ok bool
		if n, ok = c.Aliases[alias]; !ok {
			return false, fmt.Errorf("%w: %s has no alias %q", ErrNoLink, path(reg, coll), alias)
		}
		if err := rs.guardAlias(g, reg, alias, admin); err != nil {
			return false, err
		}
		delete(c.Aliases, alias)
		return true, nil
	})
	return n, err
}

// Collection returns one collection of a registry, or an error wrapping
// ErrNotFound or ErrNoCollection.
func (rs *Registries) Collection(ctx context.Context, reg, coll string) (*Collection, error) {
	if err := checkCollectionName(coll); err != nil {
		return nil, err
	}
	g, _, err := load(rs.kv.Get, reg)
	if err != nil {
		return nil, err
	}
	return collection(g, reg, coll)
}

// Collection returns collection coll of g, a registry already loaded
// (by Registries.Get or List) under the name reg, or an error wrapping
// ErrInvalid or ErrNoCollection. Unlike Registries.Collection, it reads
// nothing.
func (g *Registry) Collection(reg, coll string) (*Collection, error) {
	if err := checkCollectionName(coll); err != nil {
		return nil, err
	}
	return collection(g, reg, coll)
}
