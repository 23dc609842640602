package objects

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"

	"github.com/zeebo/blake3"
)

// Chunker limits. They bound what [ChunkerParams.Validate] accepts, so that a
// hostile or mistyped config cannot make chunks too small to index or too
// large to hold in memory.
const (
	// MinChunkMin is the smallest allowed ChunkerParams.Min: the gear hash
	// sees the last 64 bytes, so shorter chunks would not be content-defined.
	MinChunkMin = 64
	// MinChunkAvg and MaxChunkAvg bound ChunkerParams.Avg.
	MinChunkAvg = 256
	MaxChunkAvg = 8 << 20
	// MaxChunkSize is the largest allowed ChunkerParams.Max and the largest
	// chunk [Writer.PutChunk] accepts (16 MiB).
	MaxChunkSize = 16 << 20
)

// gearLabel keys the derivation of gear tables from a seed. Changing it
// changes every chunk boundary: it is part of the "gear64" format.
const gearLabel = "trove gear64 table v1"

// Chunker algorithms: how a [Chunker] places boundaries. They are recorded
// with the other parameters in a repository's config and never change for
// it; the names are persisted and never reused.
const (
	// ChunkerGear64 is the gear hash with normalisation level 2 and the
	// normal point at Avg: from Min to Avg a boundary needs log2(Avg)+2
	// zero bits, after Avg log2(Avg)-2. Its mean chunk is about 1.2 × Avg
	// (73 KiB measured at 16/64/256 KiB), and an edit rewrites about two mean
	// chunks beyond the bytes it changed. Repositories made before
	// ChunkerGear64NC1 existed use it; the empty name means it too.
	ChunkerGear64 = "gear64"
	// ChunkerGear64NC1 is the same hash with normalisation level 1 and the
	// normal point halfway between Min and Avg: before it a boundary needs
	// log2(Avg)+1 zero bits, after it log2(Avg)-1. There the mean chunk
	// comes out at about Avg (64.0–64.4 KiB measured at 16/64/256 KiB),
	// and the milder normalisation lets boundaries after an edit fall back
	// into step sooner: an edit rewrites about 1.5 mean chunks beyond its
	// bytes, against 2 for ChunkerGear64 (150 random 1 MiB overwrites).
	// Repositories made before ChunkerGear64NC0 existed use it.
	ChunkerGear64NC1 = "gear64nc1"
	// ChunkerGear64NC0 is the same hash without normalisation: from Min on,
	// a boundary needs log2(Avg)-1 zero bits, so the mean chunk is about
	// Min + Avg/2, Avg itself with the default Min of Avg/2 (64.1 KiB
	// measured at 32/64/256 KiB). A long minimum with no normalisation
	// narrows lengths as much as ChunkerGear64NC1 does (both cost about
	// 1.5 mean chunks per 1 MiB overwrite: 95.0 and 96.3 KiB over 1,500
	// random ones) while the hash skips half of every chunk instead of a
	// quarter: chunking runs at 3.6 GB/s instead of 2.2. It is the default
	// for new repositories.
	ChunkerGear64NC0 = "gear64nc0"
)

// ChunkerParams are a repository's chunking parameters, fixed by `trove init`
// (ARCHITECTURE.md, "Chunking"). Equal parameters split equal bytes at equal
// points ([Chunker.CutHinted] aside); different parameters defeat
// deduplication but never correctness.
type ChunkerParams struct {
	Algorithm string // ChunkerGear64 (or ""), ChunkerGear64NC1 or ChunkerGear64NC0
	Min       int    // no chunk is shorter but a stream's last (and see CutHinted)
	Avg       int    // target average chunk length; a power of two
	Max       int    // no chunk is longer
	Seed      uint64 // selects the gear table; 0 for the published default
}

// DefaultChunkerParams returns the parameters of new repositories:
// ChunkerGear64NC0, 32 KiB / 64 KiB / 256 KiB, seed 0.
func DefaultChunkerParams() ChunkerParams {
	return ChunkerParams{Algorithm: ChunkerGear64NC0, Min: 32 << 10, Avg: 64 << 10, Max: 256 << 10}
}

