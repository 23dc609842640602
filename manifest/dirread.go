package manifest

import (
	"context"
	"fmt"
	"sort"

	"github.com/trove-ml/trove/objects"
)

// BlobGetter reads blobs. GetBlob returns the bytes of blob id, verified
// against id; the caller must not modify them. A missing blob is an error.
type BlobGetter interface {
	GetBlob(ctx context.Context, id objects.ID) ([]byte, error)
}

// readNode fetches and decodes tree node id.
func readNode(ctx context.Context, g BlobGetter, id objects.ID) (*Node, nodeTotals, error) {
	if err := ctx.Err(); err != nil {
		return nil, nodeTotals{}, err
	}
	b, err := g.GetBlob(ctx, id)
	if err != nil {
		return nil, nodeTotals{}, fmt.Errorf("manifest: read tree node %s: %w", id, err)
	}
	return decodeNode(b, "tree node "+id.String())
}

// dirCursor iterates over the entries of one directory across its nodes,
// fetching each node when it is first needed. It checks what the nodes
// alone cannot: that a child holds what its index entry says (first name,
// entry count, size), that all leaves sit at one depth, that names keep
// increasing across leaves, and that a root index has two children or more
// (a single child would have been the root itself).
type dirCursor struct {
	ctx context.Context
	g   BlobGetter
	dir objects.ID

	stack     []cursorFrame // root first
	leafDepth int           // len(stack) at the leaves; 0 until one is seen

	prev    string // last name returned or skipped over
	started bool
	// Totals of the entries returned by next, for checking a directory
	// against its parent's entry.
	size, files int64
}

type cursorFrame struct {
	id   objects.ID
	node *Node
	pos  int
}

// openDir returns a cursor at the start of directory id. A zero id is the
// empty directory.
func openDir(ctx context.Context, g BlobGetter, id objects.ID) (*dirCursor, error) {
	c := &dirCursor{ctx: ctx, g: g, dir: id}
	if id.IsZero() {
		return c, nil
	}
	n, _, err := readNode(ctx, g, id)
	if err != nil {
		return nil, err
	}
	if n.Index && len(n.Children) < 2 {
		return nil, corruptf("tree %s: root index node has %d child", id, len(n.Children))
	}
	c.push(id, n)
	return c, nil
}

func (c *dirCursor) push(id objects.ID, n *Node) {
	c.stack = append(c.stack, cursorFrame{id: id, node: n})
	if !n.Index && c.leafDepth == 0 {
		c.leafDepth = len(c.stack)
	}
}

// normalize pops exhausted frames, so that the top frame, if any, has an
// entry or a child left.
func (c *dirCursor) normalize() {
	for len(c.stack) > 0 {
		f := &c.stack[len(c.stack)-1]
		if f.pos < len(f.node.Entries)+len(f.node.Children) {
			return
		}
		c.stack = c.stack[:len(c.stack)-1]
	}
}

// pending returns the next child to be read, if the cursor stands at the
// start of one.
func (c *dirCursor) pending() (*Child, bool) {
	c.normalize()
	if len(c.stack) == 0 {
		return nil, false
	}
	f := &c.stack[len(c.stack)-1]
	if !f.node.Index {
		return nil, false
	}
	return &f.node.Children[f.pos], true
}

// skip passes over the pending child without reading it.
func (c *dirCursor) skip() {
	f := &c.stack[len(c.stack)-1]
	c.prev, c.started = f.node.Children[f.pos].First, true
	f.pos++
}

// descend reads the pending child and pushes it.
func (c *dirCursor) descend() error {
	f := &c.stack[len(c.stack)-1]
	ch := f.node.Children[f.pos]
	f.pos++
	if len(c.stack) > MaxIndexHeight {
		return corruptf("tree %s: more than %d index levels", c.dir, MaxIndexHeight)
	}
	n, t, err := readNode(c.ctx, c.g, ch.ID)
	if err != nil {
		return err
	}
	depth := len(c.stack) + 1
	switch {
	case t.first != ch.First || t.count != ch.Count || t.size != ch.Size:
		return corruptf("tree %s: node %s holds %d entries from %q of size %d; its index entry says %d from %q of size %d",
			c.dir, ch.ID, t.count, t.first, t.size, ch.Count, ch.First, ch.Size)
	case c.leafDepth != 0 && (n.Index && depth >= c.leafDepth || !n.Index && depth != c.leafDepth):
		return corruptf("tree %s: node %s: leaves at different depths", c.dir, ch.ID)
	}
	c.push(ch.ID, n)
	return nil
}

// peek returns the next entry without consuming it, or nil at the end.
func (c *dirCursor) peek() (*Entry, error) {
	for {
		if _, ok := c.pending(); ok {
			if err := c.descend(); err != nil {
				return nil, err
			}
			continue
		}
		if len(c.stack) == 0 {
			return nil, nil
		}
		f := &c.stack[len(c.stack)-1]
		e := &f.node.Entries[f.pos]
		if c.started && e.Name <= c.prev {
			return nil, corruptf("tree %s: node %s: entry %q does not sort after %q", c.dir, f.id, e.Name, c.prev)
		}
		return e, nil
	}
}

// next consumes the entry returned by peek.
func (c *dirCursor) next() {
	f := &c.stack[len(c.stack)-1]
	e := &f.node.Entries[f.pos]
	f.pos++
	c.prev, c.started = e.Name, true
	// Sums cannot overflow: each node's totals were checked on decode and
	// siblings against their index entries, whose sums were checked too.
	c.size += e.Size
	c.files += e.fileCount()
}

// seek positions a fresh cursor at the first entry whose name is greater
// than key (or equal to it, if inclusive), reading only the nodes on the
// way there.
func (c *dirCursor) seek(key string, inclusive bool) error {
	for len(c.stack) > 0 {
		f := &c.stack[len(c.stack)-1]
		if !f.node.Index {
			es := f.node.Entries
			f.pos = sort.Search(len(es), func(i int) bool {
				return es[i].Name > key || inclusive && es[i].Name == key
			})
			return nil
		}
		// The last child whose first name is at most key holds the
		// position; children before it hold only smaller names.
		ch := f.node.Children
		i := sort.Search(len(ch), func(i int) bool { return ch[i].First > key })
		if i > 0 {
			i--
		}
		f.pos = i
		if err := c.descend(); err != nil {
			return err
		}
	}
	return nil
}

// ReadDir calls fn for each entry of directory id in name order, reading
// its nodes one at a time. A zero id is the empty directory. An error from
// fn stops the reading and is returned unchanged. Corrupt or inconsistent
// nodes are errors wrapping [ErrCorrupt]; fn may have been called for the
// entries before the damage.
func ReadDir(ctx context.Context, g BlobGetter, id objects.ID, fn func(Entry) error) error {
	c, err := openDir(ctx, g, id)
	if err != nil {
		return err
	}
	return c.each(fn)
}

// each calls fn for the remaining entries.
func (c *dirCursor) each(fn func(Entry) error) error {
	for {
		e, err := c.peek()
		if err != nil || e == nil {
			return err
		}
		c.next()
		if err := fn(*e); err != nil {
			return err
		}
	}
}
