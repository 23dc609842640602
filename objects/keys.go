package objects

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Namespaces of the Pebble key space that the object store owns
// (ARCHITECTURE.md, "Pebble key space"). The meta API refuses them.
const (
	nsIndex   = 'i' // i id → indexEntry: where a packed blob lives
	nsBlob    = 'b' // b id → format, type, bytes: a small blob kept inline
	nsFileMap = 'f' // f digest → format, file map id
	nsPack    = 'p' // p pack id → PackInfo
	nsAccess  = 'a' // a pack id → when it was last read (store_gc.go)
	// nsEpoch ('d', epoch.go) holds the removal epoch.
)

// valueFormat is the first byte of every value the store writes; a reader
// refuses any other.
const valueFormat = 1

// Encoded value sizes (format 1).
const (
	indexEntrySize = 1 + 1 + 1 + 4 + 4 + 8 + IDSize // format, type, compression, stored, raw, offset, pack
	fileMapValSize = 1 + IDSize                     // format, map id
	packInfoSize   = 1 + 8 + 4 + 8 + 8              // format, size, count, blob bytes, created
)

func isReserved(ns byte) bool {
	return ns == nsIndex || ns == nsBlob || ns == nsFileMap || ns == nsPack || ns == nsAccess || ns == nsEpoch
}

// idKey returns ns followed by id.
func idKey(ns byte, id ID) []byte {
	k := make([]byte, 1+IDSize)
	k[0] = ns
	copy(k[1:], id[:])
	return k
}

// keyID returns the id in an id key of any namespace.
func keyID(k []byte) (ID, bool) {
	var id ID
	if len(k) != 1+IDSize {
		return id, false
	}
	copy(id[:], k[1:])
	return id, true
}

// indexEntry says where a packed blob lives. Encoded (format 1, 51 bytes):
//
//	format u8 = 1 | type u8 | compression u8 | stored length u32 LE |
//	raw length u32 LE | offset u64 LE | pack id [32]
type indexEntry struct {
	Type        BlobType
	Compression uint8
	StoredLen   uint32
	RawLen      uint32
	Offset      int64
	Pack        ID
}

func (e indexEntry) encode() []byte {
	b := make([]byte, indexEntrySize)
	b[0] = valueFormat
	b[1] = byte(e.Type)
	b[2] = e.Compression
	binary.LittleEndian.PutUint32(b[3:], e.StoredLen)
	binary.LittleEndian.PutUint32(b[7:], e.RawLen)
	binary.LittleEndian.PutUint64(b[11:], uint64(e.Offset))
	copy(b[19:], e.Pack[:])
	return b
}

// decodeIndexEntry decodes an index value. Errors wrap ErrCorrupt.
func decodeIndexEntry(b []byte) (indexEntry, error) {
	var e indexEntry
	if len(b) != indexEntrySize || b[0] != valueFormat {
		return e, fmt.Errorf("%w: index entry of %d bytes, format %d", ErrCorrupt, len(b), firstByte(b))
	}
	e.Type = BlobType(b[1])
	e.Compression = b[2]
	e.StoredLen = binary.LittleEndian.Uint32(b[3:])
	e.RawLen = binary.LittleEndian.Uint32(b[7:])
	off := binary.LittleEndian.Uint64(b[11:])
	copy(e.Pack[:], b[19:])
	switch {
	case !e.Type.Valid():
		return e, fmt.Errorf("%w: index entry of unknown type %d", ErrCorrupt, b[1])
	case e.Compression > compressionZstd:
		return e, fmt.Errorf("%w: index entry with unknown compression %d", ErrCorrupt, e.Compression)
	case e.Compression == compressionNone && e.RawLen != e.StoredLen:
		return e, fmt.Errorf("%w: uncompressed index entry with stored length %d and raw length %d", ErrCorrupt, e.StoredLen, e.RawLen)
	case e.RawLen > MaxChunkSize || e.StoredLen > MaxChunkSize:
		return e, fmt.Errorf("%w: index entry of %d/%d bytes, above the limit of %d", ErrCorrupt, e.StoredLen, e.RawLen, MaxChunkSize)
	case off < 8 || off > 1<<62:
		return e, fmt.Errorf("%w: index entry at offset %d", ErrCorrupt, off)
	}
	e.Offset = int64(off)
	return e, nil
}