// masks returns how many zero bits p's algorithm asks of a boundary before
// and after the normal point, and that point's offset from a chunk's
// start; ok is false for an unknown algorithm.
func (p ChunkerParams) masks() (bitsS, bitsL, normal int, ok bool) {
	b := bits.Len(uint(p.Avg)) - 1 // log2(Avg)
	switch p.Algorithm {
	case ChunkerGear64, "":
		return b + 2, b - 2, p.Avg, true
	case ChunkerGear64NC1:
		return b + 1, b - 1, p.Min + (p.Avg-p.Min)/2, true
	case ChunkerGear64NC0:
		return b - 1, b - 1, p.Min, true
	}
	return 0, 0, 0, false
}

// Validate reports whether p is usable: a known algorithm, Avg a power of two between
// [MinChunkAvg] and [MaxChunkAvg], Min at least [MinChunkMin], Max at most
// [MaxChunkSize], and Min < Avg < Max.
func (p ChunkerParams) Validate() error {
	var errs []error
	if _, _, _, ok := p.masks(); !ok {
		errs = append(errs, fmt.Errorf("unknown algorithm %q (this trove knows %s, %s and %s)", p.Algorithm, ChunkerGear64, ChunkerGear64NC1, ChunkerGear64NC0))
	}
	if p.Avg < MinChunkAvg || p.Avg > MaxChunkAvg || p.Avg&(p.Avg-1) != 0 {
		errs = append(errs, fmt.Errorf("avg %d: want a power of two from %d to %d", p.Avg, MinChunkAvg, MaxChunkAvg))
	}
	if p.Min < MinChunkMin {
		errs = append(errs, fmt.Errorf("min %d: want at least %d", p.Min, MinChunkMin))
	}
	if p.Max > MaxChunkSize {
		errs = append(errs, fmt.Errorf("max %d: want at most %d", p.Max, MaxChunkSize))
	}
	if p.Min >= p.Avg || p.Avg >= p.Max {
		errs = append(errs, fmt.Errorf("want min < avg < max, have %d, %d, %d", p.Min, p.Avg, p.Max))
	}
	if len(errs) > 0 {
		return fmt.Errorf("objects: chunker params: %w", errors.Join(errs...))
	}
	return nil
}

// clamp returns the valid parameters nearest to p, equal to p if it is valid.
func (p ChunkerParams) clamp() ChunkerParams {
	if p.Validate() == nil {
		return p
	}
	q := p
	if _, _, _, ok := q.masks(); !ok {
		q.Algorithm = ChunkerGear64NC0
	}
	q.Avg = min(max(q.Avg, MinChunkAvg), MaxChunkAvg)
	q.Avg = 1 << (bits.Len(uint(q.Avg)) - 1) // round down to a power of two
	q.Min = min(max(q.Min, MinChunkMin), q.Avg-1)
	q.Max = min(max(q.Max, q.Avg+1), MaxChunkSize)
	return q
}

// A Chunker finds content-defined chunk boundaries with FastCDC's gear hash
// (Xia et al., USENIX ATC 2016): the hash is computed from Min on, and a
// position is a boundary when enough of its bits are zero. With normalised
// chunking ([ChunkerGear64], [ChunkerGear64NC1]) more bits are asked
// before a normal point than after it, which pulls lengths towards that
// point; [ChunkerGear64NC0] asks the same everywhere and relies on a long
// Min instead. The hash depends on the last 64 bytes only, so an edit
// moves the boundaries near it and no others.
//
// A Chunker is immutable after NewChunker and safe for concurrent use.
type Chunker struct {
	p            ChunkerParams
	normal       int    // offset from a chunk's start where maskL takes over
	hintMin      int    // the shortest chunk CutHinted ends at a hint
	maskS, maskL uint64 // boundary masks before and after normal (top bits)
	gear         [256]uint64
}

