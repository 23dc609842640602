package reference

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/trove-ml/trove/internal/fileinfo"
	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// DigestCache remembers the BLAKE3 of local files, keyed by path and
// checked against their stat data, so that recording an unchanged folder
// again reads no contents. The repository's stat cache implements it.
// Methods are called from many goroutines.
type DigestCache interface {
	// Lookup returns the digest remembered for path if fi still matches
	// what was remembered with it.
	Lookup(path string, fi fs.FileInfo) (objects.ID, bool)
	// Remember records that path, as described by fi when it was stat'ed
	// at statTime, holds content with this digest.
	Remember(path string, fi fs.FileInfo, statTime time.Time, digest objects.ID)
}

// FilesOptions configure [NewFiles].
type FilesOptions struct {
	// Cache, if set, saves hashing files whose stat data has not changed.
	Cache DigestCache
	// Workers is the number of files hashed at once. 0 means GOMAXPROCS.
	Workers int
	// Exclude names files and folders, by absolute path, that references
	// leave out wherever a folder's walk meets them (by path, or as the
	// same file through a symbolic link), and that a reference may not
	// name or lie inside ([ErrInvalid]): the repository's own .trove and
	// the project's .git, which commit leaves out of folders too (cmd
	// passes repo.Repo.PrivatePaths). Paths that do not exist are ignored.
	Exclude []string
	// TempDir holds the sorted runs of a folder whose names take more
	// than fileinfo.DefaultListMemory; "" is the system's temp folder.
	TempDir string
}

// Files is the [Store] of file:// references: local folders and mounted
// shares. Objects are regular files, recorded with the BLAKE3 of their
// content ([KindBLAKE3]). Symbolic links are followed (a reference
// records what a reader of the path gets), with loops refused; other
// special files are refused.
type Files struct {
	o FilesOptions
}

var (
	_ Store       = (*Files)(nil)
	_ WalkOrdered = (*Files)(nil)
)

// NewFiles returns the file:// store.
func NewFiles(o FilesOptions) *Files {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return &Files{o: o}
}

// WalkOrdered implements [WalkOrdered]: folders are read in name order
// and descended depth first, which is walk order.
func (*Files) WalkOrdered() bool { return true }

// hashWindow bounds the files listed ahead of the one being reported.
const hashWindow = 4096

// hashBuffer is the read size of hashing.
const hashBuffer = 1 << 20

type fileJob struct {
	rel, full string
	fi        fs.FileInfo
	done      chan struct{}
	e         manifest.Entry
	err       error
}

