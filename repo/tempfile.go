package repo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// tempFile is a new file being written beside its final place, d. Where
// the system allows it (Linux's O_TMPFILE) the file has no name until
// commit links it at d: one directory operation instead of a create and
// a rename — a pull of many small files is mostly directory operations,
// each taking the folder's lock — and nothing left behind by a crash.
// Elsewhere, and to replace a file already at d, it is a named temp file
// renamed over d. Either way a reader sees the old file or the whole new
// one, never a partial file under d's name.
type tempFile struct {
	f    *os.File
	d    string
	name string // "" while the file has no name (O_TMPFILE)
}

// pullTempPrefix starts the names of the temp files a pull makes beside
// the files it places; the rest is digits (removePullTemps).
const pullTempPrefix = ".trove-pull-"

// createTemp creates the temp file for d: unnamed if unnamed (what
// canOpenUnnamed said) and the filesystem allows it, else named.
func createTemp(d string, unnamed bool) (*tempFile, error) {
	dir := filepath.Dir(d)
	if unnamed {
		if f, ok := openUnnamed(dir); ok {
			return &tempFile{f: f, d: d}, nil
		}
	}
	f, err := os.CreateTemp(dir, pullTempPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("pull: %w", err)
	}
	return &tempFile{f: f, d: d, name: f.Name()}, nil
}

// abort removes the temp file.
func (t *tempFile) abort() {
	t.f.Close()
	if t.name != "" {
		os.Remove(t.name)
	}
}

// commit gives the temp file mode and puts it at its final place; see
// replaceFile. A folder at that place is handed to clear, which empties
// it or fails. On failure the temp file is removed.
func (t *tempFile) commit(mode fs.FileMode, clear func(d string, fi fs.FileInfo) error) (st fileStat, statTime time.Time, err error) {
	defer func() {
		if err != nil {
			t.abort()
		}
	}()
	if err = t.f.Chmod(mode); err != nil {
		return st, statTime, fmt.Errorf("pull: %w", err)
	}
	statTime = time.Now()
	if t.name == "" {
		err = linkUnnamed(t.f, t.d)
		if err == nil {
			return t.closeAndStat(statTime)
		}
		if !errors.Is(err, fs.ErrExist) {
			return st, statTime, fmt.Errorf("pull: %w", err)
		}
		// Something is at d: name the file, then rename it over d.
		if t.name, err = linkUnnamedTemp(t.f, filepath.Dir(t.d)); err != nil {
			return st, statTime, fmt.Errorf("pull: %w", err)
		}
	}
	if err = os.Rename(t.name, t.d); err != nil {
		// A folder in the way makes the rename fail (EISDIR, ENOTEMPTY or
		// EEXIST): only then is it looked at, saving a lookup per file.
		fi, lerr := os.Lstat(t.d)
		if lerr != nil || !fi.IsDir() {
			return st, statTime, fmt.Errorf("pull: %w", err)
		}
		if err = clear(t.d, fi); err != nil {
			return st, statTime, err
		}
		statTime = time.Now()
		if err = os.Rename(t.name, t.d); err != nil {
			return st, statTime, fmt.Errorf("pull: %w", err)
		}
	}
	t.name = "" // renamed: nothing to remove any more
	return t.closeAndStat(statTime)
}

// closeAndStat closes the file, now at d, and returns its stat for the
// stat cache: taken from the open file (the inode linked or renamed to d,
// its ctime already moved by that), not by looking d up again.
func (t *tempFile) closeAndStat(statTime time.Time) (fileStat, time.Time, error) {
	fi, err := t.f.Stat()
	if cerr := t.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fileStat{}, statTime, fmt.Errorf("pull: %w", err)
	}
	return statOf(fi), statTime, nil
}
