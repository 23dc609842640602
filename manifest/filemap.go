package manifest

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/trove-ml/trove/objects"
)

// File map format (blob type 3). See doc.go for the byte layout.
const (
	// FileMapFormat is the file map format this package writes and the
	// highest it reads.
	FileMapFormat = 1
	// MinFileMapFormat is the lowest file map format this package reads.
	MinFileMapFormat = 1

	// MaxFileMapEntries is the most chunks (leaf) or children (index) one
	// file map node holds: about 512 MiB of content at the average chunk
	// size (ARCHITECTURE.md, "File maps").
	MaxFileMapEntries = 8192
	// MinFileMapEntries is how many items a file map node holds before a
	// content-defined split may end it.
	MinFileMapEntries = 256
	// fileMapSplitMask selects the low 10 bits of an item's id (its first
	// two bytes read little-endian): in a map too large for one node, a
	// node ends after an item whose bits are all zero, so nodes average
	// about 1,280 items (≈ 80 MiB of content), and an edit in the middle
	// of a large file rewrites one leaf of the map, not every leaf after it.
	fileMapSplitMask = 1<<10 - 1

	// MaxFileMapHeight bounds the index levels of a file map. Every node
	// but the last of a level holds at least MinFileMapEntries items, so 6
	// levels cover 256^7 chunks, far beyond any file.
	MaxFileMapHeight = 6
)

const fileMapMagic = "TFM"

// minFileMapItemSize is the smallest encoded item: a one-byte varint and an id.
const minFileMapItemSize = 1 + objects.IDSize

// FileMapNode is one decoded file map node. Most callers use
// [ReadFileMap] or [FileMapRange]; FileMapNode is exported for fsck, GC
// and tests.
type FileMapNode struct {
	// Index says the items are child nodes; otherwise they are chunks.
	Index bool
	Items []FileMapItem
}

// FileMapItem is one item of a file map node: a chunk and its raw length
// (leaf), or a child node and the number of content bytes below it (index).
type FileMapItem struct {
	ID  objects.ID
	Len int64
}

// EncodeFileMapNode returns the canonical encoding of n. It fails with an
// error wrapping [ErrInvalid] if n breaks a rule the decoder enforces.
func EncodeFileMapNode(n *FileMapNode) ([]byte, error) {
	if len(n.Items) > MaxFileMapEntries {
		return nil, invalidf("file map node: %d items (the limit is %d)", len(n.Items), MaxFileMapEntries)
	}
	if n.Index && len(n.Items) == 0 {
		return nil, invalidf("file map node: index node without children")
	}
	var total int64
	for i, it := range n.Items {
		if p := fileMapItemProblem(n.Index, it); p != "" {
			return nil, invalidf("file map node: item %d: %s", i, p)
		}
		var ok bool
		if total, ok = addSize(total, it.Len); !ok {
			return nil, invalidf("file map node: length overflows int64")
		}
	}
	b := appendFileMapHeader(nil, n.Index, len(n.Items))
	for _, it := range n.Items {
		b = appendFileMapItem(b, it)
	}
	return b, nil
}

func appendFileMapHeader(b []byte, index bool, count int) []byte {
	b = append(b, fileMapMagic...)
	b = append(b, FileMapFormat)
	if index {
		b = append(b, nodeIndex)
	} else {
		b = append(b, nodeLeaf)
	}
	return binary.AppendUvarint(b, uint64(count))
}

func fileMapItemProblem(index bool, it FileMapItem) string {
	switch {
	case it.ID.IsZero():
		return "zero id"
	case it.Len < 1:
		return fmt.Sprintf("length %d (want at least 1)", it.Len)
	case !index && it.Len > math.MaxUint32:
		return fmt.Sprintf("chunk length %d exceeds %d", it.Len, uint32(math.MaxUint32))
	}
	return ""
}

// DecodeFileMapNode decodes a file map node. It accepts exactly the
// encodings [EncodeFileMapNode] produces; anything else is an error
// wrapping [ErrCorrupt], and a format version outside
// [MinFileMapFormat]..[FileMapFormat] wraps [ErrUnsupportedFormat].
func DecodeFileMapNode(b []byte) (*FileMapNode, error) {
	n, _, err := decodeFileMapNode(b, "file map node")
	return n, err
}

