package gc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/objects/pack"
	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/packindex"
)

// What a remote GC writes: rewritten packs, indexes, and the reading of
// indexes again around its deletions.

// namedPacks returns the packs that the remote's indexes name now: those
// of the indexes read when planning that are still there, and of the ones
// written since.
func namedPacks(ctx context.Context, rep *remote.Repository, st *remoteState) (map[objects.ID]bool, error) {
	named := map[objects.ID]bool{}
	err := rep.Indexes(ctx, func(id objects.ID) error {
		if read, ok := st.indexes[id]; ok {
			for _, pk := range read.ix.Packs {
				named[pk.ID] = true
			}
			return nil
		}
		ix, err := rep.ReadIndex(ctx, id)
		if errors.Is(err, remote.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, pk := range ix.Packs {
			named[pk.ID] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("gc: list indexes: %w", err)
	}
	return named, nil
}

// RefreshCache reads every index of the remote and rebuilds cache from
// them.
func RefreshCache(ctx context.Context, rep *remote.Repository, cache IndexCache) error {
	all := map[objects.ID]*packindex.Index{}
	var ids []objects.ID
	if err := rep.Indexes(ctx, func(id objects.ID) error { ids = append(ids, id); return nil }); err != nil {
		return fmt.Errorf("gc: list indexes: %w", err)
	}
	for _, id := range ids {
		ix, err := rep.ReadIndex(ctx, id)
		if errors.Is(err, remote.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("gc: %w", err)
		}
		all[id] = ix
	}
	if err := cache.Rebuild(ctx, all); err != nil {
		return fmt.Errorf("gc: rebuild the index cache: %w", err)
	}
	return nil
}

// packBuilder writes new packs to temp files and uploads each when full.
// Order: a pack is uploaded (durable) before any index names it.
type packBuilder struct {
	ctx  context.Context
	rep  *remote.Repository
	dir  string
	f    *os.File
	bw   *bufio.Writer
	pw   *pack.Writer
	ents []pack.Entry
	done []packindex.Pack
}

func (w *packBuilder) add(e pack.Entry, stored []byte) error {
	if w.pw == nil {
		f, err := os.CreateTemp(w.dir, "gc-*.pack")
		if err != nil {
			return fmt.Errorf("gc: %w", err)
		}
		w.f = f
		w.bw = bufio.NewWriterSize(f, 1<<20)
		w.pw = pack.NewWriter(w.bw)
		w.ents = nil
	}
	e.Offset = w.pw.NextOffset()
	if err := w.pw.Add(e, stored); err != nil {
		return fmt.Errorf("gc: %w", err)
	}
	w.ents = append(w.ents, e)
	if w.pw.Size() >= remoteRepackTarget || w.pw.Count() >= pack.MaxCount-1 {
		return w.flush()
	}
	return nil
}

func (w *packBuilder) flush() error {
	if w.pw == nil {
		return nil
	}
	if err := w.pw.Finish(); err != nil {
		return fmt.Errorf("gc: %w", err)
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("gc: %w", err)
	}
	id, size := objects.ID(w.pw.Name()), w.pw.Size()
	if _, err := w.rep.PutPack(w.ctx, id, io.NewSectionReader(w.f, 0, size), size); err != nil {
		return fmt.Errorf("gc: %w", err)
	}
	w.done = append(w.done, packindex.Pack{ID: id, Size: size, Blobs: w.ents})
	w.discard()
	return nil
}

func (w *packBuilder) finish() ([]packindex.Pack, error) {
	if err := w.flush(); err != nil {
		return nil, err
	}
	return w.done, nil
}

func (w *packBuilder) discard() {
	if w.f != nil {
		_ = w.f.Close()           // a temp file, thrown away
		_ = os.Remove(w.f.Name()) // the repository's tmp is cleaned on open anyway
	}
	w.f, w.pw, w.bw = nil, nil, nil
}

// splitIndex groups packs and file maps into indexes within the limits.
func splitIndex(packs []packindex.Pack, fmaps []packindex.FileMap) []*packindex.Index {
	var out []*packindex.Index
	cur := &packindex.Index{}
	blobs := 0
	for _, pk := range packs {
		if len(cur.Packs) > 0 && (blobs+len(pk.Blobs) > maxIndexBlobs || len(cur.Packs) >= packindex.MaxPacks) {
			out = append(out, cur)
			cur, blobs = &packindex.Index{}, 0
		}
		cur.Packs = append(cur.Packs, pk)
		blobs += len(pk.Blobs)
	}
	for len(fmaps) > 0 {
		n := min(len(fmaps), packindex.MaxFileMaps-len(cur.FileMaps))
		if n == 0 {
			out = append(out, cur)
			cur = &packindex.Index{}
			continue
		}
		cur.FileMaps = append(cur.FileMaps, fmaps[:n]...)
		fmaps = fmaps[n:]
	}
	if len(cur.Packs) > 0 || len(cur.FileMaps) > 0 {
		out = append(out, cur)
	}
	return out
}

// rescueIndex is the index that puts a condemned pack back: the pack's
// table, and the file-map entries left out of indexes whose file map the
// pack holds.
func rescueIndex(id objects.ID, size int64, entries []pack.Entry, spare map[objects.ID]objects.ID) *packindex.Index {
	ix := &packindex.Index{Packs: []packindex.Pack{{ID: id, Size: size, Blobs: entries}}}
	in := make(map[objects.ID]bool, len(entries))
	for _, e := range entries {
		in[e.ID] = true
	}
	for _, d := range sortedIDs(spare) {
		if in[spare[d]] {
			ix.FileMaps = append(ix.FileMaps, packindex.FileMap{Digest: d, Map: spare[d]})
		}
	}
	return ix
}
