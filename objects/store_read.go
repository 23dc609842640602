package objects

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// BlobInfo describes a stored blob.
type BlobInfo struct {
	ID         ID
	Type       BlobType
	RawSize    int64 // length of the blob's bytes
	StoredSize int64 // length as stored (after compression, if any)
	Compressed bool  // stored zstd-compressed
	Inline     bool  // kept in the database rather than in a pack
	Pack       ID    // the pack holding it; zero if Inline
	Offset     int64 // where its stored bytes start in the pack
}

// get returns a copy of the value of key, or ok false if it is absent.
func (s *Store) get(key []byte) (val []byte, ok bool, err error) {
	if err := s.enter(); err != nil {
		return nil, false, err
	}
	defer s.leave()
	v, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	val = append([]byte(nil), v...)
	closer.Close()
	return val, true, nil
}

// hasKey reports whether key is present.
func (s *Store) hasKey(key []byte) (bool, error) {
	if err := s.enter(); err != nil {
		return false, err
	}
	defer s.leave()
	_, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("objects: lookup: %w", err)
	}
	closer.Close()
	return true, nil
}

// hasIndexed reports whether the index has blob id.
func (s *Store) hasIndexed(id ID) (bool, error) {
	ok, err := s.hasKey(idKey(nsIndex, id))
	if err != nil {
		return false, fmt.Errorf("objects: lookup %s: %w", id, err)
	}
	return ok, nil
}

// lookup returns the index entry of a packed blob, ok false if the index
// has none.
func (s *Store) lookup(id ID) (e indexEntry, ok bool, err error) {
	if err := s.enter(); err != nil {
		return e, false, err
	}
	defer s.leave()
	v, closer, err := s.db.Get(idKey(nsIndex, id))
	if errors.Is(err, pebble.ErrNotFound) {
		return e, false, nil
	}
	if err != nil {
		return e, false, fmt.Errorf("objects: lookup %s: %w", id, err)
	}
	e, err = decodeIndexEntry(v)
	closer.Close()
	if err != nil {
		return e, false, fmt.Errorf("index entry of %s: %w", id, err)
	}
	return e, true, nil
}

// Has reports whether the store holds blob id, packed or inline. Chunks of
// a Writer that has not flushed them are not there yet.
func (s *Store) Has(id ID) (bool, error) {
	if ok, err := s.hasIndexed(id); err != nil || ok {
		return ok, err
	}
	ok, err := s.hasKey(idKey(nsBlob, id))
	if err != nil {
		return false, fmt.Errorf("objects: lookup %s: %w", id, err)
	}
	return ok, nil
}

// Get returns the bytes and type of blob id. The bytes are appended to
// buf[:0] when buf has the capacity, else newly allocated; the caller owns
// them. Every read is verified: bytes that do not hash to id give an error
// wrapping [ErrCorrupt] that names the blob and its pack file. A missing
// blob gives an error wrapping [ErrNotFound]. Get is safe for concurrent
// use.
func (s *Store) Get(ctx context.Context, id ID, buf []byte) ([]byte, BlobType, error) {
	return s.getBlob(ctx, id, buf, true)
}

func (s *Store) getBlob(ctx context.Context, id ID, buf []byte, hash bool) ([]byte, BlobType, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	e, ok, err := s.lookup(id)
	if err != nil {
		return nil, 0, fmt.Errorf("objects: get %s: %w", id, err)
	}
	if ok {
		return s.readPacked(id, e, buf, hash)
	}
	v, ok, err := s.get(idKey(nsBlob, id))
	if err != nil {
		return nil, 0, fmt.Errorf("objects: get %s: %w", id, err)
	}
	if !ok {
		return nil, 0, fmt.Errorf("objects: get %s: %w", id, ErrNotFound)
	}
	t, data, err := decodeInline(v)
	if err != nil {
		return nil, 0, fmt.Errorf("objects: get %s (inline): %w", id, err)
	}
	if got := Sum(data); got != id {
		return nil, 0, fmt.Errorf("%w: inline %s %s: bytes hash to %s", ErrCorrupt, t, id, got)
	}
	return append(buf[:0], data...), t, nil
}

