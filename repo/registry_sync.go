package repo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/registry"
	"github.com/trove-ml/trove/remote"
)

// Registries travel like artifact logs: one ref per registry, moved on the
// remote by compare-and-swap and merged three-way (registry.Merge) with the
// state last seen there, which is remembered under "reg/<remote>\x00<name>".
//
// Push and fetch go through every registry, whatever happens to one: a
// merge never fails on concurrent changes (where both sides changed the
// same alias or setting, the remote's stands and ours is reported as not
// applied, as for artifact aliases), and a registry that cannot be read,
// merged or written is reported and the next one is synced.
const registryRefPrefix = "registry/"

// ErrRegistryNotApplied means a push landed, but some local registry
// changes were not applied: the remote had changed the same alias or
// setting since this clone last saw it, and its change stands. The local
// registry now holds the remote's; the result lists each change with the
// command that applies it again.
var ErrRegistryNotApplied = errors.New("repo: registry changes not applied")

// RegistrySync says what a push or fetch did to registries beyond taking
// both sides' changes. Each entry is one line for people, naming the
// registry.
type RegistrySync struct {
	// NotApplied lists local changes left out because the remote changed
	// the same thing first: alias, collection and both values, and the
	// command that applies the local change again.
	NotApplied []string
	// Notes lists what else befell local changes: links renumbered after
	// the remote's or merged into its link to the same version,
	// collections renamed, aliases dropped with a link unlinked there.
	Notes []string
	// Failed lists the registries that were not synced, each with why;
	// Errs holds the errors themselves, in the same order.
	Failed []string
	Errs   []error
	// Pushed names, for a push, the registries whose copy on the remote
	// it created or changed; Fetched, for a fetch, those it merged here.
	Pushed, Fetched []string
}

func (s *RegistrySync) fail(name string, err error) {
	s.Failed = append(s.Failed, fmt.Sprintf("registry %s: %v", name, err))
	s.Errs = append(s.Errs, fmt.Errorf("registry %s: %w", name, err))
}

// err returns an error naming every registry that failed, matching each
// failure's error (errors.Is), or nil.
func (s *RegistrySync) err(what string) error {
	if len(s.Errs) == 0 {
		return nil
	}
	n := fmt.Sprintf("%d registries", len(s.Errs))
	if len(s.Errs) == 1 {
		n = "1 registry"
	}
	return fmt.Errorf("%s not %s (the others were): %w", n, what, joinLine(s.Errs))
}

