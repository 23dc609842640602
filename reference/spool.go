package reference

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/trove-ml/trove/manifest"
)

// Spooled is a reference listed once, ahead of its commit: its entries,
// in the order List gave them, in an unlinked temp file. A commit takes
// the repository's lock for as long as it runs, and listing a large
// prefix can take minutes (a 150,000-object bucket: seconds; a slow HTTP
// server: up to its timeouts), so the command line lists remote
// references before it opens the repository, and every other trove
// command (a training job's trove use, the end of a trove run) goes on
// meanwhile. It implements repo.RefSource; Close releases the file.
type Spooled struct {
	name string
	f    *os.File
	n    int64
}

// spooledEntry is one record of a spool file.
type spooledEntry struct {
	Path  string
	Entry manifest.Entry
}

// Spool lists s into an unlinked temp file in dir (the system's temp
// folder when empty), so that a failed or killed command leaves nothing
// behind. Errors are the listing's, as List returns them.
func (s *Source) Spool(ctx context.Context, dir string) (*Spooled, error) {
	f, err := os.CreateTemp(dir, "trove-ref-list-*")
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	_ = os.Remove(f.Name()) // unlinked: the descriptor keeps it
	sp := &Spooled{name: s.String(), f: f}
	w := bufio.NewWriterSize(f, 1<<20)
	enc := gob.NewEncoder(w)
	err = s.List(ctx, func(p string, e manifest.Entry) error {
		sp.n++
		return enc.Encode(spooledEntry{Path: p, Entry: e})
	})
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return sp, nil
}

// String names the reference as its Source did.
func (sp *Spooled) String() string { return sp.name }

// Len returns the number of entries listed.
func (sp *Spooled) Len() int64 { return sp.n }

// List calls fn for the entries listed, in the same order; it may be
// called more than once.
func (sp *Spooled) List(ctx context.Context, fn func(path string, e manifest.Entry) error) error {
	if _, err := sp.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("reference: read the listing of %s: %w", sp.name, err)
	}
	dec := gob.NewDecoder(bufio.NewReaderSize(sp.f, 1<<20))
	for i := int64(0); i < sp.n; i++ {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		var r spooledEntry
		if err := dec.Decode(&r); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("reference: read the listing of %s: %w", sp.name, err)
		}
		if err := fn(r.Path, r.Entry); err != nil {
			return err
		}
	}
	return nil
}

// Close releases the spool file.
func (sp *Spooled) Close() error { return sp.f.Close() }
