package pack

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/zeebo/blake3"
)

// Footer is a decoded pack footer.
type Footer struct {
	TableSum [32]byte // BLAKE3-256 of the table bytes
	Count    uint32   // number of blobs
	TableLen uint32   // length of the table in bytes
}

// TailSize returns how many bytes at the end of the pack hold the table and
// the footer: what [DecodeTail] needs.
func (f Footer) TailSize() int64 { return int64(f.TableLen) + FooterSize }

// CheckHeader checks the first [HeaderSize] bytes of a pack: the magic and a
// version this package reads. An unknown version wraps [ErrFormat] and names
// the version and the range read.
func CheckHeader(b []byte) error {
	if len(b) < HeaderSize {
		return fmt.Errorf("%w: header of %d bytes, want %d", ErrCorrupt, len(b), HeaderSize)
	}
	if string(b[:7]) != headerMagic {
		return fmt.Errorf("%w: bad magic %q, want %q", ErrCorrupt, b[:7], headerMagic)
	}
	if v := b[7]; v < MinVersion || v > MaxVersion {
		return fmt.Errorf("%w: pack format %d (reads %d..%d)", ErrFormat, v, MinVersion, MaxVersion)
	}
	return nil
}

// DecodeFooter decodes the last [FooterSize] bytes of a pack of size bytes
// (b may be longer: its last FooterSize bytes are used). It checks the
// footer's lengths against size, so [Footer.TailSize] is safe to allocate.
func DecodeFooter(b []byte, size int64) (Footer, error) {
	var f Footer
	if size < HeaderSize+FooterSize {
		return f, fmt.Errorf("%w: %d bytes is too short for a pack (at least %d)", ErrCorrupt, size, HeaderSize+FooterSize)
	}
	if len(b) < FooterSize {
		return f, fmt.Errorf("%w: footer of %d bytes, want %d", ErrCorrupt, len(b), FooterSize)
	}
	b = b[len(b)-FooterSize:]
	if string(b[40:]) != footerMagic {
		return f, fmt.Errorf("%w: bad footer magic %q, want %q", ErrCorrupt, b[40:], footerMagic)
	}
	copy(f.TableSum[:], b[:32])
	f.Count = binary.LittleEndian.Uint32(b[32:])
	f.TableLen = binary.LittleEndian.Uint32(b[36:])
	switch {
	case f.Count > MaxCount:
		return f, fmt.Errorf("%w: %d blobs, more than the limit of %d", ErrCorrupt, f.Count, MaxCount)
	case uint64(f.TableLen) != uint64(f.Count)*EntrySize:
		return f, fmt.Errorf("%w: table of %d bytes for %d blobs, want %d", ErrCorrupt, f.TableLen, f.Count, uint64(f.Count)*EntrySize)
	case HeaderSize+f.TailSize() > size:
		return f, fmt.Errorf("%w: table of %d bytes does not fit in %d bytes", ErrCorrupt, f.TableLen, size)
	}
	return f, nil
}

// DecodeTail decodes the table of a pack of size bytes from tail, the last
// bytes of the pack: at least [Footer.TailSize] of them (more are ignored).
// It verifies the table's hash and that the entries exactly tile the blob
// area, and sets each entry's Offset. It does not see the header: callers
// that did not read it check it with [CheckHeader].
func DecodeTail(tail []byte, size int64) ([]Entry, error) {
	f, err := DecodeFooter(tail, size)
	if err != nil {
		return nil, err
	}
	if int64(len(tail)) < f.TailSize() {
		return nil, fmt.Errorf("%w: have %d bytes of the tail, need %d", ErrCorrupt, len(tail), f.TailSize())
	}
	tail = tail[int64(len(tail))-f.TailSize():]
	table := tail[:f.TableLen]
	if sum := blake3.Sum256(table); !bytes.Equal(sum[:], f.TableSum[:]) {
		return nil, fmt.Errorf("%w: table hash %x, footer says %x", ErrCorrupt, sum[:8], f.TableSum[:8])
	}
	blobEnd := size - f.TailSize() // where the blob area ends and the table starts
	entries := make([]Entry, f.Count)
	off := int64(HeaderSize)
	for i := range entries {
		b := table[i*EntrySize : (i+1)*EntrySize]
		e := Entry{
			Type:        b[0],
			Compression: b[1],
			StoredLen:   binary.LittleEndian.Uint32(b[4:]),
			RawLen:      binary.LittleEndian.Uint32(b[8:]),
			Offset:      off,
		}
		copy(e.ID[:], b[12:])
		if b[2] != 0 || b[3] != 0 {
			return nil, fmt.Errorf("%w: entry %d (blob %s): reserved bytes %#x set", ErrCorrupt, i, short(e.ID), b[2:4])
		}
		if err := checkEntry(e); err != nil {
			return nil, fmt.Errorf("%w: entry %d (blob %s): %v", ErrCorrupt, i, short(e.ID), err)
		}
		if e.End() > blobEnd {
			return nil, fmt.Errorf("%w: entry %d (blob %s) at offset %d runs %d bytes past the blob area", ErrCorrupt, i, short(e.ID), off, e.End()-blobEnd)
		}
		entries[i] = e
		off = e.End()
	}
	if off != blobEnd {
		return nil, fmt.Errorf("%w: blobs end at offset %d, table starts at %d", ErrCorrupt, off, blobEnd)
	}
	return entries, nil
}

