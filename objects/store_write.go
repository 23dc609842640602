package objects

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/trove-ml/trove/objects/pack"
)

// MaxInlineBlobSize is the largest blob [Writer.PutBlob] accepts (4 MiB):
// trees, file maps and records are bounded well below it by their formats,
// and Pebble handles values of this size without strain.
const MaxInlineBlobSize = 4 << 20

// maxPendingInline bounds the inline blobs and file-map entries a Writer
// holds before it flushes them (8 MiB), so memory does not grow with a
// commit of many small files.
const maxPendingInline = 8 << 20

// A Writer is a write session: it adds the chunks and blobs of one commit
// to the store. Its methods are safe for concurrent use; PutChunk is meant
// to be called from many goroutines at once.
//
// Nothing a Writer adds is guaranteed durable, or visible to the Store's
// readers, until Flush returns nil; a full pack is committed on its own
// earlier. After any failure the Writer stays failed: every later call
// returns the first error, and its temp files are removed.
type Writer struct {
	s *Store

	mu sync.Mutex
	// cur is the pack being appended to; nil until the next chunk.
	cur *tempPack // +checklocks:mu
	// seen holds the ids of chunks in this session's packs whose index
	// entries are not committed yet (32 bytes and map overhead per chunk,
	// at most a few packs' worth). Once committed, the index dedups them.
	seen map[ID]struct{} // +checklocks:mu
	// inline holds pending inline blobs and file-map entries, and
	// inlineSeen the blob ids in it.
	inline      *pebble.Batch   // +checklocks:mu
	inlineSeen  map[ID]struct{} // +checklocks:mu
	inlineBytes int             // +checklocks:mu
	inflight    int             // packs being finished outside mu; +checklocks:mu
	idle        *sync.Cond      // signalled when inflight drops to 0
	err         error           // the first failure; +checklocks:mu
}

// tempPack is a pack being written to Dir/tmp. Blobs are reserved in file
// order under Writer.mu, and their bytes written at their offsets by the
// putting goroutines without it (pwrite), so that no goroutine waits on
// mu for another's copy into the page cache. (ext4 still serialises the
// copies under the file's inode lock; taking them in turn on a mutex of
// our own saved nothing measurable, bench/README.md, "Sixth session".)
// Nothing hashes the blob bytes here: the
// pack is named by its table's hash (pack format 2), and each blob's id
// is its caller's hash of it.
type tempPack struct {
	f  *os.File
	pw *pack.Writer // +checklocks:Writer.mu while attached
	// entries are the blobs in table order, offsets set.
	entries []pack.Entry // +checklocks:Writer.mu while attached
	// flushed is how many bytes were handed to startWriteback, dropped
	// how many to dropBehind: writeback starts one range ahead of the
	// drop, so the wait for it is usually over before it begins.
	flushed, dropped int64 // +checklocks:Writer.mu while attached
	// pending counts blob writes in progress; the pack is finished only
	// after they are done.
	pending sync.WaitGroup
	// werr is the first failed blob write.
	werr atomic.Pointer[error]
}

// writebackEvery is how many bytes a temp pack accumulates before it asks
// the kernel to start writing them out: large enough to make few calls,
// small enough to keep the disk busy while the pack fills.
const writebackEvery = 8 << 20

// Write receives the pack writer's own bytes (header, table, footer) and
// puts them where pack.Writer.Reserve's contract says: at the pack's size
// just before the call.
func (t *tempPack) Write(p []byte) (int, error) {
	return t.f.WriteAt(p, t.pw.Size())
}

