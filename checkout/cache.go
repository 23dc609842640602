package checkout

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/trove-ml/trove/internal/fileinfo"
	"github.com/trove-ml/trove/objects"
)

// Names and limits of the cache's layout (see doc.go, "The cache").
const (
	filesDir = "files" // dir/files/ab/<64 hex digits>: the cached files
	tmpDir   = "tmp"   // dir/tmp/add-*: Adds in progress, and probes

	// cachedPerm is the mode of every cached file. Nobody may write a
	// cached file: outputs may share its inode (Hardlink).
	cachedPerm fs.FileMode = 0o444

	// staleTempAge is how old a file in dir/tmp must be before Open
	// removes it as left over by a crash. An Add writes one file from the
	// local store, which takes minutes even for a file of hundreds of
	// gigabytes; a day is far beyond that, so Open never removes the temp
	// file of an Add still running in another process.
	staleTempAge = 24 * time.Hour
)

// probeTime is what Open sets as a probe file's access time to learn
// whether the filesystem keeps it. Whole even seconds: FAT keeps
// modification times to 2 s (and access times to the day, which then
// fails the probe as it should).
func probeTime() time.Time { return time.Unix(1_000_000_000, 0) }

// Options configure a Cache. The zero value is ready to use.
type Options struct {
	// Now returns the current time. It dates the files Add writes and the
	// use Touch and Place record, which decide what Prune removes first,
	// and ages temp files for Open. The default is time.Now.
	Now func() time.Time
}

// Cache is a folder of whole files named by the BLAKE3 digest of their
// content, each written once and read-only (0444), from which a [Placer]
// puts files into output folders. It is safe for concurrent use, by
// goroutines and by processes: every change is a single create, link,
// rename or remove of one file.
type Cache struct {
	dir string // absolute
	now func() time.Time

	// What Open learnt of the filesystem, with a probe file:
	atime bool // it keeps an access time set explicitly: Touch sets it, Prune reads it
	perms bool // it keeps mode 0444: Lookup distrusts a cached file that became writable
	devOK bool // it has device numbers, which a Placer needs to probe reflinks per device
}

// Open opens the cache in dir, creating the folder if it is missing. It
// removes temp files that a crashed Add left behind a day or more ago,
// and learns with a probe file whether the filesystem keeps access times
// and read-only modes (see doc.go, "Use and pruning").
func Open(dir string, o Options) (*Cache, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("checkout: open cache %s: %w", dir, err)
	}
	c := &Cache{dir: abs, now: o.Now}
	if c.now == nil {
		c.now = time.Now
	}
	for _, d := range []string{c.filesDir(), c.tmpDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("checkout: open cache %s: %w", abs, err)
		}
	}
	if err := c.removeStaleTemps(); err != nil {
		return nil, err
	}
	if err := c.probe(); err != nil {
		return nil, err
	}
	return c, nil
}

// Dir returns the cache's folder, as an absolute path.
func (c *Cache) Dir() string { return c.dir }

func (c *Cache) filesDir() string { return filepath.Join(c.dir, filesDir) }
func (c *Cache) tmpDir() string   { return filepath.Join(c.dir, tmpDir) }

// Path returns where the file of content id is kept:
// Dir/files/ab/abcdef… (the 64 hex digits of id, under their first two).
// The file may not exist; Lookup says whether it does.
func (c *Cache) Path(id objects.ID) string {
	h := id.String()
	return filepath.Join(c.dir, filesDir, h[:2], h)
}

// Lookup returns the path of the file of content id if the cache holds it
// with the given size. A file there that is not a regular file, has
// another size, or has become writable (see doc.go, "Trust") is removed
// and reported absent: ok is false and err nil. err is set only when the
// cache cannot be read or a bad file cannot be removed.
func (c *Cache) Lookup(id objects.ID, size int64) (path string, ok bool, err error) {
	p := c.Path(id)
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("checkout: cache lookup %s: %w", p, err)
	}
	if c.trusted(fi, size) {
		return p, true, nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", false, fmt.Errorf("checkout: cache lookup: remove bad file %s: %w", p, fileinfo.Cause(err))
	}
	return "", false, nil
}

