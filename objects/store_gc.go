package objects

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/trove-ml/trove/objects/pack"
)

// What garbage collection and cache pruning need from the store: listing
// the index, pack records, pack files and access times; dropping index
// entries and inline blobs; deleting and rewriting packs. Package gc
// decides what goes; these methods only carry it out, each in a written
// order that leaves the store consistent (Check passes) if the process
// dies at any point.
//
// None of them may run beside a Writer of the same Store: a Writer trusts
// the index to say what the store has (dedup), so an entry dropped while
// it writes could leave a commit naming a blob that is gone. The
// repository lock keeps other processes out; within one process the
// caller (a trove command) runs GC alone.

// Index calls fn for every packed blob the index records, in id order, on
// the caller's goroutine. It stops at and returns fn's first error. An
// undecodable entry is an error wrapping ErrCorrupt.
func (s *Store) Index(ctx context.Context, fn func(BlobInfo) error) error {
	return s.scan(ctx, []byte{nsIndex}, func(k, v []byte) error {
		id, ok := keyID(k)
		if !ok {
			return fmt.Errorf("objects: index: %w: key %x", ErrCorrupt, k)
		}
		e, err := decodeIndexEntry(v)
		if err != nil {
			return fmt.Errorf("objects: index entry of %s: %w", id, err)
		}
		return fn(BlobInfo{ID: id, Type: e.Type, RawSize: int64(e.RawLen), StoredSize: int64(e.StoredLen),
			Compressed: e.Compression != compressionNone, Pack: e.Pack, Offset: e.Offset})
	})
}

// InlineBlobs calls fn for every blob kept inline in the database (trees,
// file maps, records, runs), in id order, with Inline set and without
// reading more than each value's type. It stops at fn's first error.
func (s *Store) InlineBlobs(ctx context.Context, fn func(BlobInfo) error) error {
	return s.scan(ctx, []byte{nsBlob}, func(k, v []byte) error {
		id, ok := keyID(k)
		if !ok {
			return fmt.Errorf("objects: inline blobs: %w: key %x", ErrCorrupt, k)
		}
		t, data, err := decodeInline(v)
		if err != nil {
			return fmt.Errorf("objects: inline blob %s: %w", id, err)
		}
		n := int64(len(data))
		return fn(BlobInfo{ID: id, Type: t, RawSize: n, StoredSize: n, Inline: true})
	})
}

// FileMaps calls fn for every file-map key (a file's content digest and
// the id of its file map), in digest order. It stops at fn's first error.
func (s *Store) FileMaps(ctx context.Context, fn func(digest, mapID ID) error) error {
	return s.scan(ctx, []byte{nsFileMap}, func(k, v []byte) error {
		digest, ok := keyID(k)
		if !ok {
			return fmt.Errorf("objects: file maps: %w: key %x", ErrCorrupt, k)
		}
		mapID, err := decodeFileMap(v)
		if err != nil {
			return fmt.Errorf("objects: file map of %s: %w", digest, err)
		}
		return fn(digest, mapID)
	})
}

// PackFile is a file found under Dir/packs.
type PackFile struct {
	ID      ID
	Size    int64
	ModTime time.Time
}

// PackFiles lists the pack files on disk in id order; files not named like
// packs are left out (Check reports them).
func (s *Store) PackFiles() ([]PackFile, error) {
	packs, _, err := s.listPacks()
	if err != nil {
		return nil, err
	}
	out := make([]PackFile, len(packs))
	for i, p := range packs {
		out[i] = PackFile{ID: p.id, Size: p.size, ModTime: p.modTime}
	}
	return out, nil
}

// Drop names what [Store.DropUnreachable] removes from the database.
type Drop struct {
	// Packed are packed blobs whose index entries go, each only if it
	// still names Pack[i] (the pack the caller saw it in): an entry that a
	// later write pointed elsewhere stays. The blobs' bytes stay in their
	// packs until those are deleted or rewritten.
	Packed []ID
	Pack   []ID
	// Inline are inline blobs to delete.
	Inline []ID
	// FileMaps are file-map keys (content digests) to delete.
	FileMaps []ID
}

// dropBatchSize bounds the deletions in one batch, so that memory stays
// flat however much goes.
const dropBatchSize = 64 << 10