// NewChunker returns a Chunker for p. Check p with [ChunkerParams.Validate]
// first: NewChunker does not fail, it replaces invalid parameters by the
// nearest valid ones (so Cut always terminates), which split data
// differently from what was asked.
func NewChunker(p ChunkerParams) *Chunker {
	p = p.clamp()
	bitsS, bitsL, normal, _ := p.masks()
	c := &Chunker{p: p, normal: normal, hintMin: max(MinChunkMin, p.Min/4)}
	c.maskS = ^uint64(0) << (64 - bitsS)
	c.maskL = ^uint64(0) << (64 - bitsL)

	// The gear table is BLAKE3-XOF(label || seed LE), 8 bytes LE per entry.
	h := blake3.New()
	var seed [8]byte
	binary.LittleEndian.PutUint64(seed[:], p.Seed)
	_, _ = h.WriteString(gearLabel) // a hash.Hash never fails to write
	_, _ = h.Write(seed[:])
	var table [256 * 8]byte
	_, _ = io.ReadFull(h.Digest(), table[:]) // the XOF never runs out
	for i := range c.gear {
		c.gear[i] = binary.LittleEndian.Uint64(table[8*i:])
	}
	return c
}

// Params returns the parameters c chunks with (after clamping).
func (c *Chunker) Params() ChunkerParams { return c.p }

// Cut returns the length of the chunk that starts at data[0]. It returns 0
// when it needs more data: len(data) < Max, no boundary was found and eof is
// false; the caller then calls again with the same start and more bytes.
// With eof true the rest of the data is the last chunk, so Cut returns
// len(data) when no boundary is found (and 0 only for empty data). A chunk is
// never longer than Max, nor shorter than Min unless it ends the data.
//
// Cut does not keep or modify data, so callers can chunk their own read
// buffers in place.
func (c *Chunker) Cut(data []byte, eof bool) int {
	n := len(data)
	if n <= c.p.Min {
		if eof {
			return n
		}
		return 0
	}
	end := min(n, c.p.Max)
	normal := min(end, c.normal)
	cut, h := c.scan(data, c.p.Min, normal, 0, c.maskS)
	if cut == 0 {
		cut, _ = c.scan(data, normal, end, h, c.maskL)
	}
	if cut > 0 {
		return cut
	}
	if end == c.p.Max || eof {
		return end
	}
	return 0
}

// CutHinted is Cut for data that replaces an earlier version of itself,
// such as a file overwritten in place: hints are the positions, relative to
// data[0] and ascending, where that version's chunks ended. The chunk also
// ends at the first hint before Cut's boundary that is at least Min/4 into
// it and whose last 64 bytes alone make a boundary (for every algorithm,
// the mask after the normal point, which every boundary that hashed a full
// window passed). Hints past len(data) are ignored until data reaches
// them.
//
// Without hints, boundaries after an edit fall back into step with the old
// ones only when a boundary both versions reach from different chunk starts
// is more than Min past each. A hint puts them back in step at the first
// old boundary whose bytes the edit left alone. With [ChunkerGear64NC0], a
// 1 MiB overwrite stores 1.22 mean chunks beyond its bytes instead of 1.33
// (1,500 random ones). Before the edit the hints change nothing, since the
// chunks there end where the old ones did. Hints at the old offsets after
// a shift (an insertion) no longer sit on boundaries, and the hash check
// ignores them; a caller that knows the shift passes them shifted.
//
// The price is that equal bytes may be cut differently when they replace
// different earlier versions, near where those versions differed: at worst
// a chunk or two that another copy of the file does not share. Ids still
// name bytes, so nothing is ever read wrong.
func (c *Chunker) CutHinted(data []byte, eof bool, hints []int) int {
	n := c.Cut(data, eof)
	limit := n // a hint must come before Cut's boundary
	if n == 0 {
		limit = len(data) + 1 // Cut's boundary lies beyond data
	}
	for _, p := range hints {
		if p >= limit {
			break
		}
		if p >= c.hintMin && p <= len(data) && c.boundaryAt(data[p-64:p]) {
			return p
		}
	}
	return n
}

// boundaryAt reports whether the gear hash of window, 64 bytes, has the
// bits of maskL zero: whether its last position is a boundary once a chunk
// is past the normal point.
func (c *Chunker) boundaryAt(window []byte) bool {
	var h uint64
	for _, b := range window[:64] {
		h = h<<1 + c.gear[b]
	}
	return h&c.maskL == 0
}