// trusted reports whether fi describes a good cached file of the given
// size.
func (c *Cache) trusted(fi fs.FileInfo, size int64) bool {
	if !fi.Mode().IsRegular() || fi.Size() != size {
		return false
	}
	return !c.perms || fi.Mode().Perm() == cachedPerm
}

// Add puts the file of content id, size bytes long, into the cache and
// returns its path. fill writes the content into f, a new empty temp file
// inside the cache folder, and must check that it hashes to id: Add checks
// only the size (a mismatch wraps [objects.ErrCorrupt]). fill runs once, on
// the caller's goroutine; it must not close f or keep it. fill's error is
// returned as it is.
//
// Add does not look first: call Lookup before fetching the content. When
// the cache already holds a good file of id (another Add got there first,
// in this process or another), Add keeps that one and drops its own, so
// concurrent Adds of one id are harmless. The file is durable before its
// name appears; on any failure, fill's included, Add leaves nothing behind.
func (c *Cache) Add(ctx context.Context, id objects.ID, size int64, fill func(f *os.File) error) (path string, err error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	final := c.Path(id)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return "", fmt.Errorf("checkout: cache add %s: %w", id, err)
	}
	f, err := os.CreateTemp(c.tmpDir(), "add-"+id.Short()+"-*")
	if err != nil {
		return "", fmt.Errorf("checkout: cache add %s: %w", id, err)
	}
	tmp, closed := f.Name(), false
	defer func() {
		if !closed {
			f.Close()
		}
		// The temp name goes in every case: on success the content lives
		// on under its final name. Its error is dropped: a temp file left
		// behind costs only space until Open removes it a day later.
		_ = os.Remove(tmp)
	}()
	if err = fill(f); err != nil {
		return "", err
	}
	if err = ctx.Err(); err != nil {
		return "", err
	}
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("checkout: cache add %s: %w", id, err)
	}
	if fi.Size() != size {
		return "", fmt.Errorf("%w: cache add %s: %d bytes written, want %d", objects.ErrCorrupt, id, fi.Size(), size)
	}
	if err = f.Chmod(cachedPerm); err != nil {
		return "", fmt.Errorf("checkout: cache add %s: %w", id, err)
	}
	// Order matters: the content is durable before any name but the temp
	// one reaches it, so a name that survives a crash never points at
	// unwritten bytes. The folder is not fsynced after the link: a name
	// lost in a crash only makes the file absent, which a cache tolerates.
	if err = f.Sync(); err != nil {
		return "", fmt.Errorf("checkout: cache add %s: %w", id, err)
	}
	closed = true
	if err = f.Close(); err != nil {
		return "", fmt.Errorf("checkout: cache add %s: %w", id, err)
	}
	now := c.now()
	if err = os.Chtimes(tmp, now, now); err != nil {
		return "", fmt.Errorf("checkout: cache add %s: %w", id, err)
	}
	if err = c.publish(tmp, final, size); err != nil {
		return "", fmt.Errorf("checkout: cache add %s: %w", id, err)
	}
	return final, nil
}

// publish gives the finished temp file its final name if that name is
// free or holds a bad file. It links rather than renames: a rename would
// replace a good file that outputs may already share by hardlink, and
// two Adds racing would each replace the other's.
func (c *Cache) publish(tmp, final string, size int64) error {
	const attempts = 3 // a bad file removed, then raced by another bad one: give up
	for range attempts {
		err := os.Link(tmp, final)
		if err == nil {
			return nil
		}
		if !errors.Is(err, fs.ErrExist) {
			// Filesystems without hard links (FAT, some FUSE) end here.
			// Renaming identical content over a file another Add put there
			// meanwhile is harmless.
			return os.Rename(tmp, final)
		}
		fi, serr := os.Lstat(final)
		if serr == nil && c.trusted(fi, size) {
			return nil // another Add won
		}
		if rerr := os.Remove(final); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return fmt.Errorf("remove bad file %s: %w", final, fileinfo.Cause(rerr))
		}
	}
	return fmt.Errorf("%s keeps being replaced by a bad file", final)
}

// Remove removes the file of content id from the cache. A file the cache
// does not hold is no error. Outputs hardlinked to the file keep their
// content.
func (c *Cache) Remove(id objects.ID) error {
	p := c.Path(id)
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("checkout: cache remove %s: %w", p, fileinfo.Cause(err))
	}
	return nil
}