// writeBlob writes a reserved blob's bytes at off, outside Writer.mu, and
// then, if wb is not empty, asks for the writeback of its range and drops
// the range before it from the page cache; all before the pack counts the
// blob written, so the file is still open.
func (t *tempPack) writeBlob(stored []byte, off int64, wb writebackRange) error {
	defer t.pending.Done()
	_, err := t.f.WriteAt(stored, off)
	if err != nil {
		return t.setErr(fmt.Errorf("objects: writer: temp pack %s: %w", t.f.Name(), err))
	}
	if wb.n > 0 {
		// Outside Writer.mu: sync_file_range can wait for the device's
		// queue, and under the lock it held up every putting goroutine
		// (0.24 s of a 1 GiB commit's wall time, traced).
		startWriteback(t.f, wb.off, wb.n)
	}
	if wb.dropN > 0 {
		// On a goroutine of its own: the wait for the disk would
		// otherwise hold up a goroutine that has chunks to hash.
		t.pending.Add(1)
		go func() {
			defer t.pending.Done()
			dropBehind(t.f, wb.dropOff, wb.dropN)
		}()
	}
	return nil
}

// writebackRange is a range of a temp pack to hand to startWriteback, and
// the one before it, to hand to dropBehind.
type writebackRange struct{ off, n, dropOff, dropN int64 }

// setErr records err as the pack's first failed write and returns it. It
// is a function of its own so that only failures allocate.
func (t *tempPack) setErr(err error) error {
	t.werr.CompareAndSwap(nil, &err)
	return err
}

// discard closes and removes the temp file.
func (t *tempPack) discard() {
	_ = t.f.Close()           // the file is being thrown away
	_ = os.Remove(t.f.Name()) // Open removes leftovers if this fails
}

// NewWriter starts a write session.
func (s *Store) NewWriter() *Writer {
	w := &Writer{s: s, seen: make(map[ID]struct{}), inlineSeen: make(map[ID]struct{})}
	w.idle = sync.NewCond(&w.mu)
	return w
}

// fail is failLocked for callers without mu.
func (w *Writer) fail(err error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failLocked(err)
}

// failLocked makes err the Writer's sticky error, unless it has one, and
// removes the current temp pack. It returns the sticky error.
func (w *Writer) failLocked(err error) error {
	if w.err == nil {
		w.err = err
	}
	if w.cur != nil {
		w.cur.discard()
		w.cur = nil
	}
	if w.inline != nil {
		_ = w.inline.Close() // discarding uncommitted work
		w.inline = nil
	}
	return w.err
}

// PutChunk adds the chunk data, whose id is Sum(data), unless the store or
// this session already has it; stored reports whether this call wrote it.
// When the store's Options.Compression is on, the chunk is compressed on the
// caller's goroutine, as hint (a CompressHint per file, a KindHint per
// kind of one-chunk file; nil means always try) advises.
// data is not kept after PutChunk returns. Chunks larger than
// [MaxChunkSize] are refused with an error wrapping [ErrTooLarge].
//
// Two concurrent sessions, or a race with a pack being committed, may both
// store a chunk; the duplicate wastes space until GC and harms nothing.
func (w *Writer) PutChunk(ctx context.Context, id ID, data []byte, hint Hint) (stored bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if len(data) > MaxChunkSize {
		return false, fmt.Errorf("objects: put chunk %s: %d bytes: %w (max %d)", id, len(data), ErrTooLarge, MaxChunkSize)
	}
	if invariants && Sum(data) != id {
		return false, fmt.Errorf("objects: put chunk %s: bytes hash to %s", id, Sum(data))
	}
	w.mu.Lock()
	_, dup := w.seen[id]
	err = w.err
	w.mu.Unlock()
	if err != nil || dup {
		return false, err
	}
	if have, err := w.s.hasIndexed(id); err != nil || have {
		if err != nil {
			err = w.fail(err)
		}
		return false, err
	}

	enc, comp := data, uint8(compressionNone)
	if w.s.opts.Compression {
		var release func()
		enc, comp, release = w.s.codec.compress(data, hint)
		defer release()
	}

	w.mu.Lock()
	t, off, wb, full, err := w.reserveLocked(id, len(data), enc, comp)
	if full != nil {
		w.inflight++
	}
	w.mu.Unlock()
	if err != nil || t == nil {
		return false, err
	}
	werr := t.writeBlob(enc, off, wb)
	if werr != nil {
		werr = w.fail(werr)
	}
	if full != nil { // commit even after werr: it cleans up and balances inflight
		if err := w.commitPack(full); err != nil {
			return false, err
		}
	}
	if werr != nil {
		return false, werr
	}
	return true, nil
}

