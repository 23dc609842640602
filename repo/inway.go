package repo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/trove-ml/trove/internal/fileinfo"
	"github.com/trove-ml/trove/objects"
)

// ErrInTheWay means a pull found, at a path where the version has a file
// or folder, something of another kind that trove may not remove (see
// clearPath), and stopped. The error names the path, says what is there,
// and what to do; that path is left as it was, and files placed before
// the pull stopped stay.
var ErrInTheWay = errors.New("repo: something trove did not place is in the way")

// maxInTheWay bounds the paths an ErrInTheWay names; the rest are counted.
const maxInTheWay = 3

// clearPath removes what is at d, found by Lstat as fi, where the version
// has a want ("file", "folder", "symbolic link"), if trove may remove it:
//
//   - an empty folder, or a folder holding only folders;
//   - a file or symbolic link for which placed says yes: trove put it
//     there (or stored it) and it is unchanged since (placedUnchanged);
//   - a folder holding only such things and folders.
//
// Anything else is the user's, and clearPath then removes nothing and
// returns an error wrapping ErrInTheWay that names d as rel, a path under
// the output folder dir, and lists what of the user's is there. placed
// may be nil: nothing is known to be trove's.
//
// The folder is looked through whole before anything goes, and removed
// with os.Remove file by file and folder by folder, deepest first, never
// os.RemoveAll: a file the user adds meanwhile makes a folder's removal
// fail, and nothing of theirs is lost.
func clearPath(dir, rel, version, want string, d string, fi fs.FileInfo, placed func(string, fs.FileInfo) bool) error {
	mine := func(p string, fi fs.FileInfo) bool { return placed != nil && placed(p, fi) }
	inTheWay := func(what string) error {
		return fmt.Errorf("%w of %s's %s %s: %s (in %s). Nothing there was changed (other files of %s may already be in place): move it away and try again, or pull into another folder",
			ErrInTheWay, version, want, rel, what, dir, version)
	}
	if !fi.IsDir() {
		if !mine(d, fi) {
			kind := "file"
			if !fi.Mode().IsRegular() {
				kind = fileinfo.KindName(fi.Mode())
			}
			return inTheWay(fmt.Sprintf("a %s not in %s", kind, version))
		}
		if err := os.Remove(d); err != nil {
			return fmt.Errorf("pull: replace %s with a %s: %w", d, want, err)
		}
		return nil
	}
	var files, dirs, theirs []string
	n := 0
	err := filepath.WalkDir(d, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.IsDir() {
			dirs = append(dirs, p)
			return nil
		}
		info, err := de.Info()
		if err != nil {
			return err
		}
		if mine(p, info) {
			files = append(files, p)
			return nil
		}
		if n++; len(theirs) < maxInTheWay {
			theirs = append(theirs, path.Join(rel, filepath.ToSlash(p[len(d)+1:])))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pull: look through the folder in the way of %s %s: %w", want, d, err)
	}
	if n > 0 {
		what := fmt.Sprintf("a folder holding %d %s not in %s: %s", n, plural(n, "file"), version, strings.Join(theirs, ", "))
		if n > len(theirs) {
			what += fmt.Sprintf(" and %d more", n-len(theirs))
		}
		return inTheWay(what)
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("pull: replace folder %s with a %s: %w", d, want, err)
		}
	}
	// WalkDir lists a folder before what it holds: backwards is deepest
	// first.
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Remove(dirs[i]); err != nil {
			return fmt.Errorf("pull: replace folder %s with a %s: %w", d, want, err)
		}
	}
	return nil
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}

// clear is clearPath for a path of the version being pulled.
func (m *materializer) clear(d string, fi fs.FileInfo, want string) error {
	rel, err := filepath.Rel(m.dir, d)
	if err != nil {
		rel = d
	}
	return clearPath(m.dir, filepath.ToSlash(rel), m.version, want, d, fi, m.placedUnchanged)
}

// clearForFile is clear for a file of the version.
func (m *materializer) clearForFile(d string, fi fs.FileInfo) error {
	return m.clear(d, fi, "file")
}

// placedUnchanged reports whether the file or symbolic link at d (fi, its
// Lstat) is trove's to remove: its stat cache entry says what it held when
// a pull placed it or a commit stored it, and it holds that still — by
// the entry's stat where that is trusted, else by hashing it again (an
// entry written moments ago is racy, see trustStatEntry) — and trove can
// give that content back. A pull's entry (epoch 0) names content of a
// version, here or on a remote; a commit's names content it stored, which
// a GC may have removed since, so the store is asked. Links are recorded
// by pulls with the digest of their target (symlink).
//
// Entries under refStatKey are not looked at: the DigestCache writes them
// also for the user's own files that a file:// reference points at, which
// the store does not hold.
func (m *materializer) placedUnchanged(d string, fi fs.FileInfo) bool {
	v, err := m.r.store.GetMeta(nsStatCache, statKey(d))
	if err != nil {
		return false
	}
	old, _, digest, epoch, err := decodeStatEntry(v)
	if err != nil {
		return false
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		t, err := os.Readlink(d)
		return err == nil && objects.Sum([]byte(t)) == digest
	case !fi.Mode().IsRegular() || old.size != fi.Size():
		return false
	}
	st := statOf(fi)
	if _, _, ok := trustStatEntry(v, st); !ok {
		if got, err := hashFile(d, st); err != nil || got != digest {
			return false
		}
	}
	return epoch == 0 || m.r.holds(digest, fi.Size())
}

// holds reports whether the local store holds the content with digest.
func (r *Repo) holds(digest objects.ID, size int64) bool {
	if size == 0 {
		return true
	}
	if _, ok, err := r.store.FileMap(digest); err == nil && ok {
		return true
	}
	ok, err := r.store.Has(digest)
	return err == nil && ok
}
