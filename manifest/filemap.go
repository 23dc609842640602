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
	FileMapFormat = 3
	// MinFileMapFormat is the lowest file map format this package reads.
	MinFileMapFormat = 1

	// MaxFileMapEntries is the most chunks (leaf) or children (index) a
	// file map node of any format holds: format 1's node size, about
	// 512 MiB of content at 64 KiB chunks (ARCHITECTURE.md, "File maps").
	// A node of a later format holds at most [fileMapCuts.maxItems] of them.
	MaxFileMapEntries = 8192

	// MaxFileMapHeight bounds the index levels of a file map. Every node
	// but the last of a level holds at least 32 items (64 in format 2, 256
	// in format 1), so 6 levels cover 32^7 chunks, 2 EiB of 64 KiB chunks.
	MaxFileMapHeight = 6
)

// fileMapCuts are the rules that cut each level of a file map into nodes,
// part of each format: a level whose items fit in one node (at most
// maxItems) is one node; otherwise a node ends after an item whose id's low
// bits (splitMask, over its first two bytes read little-endian) are all
// zero once it holds minItems, or when it holds maxItems. An edit inside a
// large file rewrites the leaf it lands in and the index above, so the
// leaf size is what one edit costs in metadata.
type fileMapCuts struct {
	minItems, maxItems int
	splitMask          uint16
}

// fileMapCutsOf returns the cut rules of file map format v (1 to 3).
//
// Format 1 cut after 256 items at the low 10 bits, in nodes of up to 8,192:
// leaves of 1,280 items (45 KB) on average, and since an edit lands in a
// long leaf more often than a short one, about 2,100 items (73 KB) per
// edit; a file of up to 8,192 chunks was one leaf of up to 290 KB. Format
// 2 cut after 64 items at the low 7 bits, in nodes of up to 512: leaves of
// 192 items (6.7 KB), about 280 items (10 KB) per edit, plus the index above
// them (3 KB for a 1 GiB file). Measured on the benchmark's 1 GiB file, the
// metadata written by ten 1 MiB overwrites fell by about 0.3 MB. Format 3
// cuts after 32 items at the low 6 bits, in nodes of up to 256: leaves of
// 96 items (3.4 KB); the same ten overwrites write 12 nodes of 50 KB
// instead of 12 of 110 KB, and a 1 GiB file's map has about 185 nodes
// instead of 90. Smaller nodes would save less and less (16 items at the
// low 5 bits: 21 nodes of 36 KB) for ever more nodes for a pull from a
// remote to fetch (364), so format 3 stops at halving.
func fileMapCutsOf(v byte) fileMapCuts {
	switch v {
	case 1:
		return fileMapCuts{minItems: 256, maxItems: MaxFileMapEntries, splitMask: 1<<10 - 1}
	case 2:
		return fileMapCuts{minItems: 64, maxItems: 512, splitMask: 1<<7 - 1}
	}
	return fileMapCuts{minItems: 32, maxItems: 256, splitMask: 1<<6 - 1}
}

// boundary reports whether an item named id may end a node.
func (c fileMapCuts) boundary(id objects.ID) bool {
	return (uint16(id[0])|uint16(id[1])<<8)&c.splitMask == 0
}

const fileMapMagic = "TFM"

// minFileMapItemSize is the smallest encoded item: a one-byte varint and an id.
const minFileMapItemSize = 1 + objects.IDSize

// FileMapNode is one decoded file map node. Most callers use
// [ReadFileMap] or [FileMapRange]; FileMapNode is exported for fsck, GC
// and tests.
type FileMapNode struct {
	// Format is the node's format version; 0 means [FileMapFormat].
	Format uint8
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
	v := n.Format
	if v == 0 {
		v = FileMapFormat
	}
	if v < MinFileMapFormat || v > FileMapFormat {
		return nil, invalidf("file map node: format %d (writes %d..%d)", v, MinFileMapFormat, FileMapFormat)
	}
	if limit := fileMapCutsOf(v).maxItems; len(n.Items) > limit {
		return nil, invalidf("file map node: %d items (the limit is %d)", len(n.Items), limit)
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
	b := appendFileMapHeader(nil, v, n.Index, len(n.Items))
	for _, it := range n.Items {
		b = appendFileMapItem(b, it)
	}
	return b, nil
}

func appendFileMapHeader(b []byte, v byte, index bool, count int) []byte {
	b = append(b, fileMapMagic...)
	b = append(b, v)
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
	v := b[len(fileMapMagic)]
	if v < MinFileMapFormat || v > FileMapFormat {
		return nil, 0, fmt.Errorf("%w: %s: format %d (reads %d..%d)", ErrUnsupportedFormat, what, v, MinFileMapFormat, FileMapFormat)
	}
	maxItems := fileMapCutsOf(v).maxItems
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
	case count > uint64(maxItems):
		return nil, 0, corruptf("%s: %d items (the limit is %d)", what, count, maxItems)
	case count*minFileMapItemSize > uint64(r.remaining()):
		return nil, 0, corruptf("%s: %d items cannot fit in %d bytes", what, count, r.remaining())
	}
	n := &FileMapNode{Format: v, Index: kind == nodeIndex, Items: make([]FileMapItem, count)}
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
	cuts    fileMapCuts
	scratch []byte
	chunks  int64
	total   int64
}

// fileMapSpec returns how file map nodes of format v are built
// (ARCHITECTURE.md, "File maps").
func fileMapSpec(v byte) *nodeSpec {
	cuts := fileMapCutsOf(v)
	return &nodeSpec{
		what:      "file map",
		blobType:  objects.TypeFileMap,
		minItems:  cuts.minItems,
		maxItems:  cuts.maxItems,
		maxBytes:  MaxNodeSize, // never reached: 8,192 items take at most 344 KiB
		maxHeight: MaxFileMapHeight,
		header: func(b []byte, index bool, count int) []byte {
			return appendFileMapHeader(b, v, index, count)
		},
		headerSize: func(count int) int {
			return len(fileMapMagic) + 2 + uvarintLen(uint64(count))
		},
		parentItem: func(b []byte, n *nodeInfo, id objects.ID) []byte {
			return appendFileMapItem(b, FileMapItem{ID: id, Len: n.size})
		},
		parentBoundary: func(_ *nodeInfo, id objects.ID) bool { return cuts.boundary(id) },
	}
}

func appendFileMapItem(b []byte, it FileMapItem) []byte {
	b = binary.AppendUvarint(b, uint64(it.Len))
	return append(b, it.ID[:]...)
}

// NewFileMapWriter returns a FileMapWriter that stores nodes of format
// [FileMapFormat] through p, as blobs of type [objects.TypeFileMap].
func NewFileMapWriter(ctx context.Context, p BlobPutter) *FileMapWriter {
	return newFileMapWriter(ctx, p, FileMapFormat)
}

// newFileMapWriter returns a FileMapWriter for format v, which
// VerifyFileMap uses to rebuild maps of earlier formats.
func newFileMapWriter(ctx context.Context, p BlobPutter, v byte) *FileMapWriter {
	return &FileMapWriter{nb: newNodeBuilder(ctx, p, fileMapSpec(v)), cuts: fileMapCutsOf(v)}
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
	return nb.add(0, w.scratch, levelItem{boundary: w.cuts.boundary(chunk), size: it.Len})
}

// Finish stores the remaining nodes and returns the id of the file map's
// root node. A map of no chunks is one empty leaf; a map of at most 256
// chunks (format 3's node size) is exactly one leaf.
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
