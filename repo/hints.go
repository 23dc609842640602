package repo

import (
	"context"
	"errors"
	"iter"
	"slices"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// cutHints feeds [objects.Chunker.CutHinted] the chunk boundaries of the
// content a big file replaces: what the stat cache last recorded at its
// path, by a commit or a pull. A file overwritten in place (a checkpoint
// whose layout stays and whose tensors change, a disk image) then stores,
// after each changed region, only the chunks until the next old boundary,
// not those until its own boundaries happen to fall back into step: on
// the benchmark's ten 1 MiB overwrites of a 1 GiB file, 11.31 MB of chunks
// instead of 11.45 MB.
//
// The old boundaries are followed through a shift too. Content after an
// insertion or a deletion falls back in step with the old chunks by
// itself, shifted; once a chunk as long as an old one ends where that one
// ends, shifted by at most shiftReach, the hints are shifted likewise, so
// that the boundaries the old content took from its own hints (after its
// own edits) are kept. Hints are given only within hintReach of the last
// chunk start found in step: where the chunks and the old ones lost each
// other for longer (a long rewrite, a shift too large to follow), a hint
// would save at most a chunk, while an old boundary that passed the
// chunker's hash check by chance (one in 2^15 for the default chunker)
// would cut a chunk out of a run in step and cost one or two.
//
// The boundaries stream from the old file map as the chunker moves on, so
// memory does not grow with the file. Hints never cost correctness: any
// failure to read them (the old content collected, a damaged map) ends
// them, and the file is chunked as if it were new.
type cutHints struct {
	next func() (int64, bool)
	stop func()
	done bool
	// old holds the old boundaries (chunk ends, and 0) from about
	// shiftReach before the current chunk start to shiftReach past its
	// window, in old offsets, ascending.
	old    []int64
	shift  int64 // new offset minus old offset of the content in step
	inStep int64 // the last chunk start found in step, or 0
	prev   int64 // the previous chunk start, or -1
	rel    []int // window's result, reused
}

const (
	// hintReach is how far past the last chunk start found in step hints
	// are given.
	hintReach = 16 << 20
	// shiftReach is the largest insertion or deletion after which the
	// hints find their place again.
	shiftReach = 4 << 20
)

// errStopHints ends the read of a file map when the file has been chunked.
var errStopHints = errors.New("repo: hints no longer wanted")

// hintsFor returns the boundaries of the content recorded in the stat cache
// entry cached, or nil if it has none: no entry, or content of one chunk,
// or content the store no longer holds.
func (c *committer) hintsFor(ctx context.Context, cached []byte) *cutHints {
	if cached == nil {
		return nil
	}
	_, _, prev, _, err := decodeStatEntry(cached)
	if err != nil {
		return nil
	}
	mapID, ok, err := c.r.store.FileMap(prev)
	if err != nil || !ok {
		return nil
	}
	ends := func(yield func(int64) bool) {
		_ = manifest.ReadFileMap(ctx, c.blobs, mapID, func(off int64, _ objects.ID, n uint32) error {
			if !yield(off + int64(n)) {
				return errStopHints
			}
			return nil
		})
	}
	return newCutHints(iter.Pull(ends))
}

// newCutHints returns hints that pull old chunk ends, ascending, from next;
// stop ends the pulling.
func newCutHints(next func() (int64, bool), stop func()) *cutHints {
	return &cutHints{next: next, stop: stop, old: []int64{0}, prev: -1}
}

// window returns the old boundaries in (off, off+span], shifted and
// relative to off, for the chunk that starts at file offset off, or none
// if the chunks are out of step for longer than hintReach. Offsets must
// not decrease from one call to the next. The slice is valid until the next
// call. A nil *cutHints has none.
func (h *cutHints) window(off int64, span int) []int {
	if h == nil {
		return nil
	}
	h.read(off-h.shift+int64(span)+shiftReach, off-h.shift-shiftReach)
	switch {
	case h.isOld(off - h.shift):
		h.inStep = off
	case h.prev >= 0:
		if b, ok := h.sameChunk(off-h.prev, off-h.shift); ok {
			h.shift, h.inStep = off-b, off
			h.read(off-h.shift+int64(span)+shiftReach, off-h.shift-shiftReach)
		}
	}
	h.prev = off
	if off-h.inStep > hintReach {
		return nil
	}
	h.rel = h.rel[:0]
	from := off - h.shift
	i, at := slices.BinarySearch(h.old, from)
	if at {
		i++
	}
	for _, b := range h.old[i:] {
		if b > from+int64(span) {
			break
		}
		h.rel = append(h.rel, int(b-from))
	}
	return h.rel
}

// read reads old boundaries until one lies beyond hi, and forgets those
// before lo but the last.
func (h *cutHints) read(hi, lo int64) {
	for !h.done && h.old[len(h.old)-1] <= hi {
		end, ok := h.next()
		if !ok {
			h.done = true
			break
		}
		h.old = append(h.old, end)
	}
	n := 0
	for n+1 < len(h.old) && h.old[n+1] < lo {
		n++
	}
	h.old = h.old[n:]
}

// isOld reports whether x is an old boundary.
func (h *cutHints) isOld(x int64) bool {
	_, ok := slices.BinarySearch(h.old, x)
	return ok
}

// sameChunk looks among the old boundaries read for an old chunk of length
// n, the length of the chunk that has just ended, and returns the end of
// the one nearest to near.
func (h *cutHints) sameChunk(n, near int64) (int64, bool) {
	best, found := int64(0), false
	for i := 1; i < len(h.old); i++ {
		b := h.old[i]
		if b-h.old[i-1] == n && (!found || abs(b-near) < abs(best-near)) {
			best, found = b, true
		}
	}
	return best, found
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// close releases the file map read; a nil *cutHints is fine.
func (h *cutHints) close() {
	if h != nil {
		h.stop()
	}
}
