package objects

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// Stored is a blob in the form it is kept in a pack: possibly compressed.
// Remotes hold packs in the same format, so a push copies stored bytes
// without recompressing and a fetch adds them as they come.
type Stored struct {
	ID         ID
	Type       BlobType
	Compressed bool   // Bytes are zstd-compressed
	RawLen     int    // length of the decompressed bytes
	Bytes      []byte // the stored bytes
}

// ReadStored returns blob id in stored form. The bytes are verified before
// they are returned: decompressed and hashed, like every read.
func (s *Store) ReadStored(ctx context.Context, id ID) (Stored, error) {
	if err := ctx.Err(); err != nil {
		return Stored{}, err
	}
	e, ok, err := s.lookup(id)
	if err != nil {
		return Stored{}, fmt.Errorf("objects: read %s: %w", id, err)
	}
	if !ok {
		raw, t, err := s.Get(ctx, id, nil) // inline: stored uncompressed
		if err != nil {
			return Stored{}, err
		}
		return Stored{ID: id, Type: t, RawLen: len(raw), Bytes: raw}, nil
	}
	path := s.PackPath(e.Pack)
	if err := s.enter(); err != nil {
		return Stored{}, fmt.Errorf("objects: read %s: %w", id, err)
	}
	pf, release, err := s.files.acquire(e.Pack, path)
	s.leave()
	if errors.Is(err, os.ErrNotExist) {
		return Stored{}, fmt.Errorf("%w: %s %s: the index names pack %s, which is missing: %w", ErrCorrupt, e.Type, id, path, err)
	}
	if err != nil {
		return Stored{}, fmt.Errorf("objects: read %s: %w", id, err)
	}
	defer release()
	st := Stored{ID: id, Type: e.Type, Compressed: e.Compression == compressionZstd, RawLen: int(e.RawLen), Bytes: make([]byte, e.StoredLen)}
	if err := pf.readAt(st.Bytes, e.Offset); err != nil {
		return Stored{}, s.readError(id, e, path, err)
	}
	if _, err := s.Decode(st); err != nil {
		return Stored{}, fmt.Errorf("%w (pack %s)", err, path)
	}
	return st, nil
}

// Decode returns the raw bytes of a stored blob, verified against its id.
// Failures wrap ErrCorrupt.
func (s *Store) Decode(st Stored) ([]byte, error) {
	raw, err := s.Unpack(st)
	if err != nil {
		return nil, err
	}
	if got := Sum(raw); got != st.ID {
		return nil, fmt.Errorf("%w: %s %s: bytes hash to %s", ErrCorrupt, st.Type, st.ID, got)
	}
	return raw, nil
}

// Unpack returns the raw bytes of a stored blob, decompressed and checked
// for length but not hashed: for callers that verify what the bytes make
// up another way, as a pull checks the digest of each file it writes
// before its rename (and Decodes each chunk again to name the bad one
// when a file fails). Failures wrap ErrCorrupt.
func (s *Store) Unpack(st Stored) ([]byte, error) {
	if st.RawLen < 0 || st.RawLen > MaxChunkSize || (!st.Compressed && len(st.Bytes) != st.RawLen) {
		// Checked before RawLen drives an allocation: it may come from a
		// remote's pack table.
		return nil, fmt.Errorf("%w: %s %s: %d stored bytes for a raw length of %d (limit %d)", ErrCorrupt, st.Type, st.ID, len(st.Bytes), st.RawLen, MaxChunkSize)
	}
	raw := st.Bytes
	if st.Compressed {
		var err error
		raw, err = s.codec.dec.DecodeAll(st.Bytes, make([]byte, 0, st.RawLen))
		if err != nil {
			return nil, fmt.Errorf("%w: %s %s: zstd: %v", ErrCorrupt, st.Type, st.ID, err)
		}
	}
	if len(raw) != st.RawLen {
		return nil, fmt.Errorf("%w: %s %s: %d bytes, expected %d", ErrCorrupt, st.Type, st.ID, len(raw), st.RawLen)
	}
	return raw, nil
}

// PutStored adds a blob received in stored form (from a remote), after
// verifying it. Chunks go to packs, other blobs inline, as with PutChunk
// and PutBlob.
func (w *Writer) PutStored(ctx context.Context, st Stored) error {
	raw, err := w.s.Decode(st)
	if err != nil {
		return err
	}
	if st.Type == TypeChunk {
		var hint *CompressHint
		if !st.Compressed {
			hint = incompressible()
		}
		_, err = w.PutChunk(ctx, st.ID, raw, hint)
		return err
	}
	_, err = w.PutBlob(ctx, st.Type, raw)
	return err
}

// incompressible returns a hint that skips compression: the blob came
// uncompressed, so it did not compress before.
func incompressible() *CompressHint {
	h := &CompressHint{}
	h.misses.Store(compressGiveUp)
	return h
}