// reserveLocked reserves room for a chunk in the current pack, starting one
// if needed. The caller writes the bytes to t at off, after unlocking, and
// then starts the writeback of wb (empty unless writebackEvery more bytes
// were reserved since the last). t is nil if the chunk is a duplicate. If
// the chunk fills the pack, reserveLocked detaches it and returns it as
// full: the caller must finish it with commitPack (after incrementing
// inflight under mu).
func (w *Writer) reserveLocked(id ID, rawLen int, stored []byte, comp uint8) (t *tempPack, off int64, wb writebackRange, full *tempPack, err error) {
	if w.err != nil {
		return nil, 0, wb, nil, w.err
	}
	if _, dup := w.seen[id]; dup { // another goroutine got here first
		return nil, 0, wb, nil, nil
	}
	if w.cur == nil {
		f, err := os.CreateTemp(w.s.tmpDir, "pack-*.tmp")
		if err != nil {
			return nil, 0, wb, nil, w.failLocked(fmt.Errorf("objects: writer: %w", err))
		}
		w.cur = &tempPack{f: f}
		w.cur.pw = pack.NewWriter(w.cur)
	}
	t = w.cur
	e := pack.Entry{
		Type:        uint8(TypeChunk),
		Compression: comp,
		StoredLen:   uint32(len(stored)),
		RawLen:      uint32(rawLen),
		ID:          id,
	}
	if e.Offset, err = t.pw.Reserve(e); err != nil {
		return nil, 0, wb, nil, w.failLocked(fmt.Errorf("objects: writer: temp pack %s: %w", t.f.Name(), err))
	}
	t.pending.Add(1)
	t.entries = append(t.entries, e)
	w.seen[id] = struct{}{}
	if size := t.pw.Size(); size-t.flushed >= writebackEvery {
		// Advice only: blobs reserved just now may not be written yet.
		wb = writebackRange{off: t.flushed, n: size - t.flushed}
		if !w.s.unsafeNoSync { // the drop waits for the disk
			wb.dropOff, wb.dropN = t.dropped, t.flushed-t.dropped
		}
		t.dropped, t.flushed = t.flushed, size
	}
	if t.pw.Size() >= w.s.opts.PackSize || t.pw.Count() >= pack.MaxCount {
		full, w.cur = t, nil
	}
	return t, e.Offset, wb, full, nil
}

// commitPack finishes a detached pack, makes it durable under its name and
// commits its index entries; then it forgets the pack's ids from seen and
// decrements inflight. It runs without mu, so other goroutines keep
// appending to the next pack meanwhile.
func (w *Writer) commitPack(t *tempPack) error {
	err := w.s.commitPack(t)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err == nil {
		for _, e := range t.entries {
			delete(w.seen, e.ID)
		}
	} else {
		err = w.failLocked(err)
	}
	w.inflight--
	if w.inflight == 0 {
		w.idle.Broadcast()
	}
	return err
}