// decodeFileMapNode decodes b and returns the node's total length; what
// names the node in error messages.
func decodeFileMapNode(b []byte, what string) (*FileMapNode, int64, error) {
	hdr := len(fileMapMagic) + 2
	if len(b) < hdr || string(b[:len(fileMapMagic)]) != fileMapMagic {
		return nil, 0, corruptf("%s: bad magic (not a file map node)", what)
	}
	if v := b[len(fileMapMagic)]; v < MinFileMapFormat || v > FileMapFormat {
		return nil, 0, fmt.Errorf("%w: %s: format %d (reads %d..%d)", ErrUnsupportedFormat, what, v, MinFileMapFormat, FileMapFormat)
	}
	r := &reader{b: b, off: len(fileMapMagic) + 1, what: what}
	kind := r.byte1("node kind")
	if kind != nodeLeaf && kind != nodeIndex {
		return nil, 0, corruptf("%s: unknown node kind %d", what, kind)
	}
	count := r.uvarint("item count")
	switch {
	case r.err != nil:
		return nil, 0, r.err
	case kind == nodeIndex && count == 0:
		return nil, 0, corruptf("%s: index node without children", what)
	case count > MaxFileMapEntries:
		return nil, 0, corruptf("%s: %d items (the limit is %d)", what, count, MaxFileMapEntries)
	case count*minFileMapItemSize > uint64(r.remaining()):
		return nil, 0, corruptf("%s: %d items cannot fit in %d bytes", what, count, r.remaining())
	}
	n := &FileMapNode{Index: kind == nodeIndex, Items: make([]FileMapItem, count)}
	var total int64
	for i := range n.Items {
		it := &n.Items[i]
		it.Len = r.int63("length")
		it.ID = r.id("id")
		if r.err != nil {
			return nil, 0, r.err
		}
		if p := fileMapItemProblem(n.Index, *it); p != "" {
			return nil, 0, corruptf("%s: item %d: %s", what, i, p)
		}
		var ok bool
		if total, ok = addSize(total, it.Len); !ok {
			return nil, 0, corruptf("%s: length overflows int64", what)
		}
	}
	if r.remaining() != 0 {
		return nil, 0, corruptf("%s: %d trailing bytes", what, r.remaining())
	}
	return n, total, nil
}

// FileMapWriter builds the file map of one file from its chunks, streamed
// in file order. Memory is bounded by one node per level. It is not safe
// for concurrent use, keeps the context given to [NewFileMapWriter] for the
// blob writes that Add and Finish make, and stays failed after an error.
//
// Files of one chunk need no file map (their digest is the chunk's id);
// whether to write one is the caller's choice: a FileMapWriter maps any
// number of chunks, none included.
type FileMapWriter struct {
	nb      *nodeBuilder
	scratch []byte
	chunks  int64
	total   int64
}

// fileMapSpec returns how file map nodes are built (ARCHITECTURE.md, "File maps").
func fileMapSpec() *nodeSpec {
	return &nodeSpec{
		what:      "file map",
		blobType:  objects.TypeFileMap,
		minItems:  MinFileMapEntries,
		maxItems:  MaxFileMapEntries,
		maxBytes:  MaxNodeSize, // never reached: 8,192 items take at most 344 KiB
		maxHeight: MaxFileMapHeight,
		header:    appendFileMapHeader,
		headerSize: func(count int) int {
			return len(fileMapMagic) + 2 + uvarintLen(uint64(count))
		},
		parentItem: func(b []byte, n *nodeInfo, id objects.ID) []byte {
			return appendFileMapItem(b, FileMapItem{ID: id, Len: n.size})
		},
		parentBoundary: func(_ *nodeInfo, id objects.ID) bool { return idBoundary(id) },
	}
}

// idBoundary reports whether an item named id ends a file map node: the
// low 10 bits of id (its first two bytes read little-endian) are zero.
func idBoundary(id objects.ID) bool {
	return (uint16(id[0])|uint16(id[1])<<8)&fileMapSplitMask == 0
}

func appendFileMapItem(b []byte, it FileMapItem) []byte {
	b = binary.AppendUvarint(b, uint64(it.Len))
	return append(b, it.ID[:]...)
}

// NewFileMapWriter returns a FileMapWriter that stores nodes through p, as
// blobs of type [objects.TypeFileMap].
func NewFileMapWriter(ctx context.Context, p BlobPutter) *FileMapWriter {
	return &FileMapWriter{nb: newNodeBuilder(ctx, p, fileMapSpec())}
}

