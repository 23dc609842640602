package repo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/objects/pack"
	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/packindex"
)

// Remote packs are smaller than local ones: a failed upload costs less to
// redo, and several upload at once.
const (
	remotePackTarget = 32 << 20
	uploadParallel   = 4
)

// uploader packs blobs into new packs and uploads them. Write order, the
// invariant everything else leans on: a pack is uploaded before the index
// naming it, and indexes are uploaded in the order their blobs were added.
// Since blobs are added children first (see reach), any blob an index names
// reaches only blobs named by that index or earlier ones; a push killed at
// any point leaves the remote consistent, and the rerun uploads the rest.
type uploader struct {
	r     *Repo
	c     *conn
	meter Meter

	// The pack being built; used only by the adding goroutine.
	tmp     *os.File
	pw      *pack.Writer
	entries []pack.Entry
	fmaps   []packindex.FileMap
	added   map[objects.ID]bool

	ctx    context.Context
	cancel context.CancelFunc
	slots  chan struct{} // bounds packs uploading at once
	prev   chan error    // done signal of the previous pack's index
	wg     sync.WaitGroup

	mu      sync.Mutex
	err     error // first failure; guarded by mu
	packs   int
	bytes   int64
	blobs   int
	pending []string // temp files to remove
}

func newUploader(ctx context.Context, r *Repo, c *conn) *uploader {
	ctx, cancel := context.WithCancel(ctx)
	prev := make(chan error, 1)
	prev <- nil
	return &uploader{
		r: r, c: c, ctx: ctx, cancel: cancel,
		meter: r.opts.Progress.Start("uploading to "+c.name, 0, true),
		added: map[objects.ID]bool{}, slots: make(chan struct{}, uploadParallel), prev: prev,
	}
}

func (u *uploader) fail(err error) {
	u.mu.Lock()
	if u.err == nil {
		u.err = err
		u.cancel()
	}
	u.mu.Unlock()
}

func (u *uploader) failed() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.err
}

// scheduled reports whether id was already added in this push.
func (u *uploader) scheduled(id objects.ID) bool { return u.added[id] }

// add appends blob id, read from the local store, to the pack being built.
func (u *uploader) add(id objects.ID) error {
	if err := u.failed(); err != nil {
		return err
	}
	if u.added[id] {
		return nil
	}
	st, err := u.r.store.ReadStored(u.ctx, id)
	if err != nil {
		return err
	}
	if u.pw == nil {
		f, err := os.CreateTemp(filepath.Join(u.r.Dir, "tmp"), "push-*.pack")
		if err != nil {
			return fmt.Errorf("push: %w", err)
		}
		u.tmp = f
		u.pw = pack.NewWriter(f)
		u.entries = nil
	}
	e := pack.Entry{Type: uint8(st.Type), StoredLen: uint32(len(st.Bytes)), RawLen: uint32(st.RawLen), ID: st.ID, Offset: u.pw.NextOffset()}
	if st.Compressed {
		e.Compression = pack.CompressionZstd
	}
	if err := u.pw.Add(e, st.Bytes); err != nil {
		return fmt.Errorf("push: %w", err)
	}
	u.entries = append(u.entries, e)
	u.added[id] = true
	if u.pw.Size() >= remotePackTarget || u.pw.Count() >= pack.MaxCount-1 {
		return u.flush()
	}
	return nil
}

// addFileMap records, in the next index, that a file's content is described
// by a file map; the map itself must have been added or be on the remote.
func (u *uploader) addFileMap(digest, mapID objects.ID) {
	u.fmaps = append(u.fmaps, packindex.FileMap{Digest: digest, Map: mapID})
}

// flush finishes the pack being built and hands it to an upload slot.
func (u *uploader) flush() error {
	if u.pw == nil {
		if len(u.fmaps) == 0 {
			return nil
		}
		// File maps alone (their blobs are on the remote already).
		fmaps := u.fmaps
		u.fmaps = nil
		return u.chain(func() (*packindex.Index, error) { return &packindex.Index{FileMaps: fmaps}, nil }, nil)
	}
	if err := u.pw.Finish(); err != nil {
		return fmt.Errorf("push: %w", err)
	}
	f, id, size, entries, fmaps := u.tmp, objects.ID(u.pw.Name()), u.pw.Size(), u.entries, u.fmaps
	u.pw, u.tmp, u.entries, u.fmaps = nil, nil, nil, nil
	u.mu.Lock()
	u.pending = append(u.pending, f.Name())
	u.mu.Unlock()

	select {
	case u.slots <- struct{}{}:
	case <-u.ctx.Done():
		f.Close()
		return u.failed()
	}
	type upload struct {
		existed bool
		err     error
	}
	uploaded := make(chan upload, 1)
	go func() {
		defer func() { <-u.slots }()
		existed, err := u.c.rep.PutPack(u.ctx, id, io.NewSectionReader(f, 0, size), size)
		if err == nil {
			u.meter.Add(size)
			u.mu.Lock()
			u.packs++
			u.bytes += size
			u.blobs += len(entries)
			u.mu.Unlock()
		}
		uploaded <- upload{existed, err}
	}()
	var up upload
	return u.chain(func() (*packindex.Index, error) {
		if up = <-uploaded; up.err != nil {
			return nil, up.err
		}
		return &packindex.Index{Packs: []packindex.Pack{{ID: id, Size: size, Blobs: entries}}, FileMaps: fmaps}, nil
	}, func(indexed bool) error {
		defer f.Close()
		if !indexed || !up.existed {
			return nil
		}
		// The pack was on the remote before we wrote it: another push's,
		// or one that remote GC condemned for being in no index. Our index
		// now names it, so GC rescues rather than deletes it — unless it
		// deleted it just before the index landed. Check, and upload it
		// again if so, before any ref can reach it.
		if _, err := u.c.rep.Bucket().Stat(u.ctx, remote.PackKey(id)); !errors.Is(err, remote.ErrNotFound) {
			return err
		}
		_, err := u.c.rep.PutPack(u.ctx, id, io.NewSectionReader(f, 0, size), size)
		return err
	})
}

// chain uploads an index once the previous index is up and its own pack
// is (ready returns the index when the pack is uploaded); then it calls
// after, if not nil, saying whether the index went up.
func (u *uploader) chain(ready func() (*packindex.Index, error), after func(indexed bool) error) error {
	prev := u.prev
	done := make(chan error, 1)
	u.prev = done
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		ix, err := ready()
		if perr := <-prev; perr != nil && err == nil {
			err = perr
		}
		if err == nil {
			var id objects.ID
			if id, err = u.c.rep.PutIndex(u.ctx, ix); err == nil {
				err = u.r.learnIndex(u.c, id, ix)
			}
		}
		if after != nil {
			if aerr := after(err == nil); err == nil {
				err = aerr
			}
		}
		if err != nil {
			u.fail(err)
		}
		done <- err
	}()
	return nil
}

// finish uploads what is left and waits for every upload.
func (u *uploader) finish() error {
	err := u.flush()
	if err != nil {
		u.fail(err)
	}
	u.wg.Wait()
	u.meter.Done()
	u.mu.Lock()
	for _, p := range u.pending {
		os.Remove(p)
	}
	u.mu.Unlock()
	if u.tmp != nil {
		u.tmp.Close()
		os.Remove(u.tmp.Name())
	}
	u.cancel()
	return u.failed()
}
