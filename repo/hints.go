package repo

import (
	"context"
	"errors"
	"iter"

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
// The boundaries stream from the old file map as the chunker moves on, so
// memory does not grow with the file. Hints only ever save bytes: any
// failure to read them (the old content collected, a damaged map) ends
// them, and the file is chunked as if it were new.
type cutHints struct {
	next  func() (int64, bool)
	stop  func()
	ahead []int64 // boundaries read but not yet passed, ascending
	rel   []int   // window's result, reused
	done  bool
}

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
	next, stop := iter.Pull(ends)
	return &cutHints{next: next, stop: stop}
}

// window returns the boundaries in (off, off+span], relative to off, for
// the chunk that starts at file offset off. Offsets must not decrease from
// one call to the next. The slice is valid until the next call. A nil
// *cutHints has none.
func (h *cutHints) window(off int64, span int) []int {
	if h == nil {
		return nil
	}
	passed := 0
	for passed < len(h.ahead) && h.ahead[passed] <= off {
		passed++
	}
	h.ahead = append(h.ahead[:0], h.ahead[passed:]...)
	limit := off + int64(span)
	for !h.done && (len(h.ahead) == 0 || h.ahead[len(h.ahead)-1] <= limit) {
		end, ok := h.next()
		if !ok {
			h.done = true
			break
		}
		if end > off {
			h.ahead = append(h.ahead, end)
		}
	}
	h.rel = h.rel[:0]
	for _, end := range h.ahead {
		if end > limit {
			break
		}
		h.rel = append(h.rel, int(end-off))
	}
	return h.rel
}

// close releases the file map read; a nil *cutHints is fine.
func (h *cutHints) close() {
	if h != nil {
		h.stop()
	}
}
