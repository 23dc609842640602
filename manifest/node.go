package manifest

import (
	"encoding/binary"
	"fmt"

	"github.com/trove-ml/trove/objects"
)

// Tree node format (blob type 2). See doc.go for the byte layout.
const (
	// TreeFormat is the tree node format this package writes and the
	// highest it reads.
	TreeFormat = 1
	// MinTreeFormat is the lowest tree node format this package reads.
	MinTreeFormat = 1

	// MaxNodeEntries is the most entries (leaf) or children (index) one
	// tree node holds (ARCHITECTURE.md, "Trees").
	MaxNodeEntries = 2048
	// MaxNodeSize is the largest encoded tree node in bytes.
	MaxNodeSize = 1 << 20

	// MinLeafEntries is how many entries a leaf (and an index node, how
	// many children) of a directory too large for one node holds before a
	// content-defined cut may end it. Without a minimum, runs of boundary
	// names would make tiny nodes.
	MinLeafEntries = 64
	// splitMask selects the low 9 bits of a name's BLAKE3: in a directory
	// too large for one node, a node ends after an item whose bits are all
	// zero, so nodes average about MinLeafEntries + 512 items.
	splitMask = 1<<9 - 1

	// MaxIndexHeight bounds the index levels above the leaves of one
	// directory. Every index node but a directory's last holds at least
	// MinLeafEntries children, so 8 levels cover 64^8 leaves: more than
	// any directory, while a hostile tree cannot make a reader recurse
	// without end.
	MaxIndexHeight = 8
)

const treeMagic = "TRT"

const (
	nodeLeaf  byte = 1
	nodeIndex byte = 2
)

// Smallest encodings, used to reject counts that cannot fit the input
// before allocating for them.
const (
	minLeafEntrySize  = 1 + 2 + 1 + 1 + objects.IDSize // kind, name, mode, size, digest
	minIndexEntrySize = 2 + objects.IDSize + 1 + 1     // first name, id, count, size
	nodeHeaderSize    = len(treeMagic) + 1 + 1         // magic, version, kind
)

// Node is one decoded tree node: a leaf holding a run of a directory's
// entries, or an index node over the directory's leaves (or over lower
// index nodes). Most callers use [ReadDir], [Walk] or [Lookup] instead;
// Node is exported for fsck, GC and tests.
type Node struct {
	// Index says this is an index node: Children is set and Entries empty.
	Index    bool
	Entries  []Entry
	Children []Child
}

// Child is one entry of an index node.
type Child struct {
	First string     // name of the first directory entry below the child
	ID    objects.ID // the child node
	Count int64      // number of directory entries below the child
	Size  int64      // sum of the Size of the directory entries below
}

// EncodeNode returns the canonical encoding of n. It fails with an error
// wrapping [ErrInvalid] if n breaks a rule the decoder enforces.
func EncodeNode(n *Node) ([]byte, error) {
	if n.Index {
		if len(n.Entries) != 0 {
			return nil, invalidf("tree node: index node with entries")
		}
		if len(n.Children) == 0 {
			return nil, invalidf("tree node: index node without children")
		}
	} else if len(n.Children) != 0 {
		return nil, invalidf("tree node: leaf with children")
	}
	count := len(n.Entries) + len(n.Children)
	if count > MaxNodeEntries {
		return nil, invalidf("tree node: %d entries (the limit is %d)", count, MaxNodeEntries)
	}
	b := make([]byte, 0, 64*count+16)
	b = appendNodeHeader(b, n.Index, count)
	prev := ""
	for i := range n.Entries {
		e := &n.Entries[i]
		if p := entryProblem(e); p != "" {
			return nil, invalidf("tree node: entry %q: %s", e.Name, p)
		}
		if i > 0 && e.Name <= prev {
			return nil, invalidf("tree node: entry %q does not sort after %q", e.Name, prev)
		}
		prev = e.Name
		b = appendEntry(b, e)
	}
	for i := range n.Children {
		c := &n.Children[i]
		if p := childProblem(c); p != "" {
			return nil, invalidf("tree node: child %d: %s", i, p)
		}
		if i > 0 && c.First <= prev {
			return nil, invalidf("tree node: child %q does not sort after %q", c.First, prev)
		}
		prev = c.First
		b = appendChild(b, c)
	}
	if len(b) > MaxNodeSize {
		return nil, invalidf("tree node: %d bytes (the limit is %d)", len(b), MaxNodeSize)
	}
	return b, nil
}

