package pack

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/zeebo/blake3"
)

// Format constants. Every size here is part of formats 1 and 2, which
// differ only in how a pack is named (see the package documentation).
const (
	// Version is the format version this package writes.
	Version = 2
	// MinVersion and MaxVersion bound the versions this package reads.
	MinVersion = 1
	MaxVersion = 2

	// HeaderSize is the length of the header: magic and version.
	HeaderSize = 8
	// EntrySize is the length of one table entry.
	EntrySize = 44
	// FooterSize is the length of the footer.
	FooterSize = 48
	// IDSize is the length of a blob id (BLAKE3-256).
	IDSize = 32

	// MaxCount bounds the blobs in one pack. It keeps a table a reader
	// allocates for one pack under 44 MiB: a pack of 64 MiB holding blobs of
	// 64 bytes or more stays below it. Writers start a new pack when it is
	// reached.
	MaxCount = 1 << 20
	// MaxBlobSize bounds a blob's stored and raw length: both are stored in
	// 32 bits.
	MaxBlobSize = 1<<32 - 1
)

// Compression values, persisted in the table; never renumber them.
const (
	CompressionNone = 0
	CompressionZstd = 1
)

const (
	headerMagic = "TRVPACK"
	footerMagic = "TRVPKEND"
)

// Errors returned by the decoders; test for them with [errors.Is].
var (
	// ErrCorrupt marks bytes that are not a valid pack.
	ErrCorrupt = errors.New("pack: corrupt")
	// ErrFormat marks a pack of a format version this package does not read.
	ErrFormat = errors.New("pack: unknown format")
	// ErrBroken is returned by a Writer after any earlier error.
	ErrBroken = errors.New("pack: writer failed earlier")
)

// Entry describes one blob of a pack: one table entry plus its offset.
type Entry struct {
	Type        uint8    // blob type, opaque to this package (not 0)
	Compression uint8    // CompressionNone or CompressionZstd
	StoredLen   uint32   // length of the bytes in the pack
	RawLen      uint32   // length after decompression
	ID          [32]byte // BLAKE3-256 of the raw bytes
	Offset      int64    // where the stored bytes start in the pack
}

// End returns the offset just past the entry's stored bytes.
func (e Entry) End() int64 { return e.Offset + int64(e.StoredLen) }

// putEntry encodes e into b[:EntrySize].
func putEntry(b []byte, e Entry) {
	b[0] = e.Type
	b[1] = e.Compression
	b[2], b[3] = 0, 0
	binary.LittleEndian.PutUint32(b[4:], e.StoredLen)
	binary.LittleEndian.PutUint32(b[8:], e.RawLen)
	copy(b[12:EntrySize], e.ID[:])
}

// checkEntry reports what is wrong with e's fields, nil if nothing.
func checkEntry(e Entry) error {
	switch {
	case e.Type == 0:
		return errors.New("blob type 0")
	case e.Compression > CompressionZstd:
		return fmt.Errorf("unknown compression %d", e.Compression)
	case e.Compression == CompressionNone && e.RawLen != e.StoredLen:
		return fmt.Errorf("uncompressed blob with stored length %d and raw length %d", e.StoredLen, e.RawLen)
	}
	return nil
}

// A Writer encodes one pack onto an io.Writer. It is not safe for concurrent
// use. After any error every later call returns an error wrapping
// [ErrBroken] (and the first error): the pack on the underlying writer is
// unusable and the caller should remove it.
type Writer struct {
	w        io.Writer
	size     int64  // bytes written through w, plus reserved ones
	table    []byte // encoded entries so far
	count    int
	err      error
	finished bool
	name     [32]byte // the table's BLAKE3, set by Finish
}

// NewWriter returns a Writer that writes a pack to w. Nothing is written
// before the first Add or Finish.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w}
}

// Size returns the length of the pack so far: bytes written to the
// underlying writer plus reserved ones (see Reserve). After Finish it is
// the pack's final size.
func (w *Writer) Size() int64 { return w.size }

// Count returns the number of blobs added.
func (w *Writer) Count() int { return w.count }

