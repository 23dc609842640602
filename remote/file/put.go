package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/trove-ml/trove/remote"
)

// copyBufferSize is the size of the buffer a Put copies through: large
// enough that a 64 MiB pack takes 64 write calls.
const copyBufferSize = 1 << 20

// Put stores the object; see [remote.Bucket] and the package documentation
// for how each kind of put is published.
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader, size int64, opts remote.PutOptions) (info remote.ObjectInfo, err error) {
	if err := remote.CheckPut(key, size, opts); err != nil {
		return remote.ObjectInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return remote.ObjectInfo{}, err
	}
	final := b.path(key)
	dir := filepath.Dir(final)
	if err := b.mkdirs(dir); err != nil {
		return remote.ObjectInfo{}, b.fail("put", key, err)
	}

	// The temp file lives beside its target, so publishing it is a rename
	// within one folder (atomic on every POSIX file system and over NFS).
	f, tmp, err := createTemp(dir)
	if errors.Is(err, syscall.ENOTDIR) {
		return remote.ObjectInfo{}, fmt.Errorf("remote/file: put %s: a parent of the key is an object, not a folder: %w", key, err)
	}
	if err != nil {
		return remote.ObjectInfo{}, b.fail("put", key, err)
	}
	defer func() {
		_ = f.Close() // after Sync; a close error cannot lose synced data
		if err != nil {
			// Best effort: a leftover temp file is invisible to List and
			// holds no reference; nothing else may reuse its name. (After
			// a publication the name is gone already.)
			_ = os.Remove(tmp)
		}
	}()

	n, err := copyN(ctx, f, r, size)
	if err != nil {
		return remote.ObjectInfo{}, fmt.Errorf("remote/file: put %s: %w", key, classify(err))
	}
	if n != size {
		return remote.ObjectInfo{}, fmt.Errorf("remote/file: put %s: body ended after %d of %d bytes", key, n, size)
	}
	// The ETag includes the modification time; take it from Go's clock,
	// which has nanosecond resolution, rather than leave the kernel's,
	// which may advance only once per scheduler tick.
	now := time.Now()
	if err := os.Chtimes(tmp, now, now); err != nil {
		return remote.ObjectInfo{}, b.fail("put", key, err)
	}
	// Order matters: the bytes are durable before the name points at them,
	// and the name is durable (syncDir in publish) before Put returns.
	if err := f.Sync(); err != nil {
		return remote.ObjectInfo{}, b.fail("put", key, err)
	}

	switch {
	case opts.IfAbsent:
		err = b.publishIfAbsent(ctx, key, f, tmp, final)
	case opts.IfMatch != "":
		err = b.publishIfMatch(ctx, key, f, tmp, final, opts.IfMatch)
	default:
		err = publishRename(f, tmp, final)
		if err == nil {
			err = syncDir(dir)
		} else if isDir(final) {
			err = errFolder(key)
		}
	}
	if err != nil {
		if !errors.Is(err, remote.ErrExists) && !errors.Is(err, remote.ErrPreconditionFailed) && !errors.Is(err, errIsFolder) {
			err = b.fail("put", key, err)
		}
		return remote.ObjectInfo{}, err
	}

	// Stat our own inode, not the name: another writer may already have
	// replaced it, and our link count and ctime are final by now.
	fi, err := f.Stat()
	if err != nil {
		return remote.ObjectInfo{}, b.fail("put", key, err)
	}
	return objectInfo(key, fi), nil
}

// errIsFolder is a put to a key that is the folder of other keys.
var errIsFolder = errors.New("is a folder of other objects")

func errFolder(key string) error {
	return fmt.Errorf("remote/file: put %s: %w (a file remote cannot hold both %s and %s/…)", key, errIsFolder, key, key)
}

// publishRename moves the temp file to its final name, replacing any object
// there.
func publishRename(f *os.File, tmp, final string) error {
	err := os.Rename(tmp, final)
	if errors.Is(err, fs.ErrNotExist) {
		// Over NFS a RENAME whose reply was lost is sent again and then
		// finds no source. If the final name holds our file, the first one
		// went through.
		if fi, err1 := os.Stat(final); err1 == nil {
			if mine, err2 := f.Stat(); err2 == nil && os.SameFile(fi, mine) {
				return nil
			}
		}
	}
	return err
}

// publishIfAbsent links the temp file to its final name, which fails if the
// name exists: create-if-absent without a lock, atomic on local file systems
// and on NFS servers alike.
func (b *Bucket) publishIfAbsent(ctx context.Context, key string, f *os.File, tmp, final string) error {
	err := os.Link(tmp, final)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrExist):
		// Over NFS a LINK whose reply was lost is sent again and then finds
		// the name taken, by us. The remedy of open(2)'s O_EXCL note: the
		// temp file's link count tells whether the first one went through.
		if fi, serr := f.Stat(); serr == nil && linkCount(fi) == 2 {
			break
		}
		if isDir(final) {
			return errFolder(key)
		}
		return fmt.Errorf("remote/file: put %s: %w", key, remote.ErrExists)
	case linkUnsupported(err):
		return b.publishIfAbsentLocked(ctx, key, f, tmp, final)
	default:
		return err
	}
	// The object is published; failing to drop the temp name leaves a
	// second, invisible name for it, which is harmless.
	_ = os.Remove(tmp)
	return syncDir(filepath.Dir(final))
}

