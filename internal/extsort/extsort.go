// Package extsort sorts more values than memory should hold: values are
// buffered up to a budget, each full buffer is sorted and written to a temp
// file (a run), and reading merges the runs. Values that fit the budget are
// sorted in memory and never written.
//
// A sort costs one buffer of values plus, while merging, one read buffer
// per run: a million 20-byte names sort in a few MB, with a handful of runs
// of about 25 MB in all. Runs are private to one process and unlinked as
// soon as they are made where the system allows it, so that a crash leaves
// nothing behind; their encoding is the caller's ([Codec]), and a run that
// does not decode is [ErrDamaged], never a wrong order.
package extsort

import (
	"bufio"
	"container/heap"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// ErrDamaged is returned when a run does not decode: a bug in a codec or
// a temp folder changed under the sort.
var ErrDamaged = errors.New("extsort: damaged temp file")

// Codec is what a sort needs to know of its values.
type Codec[T any] struct {
	// Compare orders values: negative when a sorts before b.
	Compare func(a, b T) int
	// Size approximates the memory a buffered value holds, in bytes,
	// counting its slot in the buffer.
	Size func(v T) int
	// Append encodes v at the end of b.
	Append func(b []byte, v T) []byte
	// Read decodes the next value appended, returning io.EOF, and only
	// that, when the run ends cleanly before it. Any other error, or an
	// io.EOF or io.ErrUnexpectedEOF within a value, makes the run damaged.
	Read func(r *bufio.Reader) (T, error)
}

// runBuffer is the read and write buffer of one run.
const runBuffer = 32 << 10

// Sorter collects values and gives them back in order. Its zero value is
// not usable; make one with [New]. A Sorter is not safe for concurrent use.
type Sorter[T any] struct {
	dir    string
	budget int
	codec  Codec[T]

	mem      []T
	memBytes int
	runs     []*os.File
	scratch  []byte
}

// New returns a Sorter that holds values of up to budget bytes (by
// codec.Size) in memory and spills sorted runs to temp files in dir ("":
// the system's temp folder).
func New[T any](dir string, budget int, codec Codec[T]) *Sorter[T] {
	return &Sorter[T]{dir: dir, budget: max(budget, 1), codec: codec}
}

// Add adds v. The error is one of writing a run.
func (s *Sorter[T]) Add(v T) error {
	s.mem = append(s.mem, v)
	s.memBytes += s.codec.Size(v)
	if s.memBytes >= s.budget {
		return s.spill()
	}
	return nil
}

// Spilled reports how many runs were written so far.
func (s *Sorter[T]) Spilled() int { return len(s.runs) }

// spill sorts the buffer and writes it as a run.
func (s *Sorter[T]) spill() error {
	slices.SortFunc(s.mem, s.codec.Compare)
	f, err := os.CreateTemp(s.dir, "trove-sort-*")
	if err != nil {
		return fmt.Errorf("extsort: %w", err)
	}
	_ = os.Remove(f.Name()) // where the system allows it; Close removes it otherwise
	s.runs = append(s.runs, f)
	w := bufio.NewWriterSize(f, runBuffer)
	for _, v := range s.mem {
		s.scratch = s.codec.Append(s.scratch[:0], v)
		if _, err := w.Write(s.scratch); err != nil {
			return fmt.Errorf("extsort: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("extsort: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("extsort: %w", err)
	}
	clear(s.mem)
	s.mem, s.memBytes = s.mem[:0], 0
	return nil
}

// Sorted returns an iterator over every value added, in order (the order
// of values that compare equal is not fixed). The Sorter takes no more
// values after it; Close releases the runs when the iterator is done.
func (s *Sorter[T]) Sorted() (*Iter[T], error) {
	if len(s.runs) == 0 {
		slices.SortFunc(s.mem, s.codec.Compare)
		it := &Iter[T]{mem: s.mem}
		s.mem = nil
		return it, nil
	}
	if len(s.mem) > 0 {
		if err := s.spill(); err != nil {
			return nil, err
		}
	}
	s.mem = nil
	it := &Iter[T]{h: runHeap[T]{cmp: s.codec.Compare}}
	for _, f := range s.runs {
		c := &cursor[T]{r: bufio.NewReaderSize(f, runBuffer), name: f.Name(), read: s.codec.Read}
		ok, err := c.next()
		if err != nil {
			return nil, err
		}
		if ok {
			it.h.c = append(it.h.c, c)
		}
	}
	heap.Init(&it.h)
	return it, nil
}

// Close removes the runs. It may be called at any time, more than once;
// an iterator of the Sorter must not be used after it.
func (s *Sorter[T]) Close() {
	for _, f := range s.runs {
		f.Close()
		os.Remove(f.Name()) // already unlinked where the system allows it
	}
	s.runs, s.mem = nil, nil
}

// Iter gives back a Sorter's values in order.
type Iter[T any] struct {
	mem []T // sorted in memory: no runs
	h   runHeap[T]
}

// Next returns the next value; ok is false once every value was returned.
func (it *Iter[T]) Next() (v T, ok bool, err error) {
	if it.h.c == nil {
		if len(it.mem) == 0 {
			return v, false, nil
		}
		v, it.mem[0] = it.mem[0], v // let the buffer forget it
		it.mem = it.mem[1:]
		return v, true, nil
	}
	if len(it.h.c) == 0 {
		return v, false, nil
	}
	c := it.h.c[0]
	v = c.cur
	more, err := c.next()
	if err != nil {
		return v, false, err
	}
	if more {
		heap.Fix(&it.h, 0)
	} else {
		heap.Pop(&it.h)
	}
	return v, true, nil
}

// NextN appends the next values, at most n, to dst; none once every value
// was returned.
func (it *Iter[T]) NextN(dst []T, n int) ([]T, error) {
	if it.h.c == nil { // sorted in memory: a copy
		k := min(n, len(it.mem))
		dst = append(dst, it.mem[:k]...)
		clear(it.mem[:k])
		it.mem = it.mem[k:]
		return dst, nil
	}
	for range n {
		v, ok, err := it.Next()
		if err != nil || !ok {
			return dst, err
		}
		dst = append(dst, v)
	}
	return dst, nil
}

type cursor[T any] struct {
	r    *bufio.Reader
	name string
	read func(*bufio.Reader) (T, error)
	cur  T
}

// next reads the run's next value into cur; ok is false at its end.
func (c *cursor[T]) next() (ok bool, err error) {
	v, err := c.read(c.r)
	switch {
	case err == io.EOF:
		return false, nil
	case err != nil:
		return false, fmt.Errorf("%w %s: %v", ErrDamaged, c.name, err)
	}
	c.cur = v
	return true, nil
}

// runHeap orders run cursors by their current value.
type runHeap[T any] struct {
	c   []*cursor[T]
	cmp func(a, b T) int
}

func (h *runHeap[T]) Len() int           { return len(h.c) }
func (h *runHeap[T]) Less(i, j int) bool { return h.cmp(h.c[i].cur, h.c[j].cur) < 0 }
func (h *runHeap[T]) Swap(i, j int)      { h.c[i], h.c[j] = h.c[j], h.c[i] }
func (h *runHeap[T]) Push(x any)         { h.c = append(h.c, x.(*cursor[T])) }
func (h *runHeap[T]) Pop() any {
	c := h.c[len(h.c)-1]
	h.c = h.c[:len(h.c)-1]
	return c
}