// commitPack writes t's table, makes the pack durable under its name and
// commits its index. On failure the temp file is removed.
//
// Order matters: the pack file is fsynced and renamed, and the directory
// fsynced, before the index names it; the index is committed (synced)
// before the pack's chunks can be reported flushed, so before any ref can
// reach them. A crash in between leaves a stray pack, never an index entry
// pointing at nothing.
func (s *Store) commitPack(t *tempPack) (err error) {
	renamed := false
	defer func() {
		if err != nil && !renamed {
			t.discard()
		}
	}()
	tmpName := t.f.Name()
	t.pending.Wait() // blob writes of other goroutines
	if werr := t.werr.Load(); werr != nil {
		return *werr
	}
	if err := t.pw.Finish(); err != nil {
		return fmt.Errorf("objects: finish pack %s: %w", tmpName, err)
	}
	id := ID(t.pw.Name())
	size := t.pw.Size()
	if err := s.syncPack(t.f); err != nil {
		return fmt.Errorf("objects: sync pack %s: %w", tmpName, err)
	}
	if err := t.f.Close(); err != nil {
		return fmt.Errorf("objects: close pack %s: %w", tmpName, err)
	}
	// Pack files are immutable: make them read-only, as git does.
	if err := os.Chmod(tmpName, 0o444); err != nil {
		return fmt.Errorf("objects: pack %s: %w", tmpName, err)
	}
	final := s.PackPath(id)
	dir := filepath.Dir(final)
	if err := s.mkPackDir(dir); err != nil {
		return err
	}
	if _, statErr := os.Stat(final); statErr == nil {
		// A pack with the same table is there already: the same blobs at
		// the same offsets. Keep that file, written once, and drop ours.
		_ = os.Remove(tmpName) // Open removes leftovers if this fails
	} else if err := os.Rename(tmpName, final); err != nil {
		return fmt.Errorf("objects: install pack %s: %w", final, err)
	}
	renamed = true
	if err := s.syncDir(dir); err != nil {
		return fmt.Errorf("objects: sync %s: %w", dir, err)
	}

	// The pack is durable: now the index may name it.
	b := s.newBatch()
	if b == nil {
		return fmt.Errorf("objects: index pack %s: %w", id, ErrClosed)
	}
	defer b.Close()
	var blobBytes int64
	for _, e := range t.entries {
		ie := indexEntry{Type: BlobType(e.Type), Compression: e.Compression,
			StoredLen: e.StoredLen, RawLen: e.RawLen, Offset: e.Offset, Pack: id}
		_ = b.Set(idKey(nsIndex, e.ID), ie.encode(), nil) // batch Set cannot fail
		blobBytes += int64(e.StoredLen)
	}
	info := PackInfo{ID: id, Size: size, Count: len(t.entries), BlobBytes: blobBytes, Created: s.opts.Now()}
	_ = b.Set(idKey(nsPack, id), info.encode(), nil)
	if err := s.commitBatch(b, true); err != nil {
		return fmt.Errorf("objects: index pack %s: %w", id, err)
	}
	return nil
}

// mkPackDir creates packs/ab if needed; a new one is made durable by
// syncing packs/.
func (s *Store) mkPackDir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("objects: %w", err)
	}
	if err := s.syncDir(s.packDir); err != nil {
		return fmt.Errorf("objects: sync %s: %w", s.packDir, err)
	}
	return nil
}

// newBatch returns a new Pebble batch, or nil after Close.
func (s *Store) newBatch() *pebble.Batch {
	if s.enter() != nil {
		return nil
	}
	defer s.leave()
	return s.db.NewBatch()
}

// commitBatch commits b, synced to disk if sync is set.
func (s *Store) commitBatch(b *pebble.Batch, sync bool) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	opt := pebble.NoSync
	if sync {
		opt = pebble.Sync
	}
	return b.Commit(opt)
}

