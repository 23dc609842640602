package registry

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/refs"
)

// keyPrefix is the ref name prefix of registries: "registry/<name>".
const keyPrefix = "registry/"

// The core registries. They always exist (see the package comment,
// "Core registries").
const (
	CoreModel   = "model"
	CoreDataset = "dataset"
)

// IsCore reports whether name is a core registry.
func IsCore(name string) bool { return name == CoreModel || name == CoreDataset }

// core returns a core registry as it is before anyone writes to it.
func core(name string) *Registry {
	desc := map[string]string{
		CoreModel:   "Core registry for models.",
		CoreDataset: "Core registry for datasets.",
	}[name]
	return &Registry{Format: Format, Description: desc, Types: []string{name}}
}

func key(name string) []byte { return []byte(keyPrefix + name) }

// Registries reads and changes the registries kept in a [refs.KV] (the
// repository's refs namespace, shared with artifact logs).
type Registries struct {
	kv   refs.KV
	user string
	now  func() time.Time
}

// Options configure [New].
type Options struct {
	// User is who acts: recorded on links and creations and checked
	// against a registry's admins. Writes fail with ErrInvalid when it is
	// empty. Reads do not use it.
	User string
	// Now is the clock recorded on links; the default is time.Now.
	Now func() time.Time
}

// New returns Registries kept in kv. kv must be the refs namespace that
// also holds artifact logs ("artifacts/<name>"), which [Resolve] reads.
func New(kv refs.KV, o Options) *Registries {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Registries{kv: kv, user: o.User, now: o.Now}
}

// Entry is a registry with its name, as listed by [Registries.List].
type Entry struct {
	Name     string
	Registry *Registry
	// Core is true for the core registries.
	Core bool
}

func checkRegistryName(name string) error {
	return invalid(manifest.ValidateName("registry name", name))
}

func checkCollectionName(name string) error {
	return invalid(manifest.ValidateName("collection name", name))
}

// load reads registry name through get. A core registry that was never
// written is returned as it starts (stored == false); any other missing
// registry is an error wrapping ErrNotFound.
func load(get func([]byte) ([]byte, bool, error), name string) (g *Registry, stored bool, err error) {
	if err := checkRegistryName(name); err != nil {
		return nil, false, err
	}
	b, ok, err := get(key(name))
	if err != nil {
		return nil, false, fmt.Errorf("registry: read %q: %w", name, err)
	}
	if !ok {
		if IsCore(name) {
			return core(name), false, nil
		}
		return nil, false, fmt.Errorf("%w: %q (create it with 'trove registry create %s', list them with 'trove registry ls')", ErrNotFound, name, name)
	}
	g, err = Decode(b)
	if err != nil {
		return nil, false, fmt.Errorf("registry %q: %w", name, err)
	}
	return g, true, nil
}

// each calls fn for every stored registry, in name order.
func each(ctx context.Context, kv refs.KV, fn func(name string, g *Registry) error) error {
	return kv.Scan(ctx, []byte(keyPrefix), func(k, v []byte) error {
		name := strings.TrimPrefix(string(k), keyPrefix)
		if err := manifest.ValidateName("registry name", name); err != nil {
			return corruptf("ref %q: %v", k, err)
		}
		g, err := Decode(v)
		if err != nil {
			return fmt.Errorf("registry %q: %w", name, err)
		}
		return fn(name, g)
	})
}

// Get returns registry name, or an error wrapping ErrNotFound.
func (rs *Registries) Get(ctx context.Context, name string) (*Registry, error) {
	g, _, err := load(rs.kv.Get, name)
	return g, err
}

