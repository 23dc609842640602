package file

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/trove-ml/trove/remote"
)

// Names of the backend's own files. Both start with [remote.ReservedPrefix],
// which no key may use, so they never collide with objects and List skips
// them.
const (
	tmpPrefix = remote.ReservedPrefix + "tmp-"  // temp files, beside their target
	lockDir   = remote.ReservedPrefix + "locks" // per-key lock files, under the root
)

// Permissions of new folders and files, before the umask: as with git's
// shared repositories, the umask (and a setgid folder) decide who may read
// and write a shared remote.
const (
	dirPerm  = 0o777
	filePerm = 0o666
)

// Bucket is a remote kept in a folder of a local or network file system.
// Objects are plain files at root/key, so the folder can be inspected and
// copied with ordinary tools. It is safe for concurrent use, also by several
// processes on several hosts sharing the folder over NFS (see the package
// documentation for what NFS needs).
type Bucket struct {
	root string // absolute and clean; never changes
}

var _ remote.Bucket = (*Bucket)(nil)

// Open returns the bucket kept in the folder root. The folder must exist:
// a missing one is an error wrapping [remote.ErrBucketNotFound], so that a
// mistyped path is not silently created.
func Open(root string) (*Bucket, error) {
	if root == "" {
		return nil, errors.New("remote/file: empty root folder")
	}
	if err := checkPlatform(); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("remote/file: %w", err)
	}
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("remote/file: folder %s does not exist (create it first): %w", abs, remote.ErrBucketNotFound)
	case err != nil:
		return nil, fmt.Errorf("remote/file: open %s: %w", abs, classify(err))
	case !fi.IsDir():
		return nil, fmt.Errorf("remote/file: %s is not a folder", abs)
	}
	return &Bucket{root: abs}, nil
}

// Location returns the folder as a file:// URL.
func (b *Bucket) Location() string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(b.root)}).String()
}

// Root returns the folder that holds the objects.
func (b *Bucket) Root() string { return b.root }

// path returns the file name of a checked key.
func (b *Bucket) path(key string) string {
	return filepath.Join(b.root, filepath.FromSlash(key))
}

// Stat returns the object's info; see [remote.Bucket].
func (b *Bucket) Stat(ctx context.Context, key string) (remote.ObjectInfo, error) {
	if err := remote.CheckKey(key); err != nil {
		return remote.ObjectInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return remote.ObjectInfo{}, err
	}
	fi, err := os.Stat(b.path(key))
	if err == nil && !fi.Mode().IsRegular() {
		err = fs.ErrNotExist // a folder or a device is not an object
	}
	if err != nil {
		return remote.ObjectInfo{}, b.fail("stat", key, err)
	}
	return objectInfo(key, fi), nil
}

// Get returns a reader of the object's range; see [remote.Bucket]. The
// reader holds the file open, so it keeps reading the bytes it started with
// even if the object is replaced or deleted meanwhile.
func (b *Bucket) Get(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	if err := remote.CheckKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(b.path(key))
	if err != nil {
		return nil, b.fail("get", key, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	if err != nil {
		_ = f.Close() // read-only; nothing to lose
		return nil, b.fail("get", key, err)
	}
	size := fi.Size()
	if off < 0 || off > size {
		_ = f.Close()
		return nil, fmt.Errorf("remote/file: get %s: offset %d outside object of %d bytes: %w", key, off, size, remote.ErrInvalidRange)
	}
	n := size - off
	if length >= 0 && length < n {
		n = length
	}
	return &rangeReader{SectionReader: io.NewSectionReader(f, off, n), f: f}, nil
}

// rangeReader reads a section of an open file and closes the file.
type rangeReader struct {
	*io.SectionReader
	f *os.File
}

func (r *rangeReader) Close() error { return r.f.Close() }

// Delete removes the object; see [remote.Bucket]. Empty folders are left in
// place: removing them would race with a Put creating a file inside.
func (b *Bucket) Delete(ctx context.Context, key string, ifMatch string) error {
	if err := remote.CheckKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	name := b.path(key)
	if ifMatch == "" {
		err := unlink(name)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return b.fail("delete", key, err)
		}
		return b.syncParent("delete", key)
	}
	unlock, err := b.lock(ctx, key)
	if err != nil {
		return b.fail("delete", key, err)
	}
	defer unlock()
	fi, err := statFresh(name)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || err == nil && !fi.Mode().IsRegular() {
		return nil
	}
	if err != nil {
		return b.fail("delete", key, err)
	}
	if got := etag(fi); got != ifMatch {
		return fmt.Errorf("remote/file: delete %s: ETag is %s, not %s: %w", key, got, ifMatch, remote.ErrPreconditionFailed)
	}
	if err := unlink(name); err != nil {
		return b.fail("delete", key, err)
	}
	return b.syncParent("delete", key)
}

// unlink removes a file but never a folder (os.Remove would remove an empty
// one). A folder counts as not found: it is not an object.
func unlink(name string) error {
	err := syscall.Unlink(name)
	if errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.EPERM) && isDir(name) {
		return fs.ErrNotExist
	}
	if err != nil {
		return &fs.PathError{Op: "unlink", Path: name, Err: err}
	}
	return nil
}