// Add appends a chunk of rawLen bytes (at least 1) to the file. It may
// store nodes.
func (w *FileMapWriter) Add(chunk objects.ID, rawLen uint32) error {
	nb := w.nb
	if nb.err != nil {
		return nb.err
	}
	if nb.done {
		return errFinished
	}
	it := FileMapItem{ID: chunk, Len: int64(rawLen)}
	if p := fileMapItemProblem(false, it); p != "" {
		nb.err = invalidf("file map: chunk %d: %s", w.chunks, p)
		return nb.err
	}
	var ok bool
	if w.total, ok = addSize(w.total, it.Len); !ok {
		nb.err = invalidf("file map: file length overflows int64")
		return nb.err
	}
	w.chunks++
	w.scratch = appendFileMapItem(w.scratch[:0], it)
	return nb.add(0, w.scratch, levelItem{boundary: idBoundary(chunk), size: it.Len})
}

// Finish stores the remaining nodes and returns the id of the file map's
// root node. A map of no chunks is one empty leaf; a map of at most
// [MaxFileMapEntries] chunks is exactly one leaf.
func (w *FileMapWriter) Finish() (objects.ID, error) {
	nb := w.nb
	if nb.err != nil {
		return objects.ID{}, nb.err
	}
	if nb.done {
		return objects.ID{}, errFinished
	}
	nb.done = true
	return nb.finish()
}

// ReadFileMap calls fn for each chunk of file map id in order, with the
// chunk's offset in the file, its id and its raw length. An error from fn
// stops the reading and is returned unchanged. Damage is an error wrapping
// [ErrCorrupt].
func ReadFileMap(ctx context.Context, g BlobGetter, id objects.ID, fn func(off int64, chunk objects.ID, n uint32) error) error {
	return FileMapRange(ctx, g, id, 0, math.MaxInt64, fn)
}

// FileMapRange is like [ReadFileMap] but calls fn only for the chunks that
// overlap the byte range [off, off+length), reading only the nodes that
// hold them. A range past the end of the file visits nothing; a negative
// off or length is an error wrapping [ErrInvalid].
func FileMapRange(ctx context.Context, g BlobGetter, id objects.ID, off, length int64, fn func(off int64, chunk objects.ID, n uint32) error) error {
	if off < 0 || length < 0 {
		return invalidf("file map range: offset %d, length %d", off, length)
	}
	end := off + length
	if end < off { // overflow: the range runs to the end of any file
		end = math.MaxInt64
	}
	fr := &fileMapReader{ctx: ctx, g: g, root: id, start: off, end: end, fn: fn}
	return fr.visit(id, 0, -1, 0)
}

type fileMapReader struct {
	ctx        context.Context
	g          BlobGetter
	root       objects.ID
	start, end int64
	fn         func(int64, objects.ID, uint32) error
	leafDepth  int // depth of the leaves, once one has been read; 0 before
}

// visit reads node id at depth, which starts at byte base of the file and,
// unless want is -1, must span want bytes.
func (fr *fileMapReader) visit(id objects.ID, depth int, want, base int64) error {
	if err := fr.ctx.Err(); err != nil {
		return err
	}
	if depth > MaxFileMapHeight {
		return corruptf("file map %s: more than %d index levels", fr.root, MaxFileMapHeight)
	}
	b, err := fr.g.GetBlob(fr.ctx, id)
	if err != nil {
		return fmt.Errorf("manifest: read file map node %s: %w", id, err)
	}
	n, total, err := decodeFileMapNode(b, "file map node "+id.String())
	if err != nil {
		return err
	}
	switch {
	case want >= 0 && total != want:
		return corruptf("file map %s: node %s spans %d bytes; its index entry says %d", fr.root, id, total, want)
	case depth == 0 && n.Index && len(n.Items) < 2:
		return corruptf("file map %s: root index node has one child", fr.root)
	case n.Index && fr.leafDepth != 0 && depth >= fr.leafDepth,
		!n.Index && fr.leafDepth != 0 && depth != fr.leafDepth:
		return corruptf("file map %s: node %s: leaves at different depths", fr.root, id)
	}
	if !n.Index && fr.leafDepth == 0 {
		fr.leafDepth = depth
	}
	pos := base
	for _, it := range n.Items {
		if pos >= fr.end {
			return nil
		}
		next := pos + it.Len // cannot overflow: the root's total fits int64
		if next > fr.start {
			if n.Index {
				err = fr.visit(it.ID, depth+1, it.Len, pos)
			} else {
				err = fr.fn(pos, it.ID, uint32(it.Len))
			}
			if err != nil {
				return err
			}
		}
		pos = next
	}
	return nil
}
