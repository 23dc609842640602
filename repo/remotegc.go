package repo

import (
	"context"
	"errors"
	"fmt"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/objects/pack"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/packindex"
)

// What GC and cache pruning need of remotes: the remote itself, a way to
// keep this repository's cache of its indexes truthful, proof that it
// holds chunks, and the versions it does not have.

// OpenRemote connects to a configured remote (the default one when name
// is empty) and returns its name and layout.
func (r *Repo) OpenRemote(ctx context.Context, name string) (string, *remote.Repository, error) {
	c, err := r.open(ctx, name, false)
	if err != nil {
		return "", nil, err
	}
	return c.name, c.rep, nil
}

// RemoteCache is this repository's memory of one remote's indexes (the
// "seen", "blob" and "fmap" keys of NSRemote). It satisfies gc.IndexCache.
type RemoteCache struct {
	r    *Repo
	name string
}

// RemoteCache returns the cache of remote name's indexes.
func (r *Repo) RemoteCache(name string) *RemoteCache { return &RemoteCache{r: r, name: name} }

// Rebuild forgets everything remembered of the remote's indexes and
// learns the given ones instead.
func (c *RemoteCache) Rebuild(ctx context.Context, indexes map[objects.ID]*packindex.Index) error {
	if err := c.r.forgetRemoteIndexes(ctx, c.name); err != nil {
		return err
	}
	for id, ix := range indexes {
		if err := c.r.learnIndex(&conn{name: c.name}, id, ix); err != nil {
			return err
		}
	}
	return nil
}

// forgetVanishedIndexes reports whether an index remembered as seen on
// remote name is not among current, and if so forgets every index of it.
func (r *Repo) forgetVanishedIndexes(ctx context.Context, name string, current []objects.ID) (bool, error) {
	now := make(map[objects.ID]bool, len(current))
	for _, id := range current {
		now[id] = true
	}
	errVanished := errors.New("vanished")
	prefix := remoteKey("seen", name, nil)
	err := r.store.ScanMeta(ctx, NSRemote, prefix, func(k, _ []byte) error {
		if id := k[len(prefix):]; len(id) == objects.IDSize && !now[objects.ID(id)] {
			return errVanished
		}
		return nil
	})
	if !errors.Is(err, errVanished) {
		return false, err
	}
	return true, r.forgetRemoteIndexes(ctx, name)
}

// forgetRemoteIndexes deletes what NSRemote remembers of a remote's
// indexes, in batches. Its remembered logs stay: they are the base of
// merges, not a cache of indexes.
func (r *Repo) forgetRemoteIndexes(ctx context.Context, name string) error {
	for _, kind := range []string{"seen", "blob", "fmap"} {
		prefix := remoteKey(kind, name, nil)
		for {
			var keys [][]byte
			err := r.store.ScanMeta(ctx, NSRemote, prefix, func(k, _ []byte) error {
				keys = append(keys, append([]byte(nil), k...))
				if len(keys) >= 1<<16 {
					return errBatchFull
				}
				return nil
			})
			if err != nil && !errors.Is(err, errBatchFull) {
				return err
			}
			if len(keys) == 0 {
				break
			}
			mb := r.store.NewMetaBatch()
			for _, k := range keys {
				if err := mb.Delete(NSRemote, k); err != nil {
					mb.Close()
					return err
				}
			}
			if err := mb.Commit(true); err != nil {
				return err
			}
		}
	}
	return nil
}

var errBatchFull = errors.New("batch full")

// RemoteHolder proves that a remote holds chunks; it satisfies gc.Holder.
type RemoteHolder struct {
	r      *Repo
	c      *conn
	tables map[objects.ID]map[objects.ID]pack.Entry // remote pack → its table, by blob
}

// Holder connects to a remote and reads its current indexes, so that
// Holding answers from what the remote holds now.
func (r *Repo) Holder(ctx context.Context, name string) (*RemoteHolder, error) {
	c, err := r.open(ctx, name, false)
	if err != nil {
		return nil, err
	}
	if err := r.refreshIndex(ctx, c); err != nil {
		return nil, err
	}
	return &RemoteHolder{r: r, c: c, tables: map[objects.ID]map[objects.ID]pack.Entry{}}, nil
}