// encodeInline returns the value of an inline blob: format, type, bytes.
func encodeInline(t BlobType, data []byte) []byte {
	v := make([]byte, 2+len(data))
	v[0] = valueFormat
	v[1] = byte(t)
	copy(v[2:], data)
	return v
}

// decodeInline splits an inline blob value. The bytes alias v. Errors wrap
// ErrCorrupt.
func decodeInline(v []byte) (BlobType, []byte, error) {
	if len(v) < 2 || v[0] != valueFormat {
		return 0, nil, fmt.Errorf("%w: inline blob value of %d bytes, format %d", ErrCorrupt, len(v), firstByte(v))
	}
	t := BlobType(v[1])
	if !t.Valid() || t == TypeChunk {
		return 0, nil, fmt.Errorf("%w: inline blob of type %s", ErrCorrupt, t)
	}
	if len(v)-2 > MaxInlineBlobSize {
		return 0, nil, fmt.Errorf("%w: inline blob of %d bytes, above the limit of %d", ErrCorrupt, len(v)-2, MaxInlineBlobSize)
	}
	return t, v[2:], nil
}

func encodeFileMap(mapID ID) []byte {
	v := make([]byte, fileMapValSize)
	v[0] = valueFormat
	copy(v[1:], mapID[:])
	return v
}

// decodeFileMap decodes an `f` value. Errors wrap ErrCorrupt.
func decodeFileMap(v []byte) (ID, error) {
	var id ID
	if len(v) != fileMapValSize || v[0] != valueFormat {
		return id, fmt.Errorf("%w: file map value of %d bytes, format %d", ErrCorrupt, len(v), firstByte(v))
	}
	copy(id[:], v[1:])
	if id.IsZero() {
		return id, fmt.Errorf("%w: file map value names the zero id", ErrCorrupt)
	}
	return id, nil
}

// PackInfo describes a pack file, as recorded when it was written (the `p`
// key space).
type PackInfo struct {
	ID        ID        // BLAKE3-256 of the pack file's bytes; its name
	Size      int64     // file size in bytes
	Count     int       // number of blobs
	BlobBytes int64     // stored bytes of all blobs (size minus header, table and footer)
	Created   time.Time // when the pack was finished (Options.Now)
}

// encode returns the `p` value. Encoded (format 1, 29 bytes):
//
//	format u8 = 1 | size u64 LE | count u32 LE | blob bytes u64 LE |
//	created unix nanoseconds i64 LE
func (p PackInfo) encode() []byte {
	b := make([]byte, packInfoSize)
	b[0] = valueFormat
	binary.LittleEndian.PutUint64(b[1:], uint64(p.Size))
	binary.LittleEndian.PutUint32(b[9:], uint32(p.Count))
	binary.LittleEndian.PutUint64(b[13:], uint64(p.BlobBytes))
	binary.LittleEndian.PutUint64(b[21:], uint64(p.Created.UnixNano()))
	return b
}

// decodePackInfo decodes a `p` value for pack id. Errors wrap ErrCorrupt.
func decodePackInfo(id ID, b []byte) (PackInfo, error) {
	p := PackInfo{ID: id}
	if len(b) != packInfoSize || b[0] != valueFormat {
		return p, fmt.Errorf("%w: pack info of %d bytes, format %d", ErrCorrupt, len(b), firstByte(b))
	}
	size := binary.LittleEndian.Uint64(b[1:])
	blobBytes := binary.LittleEndian.Uint64(b[13:])
	if size > 1<<62 || blobBytes > size {
		return p, fmt.Errorf("%w: pack info with size %d and blob bytes %d", ErrCorrupt, size, blobBytes)
	}
	p.Size = int64(size)
	p.Count = int(binary.LittleEndian.Uint32(b[9:]))
	p.BlobBytes = int64(blobBytes)
	p.Created = time.Unix(0, int64(binary.LittleEndian.Uint64(b[21:]))).UTC()
	return p, nil
}

func firstByte(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	return int(b[0])
}

// prefixEnd returns the smallest key greater than every key with prefix p,
// or nil if there is none (p is all 0xff).
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