// List implements [Store]: a file is one object, a folder every regular
// file below it. Files are hashed by Workers goroutines; fn sees them in
// walk order on the calling goroutine.
func (f *Files) List(ctx context.Context, loc Location, fn func(path string, e manifest.Entry) error) error {
	root := filepath.FromSlash(loc.Path)
	fi, err := os.Stat(root)
	if err != nil {
		return fsError(loc.String(), err)
	}
	excl, err := f.excluded(loc, root, fi)
	if err != nil {
		return err
	}
	switch {
	case fi.Mode().IsRegular():
		e, err := f.entry(ctx, root, fi, make([]byte, hashBuffer))
		if err != nil {
			return err
		}
		return fn("", e)
	case !fi.IsDir():
		return fmt.Errorf("%w: %s is a %s, not a file or folder", ErrInvalid, clip(loc.String()), fileinfo.KindName(fi.Mode()))
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	ordered := make(chan *fileJob, hashWindow)
	work := make(chan *fileJob, hashWindow)
	var wg sync.WaitGroup
	for range f.o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, hashBuffer)
			for j := range work {
				j.e, j.err = f.entry(ctx, j.full, j.fi, buf)
				close(j.done)
			}
		}()
	}
	walkErr := make(chan error, 1)
	go func() {
		send := func(ch chan<- *fileJob, j *fileJob) error {
			select {
			case ch <- j:
				return nil
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
		walk := &folderWalk{ctx: ctx, tmp: f.o.TempDir, excl: excl, emit: func(rel, full string, fi fs.FileInfo) error {
			j := &fileJob{rel: rel, full: full, fi: fi, done: make(chan struct{})}
			if e, ok := f.cached(full, fi); ok {
				j.e = e
				close(j.done)
			} else if err := send(work, j); err != nil {
				return err
			}
			return send(ordered, j)
		}}
		err := walk.folder(root, "", []fs.FileInfo{fi})
		close(work)
		close(ordered)
		walkErr <- err
	}()
	for j := range ordered {
		if err != nil {
			continue // drain: the walk stops once it sees the cancellation
		}
		<-j.done
		if err = j.err; err == nil {
			err = fn(j.rel, j.e)
		}
		if err != nil {
			cancel(err)
		}
	}
	wg.Wait()
	if werr := <-walkErr; err == nil {
		err = werr
	}
	return err
}

// excludedPath is one of FilesOptions.Exclude that exists.
type excludedPath struct {
	path string
	fi   fs.FileInfo
}

// excluded returns the FilesOptions.Exclude paths that exist, refusing a
// location (root, described by fi) that is one of them or lies inside one.
func (f *Files) excluded(loc Location, root string, fi fs.FileInfo) ([]excludedPath, error) {
	var excl []excludedPath
	for _, p := range f.o.Exclude {
		xfi, err := os.Stat(p)
		if err != nil {
			continue // nothing there to leave out
		}
		p = filepath.Clean(p)
		if root == p || strings.HasPrefix(root, p+string(filepath.Separator)) || os.SameFile(fi, xfi) {
			return nil, fmt.Errorf("%w: %s lies in %s, which references leave out, as commit leaves it out of folders", ErrInvalid, clip(loc.String()), p)
		}
		excl = append(excl, excludedPath{p, xfi})
	}
	return excl, nil
}

// folderWalk calls emit for every regular file below a folder in walk
// order, leaving out the files and folders excl names. A folder's names
// are read a batch at a time, sorted in runs in tmp if they are many.
type folderWalk struct {
	ctx  context.Context
	tmp  string
	excl []excludedPath
	emit func(rel, full string, fi fs.FileInfo) error
}

// walkBatch is how many names of a folder the walk reads at a time.
const walkBatch = 4096

// folder walks dir, at rel below the reference; ancestors are the folders
// on the way down, for finding symlink loops.
func (w *folderWalk) folder(dir, rel string, ancestors []fs.FileInfo) error {
	if err := w.ctx.Err(); err != nil {
		return context.Cause(w.ctx)
	}
	l, err := fileinfo.OpenList(dir, fileinfo.ListOptions{TempDir: w.tmp})
	if err != nil {
		return fsError(fileURI(filepath.ToSlash(dir)), err)
	}
	defer l.Close()
	for {
		names, err := l.NextNames(walkBatch)
		if err != nil {
			return fsError(fileURI(filepath.ToSlash(dir)), err)
		}
		if len(names) == 0 {
			return nil
		}
		if err := w.names(dir, rel, names, ancestors); err != nil {
			return err
		}
	}
}

// names walks a batch of dir's names.
func (w *folderWalk) names(dir, rel string, names []string, ancestors []fs.FileInfo) error {
	for _, name := range names {
		full := filepath.Join(dir, name)
		r := name
		if rel != "" {
			r = rel + "/" + name
		}
		fi, err := os.Stat(full)
		if err != nil {
			if lfi, lerr := os.Lstat(full); lerr == nil && lfi.Mode()&fs.ModeSymlink != 0 && errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("%w: %s is a broken symbolic link (remove it or fix its target)", ErrInvalid, clip(fileURI(filepath.ToSlash(full))))
			}
			return fsError(fileURI(filepath.ToSlash(full)), err)
		}
		if slices.ContainsFunc(w.excl, func(x excludedPath) bool { return x.path == full || os.SameFile(x.fi, fi) }) {
			// The repository's own folder, or the project's Git folder:
			// not data of the project (as commit's listDir has it).
			continue
		}
		switch {
		case fi.IsDir():
			for _, a := range ancestors {
				if os.SameFile(a, fi) {
					return fmt.Errorf("%w: %s leads back to a folder above it (a symbolic link loop)", ErrInvalid, clip(fileURI(filepath.ToSlash(full))))
				}
			}
			if err := w.folder(full, r, append(ancestors, fi)); err != nil {
				return err
			}
		case fi.Mode().IsRegular():
			if err := w.emit(r, full, fi); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: %s is a %s; references record regular files (move it out of the folder)", ErrInvalid, clip(fileURI(filepath.ToSlash(full))), fileinfo.KindName(fi.Mode()))
		}
	}
	return nil
}

// cached returns the entry of a file whose digest the cache knows.
func (f *Files) cached(full string, fi fs.FileInfo) (manifest.Entry, bool) {
	if f.o.Cache == nil {
		return manifest.Entry{}, false
	}
	d, ok := f.o.Cache.Lookup(full, fi)
	if !ok {
		return manifest.Entry{}, false
	}
	return fileEntry(full, fi.Size(), d), true
}

func fileEntry(full string, size int64, d objects.ID) manifest.Entry {
	return manifest.Entry{Kind: manifest.KindRef, Size: size, Digest: d, Ref: &manifest.Reference{
		URI: fileURI(filepath.ToSlash(full)), ChecksumKind: KindBLAKE3, Checksum: d.String(),
	}}
}

