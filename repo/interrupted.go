package repo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// A pull killed while it writes (kill -9, the OOM killer, a closed
// terminal) leaves files it placed whose stat cache entries were not
// written yet: the next pull into that folder would take them for the
// user's and refuse to replace them. So before its first write a pull
// records that it is placing version root into folder dir (pullingKey),
// and removes the record when it ends, failed or not, once its stat cache
// entries are written. A record that outlives its pull names a version
// whose files may be in the folder unknown to the stat cache; a later
// pull takes a file there as trove's when it holds exactly what that
// version has at its path (placedByInterrupted): trove placed it, or its
// bytes are those of a version trove holds, so replacing it loses nothing.

// pullingPrefix starts the stat cache keys of pulls that began writing
// and have not ended: 0x03, the output folder, NUL, the version's root.
const pullingPrefix = 0x03

func pullingFolderKey(dir string) []byte {
	k := make([]byte, 0, 2+len(dir)+objects.IDSize)
	k = append(k, pullingPrefix)
	k = append(k, dir...)
	return append(k, 0)
}

func pullingKey(dir string, root objects.ID) []byte {
	return append(pullingFolderKey(dir), root[:]...)
}

// beginPull records that a pull of the version with tree root into dir
// is about to write. The record is synced: an unsynced write reaches the
// log only when Pebble's flusher gets to it, and a pull killed
// milliseconds after it began had written files and lost the record
// (TestKilledPin).
func (r *Repo) beginPull(dir string, root objects.ID) error {
	b := r.store.NewMetaBatch()
	defer b.Close()
	if err := b.Set(nsStatCache, pullingKey(dir, root), []byte{1}); err != nil {
		return err
	}
	return b.Commit(true)
}

// begin records, once, before the pull places its first file or link,
// that it is writing (beginPull): a pull that finds everything up to date
// writes no record, and syncs nothing.
func (m *materializer) begin() error {
	m.beginOnce.Do(func() {
		if m.beginErr = m.r.beginPull(m.dir, m.root); m.beginErr == nil {
			m.begun.Store(true)
		} else {
			m.beginErr = fmt.Errorf("pull: %w", m.beginErr)
		}
	})
	return m.beginErr
}

// endPull removes the records of the pulls of roots into dir.
func (r *Repo) endPull(dir string, roots ...objects.ID) error {
	b := r.store.NewMetaBatch()
	defer b.Close()
	for _, root := range roots {
		if err := b.Delete(nsStatCache, pullingKey(dir, root)); err != nil {
			return err
		}
	}
	return b.Commit(false)
}

// removePullTemps removes from the folder tree at dir the temp files a
// killed pull left: a file replacing another is linked to a temp name
// beside it (linkUnnamedTemp, createTemp) and then renamed over it. Only
// names made that way are removed: ".trove-pull-" and digits.
func removePullTemps(ctx context.Context, dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.Type().IsRegular() && isPullTemp(d.Name()) {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		return nil
	})
}

func isPullTemp(name string) bool {
	rest, ok := strings.CutPrefix(name, pullTempPrefix)
	if !ok || rest == "" {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// interrupted lists the roots of versions whose pulls into dir began
// writing and never ended.
func (r *Repo) interrupted(ctx context.Context, dir string) []objects.ID {
	var roots []objects.ID
	prefix := pullingFolderKey(dir)
	_ = r.store.ScanMeta(ctx, nsStatCache, prefix, func(k, _ []byte) error {
		if len(k) == len(prefix)+objects.IDSize {
			roots = append(roots, objects.ID(k[len(prefix):]))
		}
		return nil
	}) // a hint: unreadable, it is as if there were none
	return roots
}

// placedByInterrupted reports whether the file or symbolic link at d (fi,
// its Lstat) holds exactly what a version whose pull into this folder was
// interrupted (m.interrupted) has at d's path. It reads a few tree nodes
// from the local store, on a path that otherwise ends in ErrInTheWay.
func (m *materializer) placedByInterrupted(d string, fi fs.FileInfo) bool {
	if len(m.interrupted) == 0 {
		return false
	}
	for _, root := range m.interrupted {
		e, err := manifest.Lookup(context.Background(), m.g, root, m.rel(d))
		if err != nil {
			continue // gone, or not fetched: no evidence
		}
		switch e.Kind {
		case manifest.KindSymlink:
			if t, err := os.Readlink(d); err == nil && t == e.Target {
				return true
			}
		case manifest.KindFile:
			// As a pull compares a file with its version's (and so
			// remembers it as trove's, which it is).
			if m.upToDate(d, fi, e) {
				return true
			}
		}
	}
	return false
}