// DropUnreachable removes index entries, inline blobs and file-map keys,
// in synced batches of at most 65,536 deletions. Missing keys are no
// error. Order: file-map keys first, then inline blobs, then index
// entries, so that at every point a file-map key names a map the store
// still has (what Check verifies); a crash part way leaves a store that
// is consistent and a next run that finishes the job.
func (s *Store) DropUnreachable(ctx context.Context, d Drop) error {
	if len(d.Packed) != len(d.Pack) {
		return fmt.Errorf("objects: drop: %d packed blobs but %d packs", len(d.Packed), len(d.Pack))
	}
	var keys [][]byte
	for _, id := range d.FileMaps {
		keys = append(keys, idKey(nsFileMap, id))
	}
	for _, id := range d.Inline {
		keys = append(keys, idKey(nsBlob, id))
	}
	if err := s.deleteKeys(ctx, keys); err != nil {
		return fmt.Errorf("objects: drop: %w", err)
	}
	keys = keys[:0]
	for i, id := range d.Packed {
		e, ok, err := s.lookup(id)
		if err != nil {
			return fmt.Errorf("objects: drop: %w", err)
		}
		if ok && e.Pack == d.Pack[i] {
			keys = append(keys, idKey(nsIndex, id))
		}
	}
	if err := s.deleteKeys(ctx, keys); err != nil {
		return fmt.Errorf("objects: drop: %w", err)
	}
	return nil
}