// entry hashes one file, failing if it changes while it is read, and
// remembers the digest.
func (f *Files) entry(ctx context.Context, full string, fi fs.FileInfo, buf []byte) (manifest.Entry, error) {
	if err := ctx.Err(); err != nil {
		return manifest.Entry{}, context.Cause(ctx)
	}
	uri := fileURI(filepath.ToSlash(full))
	statTime := time.Now()
	fh, err := os.Open(full)
	if err != nil {
		return manifest.Entry{}, fsError(uri, err)
	}
	defer fh.Close()
	before, err := fh.Stat()
	if err != nil {
		return manifest.Entry{}, fsError(uri, err)
	}
	if !before.Mode().IsRegular() {
		return manifest.Entry{}, fmt.Errorf("%w: %s is a %s", ErrInvalid, clip(uri), fileinfo.KindName(before.Mode()))
	}
	h := objects.NewHasher()
	n, err := io.CopyBuffer(h, ctxReader{ctx, fh}, buf)
	if err != nil {
		return manifest.Entry{}, fmt.Errorf("reference: hash %s: %w", clip(uri), err)
	}
	after, err := fh.Stat()
	if err != nil {
		return manifest.Entry{}, fsError(uri, err)
	}
	if n != before.Size() || after.Size() != n || !after.ModTime().Equal(before.ModTime()) {
		return manifest.Entry{}, fmt.Errorf("reference: %s changed while it was read; record it again once it is stable", clip(uri))
	}
	d := h.Sum()
	if f.o.Cache != nil {
		f.o.Cache.Remember(full, before, statTime, d)
	}
	return fileEntry(full, n, d), nil
}

// Probe implements [Store]: the path exists and, if a folder, is not empty.
func (f *Files) Probe(ctx context.Context, loc Location) error {
	p := filepath.FromSlash(loc.Path)
	fi, err := os.Stat(p)
	if err != nil {
		return fsError(loc.String(), err)
	}
	if _, err := f.excluded(loc, p, fi); err != nil {
		return err
	}
	if !fi.IsDir() {
		return nil
	}
	d, err := os.Open(p)
	if err != nil {
		return fsError(loc.String(), err)
	}
	defer d.Close()
	if names, err := d.Readdirnames(1); len(names) == 0 {
		if err != nil && err != io.EOF {
			return fsError(loc.String(), err)
		}
		return fmt.Errorf("%w: %s is an empty folder", ErrEmpty, clip(loc.String()))
	}
	return nil
}

// Open implements [Store]: the file, checked against its BLAKE3 at the end.
func (f *Files) Open(ctx context.Context, e manifest.Entry) (io.ReadCloser, error) {
	if e.Ref.ChecksumKind != KindBLAKE3 {
		return nil, fmt.Errorf("%w: %s: file references record %q checksums, not %q", ErrInvalid, clip(e.Ref.URI), KindBLAKE3, e.Ref.ChecksumKind)
	}
	loc, err := Parse(e.Ref.URI)
	if err != nil {
		return nil, err
	}
	fh, err := os.Open(filepath.FromSlash(loc.Path))
	if err != nil {
		return nil, fsError(e.Ref.URI, err)
	}
	fi, err := fh.Stat()
	switch {
	case err != nil:
		fh.Close()
		return nil, fsError(e.Ref.URI, err)
	case !fi.Mode().IsRegular():
		fh.Close()
		return nil, fmt.Errorf("%w: %s is now a %s", ErrChanged, clip(e.Ref.URI), fileinfo.KindName(fi.Mode()))
	case fi.Size() != e.Size:
		fh.Close()
		return nil, fmt.Errorf("%w: %s: %d bytes, the reference records %d", ErrChanged, clip(e.Ref.URI), fi.Size(), e.Size)
	}
	return newCheckReader(readCloser{ctxReader{ctx, fh}, fh}, e), nil
}

// fsError maps a file system error on uri to this package's classes.
func fsError(uri string, err error) error {
	var errno syscall.Errno
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: %s: no such file or folder", ErrNotFound, clip(uri))
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%w: %s: %v", ErrPermission, clip(uri), fileinfo.Cause(err))
	case errors.As(err, &errno) && errno == syscall.ENOTDIR:
		return fmt.Errorf("%w: %s: a path element is not a folder", ErrNotFound, clip(uri))
	}
	return fmt.Errorf("reference: %s: %w", clip(uri), err)
}

// ctxReader stops reading once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, context.Cause(c.ctx)
	}
	return c.r.Read(p)
}

type readCloser struct {
	io.Reader
	io.Closer
}