// scan goes on with the gear hash h over data[i:stop] and returns the
// length of the chunk that ends at the first position whose hash has all
// the bits of mask zero, or 0 and the hash at stop if none does.
//
// One step is h = h<<1 + gear[b], two steps h<<2 + (gear[a]<<1 + gear[b]):
// the term in parentheses does not depend on h, so the chain of dependent
// operations is one shift-add per two bytes instead of two per byte, and
// the hash between them is computed and checked beside the chain. This
// doubles the speed on a CPU that can load the bytes and table entries
// meanwhile; the cut points are exactly those of the plain loop (a test
// compares them).
func (c *Chunker) scan(data []byte, i, stop int, h, mask uint64) (int, uint64) {
	gear := &c.gear
	data = data[:stop]
	for ; i+4 <= stop; i += 4 {
		w := data[i : i+4 : i+4]
		g0, g1, g2, g3 := gear[w[0]], gear[w[1]], gear[w[2]], gear[w[3]]
		h1 := h<<1 + g0
		h2 := h<<2 + (g0<<1 + g1)
		h3 := h2<<1 + g2
		h4 := h2<<2 + (g2<<1 + g3)
		switch {
		case h1&mask == 0:
			return i + 1, h1
		case h2&mask == 0:
			return i + 2, h2
		case h3&mask == 0:
			return i + 3, h3
		case h4&mask == 0:
			return i + 4, h4
		}
		h = h4
	}
	for ; i < stop; i++ {
		h = h<<1 + gear[data[i]]
		if h&mask == 0 {
			return i + 1, h
		}
	}
	return 0, h
}

// chunkReaderBuffer is how many Max-length chunks a ChunkReader buffers:
// more means fewer copies of the tail to the front of the buffer.
const chunkReaderBuffer = 4

// maxEmptyReads is how many (0, nil) reads in a row a ChunkReader accepts
// before it fails with io.ErrNoProgress (bufio uses 100 too).
const maxEmptyReads = 100

// Reader returns a ChunkReader that splits the bytes of r into chunks.
func (c *Chunker) Reader(r io.Reader) *ChunkReader {
	return &ChunkReader{c: c, r: r}
}

// A ChunkReader splits a stream into chunks. It buffers 4 × Max bytes
// (1 MiB with the default parameters). It is not safe for concurrent use.
type ChunkReader struct {
	c          *Chunker
	r          io.Reader
	buf        []byte
	start, end int // unread chunk bytes are buf[start:end]
	eof        bool
	err        error // sticky read error
}

// Next returns the next chunk. The slice is valid until the next call of
// Next. At the end of the stream Next returns io.EOF. A read error from the
// underlying reader is returned as soon as it happens (the chunks it would
// have completed are not returned) and again on every later call.
func (cr *ChunkReader) Next() ([]byte, error) {
	if cr.err != nil {
		return nil, cr.err
	}
	if cr.buf == nil {
		cr.buf = make([]byte, chunkReaderBuffer*cr.c.p.Max)
	}
	if cr.end-cr.start < cr.c.p.Max && !cr.eof {
		if err := cr.fill(); err != nil {
			cr.err = err
			return nil, err
		}
	}
	n := cr.c.Cut(cr.buf[cr.start:cr.end], cr.eof)
	if n == 0 {
		// Only possible at the end: fill stops early only at EOF.
		cr.err = io.EOF
		return nil, io.EOF
	}
	chunk := cr.buf[cr.start : cr.start+n : cr.start+n]
	cr.start += n
	return chunk, nil
}

// fill moves the unread bytes to the front of the buffer and reads until the
// buffer is full or the stream ends.
func (cr *ChunkReader) fill() error {
	cr.end = copy(cr.buf, cr.buf[cr.start:cr.end])
	cr.start = 0
	for empty := 0; cr.end < len(cr.buf); {
		k, err := cr.r.Read(cr.buf[cr.end:])
		cr.end += k
		if k == 0 && err == nil {
			// Guard against a reader that never makes progress, as
			// bufio does.
			if empty++; empty >= maxEmptyReads {
				return fmt.Errorf("objects: chunk reader: %w", io.ErrNoProgress)
			}
			continue
		}
		empty = 0
		if err == io.EOF {
			cr.eof = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("objects: chunk reader: %w", err)
		}
	}
	return nil
}
