package manifest

import (
	"context"
	"errors"

	"github.com/trove-ml/trove/objects"
)

// BlobPutter stores blobs. PutBlob stores data as a blob of type t and
// returns its id (the BLAKE3 of data); storing bytes that are already
// stored is not an error. PutBlob must not modify data; it may keep it, as
// callers in this package never reuse a slice they have passed to it.
type BlobPutter interface {
	PutBlob(ctx context.Context, t objects.BlobType, data []byte) (objects.ID, error)
}

// DirWriter builds the tree of one directory from its entries, streamed in
// name order. Memory is bounded by one node per level (at most
// [MaxNodeSize] each), whatever the number of entries.
//
// A DirWriter is not safe for concurrent use. It keeps the context given
// to [NewDirWriter] for the blob writes that Add and Finish make; it lives
// for one directory, like an exec.Cmd lives for one command. Once a call
// has failed, every later call returns the same error.
type DirWriter struct {
	nb      *nodeBuilder
	scratch []byte // encoding of the entry being added

	prev  string // name of the last entry added
	added int64  // entries added
	size  int64  // sum of entry sizes
	files int64  // sum of file counts
}

// treeSpec returns how directory nodes are built (ARCHITECTURE.md, "Trees").
func treeSpec() *nodeSpec {
	return &nodeSpec{
		what:      "tree",
		blobType:  objects.TypeTree,
		minItems:  MinLeafEntries,
		maxItems:  MaxNodeEntries,
		maxBytes:  MaxNodeSize,
		maxHeight: MaxIndexHeight,
		header:    func(b []byte, index bool, count int) []byte { return appendNodeHeader(b, index, count) },
		headerSize: func(count int) int {
			return nodeHeaderSize + uvarintLen(uint64(count))
		},
		parentItem: func(b []byte, n *nodeInfo, id objects.ID) []byte {
			return appendChild(b, &Child{First: n.first, ID: id, Count: n.count, Size: n.size})
		},
		// An index item may end an index node when its first name would have
		// ended a leaf: cuts then depend on names only, not on contents.
		parentBoundary: func(n *nodeInfo, _ objects.ID) bool { return n.firstBoundary },
	}
}

// NewDirWriter returns a DirWriter that stores the directory's nodes
// through p, as blobs of type [objects.TypeTree].
func NewDirWriter(ctx context.Context, p BlobPutter) *DirWriter {
	return newDirWriter(ctx, p, treeSpec())
}

// newDirWriter lets tests build with small nodes.
func newDirWriter(ctx context.Context, p BlobPutter, spec *nodeSpec) *DirWriter {
	return &DirWriter{nb: newNodeBuilder(ctx, p, spec)}
}

// errFinished is returned for calls after Finish.
var errFinished = errors.New("manifest: writer used after Finish")

// Add appends e to the directory. Entries must arrive in strictly
// increasing bytewise order of Name; an entry out of order, a duplicate
// name or an entry that breaks the rules on [Entry] is an error wrapping
// [ErrInvalid] (and the writer stays failed). A symlink's Digest may be
// left zero: Add fills in the BLAKE3 of its Target. Add may store nodes.
func (w *DirWriter) Add(e Entry) error {
	nb := w.nb
	if nb.err != nil {
		return nb.err
	}
	if nb.done {
		return errFinished
	}
	if e.Kind == KindSymlink && e.Digest.IsZero() {
		e.Digest = objects.Sum([]byte(e.Target))
	}
	if p := entryProblem(&e); p != "" {
		nb.err = invalidf("entry %q: %s", e.Name, p)
		return nb.err
	}
	if w.added > 0 {
		switch {
		case e.Name == w.prev:
			nb.err = invalidf("duplicate entry %q", e.Name)
			return nb.err
		case e.Name < w.prev:
			nb.err = invalidf("entry %q added after %q: entries must arrive in bytewise name order", e.Name, w.prev)
			return nb.err
		}
	}
	var ok bool
	if w.size, ok = addSize(w.size, e.Size); !ok {
		nb.err = invalidf("entry %q: directory size overflows int64", e.Name)
		return nb.err
	}
	if w.files, ok = addSize(w.files, e.fileCount()); !ok {
		nb.err = invalidf("entry %q: directory file count overflows int64", e.Name)
		return nb.err
	}
	w.prev = e.Name
	w.added++
	w.scratch = appendEntry(w.scratch[:0], &e)
	return nb.add(0, w.scratch, levelItem{boundary: nameBoundary(e.Name), first: e.Name, count: 1, size: e.Size})
}

// nameBoundary reports whether name ends a node: the low 9 bits of its
// BLAKE3 (the first two digest bytes read little-endian) are zero.
func nameBoundary(name string) bool {
	h := objects.Sum([]byte(name))
	return (uint16(h[0])|uint16(h[1])<<8)&splitMask == 0
}

// Reset makes w ready to build another directory, keeping its buffers and
// its context: a walk can keep one DirWriter per depth instead of growing
// new buffers for every directory. Reset also clears a failure.
func (w *DirWriter) Reset() {
	nb := w.nb
	for _, l := range nb.levels {
		l.buf, l.items, l.split, l.emitted = l.buf[:0], l.items[:0], false, false
	}
	nb.levels = nb.levels[:1]
	nb.err, nb.done = nil, false
	w.prev, w.added, w.size, w.files = "", 0, 0, 0
}

// Finish stores the remaining nodes and returns the directory's tree id,
// the sum of the sizes of its entries (a subdirectory counts with its
// subtree size) and the number of non-directory entries in the subtree.
// A directory with no entries is one empty leaf; one whose entries fit a
// single node is exactly that leaf.
func (w *DirWriter) Finish() (id objects.ID, size int64, files int64, err error) {
	nb := w.nb
	if nb.err != nil {
		return objects.ID{}, 0, 0, nb.err
	}
	if nb.done {
		return objects.ID{}, 0, 0, errFinished
	}
	nb.done = true
	if id, err = nb.finish(); err != nil {
		return objects.ID{}, 0, 0, err
	}
	return id, w.size, w.files, nil
}
