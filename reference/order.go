package reference

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

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
	// runBuffer is the read and write buffer of one spilled run.
	runBuffer = 64 << 10
	// maxSpillField bounds a string read back from a run; every field
	// was checked against manifest.MaxRefFieldLen before it was written.
	maxSpillField = manifest.MaxRefFieldLen
)

// item is one listed object: its path below the reference and its entry.
type item struct {
	path string
	e    manifest.Entry
}

func (it *item) memSize() int {
	n := itemOverhead + len(it.path) + len(it.e.Name)
	if r := it.e.Ref; r != nil {
		n += len(r.URI) + len(r.ChecksumKind) + len(r.Checksum) + len(r.VersionID)
	}
	return n
}

// sorter puts a listing into walk order with bounded memory: entries are
// buffered up to a budget, each full buffer is sorted and written to a
// temp file (a run), and finish merges the runs. A listing that fits the
// budget is sorted in memory and never written. It costs one buffer of
// entries plus one read buffer per run while merging.
type sorter struct {
	dir    string
	budget int

	mem      []item
	memBytes int
	runs     []*os.File
	scratch  []byte
}

func newSorter(dir string, budget int) *sorter {
	if budget <= 0 {
		budget = DefaultSortMemory
	}
	return &sorter{dir: dir, budget: budget}
}

func (s *sorter) add(path string, e manifest.Entry) error {
	it := item{path: path, e: e}
	s.mem = append(s.mem, it)
	s.memBytes += it.memSize()
	if s.memBytes >= s.budget {
		return s.spill()
	}
	return nil
}

func sortItems(items []item) {
	slices.SortFunc(items, func(a, b item) int { return walkCompare(a.path, b.path) })
}

// spill sorts the buffer and writes it as a run.
func (s *sorter) spill() error {
	sortItems(s.mem)
	f, err := os.CreateTemp(s.dir, "trove-ref-sort-*")
	if err != nil {
		return fmt.Errorf("reference: sort listing: %w", err)
	}
	// The run is unlinked at once where the system allows it, so that a
	// crash leaves nothing behind; close removes it otherwise.
	_ = os.Remove(f.Name())
	s.runs = append(s.runs, f)
	w := bufio.NewWriterSize(f, runBuffer)
	for i := range s.mem {
		s.scratch = appendItem(s.scratch[:0], &s.mem[i])
		if _, err := w.Write(s.scratch); err != nil {
			return fmt.Errorf("reference: sort listing: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("reference: sort listing: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("reference: sort listing: %w", err)
	}
	clear(s.mem)
	s.mem, s.memBytes = s.mem[:0], 0
	return nil
}

// finish calls fn for every entry added, in walk order.
func (s *sorter) finish(fn func(path string, e manifest.Entry) error) error {
	if len(s.runs) == 0 {
		sortItems(s.mem)
		for _, it := range s.mem {
			if err := fn(it.path, it.e); err != nil {
				return err
			}
		}
		return nil
	}
	if len(s.mem) > 0 {
		if err := s.spill(); err != nil {
			return err
		}
	}
	s.mem = nil
	h := make(runHeap, 0, len(s.runs))
	for _, f := range s.runs {
		c := &runCursor{r: bufio.NewReaderSize(f, runBuffer), name: f.Name()}
		ok, err := c.next()
		if err != nil {
			return err
		}
		if ok {
			h = append(h, c)
		}
	}
	heap.Init(&h)
	for len(h) > 0 {
		c := h[0]
		if err := fn(c.cur.path, c.cur.e); err != nil {
			return err
		}
		ok, err := c.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return nil
}

// close removes the runs.
func (s *sorter) close() {
	for _, f := range s.runs {
		f.Close()
		os.Remove(f.Name()) // already unlinked where the system allows it
	}
	s.runs, s.mem = nil, nil
}

// Run encoding, private to one process and never persisted beyond it:
//
//	path, name: uvarint length, bytes each
//	kind u8, size uvarint, digest [32]
//	uri, checksum kind, checksum, version id: uvarint length, bytes each
func appendItem(b []byte, it *item) []byte {
	b = appendSpillString(b, it.path)
	b = appendSpillString(b, it.e.Name)
	b = append(b, byte(it.e.Kind))
	b = binary.AppendUvarint(b, uint64(it.e.Size))
	b = append(b, it.e.Digest[:]...)
	var r manifest.Reference
	if it.e.Ref != nil {
		r = *it.e.Ref
	}
	for _, s := range [...]string{r.URI, r.ChecksumKind, r.Checksum, r.VersionID} {
		b = appendSpillString(b, s)
	}
	return b
}

func appendSpillString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// errRun marks a run that does not decode: a bug or a damaged temp folder.
var errRun = errors.New("reference: sort listing: damaged temp file")

type runCursor struct {
	r    *bufio.Reader
	name string
	cur  item
	buf  []byte
}

// next reads the next item; ok is false at the end of the run.
func (c *runCursor) next() (ok bool, err error) {
	p, err := c.str(true)
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	it := item{path: p}
	if it.e.Name, err = c.str(false); err != nil {
		return false, err
	}
	k, err := c.r.ReadByte()
	if err != nil {
		return false, c.fail(err)
	}
	it.e.Kind = manifest.Kind(k)
	size, err := binary.ReadUvarint(c.r)
	if err != nil || size > 1<<63-1 {
		return false, c.fail(err)
	}
	it.e.Size = int64(size)
	if _, err := io.ReadFull(c.r, it.e.Digest[:objects.IDSize]); err != nil {
		return false, c.fail(err)
	}
	var f [4]string
	for i := range f {
		if f[i], err = c.str(false); err != nil {
			return false, err
		}
	}
	if f != [4]string{} {
		it.e.Ref = &manifest.Reference{URI: f[0], ChecksumKind: f[1], Checksum: f[2], VersionID: f[3]}
	}
	c.cur = it
	return true, nil
}

// str reads one length-prefixed string; at a clean end of the run (first
// is true and nothing is left) it returns io.EOF.
func (c *runCursor) str(first bool) (string, error) {
	n, err := binary.ReadUvarint(c.r)
	if err == io.EOF && first {
		return "", io.EOF
	}
	if err != nil {
		return "", c.fail(err)
	}
	if n > maxSpillField {
		return "", c.fail(fmt.Errorf("field of %d bytes", n))
	}
	if cap(c.buf) < int(n) {
		c.buf = make([]byte, n)
	}
	b := c.buf[:n]
	if _, err := io.ReadFull(c.r, b); err != nil {
		return "", c.fail(err)
	}
	return string(b), nil
}

func (c *runCursor) fail(err error) error {
	if err == nil {
		err = errors.New("bad value")
	}
	return fmt.Errorf("%w %s: %v", errRun, c.name, err)
}

// runHeap orders run cursors by their current item's path.
type runHeap []*runCursor

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return walkCompare(h[i].cur.path, h[j].cur.path) < 0 }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.(*runCursor)) }
func (h *runHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}
