package gc_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/trove-ml/trove/gc"
	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/retention"
)

// world is a store, its refs and a fake clock: enough to commit versions
// of synthetic files deterministically (one goroutine writes, so pack
// ids are the same on every run) and collect them.
type world struct {
	t     testing.TB
	dir   string
	st    *objects.Store
	refs  *refs.Refs
	kv    refs.KV
	clock time.Time
	set   retention.Settings
	holds retention.Holds
	// pins are the pins of a work tree's trove.lock, as roots (and, in
	// holds, as holds), by path.
	pins map[string]gc.Root
}

// epoch is the fake clock's start.
var epoch = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// testChunker chunks the worlds' files. It is fixed, not the default, so
// that the byte counts in testdata do not move when the default does.
var testChunker = objects.ChunkerParams{Algorithm: objects.ChunkerGear64NC1, Min: 16 << 10, Avg: 64 << 10, Max: 256 << 10}

// testPackSize keeps packs small, so a few files make several.
const testPackSize = 192 << 10

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{t: t, dir: t.TempDir(), clock: epoch,
		set: retention.Settings{DefaultTTL: retention.NeverTTL()}}
	w.open()
	t.Cleanup(func() { w.st.Close() })
	return w
}

func (w *world) now() time.Time { return w.clock }

// open (re)opens the store, as a new process would.
func (w *world) open() {
	st, err := objects.Open(context.Background(), objects.Options{Dir: w.dir, PackSize: testPackSize, Now: w.now, LockTimeout: -1})
	if err != nil {
		w.t.Fatal(err)
	}
	w.st = st
	w.kv = metaKV{st}
	w.refs = refs.New(w.kv)
}

// reopen closes and opens the store.
func (w *world) reopen() {
	if err := w.st.Close(); err != nil {
		w.t.Fatal(err)
	}
	w.open()
}

// content returns n deterministic bytes for seed.
func content(seed, n int) []byte {
	b := make([]byte, n)
	x := uint64(seed)*0x9E3779B97F4A7C15 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return b
}

// file is a synthetic file: name, size, and the seed of its bytes.
type file struct {
	name string
	size int
	seed int
}

// commit stores files as a version of artifact name and returns its
// number. Files are chunked with the default chunker; multi-chunk files
// get file maps.
func (w *world) commit(name, ttl string, aliases []string, files []file) (refs.Version, error) {
	ctx := context.Background()
	wr := w.st.NewWriter()
	put := blobPutter{wr}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	dw := manifest.NewDirWriter(ctx, put)
	for _, f := range files {
		data := content(f.seed, f.size)
		digest := objects.Sum(data)
		cr := objects.NewChunker(testChunker).Reader(bytes.NewReader(data))
		fm := manifest.NewFileMapWriter(ctx, put)
		n := 0
		for {
			c, err := cr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return refs.Version{}, err
			}
			id := objects.Sum(c)
			if _, err := wr.PutChunk(ctx, id, c, nil); err != nil {
				return refs.Version{}, err
			}
			if err := fm.Add(id, uint32(len(c))); err != nil {
				return refs.Version{}, err
			}
			n++
		}
		if n > 1 {
			mapID, err := fm.Finish()
			if err != nil {
				return refs.Version{}, err
			}
			wr.SetFileMap(digest, mapID)
		}
		if err := dw.Add(manifest.Entry{Name: f.name, Kind: manifest.KindFile, Mode: 0o644, Size: int64(f.size), Digest: digest}); err != nil {
			return refs.Version{}, err
		}
	}
	root, size, nfiles, err := dw.Finish()
	if err != nil {
		return refs.Version{}, err
	}
	rec := &manifest.Record{Artifact: name, Type: "dataset", Root: root, Files: nfiles, Size: size,
		Created: w.clock, Creator: manifest.Creator{User: "ana", Host: "test"}, TTL: ttl}
	enc, err := rec.Encode()
	if err != nil {
		return refs.Version{}, err
	}
	recID, err := wr.PutBlob(ctx, objects.TypeRecord, enc)
	if err != nil {
		return refs.Version{}, err
	}
	if err := wr.Flush(ctx); err != nil {
		return refs.Version{}, err
	}
	res, err := w.refs.Commit(ctx, refs.CommitRequest{Name: name, Type: "dataset", Record: recID, Root: root, Created: w.clock, Aliases: aliases})
	return res.Version, err
}

// roots finds the roots at the fake clock's now.
func (w *world) roots() *gc.Roots {
	w.t.Helper()
	var pins []gc.Root
	for _, p := range w.pins {
		pins = append(pins, p)
	}
	rs, err := gc.FindRoots(context.Background(), w.refs, storeGetter{w.st}, gc.RootOptions{Settings: w.set, Holds: w.holds, Pins: pins, Now: w.clock})
	if err != nil {
		w.t.Fatal(err)
	}
	return rs
}