func appendNodeHeader(b []byte, index bool, count int) []byte {
	b = append(b, treeMagic...)
	b = append(b, TreeFormat)
	if index {
		b = append(b, nodeIndex)
	} else {
		b = append(b, nodeLeaf)
	}
	return binary.AppendUvarint(b, uint64(count))
}

// appendEntry appends the encoding of e, which must be valid.
func appendEntry(b []byte, e *Entry) []byte {
	b = append(b, byte(e.Kind))
	b = appendString(b, e.Name)
	b = binary.AppendUvarint(b, uint64(e.Mode))
	b = binary.AppendUvarint(b, uint64(e.Size))
	b = append(b, e.Digest[:]...)
	switch e.Kind {
	case KindDir:
		b = binary.AppendUvarint(b, uint64(e.Files))
	case KindSymlink:
		b = appendString(b, e.Target)
	case KindRef:
		b = appendString(b, e.Ref.URI)
		b = appendString(b, e.Ref.ChecksumKind)
		b = appendString(b, e.Ref.Checksum)
		b = appendString(b, e.Ref.VersionID)
	case KindRefLocation:
		b = appendString(b, e.Ref.URI)
	}
	return b
}

func appendChild(b []byte, c *Child) []byte {
	b = appendString(b, c.First)
	b = append(b, c.ID[:]...)
	b = binary.AppendUvarint(b, uint64(c.Count))
	return binary.AppendUvarint(b, uint64(c.Size))
}

func childProblem(c *Child) string {
	if p := nameProblem(c.First); p != "" {
		return "first name: " + p
	}
	switch {
	case c.ID.IsZero():
		return "zero child id"
	case c.Count < 1:
		return fmt.Sprintf("entry count %d (want at least 1)", c.Count)
	case c.Size < 0:
		return fmt.Sprintf("negative size %d", c.Size)
	}
	return ""
}

// DecodeNode decodes a tree node. It accepts exactly the encodings
// [EncodeNode] produces: anything else (bad magic, unsorted or duplicate
// names, invalid entries, non-minimal varints, counts over the limits,
// trailing bytes) is an error wrapping [ErrCorrupt], and a format version
// outside [MinTreeFormat]..[TreeFormat] wraps [ErrUnsupportedFormat].
// The result does not alias b.
func DecodeNode(b []byte) (*Node, error) {
	n, _, err := decodeNode(b, "tree node")
	return n, err
}

// nodeTotals summarises a node for checking it against the index entry
// that names it.
type nodeTotals struct {
	first, last string
	count, size int64
	files       int64 // leaves only: sum of fileCount
}

