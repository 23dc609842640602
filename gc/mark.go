package gc

import (
	"context"
	"errors"
	"fmt"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// Source is where marking reads trees and file maps: the local store, or
// the local store backed by a remote.
type Source interface {
	manifest.BlobGetter
	// Has reports whether GetBlob can return blob id.
	Has(ctx context.Context, id objects.ID) (bool, error)
	// FileMap resolves a file's content digest to its file map; ok false
	// for a file of one chunk.
	FileMap(ctx context.Context, digest objects.ID) (mapID objects.ID, ok bool, err error)
}

// marked is the set of reachable blobs: a Go map of 32-byte keys, about 60
// bytes per entry with the map's overhead.
type marked map[objects.ID]struct{}

func (m marked) has(id objects.ID) bool { _, ok := m[id]; return ok }

// marker walks roots and fills a mark set.
type marker struct {
	src    Source
	set    marked
	absent int // trees and file maps reachable but not in the source
}

// mark marks everything the roots reach. Blobs that are missing from the
// source are counted, not fatal; anything else (corruption) is: GC cannot
// know what a corrupt tree reaches, and refuses to guess.
func mark(ctx context.Context, src Source, roots []Root) (*marker, error) {
	m := &marker{src: src, set: marked{}}
	walk := &manifest.Reach{
		Getter:  src,
		FileMap: func(d objects.ID) (objects.ID, bool, error) { return src.FileMap(ctx, d) },
		Enter:   func(id objects.ID, t objects.BlobType) (bool, error) { return m.enter(ctx, id, t) },
	}
	for _, r := range roots {
		m.set[r.Record] = struct{}{}
		if r.Tree.IsZero() {
			continue
		}
		if err := walk.Tree(ctx, r.Tree); err != nil {
			return nil, fmt.Errorf("gc: mark from %s: %w", r.Why, err)
		}
	}
	return m, nil
}

func (m *marker) enter(ctx context.Context, id objects.ID, t objects.BlobType) (bool, error) {
	if m.set.has(id) {
		return false, nil
	}
	m.set[id] = struct{}{}
	if t == objects.TypeChunk {
		return false, nil
	}
	ok, err := m.src.Has(ctx, id)
	if err != nil {
		return false, err
	}
	if !ok {
		m.absent++
		return false, nil
	}
	return true, nil
}

// storeSource reads from the local object store.
type storeSource struct{ st Store }

func (s storeSource) GetBlob(ctx context.Context, id objects.ID) ([]byte, error) {
	b, _, err := s.st.Get(ctx, id, nil)
	return b, err
}

func (s storeSource) Has(_ context.Context, id objects.ID) (bool, error) { return s.st.Has(id) }

func (s storeSource) FileMap(_ context.Context, d objects.ID) (objects.ID, bool, error) {
	return s.st.FileMap(d)
}

// isNotFound reports a missing blob.
func isNotFound(err error) bool { return errors.Is(err, objects.ErrNotFound) }