// remoteRegistryNames lists the names of the registries on c, or
// returns the listing remoteHolds made.
func remoteRegistryNames(ctx context.Context, c *conn) ([]string, error) {
	if c.seen != nil {
		return c.seen.names, nil
	}
	var names []string
	err := c.rep.Refs(ctx, registryRefPrefix, func(name string) error {
		names = append(names, strings.TrimPrefix(name, registryRefPrefix))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("remote %s: list registries: %w", c.name, err)
	}
	return names, nil
}

func (r *Repo) trackedRegistry(c *conn, name string) (*registry.Registry, error) {
	v, err := r.store.GetMeta(NSRemote, remoteKey("reg", c.name, []byte(name)))
	if errors.Is(err, objects.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return registry.Decode(v)
}

func (r *Repo) localRegistry(name string) (*registry.Registry, error) {
	v, ok, err := r.RefsKV().Get([]byte(registryRefPrefix + name))
	if err != nil || !ok {
		return nil, err
	}
	return registry.Decode(v)
}

// adoptRegistry stores a registry locally and remembers the remote's.
func (r *Repo) adoptRegistry(ctx context.Context, c *conn, name string, local, seen *registry.Registry) error {
	lb, err := local.Encode()
	if err != nil {
		return err
	}
	sb, err := seen.Encode()
	if err != nil {
		return err
	}
	err = r.RefsKV().Update(ctx, func(tx refs.Txn) error { return tx.Set([]byte(registryRefPrefix+name), lb) })
	if err != nil {
		return err
	}
	mb := r.store.NewMetaBatch()
	defer mb.Close()
	if err := mb.Set(NSRemote, remoteKey("reg", c.name, []byte(name)), sb); err != nil {
		return err
	}
	return mb.Commit(true)
}

// pushRegistries merges every local registry into the remote's. It goes
// on past a registry that fails; the result says which did.
func (r *Repo) pushRegistries(ctx context.Context, c *conn) (*RegistrySync, error) {
	var names []string
	err := r.RefsKV().Scan(ctx, []byte(registryRefPrefix), func(k, _ []byte) error {
		names = append(names, strings.TrimPrefix(string(k), registryRefPrefix))
		return nil
	})
	if err != nil {
		return nil, err
	}
	s := &RegistrySync{}
	for _, name := range names {
		rep, wrote, dead, err := r.pushRegistry(ctx, c, name)
		if ctx.Err() != nil {
			return s, ctx.Err()
		}
		s.NotApplied = append(s.NotApplied, dead...)
		if err != nil {
			s.fail(name, err)
			continue
		}
		if wrote {
			s.Pushed = append(s.Pushed, name)
		}
		r.reportRegistry(ctx, s, c, name, rep, true)
	}
	return s, nil
}

// pushRegistry merges one local registry into the remote's by
// compare-and-swap, retrying when another writer moved it first, then
// makes the local registry and the remembered remote one the result. The
// report is nil when the remote had no such registry; wrote says whether
// the remote's copy changed (a merge that adds nothing writes nothing).
// dead lists the local links left out because the remote deleted their
// version.
func (r *Repo) pushRegistry(ctx context.Context, c *conn, name string) (rep *registry.MergeReport, wrote bool, dead []string, err error) {
	for attempt := 0; ; attempt++ {
		local, err := r.localRegistry(name)
		if err != nil || local == nil {
			return nil, false, dead, err
		}
		base, err := r.trackedRegistry(c, name)
		if err != nil {
			return nil, false, dead, err
		}
		if local, dead, err = r.withoutDeadLinks(c, name, base, local); err != nil {
			return nil, false, dead, err
		}
		cur, err := c.registry(ctx, name)
		if err != nil {
			return nil, false, dead, err
		}
		out := local
		rep = nil
		var theirs *registry.Registry
		if cur.Body != nil {
			theirs, err = registry.Decode(cur.Body)
			if err != nil {
				return nil, false, dead, fmt.Errorf("on remote %s: %w", c.name, err)
			}
			if out, rep, err = registry.Merge(base, local, theirs); err != nil {
				return nil, false, dead, err
			}
		}
		body, err := out.Encode()
		if err != nil {
			return nil, false, dead, err
		}
		if theirs != nil && sameRegistry(out, theirs) {
			return rep, false, dead, r.adoptRegistry(ctx, c, name, theirs, theirs)
		}
		err = c.rep.PutRef(ctx, registryRefPrefix+name, body, cur.ETag)
		if remote.IsConflict(err) && attempt < maxRefAttempts {
			// Someone else moved it: read it again and redo the merge.
			if err := sleepCtx(ctx, backoff(attempt)); err != nil {
				return nil, false, dead, err
			}
			continue
		}
		if err != nil {
			return nil, false, dead, err
		}
		return rep, true, dead, r.adoptRegistry(ctx, c, name, out, out)
	}
}

// sameRegistry reports whether merged, the result of a merge into
// theirs, holds nothing theirs does not: equal but for the counter, which
// every merge moves on (registry.Merge).
func sameRegistry(merged, theirs *registry.Registry) bool {
	m := *merged
	m.Counter = theirs.Counter
	a, err := m.Encode()
	if err != nil {
		return false
	}
	b, err := theirs.Encode()
	return err == nil && bytes.Equal(a, b)
}

// withoutDeadLinks returns local without the live links made here since
// base (the registry as last seen on c) whose version c's artifact log,
// as this push left it, records deleted: a link made before this clone
// learnt of the deletion (another clone's delete, or a GC of the remote)
// would publish a link to nothing, and every consumer of its collection's
// aliases and latest would fail. Their aliases go with them. dead says,
// for each, why it was not pushed; the links go from the local registry
// too once the push adopts the result.
func (r *Repo) withoutDeadLinks(c *conn, name string, base, local *registry.Registry) (*registry.Registry, []string, error) {
	inBase := func(coll string, l registry.Link) bool {
		if base == nil || base.Collections[coll] == nil {
			return false
		}
		for _, b := range base.Collections[coll].Links {
			if b.Record == l.Record {
				return true
			}
		}
		return false
	}
	logs := map[string]*refs.Log{}
	deleted := func(l registry.Link) (refs.Version, bool, error) {
		lg, ok := logs[l.Artifact]
		if !ok {
			var err error
			if lg, err = r.trackedLog(c, l.Artifact); err != nil {
				return refs.Version{}, false, err
			}
			logs[l.Artifact] = lg
		}
		if lg != nil {
			for _, v := range lg.Versions {
				if v.Record == l.Record {
					return v, v.State == refs.StateDeleted, nil
				}
			}
		}
		return refs.Version{}, false, nil
	}
	var out *registry.Registry
	var dead []string
	for _, coll := range slices.Sorted(maps.Keys(local.Collections)) {
		cl := local.Collections[coll]
		for _, l := range cl.Links {
			if l.State != registry.LinkLive || inBase(coll, l) {
				continue
			}
			v, gone, err := deleted(l)
			if err != nil {
				return nil, nil, err
			}
			if !gone {
				continue
			}
			if out == nil {
				out = local.Clone()
			}
			oc := out.Collections[coll]
			oc.Links = slices.DeleteFunc(oc.Links, func(x registry.Link) bool { return x.N == l.N })
			var aliases []string
			for a, n := range oc.Aliases {
				if n == l.N {
					aliases = append(aliases, a)
					delete(oc.Aliases, a)
				}
			}
			if len(oc.Links) == 0 && (base == nil || base.Collections[coll] == nil) {
				delete(out.Collections, coll) // made here for that link alone
			}
			why := fmt.Sprintf("registry %s: link of %s:v%d as registry/%s/%s:v%d not pushed: %s deleted that version", name, l.Artifact, v.N, name, coll, l.N, c.name)
			if len(aliases) > 0 {
				sort.Strings(aliases)
				why += "; its aliases " + strings.Join(aliases, ", ") + " went with it"
			}
			dead = append(dead, why+"; link another version")
		}
	}
	if out == nil {
		return local, nil, nil
	}
	return out, dead, nil
}

// fetchRegistries merges the remote's registries into the local ones:
// those named in only, or all of them. It goes on past a registry that
// fails; the result says which did. Registry refs under names no trove
// gives a registry (a damaged or foreign bucket) are skipped and listed in
// skipped, as artifact logs are.
func (r *Repo) fetchRegistries(ctx context.Context, c *conn, only []string) (s *RegistrySync, skipped []string, err error) {
	names := only
	if len(names) == 0 {
		if names, err = remoteRegistryNames(ctx, c); err != nil {
			return nil, nil, err
		}
	}
	s = &RegistrySync{}
	for _, name := range names {
		if err := manifest.ValidateName("registry name", name); err != nil {
			skipped = append(skipped, fmt.Sprintf("remote %s: %s%s: %v", c.name, registryRefPrefix, name, err))
			continue
		}
		rep, err := r.fetchRegistry(ctx, c, name)
		if ctx.Err() != nil {
			return s, skipped, ctx.Err()
		}
		if err != nil {
			s.fail(name, err)
			continue
		}
		r.reportRegistry(ctx, s, c, name, rep, false)
		s.Fetched = append(s.Fetched, name)
	}
	return s, skipped, nil
}

// fetchRegistry merges one remote registry into the local one. The report
// is nil when there was no local one, or the remote's went away.
func (r *Repo) fetchRegistry(ctx context.Context, c *conn, name string) (*registry.MergeReport, error) {
	cur, err := c.registry(ctx, name)
	if err != nil || cur.Body == nil {
		return nil, err // nil Body: deleted since listed
	}
	theirs, err := registry.Decode(cur.Body)
	if err != nil {
		return nil, fmt.Errorf("on remote %s: %w", c.name, err)
	}
	local, err := r.localRegistry(name)
	if err != nil {
		return nil, err
	}
	merged := theirs
	var rep *registry.MergeReport
	if local != nil {
		base, err := r.trackedRegistry(c, name)
		if err != nil {
			return nil, err
		}
		if merged, rep, err = registry.Merge(base, local, theirs); err != nil {
			return nil, err
		}
	}
	return rep, r.adoptRegistry(ctx, c, name, merged, theirs)
}

// reportRegistry adds what a merge of registry name did to s, in the words
// of a push (pushed) or a fetch.
func (r *Repo) reportRegistry(ctx context.Context, s *RegistrySync, c *conn, name string, rep *registry.MergeReport, pushed bool) {
	if rep == nil {
		return
	}
	for _, n := range rep.NotApplied {
		s.NotApplied = append(s.NotApplied, n.Message(name, func(l registry.Link) string { return r.linkedVersionName(ctx, l) }))
	}
	for _, rn := range rep.Renumbered {
		p := fmt.Sprintf("registry/%s/%s", name, rn.Collection)
		switch {
		case rn.Collapsed:
			s.Notes = append(s.Notes, fmt.Sprintf("%s:v%d is %s:v%d on %s, which links the same version", p, rn.From, p, rn.To, c.name))
		case pushed:
			s.Notes = append(s.Notes, fmt.Sprintf("%s:v%d is %s:v%d on %s (others linked first)", p, rn.From, p, rn.To, c.name))
		default:
			s.Notes = append(s.Notes, fmt.Sprintf("local %s:v%d is now %s:v%d (not pushed yet)", p, rn.From, p, rn.To))
		}
	}
	for _, rn := range rep.Renamed {
		s.Notes = append(s.Notes, fmt.Sprintf("registry %s: collection %s was made on %s for type %s at the same time as yours for type %s; yours is registry/%s/%s now",
			name, rn.From, c.name, rn.RemoteType, rn.Type, name, rn.To))
	}
	for _, a := range rep.Dropped {
		coll, alias, _ := strings.Cut(a, ":")
		s.Notes = append(s.Notes, fmt.Sprintf("registry %s: alias %s of registry/%s/%s is gone: its link was unlinked on %s", name, alias, name, coll, c.name))
	}
}

// linkedVersionName names the version a link names as this repository
// numbers it now (NAME:vN), or by its number at link time if the record
// is not in the artifact's log here.
func (r *Repo) linkedVersionName(ctx context.Context, l registry.Link) string {
	if lg, err := r.refs.Log(ctx, l.Artifact); err == nil {
		for _, v := range lg.Versions {
			if v.Record == l.Record {
				return fmt.Sprintf("%s:v%d", l.Artifact, v.N)
			}
		}
	}
	return fmt.Sprintf("%s:v%d", l.Artifact, l.Version)
}