// PutBlob stores a small blob of type t (a tree, file map, version record
// or run; not a chunk) inline in the database and returns its id, Sum(data).
// A blob the store already has is not written again. Blobs over
// [MaxInlineBlobSize] are refused with an error wrapping [ErrTooLarge].
// data is not kept.
func (w *Writer) PutBlob(ctx context.Context, t BlobType, data []byte) (ID, error) {
	if err := ctx.Err(); err != nil {
		return ID{}, err
	}
	if !t.Valid() || t == TypeChunk {
		return ID{}, fmt.Errorf("objects: put blob: type %s cannot be stored inline", t)
	}
	id := Sum(data)
	if len(data) > MaxInlineBlobSize {
		return id, fmt.Errorf("objects: put %s %s: %d bytes: %w (max %d)", t, id, len(data), ErrTooLarge, MaxInlineBlobSize)
	}
	w.mu.Lock()
	_, dup := w.inlineSeen[id]
	err := w.err
	w.mu.Unlock()
	if err != nil || dup {
		return id, err
	}
	if have, err := w.s.hasKey(idKey(nsBlob, id)); err != nil || have {
		if err != nil {
			err = w.fail(fmt.Errorf("objects: put %s %s: %w", t, id, err))
		}
		return id, err
	}
	w.mu.Lock()
	over, err := w.addInlineLocked(idKey(nsBlob, id), encodeInline(t, data))
	if err == nil {
		w.inlineSeen[id] = struct{}{}
	}
	w.mu.Unlock()
	if err == nil && over {
		err = w.Flush(ctx)
	}
	return id, err
}

// SetFileMap records that the file with content digest maps to the file
// map blob mapID. Like the blobs, it is durable after Flush, and committed
// only after the chunks put before it. Errors surface from Flush.
func (w *Writer) SetFileMap(digest, mapID ID) {
	w.mu.Lock()
	_, _ = w.addInlineLocked(idKey(nsFileMap, digest), encodeFileMap(mapID))
	w.mu.Unlock()
}

// addInlineLocked adds a key to the pending inline batch and reports
// whether the batch has grown past maxPendingInline.
func (w *Writer) addInlineLocked(key, val []byte) (over bool, err error) {
	if w.err != nil {
		return false, w.err
	}
	if w.inline == nil {
		if w.inline = w.s.newBatch(); w.inline == nil {
			return false, w.failLocked(fmt.Errorf("objects: writer: %w", ErrClosed))
		}
	}
	_ = w.inline.Set(key, val, nil) // batch Set cannot fail
	w.inlineBytes += len(key) + len(val)
	return w.inlineBytes > maxPendingInline, nil
}

// Flush makes everything put before the call durable and visible: it
// finishes the current pack (however small), waits for packs being
// finished by other goroutines, and then commits the pending inline blobs
// and file maps in one synced batch. Order matters: file maps name chunks,
// so chunks are durable and indexed before file maps and their `f` keys.
// The Writer can be used again after Flush.
func (w *Writer) Flush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w.mu.Lock()
	if w.err != nil {
		defer w.mu.Unlock()
		return w.err
	}
	cur := w.cur
	w.cur = nil
	if cur != nil {
		w.inflight++
	}
	batch := w.inline
	w.inline, w.inlineBytes = nil, 0
	clear(w.inlineSeen)
	w.mu.Unlock()

	fail := func(err error) error {
		if batch != nil {
			_ = batch.Close() // uncommitted
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.failLocked(err)
	}
	if cur != nil {
		if err := w.commitPack(cur); err != nil {
			return fail(err)
		}
	}
	w.mu.Lock()
	for w.inflight > 0 {
		w.idle.Wait()
	}
	err := w.err
	w.mu.Unlock()
	if err != nil {
		return fail(err)
	}
	if batch == nil {
		return nil
	}
	if err := w.s.commitBatch(batch, true); err != nil {
		return fail(fmt.Errorf("objects: flush: %w", err))
	}
	_ = batch.Close() // committed; Close only frees it
	return nil
}

// Abort ends the session without flushing: it removes the temp pack and
// drops pending blobs and file maps. Packs already committed stay (they are
// valid, and later commits reuse their chunks; GC removes them if nothing
// does). Abort waits for packs being finished by other goroutines. Later
// calls return errors wrapping [ErrClosed].
func (w *Writer) Abort() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.failLocked(fmt.Errorf("objects: writer aborted: %w", ErrClosed))
	for w.inflight > 0 {
		w.idle.Wait()
	}
}