// Table is what [Read] learns from a pack's header, table and footer.
type Table struct {
	// Version is the format version in the header.
	Version uint8
	// Sum is the BLAKE3-256 of the table bytes, verified against the
	// footer: the pack's name from format 2 on (see [Table.NamedBySum]).
	Sum [32]byte
	// Entries are the blobs in table order, offsets set.
	Entries []Entry
}

// NamedBySum reports whether the pack is named by its table's hash, Sum
// (format 2 and later). A format 1 pack is named by the BLAKE3 of all its
// bytes, which only reading the whole file can check.
func (t *Table) NamedBySum() bool { return t.Version >= 2 }

// ReadTable reads and checks the header, footer and table of the pack of
// size bytes in r and returns its entries in blob order, offsets set. It is
// [Read] for callers that need only the entries.
func ReadTable(r io.ReaderAt, size int64) ([]Entry, error) {
	t, err := Read(r, size)
	if err != nil {
		return nil, err
	}
	return t.Entries, nil
}

// Read reads and checks the header, footer and table of the pack of size
// bytes in r. Errors wrap [ErrCorrupt] or [ErrFormat], or are r's read
// errors; they name the byte range that was being read.
func Read(r io.ReaderAt, size int64) (*Table, error) {
	if size < HeaderSize+FooterSize {
		return nil, fmt.Errorf("%w: %d bytes is too short for a pack (at least %d)", ErrCorrupt, size, HeaderSize+FooterSize)
	}
	var hdr [HeaderSize]byte
	if err := readAt(r, hdr[:], 0); err != nil {
		return nil, err
	}
	if err := CheckHeader(hdr[:]); err != nil {
		return nil, fmt.Errorf("header (bytes 0..%d): %w", HeaderSize, err)
	}
	var foot [FooterSize]byte
	if err := readAt(r, foot[:], size-FooterSize); err != nil {
		return nil, err
	}
	f, err := DecodeFooter(foot[:], size)
	if err != nil {
		return nil, fmt.Errorf("footer (bytes %d..%d): %w", size-FooterSize, size, err)
	}
	// DecodeFooter checked TailSize against size: the allocation is bounded
	// by the file, and by MaxCount.
	tail := make([]byte, f.TailSize())
	copy(tail[len(tail)-FooterSize:], foot[:])
	if err := readAt(r, tail[:f.TableLen], size-f.TailSize()); err != nil {
		return nil, err
	}
	entries, err := DecodeTail(tail, size)
	if err != nil {
		return nil, fmt.Errorf("table (bytes %d..%d): %w", size-f.TailSize(), size-FooterSize, err)
	}
	// DecodeTail verified the table against f.TableSum.
	return &Table{Version: hdr[7], Sum: f.TableSum, Entries: entries}, nil
}

// readAt fills b from r at off. A short read means the pack is shorter than
// its caller said: corrupt (truncated), not an I/O failure.
func readAt(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: truncated: read %d of %d bytes at offset %d", ErrCorrupt, n, len(b), off)
	}
	return fmt.Errorf("pack: read %d bytes at offset %d: %w", len(b), off, err)
}