// Name returns the remote's name.
func (h *RemoteHolder) Name() string { return h.c.name }

// Holding returns, of ids, those the remote holds: its indexes (read
// fresh by Holder) list each, and the table of the remote pack they name
// (read from the remote's own pack, two ranged reads, verified by its
// hash) lists it at the same offset with the same length. A pack the
// remote lacks, or whose table disagrees, holds nothing.
func (h *RemoteHolder) Holding(ctx context.Context, ids []objects.ID) (map[objects.ID]bool, error) {
	out := map[objects.ID]bool{}
	for _, id := range ids {
		rb, ok, err := h.r.remoteHas(h.c, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		t, ok := h.tables[rb.pack]
		if !ok {
			t, err = h.readTable(ctx, rb.pack)
			if err != nil {
				return nil, err
			}
			h.tables[rb.pack] = t
		}
		if e, ok := t[id]; ok && e.Offset == rb.offset && e.StoredLen == rb.stored && e.RawLen == rb.raw {
			out[id] = true
		}
	}
	return out, nil
}

// readTable reads a remote pack's table; a missing pack has an empty one.
func (h *RemoteHolder) readTable(ctx context.Context, id objects.ID) (map[objects.ID]pack.Entry, error) {
	oi, err := h.c.rep.Bucket().Stat(ctx, remote.PackKey(id))
	if errors.Is(err, remote.ErrNotFound) {
		return map[objects.ID]pack.Entry{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("remote %s: %w", h.c.name, err)
	}
	entries, err := pack.ReadTable(remotePackReader{ctx: ctx, rep: h.c.rep, id: id}, oi.Size)
	if err != nil {
		if errors.Is(err, pack.ErrCorrupt) || errors.Is(err, pack.ErrFormat) {
			return map[objects.ID]pack.Entry{}, nil // holds nothing we can trust
		}
		return nil, fmt.Errorf("remote %s: pack %s: %w", h.c.name, id.Short(), err)
	}
	t := make(map[objects.ID]pack.Entry, len(entries))
	for _, e := range entries {
		t[e.ID] = e
	}
	return t, nil
}

type remotePackReader struct {
	ctx context.Context
	rep *remote.Repository
	id  objects.ID
}

func (p remotePackReader) ReadAt(b []byte, off int64) (int, error) {
	if err := p.rep.ReadPackInto(p.ctx, p.id, off, b); err != nil {
		return 0, err
	}
	return len(b), nil
}

// VersionRoot names a version by record and root tree.
type VersionRoot struct {
	Name         string
	N            int
	Record, Root objects.ID
}

// NotOnRemote returns the live local versions that remote name was not
// last seen to hold live: content only they reach must stay here.
func (r *Repo) NotOnRemote(ctx context.Context, name string) ([]VersionRoot, error) {
	var out []VersionRoot
	err := r.refs.Artifacts(ctx, func(art string, l *refs.Log) error {
		tracked, err := r.trackedLog(&conn{name: name}, art)
		if err != nil {
			return err
		}
		there := map[objects.ID]bool{}
		if tracked != nil {
			for _, v := range tracked.Versions {
				if v.State == refs.StateLive {
					there[v.Record] = true
				}
			}
		}
		for _, v := range l.Versions {
			if v.State == refs.StateLive && !there[v.Record] {
				out = append(out, VersionRoot{Name: art, N: v.N, Record: v.Record, Root: v.Root})
			}
		}
		return nil
	})
	return out, err
}

// hasHereOrRemote reports whether blob id is in the local store, or, as
// this repository last read a configured remote's indexes, on that remote:
// content evicted by `trove cache prune` (or fetched but not pulled) is
// not missing, it is fetched again on demand.
func (r *Repo) hasHereOrRemote(id objects.ID) (bool, error) {
	if ok, err := r.store.Has(id); err != nil || ok {
		return ok, err
	}
	for _, name := range r.RemoteNames() {
		if _, ok, err := r.remoteHas(&conn{name: name}, id); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}
