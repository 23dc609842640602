package packindex

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/objects/pack"
)

// Format constants.
const (
	// Version is the format this package writes; it reads
	// MinVersion..MaxVersion.
	Version    = 1
	MinVersion = 1
	MaxVersion = 1

	magic      = "TRVIDX"
	headerSize = len(magic) + 1

	// MaxPacks bounds the packs one index lists; a push writes one index
	// per pack or per small batch of packs.
	MaxPacks = 1 << 16
	// MaxFileMaps bounds the file-map entries of one index.
	MaxFileMaps = 1 << 24

	// minBlobSize and minFileMapSize are the fewest bytes an encoded blob
	// or file-map entry takes; they bound counts against the input size.
	minBlobSize    = 2 + 1 + 1 + objects.IDSize
	minFileMapSize = 2 * objects.IDSize
)

// Errors returned by Decode.
var (
	ErrCorrupt = errors.New("packindex: corrupt")
	ErrFormat  = errors.New("packindex: unknown format")
)

// Pack lists the blobs of one pack.
type Pack struct {
	ID    objects.ID
	Size  int64
	Blobs []pack.Entry // offsets filled in by Decode
}

// FileMap says which file map describes the content with Digest.
type FileMap struct {
	Digest, Map objects.ID
}

// Index is the content of one index object.
type Index struct {
	Packs    []Pack
	FileMaps []FileMap
}

// Encode returns the encoding of ix. Blob offsets must tile each pack from
// pack.HeaderSize, as packs do.
func Encode(ix *Index) ([]byte, error) {
	if len(ix.Packs) > MaxPacks || len(ix.FileMaps) > MaxFileMaps {
		return nil, fmt.Errorf("packindex: %d packs, %d file maps: over the limits %d, %d", len(ix.Packs), len(ix.FileMaps), MaxPacks, MaxFileMaps)
	}
	b := make([]byte, 0, headerSize+len(ix.Packs)*64+len(ix.FileMaps)*64)
	b = append(b, magic...)
	b = append(b, Version)
	b = binary.AppendUvarint(b, uint64(len(ix.Packs)))
	for _, p := range ix.Packs {
		if len(p.Blobs) > pack.MaxCount {
			return nil, fmt.Errorf("packindex: pack %s lists %d blobs (max %d)", p.ID.Short(), len(p.Blobs), pack.MaxCount)
		}
		b = append(b, p.ID[:]...)
		b = binary.AppendUvarint(b, uint64(p.Size))
		b = binary.AppendUvarint(b, uint64(len(p.Blobs)))
		off := int64(pack.HeaderSize)
		for _, e := range p.Blobs {
			if e.Offset != off {
				return nil, fmt.Errorf("packindex: pack %s: blob %x at offset %d, want %d", p.ID.Short(), e.ID[:6], e.Offset, off)
			}
			off += int64(e.StoredLen)
			b = append(b, e.Type, e.Compression)
			b = binary.AppendUvarint(b, uint64(e.StoredLen))
			b = binary.AppendUvarint(b, uint64(e.RawLen))
			b = append(b, e.ID[:]...)
		}
		if err := p.fits(off); err != nil {
			return nil, fmt.Errorf("packindex: %w", err)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(ix.FileMaps)))
	for _, f := range ix.FileMaps {
		b = append(b, f.Digest[:]...)
		b = append(b, f.Map[:]...)
	}
	return b, nil
}

// decoder reads an index, remembering the first error.
type decoder struct {
	b   []byte
	off int
}

func (d *decoder) fail(format string, args ...any) error {
	return fmt.Errorf("%w: at byte %d: %s", ErrCorrupt, d.off, fmt.Sprintf(format, args...))
}

func (d *decoder) uvarint(what string, max uint64) (uint64, error) {
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		return 0, d.fail("bad %s varint", what)
	}
	if n != len(binary.AppendUvarint(nil, v)) {
		return 0, d.fail("non-minimal %s varint", what)
	}
	if v > max {
		return 0, d.fail("%s %d over the limit %d", what, v, max)
	}
	d.off += n
	return v, nil
}