func isDir(name string) bool {
	fi, err := os.Lstat(name)
	return err == nil && fi.IsDir()
}

// syncParent makes a change to the folder holding key durable.
func (b *Bucket) syncParent(op, key string) error {
	if err := syncDir(filepath.Dir(b.path(key))); err != nil {
		return b.fail(op, key, err)
	}
	return nil
}

// List calls fn for the objects whose keys start with prefix, in lexical
// order; see [remote.Bucket]. It walks only the folders that can hold such
// keys and skips temp files, lock files and anything that is not a regular
// file (or a symbolic link to one).
func (b *Bucket) List(ctx context.Context, prefix string, fn func(remote.ObjectInfo) error) error {
	// Start in the deepest folder that the prefix names completely.
	dirKey := prefix[:strings.LastIndexByte(prefix, '/')+1]
	if dirKey != "" && remote.CheckKey(strings.TrimSuffix(dirKey, "/")) != nil {
		return nil // no valid key starts with this prefix
	}
	return b.walk(ctx, filepath.Join(b.root, filepath.FromSlash(dirKey)), dirKey, prefix, fn)
}

// entry is one name in a folder, sorted by its place in key order.
type entry struct {
	name string
	sort string // name, or name + "/" for a folder
	dir  bool
}

// walk lists the folder dir, whose keys start with dirKey. Within a folder,
// a subfolder sorts as its name followed by '/': then a depth-first walk
// yields keys in bytewise order ("a-b" < "a/c" because '-' < '/').
func (b *Bucket) walk(ctx context.Context, dir, dirKey, prefix string, fn func(remote.ObjectInfo) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remote/file: list %q: %w", prefix, classify(err))
	}
	entries := make([]entry, 0, len(des))
	for _, de := range des {
		name := de.Name()
		if strings.HasPrefix(name, remote.ReservedPrefix) {
			continue
		}
		folder := de.IsDir()
		if de.Type()&fs.ModeSymlink != 0 {
			// Follow links to files; skip links to folders, which could
			// form cycles.
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
		} else if !folder && !de.Type().IsRegular() {
			continue
		}
		e := entry{name: name, sort: name, dir: folder}
		if folder {
			e.sort += "/"
		}
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b entry) int { return cmp.Compare(a.sort, b.sort) })

	for _, e := range entries {
		key := dirKey + e.name
		if e.dir {
			sub := key + "/"
			if strings.HasPrefix(sub, prefix) || strings.HasPrefix(prefix, sub) {
				if err := b.walk(ctx, filepath.Join(dir, e.name), sub, prefix, fn); err != nil {
					return err
				}
			}
			continue
		}
		if !strings.HasPrefix(key, prefix) || remote.CheckKey(key) != nil {
			continue
		}
		fi, err := os.Stat(filepath.Join(dir, e.name))
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted while we list
		}
		if err != nil {
			return fmt.Errorf("remote/file: list %q: %w", prefix, classify(err))
		}
		if err := fn(objectInfo(key, fi)); err != nil {
			return err
		}
	}
	return nil
}

// fail wraps an error of op on key with the sentinel it stands for. A
// missing name means a missing object, except for a put, where it means
// a parent that is not a folder (or a root that was removed).
func (b *Bucket) fail(op, key string, err error) error {
	if op != "put" && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) {
		return fmt.Errorf("remote/file: %s %s in %s: %w", op, key, b.root, remote.ErrNotFound)
	}
	return fmt.Errorf("remote/file: %s %s: %w", op, key, classify(err))
}

// classify marks errors that callers branch on: permission errors wrap
// [remote.ErrPermission]; a stale NFS file handle (the server rebooted, or
// the file was replaced under an open handle) is transient, since repeating
// the call looks the name up again.
func classify(err error) error {
	switch {
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%w: %w", remote.ErrPermission, err)
	case errors.Is(err, syscall.ESTALE):
		return remote.Transient(err)
	}
	return err
}

// objectInfo builds the info of key from its file's metadata.
func objectInfo(key string, fi fs.FileInfo) remote.ObjectInfo {
	return remote.ObjectInfo{Key: key, Size: fi.Size(), ETag: etag(fi), ModTime: fi.ModTime()}
}