// fsck checks the store, and that every live, unexpired version reaches
// only blobs the store has. It returns "" or what is wrong.
func (w *world) fsck() string {
	ctx := context.Background()
	rep, err := w.st.Check(ctx, nil)
	if err != nil {
		return err.Error()
	}
	var probs []string
	for _, p := range rep.Problems {
		probs = append(probs, p.String())
	}
	rs := w.roots()
	g := storeGetter{w.st}
	for _, r := range rs.Roots {
		if ok, err := w.st.Has(r.Record); err != nil || !ok {
			probs = append(probs, fmt.Sprintf("%s: record %s missing", r.Why, r.Record.Short()))
		}
		walk := &manifest.Reach{Getter: g, FileMap: w.st.FileMap,
			Enter: func(id objects.ID, t objects.BlobType) (bool, error) {
				ok, err := w.st.Has(id)
				if err != nil {
					return false, err
				}
				if !ok {
					probs = append(probs, fmt.Sprintf("%s: %s %s missing", r.Why, t, id.Short()))
					return false, nil
				}
				if t == objects.TypeChunk {
					if _, _, err := w.st.Get(ctx, id, nil); err != nil {
						probs = append(probs, fmt.Sprintf("%s: %v", r.Why, err))
					}
				}
				return true, nil
			}}
		if err := walk.Tree(ctx, r.Tree); err != nil {
			probs = append(probs, fmt.Sprintf("%s: %v", r.Why, err))
		}
	}
	return strings.Join(probs, "\n")
}

// usage returns the pack files and bytes on disk.
func (w *world) usage() (int, int64) {
	files, err := w.st.PackFiles()
	if err != nil {
		w.t.Fatal(err)
	}
	var n int64
	for _, f := range files {
		n += f.Size
	}
	return len(files), n
}

// collect plans and executes a local GC.
func (w *world) collect(o gc.Options) (*gc.Plan, *gc.Result, error) {
	ctx := context.Background()
	if o.Now == nil {
		o.Now = w.now
	}
	p, err := gc.PlanLocal(ctx, w.st, w.roots(), o)
	if err != nil {
		return nil, nil, err
	}
	res, err := gc.ExecuteLocal(ctx, w.st, w.refs, p, w.roots(), o)
	return p, res, err
}

// metaKV keeps refs in the store's 'r' namespace, as package repo does.
type metaKV struct{ st *objects.Store }

func (m metaKV) Get(key []byte) ([]byte, bool, error) {
	v, err := m.st.GetMeta('r', key)
	if errors.Is(err, objects.ErrNotFound) {
		return nil, false, nil
	}
	return v, err == nil, err
}

func (m metaKV) Scan(ctx context.Context, prefix []byte, fn func(k, v []byte) error) error {
	return m.st.ScanMeta(ctx, 'r', prefix, fn)
}

func (m metaKV) Update(ctx context.Context, fn func(refs.Txn) error) error {
	return m.st.UpdateMeta(ctx, func(tx *objects.MetaTx) error { return fn(metaTxn{tx}) })
}

type metaTxn struct{ tx *objects.MetaTx }

func (t metaTxn) Get(key []byte) ([]byte, bool, error) {
	v, err := t.tx.Get('r', key)
	if errors.Is(err, objects.ErrNotFound) {
		return nil, false, nil
	}
	return v, err == nil, err
}
func (t metaTxn) Set(key, val []byte) error { return t.tx.Set('r', key, val) }
func (t metaTxn) Delete(key []byte) error   { return t.tx.Delete('r', key) }

type blobPutter struct{ w *objects.Writer }

func (p blobPutter) PutBlob(ctx context.Context, t objects.BlobType, data []byte) (objects.ID, error) {
	return p.w.PutBlob(ctx, t, data)
}

type storeGetter struct{ st *objects.Store }

func (g storeGetter) GetBlob(ctx context.Context, id objects.ID) ([]byte, error) {
	b, _, err := g.st.Get(ctx, id, nil)
	return b, err
}

func deleteReq(name string, n int) refs.DeleteRequest {
	return refs.DeleteRequest{Name: name, Versions: []int{n}, Reason: refs.ReasonDeleted}
}

// pin pins version v at path, as a line of trove.lock does: a root and a
// hold by record and by content digest.
func (w *world) pin(path string, v refs.Version) {
	w.unpin(path)
	if w.pins == nil {
		w.pins = map[string]gc.Root{}
		w.holds.Pinned = map[objects.ID][]string{}
		w.holds.PinnedRoots = map[objects.ID][]string{}
	}
	w.pins[path] = gc.Root{Record: v.Record, Tree: v.Root, Why: "pin " + path}
	w.holds.Pinned[v.Record] = append(w.holds.Pinned[v.Record], path)
	w.holds.PinnedRoots[v.Root] = append(w.holds.PinnedRoots[v.Root], path)
}

// unpin removes the pin at path, if there is one.
func (w *world) unpin(path string) {
	p, ok := w.pins[path]
	if !ok {
		return
	}
	delete(w.pins, path)
	drop := func(m map[objects.ID][]string, id objects.ID) {
		m[id] = slices.DeleteFunc(m[id], func(s string) bool { return s == path })
		if len(m[id]) == 0 {
			delete(m, id)
		}
	}
	drop(w.holds.Pinned, p.Record)
	drop(w.holds.PinnedRoots, p.Tree)
}
