package reference

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/trove-ml/trove/internal/extsort"
	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// walkCompare compares two slash-separated paths in walk order: element
// by element, each element bytewise ([manifest.Walk]). That is bytewise
// order with '/' sorting below every other byte, which holds because
// names contain no NUL. S3 and GCS list in plain bytewise order, which
// differs where a name holds a byte below '/' ('-', '.', ' '…): "a.txt"
// lists before "a/b", but a tree holds the folder "a" before "a.txt".
func walkCompare(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		ca, cb := a[i], b[i]
		if ca == cb {
			continue
		}
		switch {
		case ca == '/':
			return -1
		case cb == '/':
			return 1
		case ca < cb:
			return -1
		}
		return 1
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// Sorting limits.
const (
	// DefaultSortMemory is the default [SourceOptions.SortMemory]: listings
	// whose entries take more are sorted in runs spilled to temp files
	// and merged. At about 400 bytes an entry (measured for S3 keys of 20
	// bytes) it holds some 40,000 entries, so most references never touch
	// the disk, and a million-object listing peaks near 100 MB of heap
	// with the garbage collector's headroom.
	DefaultSortMemory = 16 << 20
	// itemOverhead approximates the memory of a buffered entry besides
	// its strings: the item's slot in a growing slice, the manifest.Entry
	// and the Reference.
	itemOverhead = 300
	// maxSpillField bounds a string read back from a run; every field
	// was checked against manifest.MaxRefFieldLen before it was written.
	maxSpillField = manifest.MaxRefFieldLen
)

// item is one listed object: its path below the reference and its entry.
type item struct {
	path string
	e    manifest.Entry
}

func (it item) memSize() int {
	n := itemOverhead + len(it.path) + len(it.e.Name)
	if r := it.e.Ref; r != nil {
		n += len(r.URI) + len(r.ChecksumKind) + len(r.Checksum) + len(r.VersionID)
	}
	return n
}

// itemCodec sorts listed objects in walk order, spilling them as
//
//	path, name: uvarint length, bytes each
//	kind u8, size uvarint, digest [32]
//	uri, checksum kind, checksum, version id: uvarint length, bytes each
var itemCodec = extsort.Codec[item]{
	Compare: func(a, b item) int { return walkCompare(a.path, b.path) },
	Size:    item.memSize,
	Append:  appendItem,
	Read:    readItem,
}

// sorter puts a listing into walk order with bounded memory (package
// extsort): a listing that fits the budget is sorted in memory and never
// written.
type sorter struct{ s *extsort.Sorter[item] }

func newSorter(dir string, budget int) *sorter {
	if budget <= 0 {
		budget = DefaultSortMemory
	}
	return &sorter{extsort.New(dir, budget, itemCodec)}
}

func (s *sorter) add(path string, e manifest.Entry) error {
	if err := s.s.Add(item{path: path, e: e}); err != nil {
		return fmt.Errorf("reference: sort listing: %w", err)
	}
	return nil
}

// finish calls fn for every entry added, in walk order.
func (s *sorter) finish(fn func(path string, e manifest.Entry) error) error {
	it, err := s.s.Sorted()
	if err != nil {
		return fmt.Errorf("reference: sort listing: %w", err)
	}
	for {
		v, ok, err := it.Next()
		if err != nil {
			return fmt.Errorf("reference: sort listing: %w", err)
		}
		if !ok {
			return nil
		}
		if err := fn(v.path, v.e); err != nil {
			return err
		}
	}
}

// close removes the runs.
func (s *sorter) close() { s.s.Close() }

func appendItem(b []byte, it item) []byte {
	b = extsort.AppendString(b, it.path)
	b = extsort.AppendString(b, it.e.Name)
	b = append(b, byte(it.e.Kind))
	b = binary.AppendUvarint(b, uint64(it.e.Size))
	b = append(b, it.e.Digest[:]...)
	var r manifest.Reference
	if it.e.Ref != nil {
		r = *it.e.Ref
	}
	for _, s := range [...]string{r.URI, r.ChecksumKind, r.Checksum, r.VersionID} {
		b = extsort.AppendString(b, s)
	}
	return b
}

// readItem reads what appendItem wrote: io.EOF at a clean end of the run.
func readItem(r *bufio.Reader) (item, error) {
	p, err := extsort.ReadString(r, maxSpillField)
	if err != nil {
		return item{}, err
	}
	it := item{path: p}
	if it.e.Name, err = extsort.ReadString(r, maxSpillField); err != nil {
		return item{}, noEOF(err)
	}
	k, err := r.ReadByte()
	if err != nil {
		return item{}, noEOF(err)
	}
	it.e.Kind = manifest.Kind(k)
	size, err := binary.ReadUvarint(r)
	if err != nil {
		return item{}, noEOF(err)
	}
	if size > 1<<63-1 {
		return item{}, fmt.Errorf("size %d", size)
	}
	it.e.Size = int64(size)
	if _, err := io.ReadFull(r, it.e.Digest[:objects.IDSize]); err != nil {
		return item{}, noEOF(err)
	}
	var f [4]string
	for i := range f {
		if f[i], err = extsort.ReadString(r, maxSpillField); err != nil {
			return item{}, noEOF(err)
		}
	}
	if f != [4]string{} {
		it.e.Ref = &manifest.Reference{URI: f[0], ChecksumKind: f[1], Checksum: f[2], VersionID: f[3]}
	}
	return it, nil
}

// noEOF turns an end of the run inside an item into the damage it is.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