// Touch records that the file of content id was used now, so that Prune
// removes it after files used less recently. Place does this for the
// files it places; a caller that finds an output up to date and places
// nothing may Touch the file instead. The file must exist: otherwise the
// error wraps [fs.ErrNotExist].
func (c *Cache) Touch(id objects.ID) error {
	if err := c.touch(c.Path(id)); err != nil {
		return fmt.Errorf("checkout: touch %w", err)
	}
	return nil
}

// Linked reports whether the output whose Lstat is fi is a hardlink of
// the cached file of content id: the same inode, which must be neither
// written nor made writable. A caller that finds an output up to date
// checks this, with the stat it already has, before it changes the
// output's mode (see doc.go, "Using it from pull"). An output with a
// single link is answered without looking at the cache.
func (c *Cache) Linked(id objects.ID, fi fs.FileInfo) bool {
	if !fi.Mode().IsRegular() {
		return false
	}
	if n, ok := links(fi); ok && n < 2 {
		return false
	}
	ci, err := os.Lstat(c.Path(id))
	return err == nil && os.SameFile(ci, fi)
}

func (c *Cache) touch(p string) error {
	// An explicit time is kept whatever the mount's atime policy
	// (noatime, relatime decide only implicit updates). The other time is
	// left as it is: for a hardlinked output, a modification time that
	// does not move when the file is placed elsewhere keeps rsync, make
	// and the like from thinking it changed.
	now := c.now()
	var err error
	if c.atime {
		err = os.Chtimes(p, now, time.Time{})
	} else {
		err = os.Chtimes(p, time.Time{}, now)
	}
	if err != nil {
		return fmt.Errorf("cache file %s: %w", p, fileinfo.Cause(err))
	}
	return nil
}

// lastUsed returns when the cached file fi was last written, placed or
// read (where the filesystem records reads).
func (c *Cache) lastUsed(fi fs.FileInfo) time.Time {
	t := fi.ModTime()
	if c.atime {
		if a, ok := accessTime(fi); ok && a.After(t) {
			t = a
		}
	}
	return t
}

// probe learns what the filesystem keeps, on a temp file.
func (c *Cache) probe() (err error) {
	f, err := os.CreateTemp(c.tmpDir(), "probe-*")
	if err != nil {
		return fmt.Errorf("checkout: open cache %s: %w", c.dir, err)
	}
	p := f.Name()
	defer os.Remove(p) // a probe left behind goes with the stale temps
	if err := f.Close(); err != nil {
		return fmt.Errorf("checkout: open cache %s: %w", c.dir, err)
	}
	if err := os.Chmod(p, cachedPerm); err != nil {
		return fmt.Errorf("checkout: open cache %s: %w", c.dir, err)
	}
	if err := os.Chtimes(p, probeTime(), time.Time{}); err != nil {
		return fmt.Errorf("checkout: open cache %s: %w", c.dir, err)
	}
	fi, err := os.Lstat(p)
	if err != nil {
		return fmt.Errorf("checkout: open cache %s: %w", c.dir, err)
	}
	c.perms = fi.Mode().Perm() == cachedPerm
	_, c.devOK = device(fi)
	a, ok := accessTime(fi)
	c.atime = ok && a.Unix() == probeTime().Unix()
	return nil
}

// removeStaleTemps removes what crashed Adds and probes left in
// Dir/tmp, if staleTempAge old.
func (c *Cache) removeStaleTemps() error {
	ents, err := os.ReadDir(c.tmpDir())
	if err != nil {
		return fmt.Errorf("checkout: open cache %s: %w", c.dir, err)
	}
	cutoff := c.now().Add(-staleTempAge)
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil || !fi.ModTime().Before(cutoff) {
			continue // gone meanwhile, or young: an Add may be writing it
		}
		p := filepath.Join(c.tmpDir(), e.Name())
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("checkout: open cache %s: remove stale temp file: %w", c.dir, err)
		}
	}
	return nil
}

// isCachedName reports whether name is a cached file's name in a folder
// named for its first two hex digits.
func isCachedName(folder, name string) bool {
	if len(name) != 2*objects.IDSize || !strings.HasPrefix(name, folder) {
		return false
	}
	_, err := objects.ParseID(name)
	return err == nil
}
