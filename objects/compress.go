package objects

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/zstd"
)

// Compression values, persisted in packs and the index; never renumber them.
const (
	compressionNone = 0
	compressionZstd = 1
)

// compressWindow is the zstd window of blob compression (see newCodec).
const compressWindow = 256 << 10

// compressGiveUp is how many of a file's first chunks must fail to compress
// before its CompressHint stops trying: enough to see past a small
// compressible header (a safetensors JSON preamble, a tar header), few
// enough that incompressible files pay for at most 4 attempts.
const compressGiveUp = 4

// A Hint advises whether a chunk is worth compressing, and learns from
// each attempt. PutChunk takes one of the two kinds below, or nil to try
// every chunk.
type Hint interface {
	worthTrying() bool
	record(saved bool)
}

// A CompressHint carries what the chunks of one file taught about
// compressing it: once its first chunks do not compress, the rest are not
// tried. Use one per file, passed by pointer to every PutChunk of that
// file's chunks. The zero value is ready to use and it is safe for
// concurrent use; do not copy it after first use.
type CompressHint struct {
	misses atomic.Int32 // attempts that did not save enough, while hits is false
	hits   atomic.Bool  // some chunk of the file compressed: keep trying
}

// worthTrying reports whether compressing the next chunk is worth the CPU.
func (h *CompressHint) worthTrying() bool {
	return h == nil || h.hits.Load() || h.misses.Load() < compressGiveUp
}

func (h *CompressHint) record(saved bool) {
	if h == nil {
		return
	}
	if saved {
		h.hits.Store(true)
	} else {
		h.misses.Add(1)
	}
}

// kindGiveUp is how many files of one kind in a row must fail to compress
// before a KindHint samples; kindSample is how often it then tries: one
// file in 16, so a folder of 10,000 JPEGs pays for about 630 attempts
// instead of 10,000, and a compressible file among them is found within
// about 16 more of its kind.
const (
	kindGiveUp = 8
	kindSample = 16
)

// A KindHint carries what the files of one kind taught about compressing
// them, for files of one chunk each, which a CompressHint cannot help: one
// per file name extension in a commit, say. Once kindGiveUp files in a row
// did not compress, only one in kindSample is tried; one that compresses
// makes every file of the kind tried again. A compressible file skipped
// meanwhile is stored as it is, which costs space, never correctness. The
// zero value is ready to use and it is safe for concurrent use; do not
// copy it after first use.
type KindHint struct {
	misses  atomic.Int32  // files in a row that did not compress, up to kindGiveUp
	skipped atomic.Uint32 // files asked about since misses reached kindGiveUp
}

func (h *KindHint) worthTrying() bool {
	if h == nil || h.misses.Load() < kindGiveUp {
		return true
	}
	return h.skipped.Add(1)%kindSample == 0
}

func (h *KindHint) record(saved bool) {
	switch {
	case h == nil:
	case saved:
		h.misses.Store(0)
	case h.misses.Load() < kindGiveUp:
		h.misses.Add(1)
	}
}

// codec compresses and decompresses blobs with zstd. Its encoder and
// decoder each pool GOMAXPROCS instances, created on first use, so calls
// allocate no codec state and run on the caller's goroutine.
type codec struct {
	enc  *zstd.Encoder
	dec  *zstd.Decoder
	bufs sync.Pool // of *[]byte: compression output and compressed reads
}

func newCodec() *codec {
	n := runtime.GOMAXPROCS(0)
	// NewWriter and NewReader fail only on invalid options, which these
	// are not.
	enc, _ := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderConcurrency(n),
		zstd.WithLowerEncoderMem(true),
		// A blob is compressed alone, so matches never reach further back
		// than its start: a window of the default chunker's largest chunk
		// loses nothing there, and it sizes each encoder's history at
		// 384 KiB instead of the default window's 8 MiB (a commit of one
		// large file held two of those, in a CLI that aims at 64 MiB).
		zstd.WithWindowSize(compressWindow),
		// Blobs are verified by BLAKE3 on read; a frame checksum would
		// cost 4 bytes and time for nothing.
		zstd.WithEncoderCRC(false),
	)
	dec, _ := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(n),
		zstd.WithDecoderLowmem(true),
		// Never write past the capacity the caller sized from the raw
		// length in the index: a hostile frame cannot inflate memory.
		zstd.WithDecodeAllCapLimit(true),
	)
	return &codec{enc: enc, dec: dec}
}

func (c *codec) close() {
	_ = c.enc.Close() // EncodeAll-only encoders have nothing to flush
	c.dec.Close()
}

// getBuf returns a pooled buffer with capacity at least n.
func (c *codec) getBuf(n int) *[]byte {
	if p, ok := c.bufs.Get().(*[]byte); ok && cap(*p) >= n {
		return p
	}
	b := make([]byte, 0, n)
	return &b
}

func (c *codec) putBuf(p *[]byte) { c.bufs.Put(p) }

// compress returns how to store data: the zstd encoding when it saves at
// least 1/16 of the size, else data itself. When it returns a pooled
// buffer, release puts it back; call release once the stored bytes are no
// longer needed.
func (c *codec) compress(data []byte, hint Hint) (stored []byte, comp uint8, release func()) {
	noop := func() {}
	if len(data) < 64 || (hint != nil && !hint.worthTrying()) {
		return data, compressionNone, noop
	}
	limit := len(data) - len(data)/16
	buf := c.getBuf(len(data) + len(data)/64 + 64)
	out := c.enc.EncodeAll(data, (*buf)[:0])
	if cap(out) > cap(*buf) {
		*buf = out[:0] // keep the grown buffer in the pool
	}
	saved := len(out) <= limit
	if hint != nil {
		hint.record(saved)
	}
	if !saved {
		c.putBuf(buf)
		return data, compressionNone, noop
	}
	return out, compressionZstd, func() { c.putBuf(buf) }
}