func (d *decoder) id(what string) (objects.ID, error) {
	var id objects.ID
	if len(d.b)-d.off < objects.IDSize {
		return id, d.fail("%s runs past the end", what)
	}
	copy(id[:], d.b[d.off:])
	d.off += objects.IDSize
	return id, nil
}

func (d *decoder) left() int { return len(d.b) - d.off }

// Decode parses an index. It does not check the index's name: callers
// verify that the bytes hash to the object's name before decoding.
func Decode(b []byte) (*Index, error) {
	if len(b) < headerSize || string(b[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w: no index magic", ErrCorrupt)
	}
	if v := b[len(magic)]; v < MinVersion || v > MaxVersion {
		return nil, fmt.Errorf("%w: index format %d (reads %d..%d)", ErrFormat, v, MinVersion, MaxVersion)
	}
	d := &decoder{b: b, off: headerSize}
	np, err := d.uvarint("pack count", MaxPacks)
	if err != nil {
		return nil, err
	}
	if np > uint64(d.left()/objects.IDSize) {
		return nil, d.fail("%d packs cannot fit in %d bytes", np, d.left())
	}
	ix := &Index{Packs: make([]Pack, 0, np)}
	for range np {
		var p Pack
		if p.ID, err = d.id("pack id"); err != nil {
			return nil, err
		}
		size, err := d.uvarint("pack size", 1<<62)
		if err != nil {
			return nil, err
		}
		p.Size = int64(size)
		nb, err := d.uvarint("blob count", pack.MaxCount)
		if err != nil {
			return nil, err
		}
		if nb > uint64(d.left()/minBlobSize) {
			return nil, d.fail("%d blobs cannot fit in %d bytes", nb, d.left())
		}
		p.Blobs = make([]pack.Entry, 0, nb)
		off := int64(pack.HeaderSize)
		for range nb {
			if d.left() < 2 {
				return nil, d.fail("blob runs past the end")
			}
			e := pack.Entry{Type: d.b[d.off], Compression: d.b[d.off+1], Offset: off}
			d.off += 2
			if e.Type == 0 || e.Compression > pack.CompressionZstd {
				return nil, d.fail("blob type %d, compression %d", e.Type, e.Compression)
			}
			sl, err := d.uvarint("stored length", pack.MaxBlobSize)
			if err != nil {
				return nil, err
			}
			rl, err := d.uvarint("raw length", pack.MaxBlobSize)
			if err != nil {
				return nil, err
			}
			e.StoredLen, e.RawLen = uint32(sl), uint32(rl)
			if e.Compression == pack.CompressionNone && e.StoredLen != e.RawLen {
				return nil, d.fail("uncompressed blob with stored length %d, raw length %d", sl, rl)
			}
			if e.ID, err = d.id("blob id"); err != nil {
				return nil, err
			}
			off += int64(e.StoredLen)
			if off > p.Size {
				return nil, d.fail("pack %s: blobs run past its size %d", p.ID.Short(), p.Size)
			}
			p.Blobs = append(p.Blobs, e)
		}
		// Also for a pack of no blobs, which the loop never checks.
		if err := p.fits(off); err != nil {
			return nil, d.fail("%v", err)
		}
		ix.Packs = append(ix.Packs, p)
	}
	nf, err := d.uvarint("file-map count", MaxFileMaps)
	if err != nil {
		return nil, err
	}
	if nf*minFileMapSize != uint64(d.left()) {
		return nil, d.fail("%d file maps need %d bytes, %d left", nf, nf*minFileMapSize, d.left())
	}
	ix.FileMaps = make([]FileMap, nf)
	for i := range ix.FileMaps {
		ix.FileMaps[i].Digest, _ = d.id("digest")
		ix.FileMaps[i].Map, _ = d.id("file map id")
	}
	return ix, nil
}

// fits checks that p's size holds what its blobs say it does: the header,
// the blobs, which end at blobsEnd, and the table and footer after them.
func (p *Pack) fits(blobsEnd int64) error {
	if need := blobsEnd + int64(len(p.Blobs))*pack.EntrySize + pack.FooterSize; need > p.Size {
		return fmt.Errorf("pack %s: %d blobs ending at %d need a pack of at least %d bytes, not %d", p.ID.Short(), len(p.Blobs), blobsEnd, need, p.Size)
	}
	return nil
}