// decodeNode decodes b; what names the node in error messages.
func decodeNode(b []byte, what string) (*Node, nodeTotals, error) {
	var t nodeTotals
	if len(b) > MaxNodeSize {
		return nil, t, corruptf("%s: %d bytes (the limit is %d)", what, len(b), MaxNodeSize)
	}
	if len(b) < nodeHeaderSize || string(b[:len(treeMagic)]) != treeMagic {
		return nil, t, corruptf("%s: bad magic (not a tree node)", what)
	}
	if v := b[len(treeMagic)]; v < MinTreeFormat || v > TreeFormat {
		return nil, t, fmt.Errorf("%w: %s: format %d (reads %d..%d)", ErrUnsupportedFormat, what, v, MinTreeFormat, TreeFormat)
	}
	r := &reader{b: b, off: len(treeMagic) + 1, what: what}
	kind := r.byte1("node kind")
	if kind != nodeLeaf && kind != nodeIndex {
		return nil, t, corruptf("%s: unknown node kind %d", what, kind)
	}
	count := r.uvarint("entry count")
	if r.err != nil {
		return nil, t, r.err
	}
	minSize := minLeafEntrySize
	if kind == nodeIndex {
		minSize = minIndexEntrySize
		if count == 0 {
			return nil, t, corruptf("%s: index node without children", what)
		}
	}
	if count > MaxNodeEntries {
		return nil, t, corruptf("%s: %d entries (the limit is %d)", what, count, MaxNodeEntries)
	}
	if count*uint64(minSize) > uint64(r.remaining()) {
		return nil, t, corruptf("%s: %d entries cannot fit in %d bytes", what, count, r.remaining())
	}
	n := &Node{Index: kind == nodeIndex}
	var ok bool
	if n.Index {
		n.Children = make([]Child, count)
		for i := range n.Children {
			c := &n.Children[i]
			c.First = string(r.bytesN("first name", MaxNameLen))
			c.ID = r.id("child id")
			c.Count = r.int63("entry count")
			c.Size = r.int63("size")
			if r.err != nil {
				return nil, t, r.err
			}
			if p := childProblem(c); p != "" {
				return nil, t, corruptf("%s: child %d: %s", what, i, p)
			}
			if i > 0 && c.First <= t.last {
				return nil, t, corruptf("%s: child %q does not sort after %q", what, c.First, t.last)
			}
			t.last = c.First
			if t.count, ok = addSize(t.count, c.Count); !ok {
				return nil, t, corruptf("%s: entry count overflows", what)
			}
			if t.size, ok = addSize(t.size, c.Size); !ok {
				return nil, t, corruptf("%s: size overflows", what)
			}
		}
		t.first = n.Children[0].First
	} else {
		n.Entries = make([]Entry, count)
		for i := range n.Entries {
			e := &n.Entries[i]
			decodeEntry(r, e)
			if r.err != nil {
				return nil, t, r.err
			}
			if p := entryProblem(e); p != "" {
				return nil, t, corruptf("%s: entry %d %q: %s", what, i, e.Name, p)
			}
			if i > 0 && e.Name <= t.last {
				return nil, t, corruptf("%s: entry %q does not sort after %q", what, e.Name, t.last)
			}
			t.last = e.Name
			if t.size, ok = addSize(t.size, e.Size); !ok {
				return nil, t, corruptf("%s: size overflows", what)
			}
			if t.files, ok = addSize(t.files, e.fileCount()); !ok {
				return nil, t, corruptf("%s: file count overflows", what)
			}
		}
		t.count = int64(count)
		if count > 0 {
			t.first = n.Entries[0].Name
		}
	}
	if r.remaining() != 0 {
		return nil, t, corruptf("%s: %d trailing bytes", what, r.remaining())
	}
	return n, t, nil
}

func decodeEntry(r *reader, e *Entry) {
	e.Kind = Kind(r.byte1("entry kind"))
	if r.err == nil && !e.Kind.Valid() {
		r.fail("unknown entry kind %d", uint8(e.Kind))
		return
	}
	e.Name = string(r.bytesN("name", MaxNameLen))
	mode := r.uvarint("mode")
	if mode > 0o7777 {
		r.fail("mode %#o is not a permission mode", mode)
		return
	}
	e.Mode = uint32(mode)
	e.Size = r.int63("size")
	e.Digest = r.id("digest")
	switch e.Kind {
	case KindDir:
		e.Files = r.int63("file count")
	case KindSymlink:
		e.Target = string(r.bytesN("symlink target", MaxTargetLen))
	case KindRef:
		e.Ref = &Reference{
			URI:          string(r.bytesN("reference URI", MaxRefFieldLen)),
			ChecksumKind: string(r.bytesN("reference checksum kind", MaxRefFieldLen)),
			Checksum:     string(r.bytesN("reference checksum", MaxRefFieldLen)),
			VersionID:    string(r.bytesN("reference version id", MaxRefFieldLen)),
		}
	case KindRefLocation:
		e.Ref = &Reference{URI: string(r.bytesN("reference URI", MaxRefFieldLen))}
	}
}