// List returns every registry, the core ones included, in name order.
func (rs *Registries) List(ctx context.Context) ([]Entry, error) {
	var out []Entry
	seen := map[string]bool{}
	err := each(ctx, rs.kv, func(name string, g *Registry) error {
		out = append(out, Entry{Name: name, Registry: g, Core: IsCore(name)})
		seen[name] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, n := range []string{CoreDataset, CoreModel} {
		if !seen[n] {
			out = append(out, Entry{Name: n, Registry: core(n), Core: true})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// update applies fn to registry name inside one KV transaction. The
// registry is written back, with its counter bumped, only if fn returns nil
// and reports a change; so a failed or idempotent call writes nothing.
func (rs *Registries) update(ctx context.Context, name string, fn func(g *Registry) (changed bool, err error)) error {
	if err := checkUser(rs.user); err != nil {
		return invalidf("%v (set TROVE_USER)", err)
	}
	return rs.kv.Update(ctx, func(tx refs.Txn) error {
		g, _, err := load(tx.Get, name)
		if err != nil {
			return err
		}
		changed, err := fn(g)
		if err != nil || !changed {
			return err
		}
		g.Counter++
		enc, err := g.Encode()
		if err != nil {
			return fmt.Errorf("registry %q: %w", name, err)
		}
		return tx.Set(key(name), enc)
	})
}

// requireAdmin checks that the caller may change g's settings: anyone may
// while g has no admins; afterwards only its admins.
func (rs *Registries) requireAdmin(g *Registry, name string) error {
	if len(g.Admins) == 0 || g.IsAdmin(rs.user) {
		return nil
	}
	return fmt.Errorf("%w: %q is not an admin of registry %q (admins: %s)", ErrNotAdmin, rs.user, name, strings.Join(g.Admins, ", "))
}

// guardAlias checks that the caller may point or remove alias in g: an
// unprotected alias is free; a protected one needs admin (the --admin flag)
// and the caller among g's admins.
func (rs *Registries) guardAlias(g *Registry, name, alias string, admin bool) error {
	if !g.IsProtected(alias) {
		return nil
	}
	if !admin {
		return fmt.Errorf("%w: %q is protected in registry %q; moving or removing it needs --admin (as a registry admin)", ErrProtected, alias, name)
	}
	if !g.IsAdmin(rs.user) {
		if len(g.Admins) == 0 {
			return fmt.Errorf("%w: registry %q has no admins; add one with 'trove registry admin add %s USER'", ErrNotAdmin, name, name)
		}
		return fmt.Errorf("%w: %q is not an admin of registry %q (admins: %s)", ErrNotAdmin, rs.user, name, strings.Join(g.Admins, ", "))
	}
	return nil
}

// CreateRequest asks [Registries.Create] for a custom registry.
type CreateRequest struct {
	// Name is the registry's name ([manifest.ValidateName] rules).
	Name string
	// Types are the accepted artifact types. Exactly one of Types and
	// AnyType must be given.
	Types []string
	// AnyType accepts every type.
	AnyType bool
	// Description says what the registry is for; at most
	// MaxDescriptionLen bytes of UTF-8.
	Description string
}

// Create makes a custom registry; its creator becomes its first admin. It
// fails with ErrExists if the name is taken (the core registries always
// exist) and with ErrInvalid for bad input; either way nothing is written.
func (rs *Registries) Create(ctx context.Context, req CreateRequest) (*Registry, error) {
	if err := checkRegistryName(req.Name); err != nil {
		return nil, err
	}
	if IsCore(req.Name) {
		return nil, fmt.Errorf("%w: %q is a core registry and always exists", ErrExists, req.Name)
	}
	if req.AnyType == (len(req.Types) > 0) {
		return nil, invalidf("registry %q: give the accepted types or accept any type, not both or neither", req.Name)
	}
	for _, t := range req.Types {
		if err := manifest.ValidateName("type", t); err != nil {
			return nil, invalid(err)
		}
	}
	if len(req.Description) > MaxDescriptionLen || !utf8.ValidString(req.Description) {
		return nil, invalidf("description must be UTF-8 of at most %d bytes", MaxDescriptionLen)
	}
	if err := checkUser(rs.user); err != nil {
		return nil, invalidf("%v (set TROVE_USER)", err)
	}
	g := &Registry{
		Format:      Format,
		Counter:     1,
		Description: req.Description,
		Types:       slices.Clone(req.Types),
		AnyType:     req.AnyType,
		Admins:      []string{rs.user},
		Created:     rs.now().UTC(),
		CreatedBy:   rs.user,
	}
	g.normalize()
	enc, err := g.Encode()
	if err != nil {
		return nil, err
	}
	err = rs.kv.Update(ctx, func(tx refs.Txn) error {
		_, ok, err := tx.Get(key(req.Name))
		if err != nil {
			return fmt.Errorf("registry: read %q: %w", req.Name, err)
		}
		if ok {
			return fmt.Errorf("%w: %q", ErrExists, req.Name)
		}
		return tx.Set(key(req.Name), enc)
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// AddTypes adds accepted types to a registry and returns those that were
// new. Types cannot be removed: collections of them may exist. A registry
// that accepts any type takes no list. Needs an admin once the registry
// has admins.
func (rs *Registries) AddTypes(ctx context.Context, name string, types ...string) (added []string, err error) {
	if len(types) == 0 {
		return nil, invalidf("no type to add")
	}
	for _, t := range types {
		if err := manifest.ValidateName("type", t); err != nil {
			return nil, invalid(err)
		}
	}
	err = rs.update(ctx, name, func(g *Registry) (bool, error) {
		added = nil
		if err := rs.requireAdmin(g, name); err != nil {
			return false, err
		}
		if g.AnyType {
			return false, nil
		}
		for _, t := range types {
			if !g.accepts(t) && !slices.Contains(added, t) {
				added = append(added, t)
			}
		}
		g.Types = append(g.Types, added...)
		sort.Strings(g.Types)
		return len(added) > 0, nil
	})
	return added, err
}

// Protect makes alias protected in every collection of the registry: from
// then on moving or removing it needs an admin. It needs the caller to be
// an admin, so a registry without admins must get one first. It reports
// whether the alias was not protected before.
func (rs *Registries) Protect(ctx context.Context, name, alias string) (changed bool, err error) {
	if err := invalid(checkAlias(alias)); err != nil {
		return false, err
	}
	err = rs.update(ctx, name, func(g *Registry) (bool, error) {
		if len(g.Admins) == 0 {
			return false, fmt.Errorf("%w: registry %q has no admins, so nobody could move a protected alias; add one first with 'trove registry admin add %s USER'", ErrNotAdmin, name, name)
		}
		if err := rs.requireAdmin(g, name); err != nil {
			return false, err
		}
		changed = !g.IsProtected(alias)
		if changed {
			g.Protected = append(g.Protected, alias)
			sort.Strings(g.Protected)
		}
		return changed, nil
	})
	return changed, err
}

// Unprotect lifts the protection of alias. It needs an admin; an alias
// that is not protected is an error wrapping ErrInvalid.
func (rs *Registries) Unprotect(ctx context.Context, name, alias string) error {
	if err := invalid(checkAlias(alias)); err != nil {
		return err
	}
	return rs.update(ctx, name, func(g *Registry) (bool, error) {
		if err := rs.requireAdmin(g, name); err != nil {
			return false, err
		}
		i, found := slices.BinarySearch(g.Protected, alias)
		if !found {
			return false, invalidf("%q is not protected in registry %q", alias, name)
		}
		g.Protected = slices.Delete(g.Protected, i, i+1)
		return true, nil
	})
}

// AddAdmin makes user an admin of the registry. Once a registry has admins
// only they may add more; while it has none, anyone may add the first (the
// core registries start without admins). It reports whether user was new.
func (rs *Registries) AddAdmin(ctx context.Context, name, user string) (changed bool, err error) {
	if err := checkUser(user); err != nil {
		return false, invalidf("%v", err)
	}
	err = rs.update(ctx, name, func(g *Registry) (bool, error) {
		if err := rs.requireAdmin(g, name); err != nil {
			return false, err
		}
		changed = !g.IsAdmin(user)
		if changed {
			g.Admins = append(g.Admins, user)
			sort.Strings(g.Admins)
		}
		return changed, nil
	})
	return changed, err
}

// RemoveAdmin removes user from the registry's admins. It needs an admin,
// and refuses to remove the last one: a registry that had admins would
// otherwise fall back to letting anyone add themselves.
func (rs *Registries) RemoveAdmin(ctx context.Context, name, user string) error {
	return rs.update(ctx, name, func(g *Registry) (bool, error) {
		if err := rs.requireAdmin(g, name); err != nil {
			return false, err
		}
		i, found := slices.BinarySearch(g.Admins, user)
		if !found {
			return false, invalidf("%q is not an admin of registry %q", user, name)
		}
		if len(g.Admins) == 1 {
			return false, invalidf("%q is the last admin of registry %q; add another admin first", user, name)
		}
		g.Admins = slices.Delete(g.Admins, i, i+1)
		return true, nil
	})
}