// NextOffset returns the offset at which the next added blob will start.
func (w *Writer) NextOffset() int64 { return max(w.size, HeaderSize) }

// Add appends a blob. e describes it (e.Offset is ignored: the blob goes to
// [Writer.NextOffset]); stored is its bytes as kept in the pack, and
// e.StoredLen must equal len(stored). Add refuses a blob once the pack holds
// [MaxCount]. Add does not keep stored.
func (w *Writer) Add(e Entry, stored []byte) error {
	if uint64(len(stored)) != uint64(e.StoredLen) {
		return fmt.Errorf("pack: add blob %s: stored length %d, have %d bytes", short(e.ID), e.StoredLen, len(stored))
	}
	if err := w.addEntry(e); err != nil {
		return err
	}
	return w.write(stored)
}

// Reserve adds a blob to the table like Add but does not write its bytes:
// it returns the offset at which the caller must write e.StoredLen bytes
// itself, by other means than the io.Writer (such as WriteAt on the same
// file), before the pack is used. Size counts the reserved bytes at once,
// and the Writer's own later writes (the table and footer, from Finish)
// belong after them: the io.Writer must put each write at the offset that
// Size returned just before it. This lets several goroutines fill one pack
// file: reserve in order under a lock, write the bytes without it.
func (w *Writer) Reserve(e Entry) (offset int64, err error) {
	if err := w.addEntry(e); err != nil {
		return 0, err
	}
	off := w.size
	w.size += int64(e.StoredLen)
	return off, nil
}

// addEntry checks e and appends it to the table, writing the header first
// if this is the first blob.
func (w *Writer) addEntry(e Entry) error {
	if err := w.usable(); err != nil {
		return err
	}
	if err := checkEntry(e); err != nil {
		return fmt.Errorf("pack: add blob %s: %v", short(e.ID), err)
	}
	if w.count >= MaxCount {
		return fmt.Errorf("pack: add blob %s: pack full (%d blobs)", short(e.ID), MaxCount)
	}
	if err := w.header(); err != nil {
		return err
	}
	n := len(w.table)
	w.table = append(w.table, make([]byte, EntrySize)...)
	putEntry(w.table[n:], e)
	w.count++
	return nil
}

// Finish writes the table and footer. The pack is complete when Finish
// returns nil; the Writer accepts no more calls.
func (w *Writer) Finish() error {
	if err := w.usable(); err != nil {
		return err
	}
	if err := w.header(); err != nil {
		return err
	}
	var footer [FooterSize]byte
	sum := blake3.Sum256(w.table)
	copy(footer[:32], sum[:])
	binary.LittleEndian.PutUint32(footer[32:], uint32(w.count))
	binary.LittleEndian.PutUint32(footer[36:], uint32(len(w.table)))
	copy(footer[40:], footerMagic)
	if err := w.write(w.table); err != nil {
		return err
	}
	if err := w.write(footer[:]); err != nil {
		return err
	}
	w.finished = true
	w.table = nil
	w.name = sum
	return nil
}

// Name returns the pack's name: the BLAKE3-256 of its table, which the
// footer also carries (format 2). It is valid after Finish returned nil, and
// the zero array before.
func (w *Writer) Name() [32]byte { return w.name }

func (w *Writer) usable() error {
	if w.err != nil {
		return fmt.Errorf("%w: %w", ErrBroken, w.err)
	}
	if w.finished {
		return errors.New("pack: writer already finished")
	}
	return nil
}

func (w *Writer) header() error {
	if w.size > 0 {
		return nil
	}
	var h [HeaderSize]byte
	copy(h[:], headerMagic)
	h[7] = Version
	return w.write(h[:])
}

func (w *Writer) write(b []byte) error {
	n, err := w.w.Write(b)
	w.size += int64(n)
	if err == nil && n != len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		w.err = err
		return fmt.Errorf("pack: write: %w", err)
	}
	return nil
}

// short returns the first 12 hex digits of a blob id, for messages. It
// takes the id by value so that only the error paths that call it copy
// the id to the heap.
func short(id [32]byte) string { return hex.EncodeToString(id[:6]) }