// readPacked reads blob id from its pack, verified against id if hash is set.
func (s *Store) readPacked(id ID, e indexEntry, buf []byte, hash bool) ([]byte, BlobType, error) {
	path := s.PackPath(e.Pack)
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s %s in pack %s: %s", ErrCorrupt, e.Type, id, path, fmt.Sprintf(format, args...))
	}
	if err := s.enter(); err != nil {
		return nil, 0, fmt.Errorf("objects: get %s: %w", id, err)
	}
	pf, release, err := s.files.acquire(e.Pack, path)
	s.leave()
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, fmt.Errorf("%w: %s %s: the index names pack %s, which is missing: %w", ErrCorrupt, e.Type, id, path, err)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("objects: get %s: %w", id, err)
	}
	defer release()
	s.noteRead(e.Pack) // for cache pruning: least recently used goes first

	raw := buf[:0]
	if cap(raw) < int(e.RawLen) {
		raw = make([]byte, 0, e.RawLen)
	}
	switch e.Compression {
	case compressionNone:
		raw = raw[:e.RawLen]
		if err := pf.readAt(raw, e.Offset); err != nil {
			return nil, 0, s.readError(id, e, path, err)
		}
	case compressionZstd:
		sb := s.codec.getBuf(int(e.StoredLen))
		defer s.codec.putBuf(sb)
		stored := (*sb)[:e.StoredLen]
		if err := pf.readAt(stored, e.Offset); err != nil {
			return nil, 0, s.readError(id, e, path, err)
		}
		raw, err = s.codec.dec.DecodeAll(stored, raw[:0:e.RawLen])
		if err != nil {
			return nil, 0, corrupt("zstd: %v", err)
		}
		if len(raw) != int(e.RawLen) {
			return nil, 0, corrupt("decompressed to %d bytes, index says %d", len(raw), e.RawLen)
		}
	}
	if !hash {
		return raw, e.Type, nil
	}
	if got := Sum(raw); got != id {
		return nil, 0, corrupt("bytes at offset %d hash to %s", e.Offset, got)
	}
	return raw, e.Type, nil
}

// readError classifies a failed pack read: a short read means the pack is
// shorter than the index says (corrupt); anything else is an I/O error.
func (s *Store) readError(id ID, e indexEntry, path string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %s %s in pack %s: pack ends before offset %d+%d (truncated)", ErrCorrupt, e.Type, id, path, e.Offset, e.StoredLen)
	}
	return fmt.Errorf("objects: get %s: read pack %s: %w", id, path, err)
}

// readFull reads len(b) bytes at off; a short read returns io.ErrUnexpectedEOF.
func readFull(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// Stat describes blob id without reading it. A missing blob gives an error
// wrapping [ErrNotFound].
func (s *Store) Stat(id ID) (BlobInfo, error) {
	e, ok, err := s.lookup(id)
	if err != nil {
		return BlobInfo{}, fmt.Errorf("objects: stat %s: %w", id, err)
	}
	if ok {
		return BlobInfo{
			ID: id, Type: e.Type, RawSize: int64(e.RawLen), StoredSize: int64(e.StoredLen),
			Compressed: e.Compression != compressionNone, Pack: e.Pack, Offset: e.Offset,
		}, nil
	}
	v, ok, err := s.get(idKey(nsBlob, id))
	if err != nil {
		return BlobInfo{}, fmt.Errorf("objects: stat %s: %w", id, err)
	}
	if !ok {
		return BlobInfo{}, fmt.Errorf("objects: stat %s: %w", id, ErrNotFound)
	}
	t, data, err := decodeInline(v)
	if err != nil {
		return BlobInfo{}, fmt.Errorf("objects: stat %s (inline): %w", id, err)
	}
	n := int64(len(data))
	return BlobInfo{ID: id, Type: t, RawSize: n, StoredSize: n, Inline: true}, nil
}

// FileMap returns the id of the file map of the file whose content digest
// is digest; ok is false when there is none (a file of one chunk, whose
// digest is its chunk id, or a file the store does not have).
func (s *Store) FileMap(digest ID) (mapID ID, ok bool, err error) {
	v, ok, err := s.get(idKey(nsFileMap, digest))
	if err != nil || !ok {
		if err != nil {
			err = fmt.Errorf("objects: file map of %s: %w", digest, err)
		}
		return ID{}, false, err
	}
	mapID, err = decodeFileMap(v)
	if err != nil {
		return ID{}, false, fmt.Errorf("objects: file map of %s: %w", digest, err)
	}
	return mapID, true, nil
}

// Packs calls fn for every pack the index records, in id order, on the
// caller's goroutine. It stops at and returns fn's first error.
func (s *Store) Packs(ctx context.Context, fn func(PackInfo) error) error {
	return s.scan(ctx, []byte{nsPack}, func(k, v []byte) error {
		id, ok := keyID(k)
		if !ok {
			return fmt.Errorf("objects: packs: %w: key %x", ErrCorrupt, k)
		}
		p, err := decodePackInfo(id, v)
		if err != nil {
			return fmt.Errorf("objects: pack %s: %w", id, err)
		}
		return fn(p)
	})
}

// scanCheckEvery is how many keys a scan visits between checks of its
// context.
const scanCheckEvery = 1024

// scan calls fn for every key with prefix p (the full key, with its
// namespace byte) in key order. k and v are valid only during fn.
func (s *Store) scan(ctx context.Context, p []byte, fn func(k, v []byte) error) error {
	return s.scanFrom(ctx, p, nil, fn)
}

// scanFrom is scan from the key p+from on.
func (s *Store) scanFrom(ctx context.Context, p, from []byte, fn func(k, v []byte) error) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	lower := append(slices.Clip(p), from...)
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(p)})
	if err != nil {
		return err
	}
	return iterate(ctx, it, fn)
}

// iterate runs fn over it and closes it.
func iterate(ctx context.Context, it *pebble.Iterator, fn func(k, v []byte) error) (err error) {
	defer func() {
		if cerr := it.Close(); err == nil {
			err = cerr
		}
	}()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		if n++; n%scanCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		if err := fn(it.Key(), v); err != nil {
			return err
		}
	}
	return it.Error()
}