// linkUnsupported reports whether link(2) failed because the file system
// has no hard links (FAT, some FUSE and SMB mounts).
func linkUnsupported(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOTSUP) ||
		errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOSYS)
}

// publishIfAbsentLocked is create-if-absent on file systems without hard
// links: check and rename under the key's lock. Every writer on such a file
// system takes this path, so they exclude each other.
func (b *Bucket) publishIfAbsentLocked(ctx context.Context, key string, f *os.File, tmp, final string) error {
	unlock, err := b.lock(ctx, key)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := os.Lstat(final); err == nil {
		return fmt.Errorf("remote/file: put %s: %w", key, remote.ErrExists)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := publishRename(f, tmp, final); err != nil {
		return err
	}
	return syncDir(filepath.Dir(final))
}

// publishIfMatch replaces the object only if its ETag is ifMatch. The check
// and the rename happen under the key's lock, which every conditional
// writer of the key takes, so no other conditional change can slip between
// them. The folder is synced before the lock is released, so the next
// writer builds on a durable state.
func (b *Bucket) publishIfMatch(ctx context.Context, key string, f *os.File, tmp, final, ifMatch string) error {
	unlock, err := b.lock(ctx, key)
	if err != nil {
		return err
	}
	defer unlock()
	fi, err := statFresh(final)
	if errors.Is(err, fs.ErrNotExist) || err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("remote/file: put %s: no object to match ETag %s: %w", key, ifMatch, remote.ErrPreconditionFailed)
	}
	if err != nil {
		return err
	}
	if got := etag(fi); got != ifMatch {
		return fmt.Errorf("remote/file: put %s: ETag is %s, not %s: %w", key, got, ifMatch, remote.ErrPreconditionFailed)
	}
	if err := publishRename(f, tmp, final); err != nil {
		return err
	}
	return syncDir(filepath.Dir(final))
}

// statFresh stats a file through open(2) and fstat(2) rather than stat(2):
// over NFS, open revalidates the name and attributes with the server
// (close-to-open consistency; NFSv4 even resolves the name on the server),
// where stat may answer from a cache that another host has made stale.
// Compare-and-swap decisions use it.
func statFresh(name string) (fs.FileInfo, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	_ = f.Close() // read-only
	return fi, err
}

// mkdirs creates dir and its missing parents below the root, syncing each
// parent that gained an entry, so a synced object is never lost with the
// folder that holds it.
func (b *Bucket) mkdirs(dir string) error {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	rel, err := filepath.Rel(b.root, dir)
	if err != nil {
		return err
	}
	cur := b.root
	for elem := range strings.SplitSeq(rel, string(filepath.Separator)) {
		parent := cur
		cur = filepath.Join(cur, elem)
		err := os.Mkdir(cur, dirPerm)
		if errors.Is(err, fs.ErrExist) {
			continue // by us earlier, or by a concurrent Put
		}
		if err != nil {
			return err
		}
		if err := syncDir(parent); err != nil {
			return err
		}
	}
	return nil
}

// syncDir makes the entries of a folder durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) {
		// Some file systems (and some FUSE mounts) cannot sync folders;
		// their renames are as durable as they will get.
		err = nil
	}
	return errors.Join(err, d.Close())
}

// createTemp creates a new temp file in dir. Unlike os.CreateTemp it asks
// for filePerm, so the umask decides who may read the objects, as for the
// folders (a team sharing a folder sets a group-friendly umask).
func createTemp(dir string) (*os.File, string, error) {
	for range 100 {
		name := filepath.Join(dir, fmt.Sprintf("%s%016x", tmpPrefix, rand.Uint64()))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, filePerm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, name, err
	}
	return nil, "", fmt.Errorf("cannot create a temp file in %s", dir)
}

// copyN copies size bytes from r to w, checking ctx between writes so that
// a cancelled Put of a large object stops promptly.
func copyN(ctx context.Context, w io.Writer, r io.Reader, size int64) (int64, error) {
	buf := make([]byte, min(size, copyBufferSize))
	var n int64
	for n < size {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		m, err := io.ReadFull(r, buf[:min(int64(len(buf)), size-n)])
		if m > 0 {
			if _, werr := w.Write(buf[:m]); werr != nil {
				return n, werr
			}
			n += int64(m)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return n, nil // short body; the caller reports it
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
