package manifest

import (
	"context"
	"fmt"

	"github.com/trove-ml/trove/objects"
)

// nodeBuilder streams items into the nodes of one tree of nodes (a
// directory's or a file map's) and stores them bottom-up. It keeps one
// node per level in memory.
//
// The shape it builds is canonical, a pure function of the items:
//
//   - At each level, if all of the level's items fit in one node (at most
//     maxItems of them, at most maxBytes encoded), they are one node.
//   - Otherwise the level is cut into nodes from its start: a node ends
//     after an item whose boundary flag is set once it holds minItems
//     items or more, or when it holds maxItems, and it ends before an item
//     that would take it past maxBytes.
//   - A level of more than one node gets a level above it, whose items
//     are the nodes below; a level of one node is the root.
//
// Content-defined cuts mean an inserted item changes the node it lands in
// and rarely the next, not every node after it. To honour the first rule
// while streaming, a level holds its items until it overflows one node and
// then replays them through the cutting rule.
type nodeBuilder struct {
	ctx  context.Context
	p    BlobPutter
	spec *nodeSpec

	levels []*buildLevel // levels[0] holds the leaf items
	err    error
	done   bool
}

// nodeSpec says how one kind of node is built.
type nodeSpec struct {
	what               string // "tree" or "file map", for messages
	blobType           objects.BlobType
	minItems, maxItems int
	maxBytes           int
	maxHeight          int // most index levels
	// header appends a node header; headerSize is its length.
	header     func(b []byte, index bool, count int) []byte
	headerSize func(count int) int
	// parentItem appends the index item naming node id, and
	// parentBoundary says whether that item may end an index node.
	parentItem     func(b []byte, n *nodeInfo, id objects.ID) []byte
	parentBoundary func(n *nodeInfo, id objects.ID) bool
}

// levelItem describes one encoded item of a level.
type levelItem struct {
	end      int // offset in buildLevel.buf just past the item
	boundary bool
	first    string     // tree: the name of the first entry below the item
	count    int64      // tree: entries below the item
	size     int64      // tree: bytes below; file map: content bytes
	id       objects.ID // index levels: the child node
}

// nodeInfo summarises a finished node for its parent item.
type nodeInfo struct {
	first         string
	firstBoundary bool
	count, size   int64
}

type buildLevel struct {
	buf     []byte      // encoded items of the node being built
	items   []levelItem // its items
	split   bool        // the level has overflowed one node: cut as it goes
	emitted bool        // the level has stored a node
}

func newNodeBuilder(ctx context.Context, p BlobPutter, spec *nodeSpec) *nodeBuilder {
	return &nodeBuilder{ctx: ctx, p: p, spec: spec, levels: []*buildLevel{{}}}
}

// fits reports whether l's node can take one more item of n bytes.
func (nb *nodeBuilder) fits(l *buildLevel, n int) bool {
	return len(l.items) < nb.spec.maxItems && nb.spec.headerSize(len(l.items)+1)+len(l.buf)+n <= nb.spec.maxBytes
}

// add appends an item, encoded in enc, to level i.
func (nb *nodeBuilder) add(i int, enc []byte, it levelItem) error {
	if i == len(nb.levels) {
		if i > nb.spec.maxHeight {
			nb.err = fmt.Errorf("manifest: %s needs more than %d index levels", nb.spec.what, nb.spec.maxHeight)
			return nb.err
		}
		nb.levels = append(nb.levels, &buildLevel{})
	}
	l := nb.levels[i]
	if !l.split {
		if nb.fits(l, len(enc)) {
			l.append(enc, it)
			return nil
		}
		// The level no longer fits one node: cut what it holds, as if
		// the rule had applied from the start, then go on cutting.
		old, items := l.buf, l.items
		l.buf, l.items, l.split = make([]byte, 0, len(old)), make([]levelItem, 0, len(items)), true
		start := 0
		for _, o := range items {
			if err := nb.place(i, old[start:o.end], o); err != nil {
				return err
			}
			start = o.end
		}
	}
	return nb.place(i, enc, it)
}

// place appends an item to a level that cuts as it goes.
func (nb *nodeBuilder) place(i int, enc []byte, it levelItem) error {
	l := nb.levels[i]
	if len(l.items) > 0 && !nb.fits(l, len(enc)) {
		if err := nb.flush(i); err != nil {
			return err
		}
	}
	l.append(enc, it)
	if n := len(l.items); n == nb.spec.maxItems || n >= nb.spec.minItems && it.boundary {
		return nb.flush(i)
	}
	return nil
}

func (l *buildLevel) append(enc []byte, it levelItem) {
	l.buf = append(l.buf, enc...)
	it.end = len(l.buf)
	l.items = append(l.items, it)
}

// flush stores level i's node and adds it as an item to the level above.
func (nb *nodeBuilder) flush(i int) error {
	l := nb.levels[i]
	id, info, err := nb.put(i, l)
	if err != nil {
		return err
	}
	l.buf, l.items, l.emitted = l.buf[:0], l.items[:0], true
	enc := nb.spec.parentItem(nil, &info, id)
	return nb.add(i+1, enc, levelItem{
		boundary: nb.spec.parentBoundary(&info, id),
		first:    info.first,
		count:    info.count,
		size:     info.size,
		id:       id,
	})
}

// put stores the node held by level i.
func (nb *nodeBuilder) put(i int, l *buildLevel) (objects.ID, nodeInfo, error) {
	var info nodeInfo
	if err := nb.ctx.Err(); err != nil {
		nb.err = err
		return objects.ID{}, info, err
	}
	node := make([]byte, 0, nb.spec.headerSize(len(l.items))+len(l.buf))
	node = nb.spec.header(node, i > 0, len(l.items))
	node = append(node, l.buf...)
	id, err := nb.p.PutBlob(nb.ctx, nb.spec.blobType, node)
	if err != nil {
		nb.err = fmt.Errorf("manifest: store %s node: %w", nb.spec.what, err)
		return objects.ID{}, info, nb.err
	}
	if len(l.items) > 0 {
		info.first, info.firstBoundary = l.items[0].first, l.items[0].boundary
	}
	for _, it := range l.items {
		// Cannot overflow: the writers check the running totals of all
		// items, and each node holds a part of them.
		info.count += it.count
		info.size += it.size
	}
	return id, info, nil
}

// finish stores what is pending and returns the root node's id.
func (nb *nodeBuilder) finish() (objects.ID, error) {
	for i := 0; ; i++ {
		l := nb.levels[i]
		if i == len(nb.levels)-1 && !l.emitted {
			if i > 0 && len(l.items) == 1 {
				return l.items[0].id, nil // no index node over a single child
			}
			id, _, err := nb.put(i, l)
			return id, err
		}
		if len(l.items) > 0 {
			if err := nb.flush(i); err != nil {
				return objects.ID{}, err
			}
		}
	}
}
