package fileinfo

import (
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/trove-ml/trove/internal/extsort"
)

// DefaultListMemory is the default [ListOptions.Memory]: some 200,000
// names of 20 bytes. Larger folders are sorted in runs on disk.
const DefaultListMemory = 8 << 20

// maxName bounds a name read back from a sort run: longer than any file
// system's name limit (255 bytes on Linux, 1,020 on macOS).
const maxName = 4096

// ListOptions configures [OpenList].
type ListOptions struct {
	// TempDir holds the sorted runs of a folder whose names take more
	// than Memory; "" is the system's temp folder.
	TempDir string
	// Memory bounds the bytes of names held to sort them; 0 means
	// DefaultListMemory.
	Memory int
}

// A Lister gives a folder's entries in name order (bytewise, as
// os.ReadDir), a batch at a time, in memory bounded whatever the folder
// holds: the names are read when the Lister is opened, sorted in runs
// spilled to ListOptions.TempDir if they take more than
// ListOptions.Memory, and merged as batches are asked for.
//
// Entries come with what Lstat reports of them (symlinks are not
// followed), stat'ed batch by batch. On Linux they are stat'ed relative to
// the folder's descriptor, which the Lister holds open until Close, so
// the kernel resolves one path element per entry instead of the whole
// path, and a batch's results share one allocation: listing a folder this
// way costs about half of os.ReadDir and an Info per entry.
//
// A Lister is not safe for concurrent use.
type Lister struct {
	f     *os.File
	dir   string
	sort  *extsort.Sorter[string]
	it    *extsort.Iter[string]
	names []string // the current batch's, reused
}

// OpenList reads the names in the folder dir and returns a Lister that
// gives them in order. The error is one of opening or reading the folder
// (an *fs.PathError), or of writing a sorted run.
func OpenList(dir string, o ListOptions) (*Lister, error) {
	if o.Memory <= 0 {
		o.Memory = DefaultListMemory
	}
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	l := &Lister{f: f, dir: dir, sort: extsort.New(o.TempDir, o.Memory, extsort.Strings(maxName))}
	if err := l.read(); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// listBatch is how many names OpenList reads from the folder at a time.
const listBatch = 4096

func (l *Lister) read() error {
	for {
		names, err := l.f.Readdirnames(listBatch)
		for _, n := range names {
			if err := l.sort.Add(n); err != nil {
				return fmt.Errorf("fileinfo: listing %s: %w", l.dir, err)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	it, err := l.sort.Sorted()
	if err != nil {
		return fmt.Errorf("fileinfo: listing %s: %w", l.dir, err)
	}
	l.it = it
	return nil
}

// Spilled reports whether the folder's names took more than the memory
// allowed, and were sorted on disk.
func (l *Lister) Spilled() bool { return l.sort.Spilled() > 0 }

// NextNames returns the next names, at most n, without stat'ing them; none
// once every name was returned. The slice is the Lister's until the next
// call.
func (l *Lister) NextNames(n int) ([]string, error) {
	names, err := l.it.NextN(l.names[:0], n)
	if err != nil {
		return nil, fmt.Errorf("fileinfo: listing %s: %w", l.dir, err)
	}
	l.names = names
	return names, nil
}

// Next returns the next entries, at most n, each with what Lstat reports
// of it: none once every entry was returned. An entry removed since the
// folder was read is an error that names it, as from os.Lstat.
func (l *Lister) Next(n int) ([]fs.FileInfo, error) {
	names, err := l.NextNames(n)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	return lstatAll(l.f, l.dir, names)
}

// Close closes the folder and removes the sorted runs.
func (l *Lister) Close() error {
	l.sort.Close()
	return l.f.Close()
}