// deleteKeys deletes keys in synced batches, each a removal (epoch.go).
func (s *Store) deleteKeys(ctx context.Context, keys [][]byte) error {
	for len(keys) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(len(keys), dropBatchSize)
		b := s.newBatch()
		if b == nil {
			return ErrClosed
		}
		for _, k := range keys[:n] {
			_ = b.Delete(k, nil) // batch ops cannot fail
		}
		err := s.commitRemoval(b)
		_ = b.Close() // committed or not, only frees it
		if err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

// DeletePack deletes pack id: its record, its access time, the index
// entries among blobs that still name it, and then the file. Order
// matters: the database stops naming the pack (one synced batch) before
// the file goes, so a crash in between leaves a stray pack (a warning of
// Check, removed by the next GC), never an index entry naming a missing
// file. Blobs of the pack that the caller does not list must not be
// indexed there (the caller checked they are dead and dropped, or moved);
// DeletePack refuses, deleting nothing, if any still is.
func (s *Store) DeletePack(ctx context.Context, id ID, blobs []ID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.replacePack(id, nil, blobs)
}

// RewritePack copies the blobs keep (indexed in pack old) into a new pack
// and deletes old as [Store.DeletePack] would, dropping the index entries
// of drop (dead blobs of old). It returns the new pack's record, or a zero
// PackInfo if keep is empty.
//
// Order matters, and each step is durable before the next: the new pack
// is written to Dir/tmp, fsynced, renamed to its name and the directory
// fsynced; then one synced batch points the kept blobs at it, records it,
// and drops old's record and dead entries; only then is old's file
// removed. A crash before the batch leaves a stray new pack; after it, a
// stray old one; both are warnings of Check, and the next GC removes them.
// Every kept blob is read and verified before it is copied: a corrupt one
// fails the rewrite with an error wrapping ErrCorrupt and changes nothing.
func (s *Store) RewritePack(ctx context.Context, old ID, keep, drop []ID) (PackInfo, error) {
	if len(keep) == 0 {
		return PackInfo{}, s.DeletePack(ctx, old, drop)
	}
	np, err := s.writeRepacked(ctx, old, keep)
	if err != nil {
		return PackInfo{}, err
	}
	if err := s.replacePack(old, np, drop); err != nil {
		return PackInfo{}, err
	}
	return np.info, nil
}

// repacked is a new pack written by writeRepacked, durable under its name
// but not indexed yet.
type repacked struct {
	info    PackInfo
	entries []pack.Entry // offsets in the new pack
}

// writeRepacked copies the stored bytes of keep, verified, from pack old
// into a new pack file and makes it durable under its name.
func (s *Store) writeRepacked(ctx context.Context, old ID, keep []ID) (np *repacked, err error) {
	f, err := os.CreateTemp(s.tmpDir, "repack-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("objects: rewrite pack %s: %w", old, err)
	}
	installed := false
	defer func() {
		if !installed {
			_ = f.Close()           // being thrown away
			_ = os.Remove(f.Name()) // Open removes leftovers if this fails
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	pw := pack.NewWriter(bw)
	np = &repacked{}
	var blobBytes int64
	for i, id := range keep {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		e, ok, err := s.lookup(id)
		if err != nil {
			return nil, fmt.Errorf("objects: rewrite pack %s: %w", old, err)
		}
		if !ok || e.Pack != old {
			return nil, fmt.Errorf("objects: rewrite pack %s: blob %s is not indexed there", old, id)
		}
		st, err := s.ReadStored(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("objects: rewrite pack %s: %w", old, err)
		}
		pe := pack.Entry{Type: uint8(st.Type), StoredLen: uint32(len(st.Bytes)), RawLen: uint32(st.RawLen), ID: id, Offset: pw.NextOffset()}
		if st.Compressed {
			pe.Compression = pack.CompressionZstd
		}
		if err := pw.Add(pe, st.Bytes); err != nil {
			return nil, fmt.Errorf("objects: rewrite pack %s: %w", old, err)
		}
		np.entries = append(np.entries, pe)
		blobBytes += int64(pe.StoredLen)
	}
	if err := pw.Finish(); err != nil {
		return nil, fmt.Errorf("objects: rewrite pack %s: %w", old, err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("objects: rewrite pack %s: %w", old, err)
	}
	id := ID(pw.Name())
	if err := s.syncPack(f); err != nil {
		return nil, fmt.Errorf("objects: sync pack %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("objects: close pack %s: %w", f.Name(), err)
	}
	if err := os.Chmod(f.Name(), 0o444); err != nil {
		return nil, fmt.Errorf("objects: pack %s: %w", f.Name(), err)
	}
	final := s.PackPath(id)
	dir := filepath.Dir(final)
	if err := s.mkPackDir(dir); err != nil {
		return nil, err
	}
	if _, statErr := os.Stat(final); statErr == nil {
		_ = os.Remove(f.Name()) // the same blobs are there already (same table)
	} else if err := os.Rename(f.Name(), final); err != nil {
		return nil, fmt.Errorf("objects: install pack %s: %w", final, err)
	}
	installed = true
	if err := s.syncDir(dir); err != nil {
		return nil, fmt.Errorf("objects: sync %s: %w", dir, err)
	}
	np.info = PackInfo{ID: id, Size: pw.Size(), Count: len(np.entries), BlobBytes: blobBytes, Created: s.opts.Now()}
	return np, nil
}

// replacePack stops the database naming pack old, pointing the blobs of np
// (if any) at the new pack in the same synced batch, and then removes
// old's file. drop lists old's dead blobs, whose entries go if they still
// name old; any other entry still naming old makes it refuse.
func (s *Store) replacePack(old ID, np *repacked, drop []ID) error {
	moving := map[ID]bool{}
	if np != nil {
		for _, e := range np.entries {
			moving[e.ID] = true
		}
	}
	dropping := make(map[ID]bool, len(drop))
	for _, id := range drop {
		dropping[id] = true
	}
	// Every entry naming old must be accounted for: moved or dropped. One
	// scan of the index is cheaper than trusting the caller blindly.
	var stale []ID
	err := s.scan(context.Background(), []byte{nsIndex}, func(k, v []byte) error {
		if len(v) != indexEntrySize || ID(v[19:]) != old {
			return nil
		}
		id, _ := keyID(k)
		switch {
		case moving[id]:
		case dropping[id]:
			stale = append(stale, id)
		default:
			return fmt.Errorf("objects: delete pack %s: blob %s is still indexed there", old, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	b := s.newBatch()
	if b == nil {
		return fmt.Errorf("objects: delete pack %s: %w", old, ErrClosed)
	}
	defer b.Close()
	if np != nil {
		for _, e := range np.entries {
			ie := indexEntry{Type: BlobType(e.Type), Compression: e.Compression,
				StoredLen: e.StoredLen, RawLen: e.RawLen, Offset: e.Offset, Pack: np.info.ID}
			_ = b.Set(idKey(nsIndex, e.ID), ie.encode(), nil) // batch ops cannot fail
		}
		_ = b.Set(idKey(nsPack, np.info.ID), np.info.encode(), nil)
	}
	for _, id := range stale {
		_ = b.Delete(idKey(nsIndex, id), nil)
	}
	_ = b.Delete(idKey(nsPack, old), nil)
	_ = b.Delete(idKey(nsAccess, old), nil)
	if err := s.commitRemoval(b); err != nil {
		return fmt.Errorf("objects: delete pack %s: %w", old, err)
	}
	// The database no longer names old: now its file may go.
	return s.removePackFile(old)
}

// RemoveStrayPack deletes the file of a pack that nothing in the database
// names (no record, no index entry): one left by a crash between writing
// and indexing a pack, or between un-indexing and deleting it. It refuses
// a pack the database still names, with an error wrapping [ErrNotStray].
func (s *Store) RemoveStrayPack(ctx context.Context, id ID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ok, err := s.hasKey(idKey(nsPack, id)); err != nil || ok {
		if err == nil {
			err = fmt.Errorf("objects: remove stray pack %s: it has a pack record: %w", id, ErrNotStray)
		}
		return err
	}
	err := s.scan(ctx, []byte{nsIndex}, func(k, v []byte) error {
		if len(v) == indexEntrySize && ID(v[19:]) == id {
			kid, _ := keyID(k)
			return fmt.Errorf("objects: remove stray pack %s: blob %s is indexed there: %w", id, kid, ErrNotStray)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.removePackFile(id)
}

// removePackFile removes a pack file and makes the removal durable. A
// missing file is no error (a crashed GC may have removed it already).
func (s *Store) removePackFile(id ID) error {
	path := s.PackPath(id)
	s.files.forget(id)
	// Pack files are read-only; on Unix that does not stop unlink.
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("objects: remove pack %s: %w", path, err)
	}
	if err := s.syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("objects: sync %s: %w", filepath.Dir(path), err)
	}
	return nil
}

// DropPackRecord deletes the record (and access time) of a pack whose file
// is missing and that no index entry names, as a hand-removed file leaves
// (GC itself drops the record before it removes the file). It refuses
// while an index entry names the pack.
func (s *Store) DropPackRecord(ctx context.Context, id ID) error {
	err := s.scan(ctx, []byte{nsIndex}, func(k, v []byte) error {
		if len(v) == indexEntrySize && ID(v[19:]) == id {
			kid, _ := keyID(k)
			return fmt.Errorf("objects: drop pack record %s: blob %s is indexed there", id, kid)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.deleteKeys(ctx, [][]byte{idKey(nsPack, id), idKey(nsAccess, id)})
}

// Access times. A pack's last read is recorded under `a` pack id (format
// 1: format u8, unix nanoseconds i64 LE), at most once per
// accessGranularity per pack and process, in an unsynced write: losing it
// in a crash only makes the pack look less recently used. Cache pruning
// evicts the least recently used packs first.

// accessGranularity is how stale a recorded access time may be: reads of
// one pack within it cost no write.
const accessGranularity = time.Minute

const accessValSize = 1 + 8

// accessClock remembers when this process last recorded each pack's read.
type accessClock struct {
	mu   sync.Mutex
	last map[ID]time.Time // +checklocks:mu
}

// noteRead records that pack id was read now, unless it was recorded less
// than accessGranularity ago. Failures are ignored: an access time is a
// hint for cache pruning, never needed for correctness.
func (s *Store) noteRead(id ID) {
	now := s.opts.Now()
	a := &s.access
	a.mu.Lock()
	if t, ok := a.last[id]; ok && now.Sub(t) < accessGranularity && !now.Before(t) {
		a.mu.Unlock()
		return
	}
	if a.last == nil {
		a.last = make(map[ID]time.Time)
	}
	a.last[id] = now
	a.mu.Unlock()
	v := make([]byte, accessValSize)
	v[0] = valueFormat
	binary.LittleEndian.PutUint64(v[1:], uint64(now.UnixNano()))
	b := s.newBatch()
	if b == nil {
		return
	}
	_ = b.Set(idKey(nsAccess, id), v, nil)
	_ = s.commitBatch(b, false) // a hint: losing it is harmless
	_ = b.Close()
}

// PackAccess calls fn for every pack with a recorded last read, in pack id
// order. Packs never read since they were written have none; their
// PackInfo.Created stands in.
func (s *Store) PackAccess(ctx context.Context, fn func(id ID, lastRead time.Time) error) error {
	return s.scan(ctx, []byte{nsAccess}, func(k, v []byte) error {
		id, ok := keyID(k)
		if !ok || len(v) != accessValSize || v[0] != valueFormat {
			return nil // a hint only: ignore what cannot be read
		}
		return fn(id, time.Unix(0, int64(binary.LittleEndian.Uint64(v[1:]))).UTC())
	})
}

// forget closes pack id's file if it is open and no reader holds it (else
// when the last reader releases it), so that deleting the file frees its
// space at once.
func (c *fileCache) forget(id ID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cf, ok := c.files[id]; ok {
		c.evictLocked(cf)
	}
}

// CompactIndex compacts the store's own key ranges (index entries, inline
// blobs, file maps, pack records), so that the space of what GC dropped is
// given back to the file system now rather than at some later compaction.
// It costs a rewrite of those ranges (tens of bytes per blob, plus inline
// blobs).
func (s *Store) CompactIndex(ctx context.Context) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := s.db.Compact(ctx, []byte{nsAccess}, []byte{nsPack + 1}, false); err != nil {
		return fmt.Errorf("objects: compact: %w", err)
	}
	return nil
}
