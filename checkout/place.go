package checkout

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/trove-ml/trove/internal/fileinfo"
)

const (
	// tempPrefix begins the names of the temp files Place makes beside
	// their destination, renamed over it once complete. ".trove-" is the
	// prefix trove reserves for its own files.
	tempPrefix = ".trove-place-"

	// copyChunk is how much Copy moves between looks at its context, in
	// one copy_file_range call on Linux: a 64 MiB copy takes some tens of
	// milliseconds, so a cancelled pull stops promptly.
	copyChunk = 64 << 20

	// execBits are the permission bits that make a file executable. A
	// file that needs them is never hardlinked (see Place).
	execBits fs.FileMode = 0o111
)

// Place puts the cache file src at dst as mode says and returns the mode
// it used (on failure, the mode that failed). dst is replaced atomically: the new file is made under a temp
// name in dst's folder and renamed over dst, so readers see the old file
// or the new one, and on failure dst is left as it was and the temp file
// removed. A folder at dst is an error, as is a missing folder above it
// (the error wraps [fs.ErrNotExist] and names the folder); the folders
// above dst are the caller's to make, never through a symlink (PRODUCT.md
// invariant 6), and Place does not look at them. Place writes
// nothing into src and does not fsync dst: the cache keeps the content
// durable, and a copy lost in a crash is placed again by the next pull.
//
//   - [Copy] copies the bytes and gives dst the permissions perm.
//   - [Reflink] clones src and gives dst perm; where the filesystem cannot
//     reflink the two, the error wraps [ErrUnsupported].
//   - [Auto] reflinks, and where the filesystem cannot, copies; it
//     returns Reflink or Copy. Auto never hardlinks.
//   - [Hardlink] gives dst src's inode: dst is then read-only (0444)
//     whatever perm says, and must never be made writable or written in
//     place, which would change the cache and every other output linked
//     to it. If dst already is a link of src, Place changes nothing.
//     Place does what Auto does instead where perm has an execute bit
//     (which cannot be set on a shared inode without giving it to every
//     other link) and where src has as many links as its filesystem
//     allows (65,000 on ext4). Across filesystems the error wraps
//     [ErrCrossDevice].
//
// Place tries a reflink anew for every file; a [Placer] learns once per
// filesystem whether reflinks work, and records the use of cache files
// for pruning.
func Place(ctx context.Context, mode Mode, src, dst string, perm fs.FileMode) (used Mode, err error) {
	return place(ctx, mode, src, dst, perm, filepath.Dir(src), true)
}

// place is Place with what a Placer knows: the cache's folder, to name in
// errors, and whether a reflink is worth trying for Auto.
func place(ctx context.Context, mode Mode, src, dst string, perm fs.FileMode, cacheDir string, tryReflink bool) (Mode, error) {
	if err := ctx.Err(); err != nil {
		return mode, err
	}
	old, err := os.Lstat(dst)
	switch {
	case err == nil && old.IsDir():
		return mode, fmt.Errorf("checkout: place %s: a folder is in the way", dst)
	case errors.Is(err, fs.ErrNotExist):
		old = nil // the folder's absence, if that is why, is reported below
	case err != nil:
		return mode, fmt.Errorf("checkout: place %s: %w", dst, fileinfo.Cause(err))
	}
	if mode == Hardlink && perm&execBits != 0 {
		mode = Auto
	}
	switch mode {
	case Hardlink:
		err := placeLink(src, dst, old, cacheDir)
		if !errors.Is(err, syscall.EMLINK) {
			return Hardlink, err
		}
		// The cache file has as many links as its filesystem allows
		// (65,000 on ext4; many files of a dataset may share one content,
		// empty files above all): this one is placed as by Auto.
		return placeAuto(ctx, src, dst, perm, tryReflink)
	case Copy:
		return Copy, replace(src, dst, perm, func(f, s *os.File) error { return copyFile(ctx, f, s, src) })
	case Reflink:
		return Reflink, replace(src, dst, perm, func(f, s *os.File) error {
			if err := clone(f, s); err != nil {
				return cloneError(src+" to "+dst, err)
			}
			return nil
		})
	case Auto:
		return placeAuto(ctx, src, dst, perm, tryReflink)
	}
	return mode, fmt.Errorf("checkout: place %s: unknown link mode %d", dst, uint8(mode))
}

// placeAuto reflinks src as dst if tryReflink and the filesystem can, and
// copies it otherwise; it returns which it did.
func placeAuto(ctx context.Context, src, dst string, perm fs.FileMode, tryReflink bool) (Mode, error) {
	used := Copy
	err := replace(src, dst, perm, func(f, s *os.File) error {
		if tryReflink {
			err := clone(f, s)
			if err == nil {
				used = Reflink
				return nil
			}
			if !cannotClone(err) {
				return cloneError(src+" to "+dst, err)
			}
			// A failed clone leaves f empty: copy into it.
		}
		return copyFile(ctx, f, s, src)
	})
	return used, err
}

// cloneError describes a failed reflink of what ("a to b"), wrapping
// ErrUnsupported where the filesystem is the reason.
func cloneError(what string, err error) error {
	if cannotClone(err) {
		return fmt.Errorf("%w: %s: %w", ErrUnsupported, what, err)
	}
	return fmt.Errorf("checkout: reflink %s: %w", what, err)
}

// replace makes a new file beside dst, has fill write src's content into
// it, gives it perm and renames it over dst. On failure, fill's included,
// the new file is removed and dst is left as it was.
func replace(src, dst string, perm fs.FileMode, fill func(f, s *os.File) error) (err error) {
	s, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("checkout: place %s: cache file %s: %w", dst, src, fileinfo.Cause(err))
	}
	defer s.Close() // read-only, nothing to lose
	dir := filepath.Dir(dst)
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return fmt.Errorf("checkout: place %s: folder %s: %w", dst, dir, fileinfo.Cause(err))
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = fill(f, s); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("checkout: place %s: %w", dst, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("checkout: place %s: %w", dst, err)
	}
	if err = os.Rename(f.Name(), dst); err != nil {
		return fmt.Errorf("checkout: place %s: %w", dst, err)
	}
	return nil
}

// copyFile copies s, the cache file src, into f, in copyChunk steps
// between which it looks at ctx. It fails if s does not yield as many
// bytes as its size said: a cache file must not change.
func copyFile(ctx context.Context, f, s *os.File, src string) error {
	fi, err := s.Stat()
	if err != nil {
		return fmt.Errorf("checkout: copy %s: %w", src, err)
	}
	var n int64
	for n < fi.Size() {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Between *os.File values, io.CopyN is copy_file_range on Linux:
		// the kernel moves the bytes, or shares them where it can.
		m, err := io.CopyN(f, s, copyChunk)
		n += m
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("checkout: copy %s to %s: %w", src, f.Name(), err)
		}
	}
	if n != fi.Size() {
		return fmt.Errorf("checkout: copy %s: %d bytes read, the file has %d: it changed", src, n, fi.Size())
	}
	return nil
}

// placeLink makes dst a hardlink of src. old is what dst holds, or nil.
func placeLink(src, dst string, old fs.FileInfo, cacheDir string) error {
	if old != nil {
		if si, err := os.Stat(src); err == nil && os.SameFile(si, old) {
			return nil // already in place: rewrite nothing
		}
	}
	dir := filepath.Dir(dst)
	tmp, err := linkTemp(src, dir, tempPrefix)
	if err != nil {
		if _, serr := os.Lstat(src); serr != nil {
			return fmt.Errorf("checkout: place %s: cache file %s: %w", dst, src, fileinfo.Cause(serr))
		}
		return linkError("cannot hardlink "+src+" as "+dst, cacheDir, dir, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("checkout: place %s: %w", dst, err)
	}
	// rename(2) of one link of an inode over another link of it succeeds
	// and does nothing, which would leave tmp behind: possible if dst
	// became a link of src after the check above. Normally tmp is gone.
	_ = os.Remove(tmp)
	return nil
}

// linkTemp makes a hardlink of src under a new name in dir that starts
// with prefix, and returns that name.
func linkTemp(src, dir, prefix string) (string, error) {
	const attempts = 100 // as os.CreateTemp; each collision is a 1 in 2^64 event
	for range attempts {
		name := filepath.Join(dir, prefix+strconv.FormatUint(rand.Uint64(), 36))
		err := os.Link(src, name)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return name, err
	}
	return "", fmt.Errorf("checkout: no free temp name in %s", dir)
}

// linkError describes what failed hardlink ("cannot hardlink a as b")
// between the cache's folder and the output folder dir, naming both when
// they are on different filesystems.
func linkError(what, cacheDir, dir string, err error) error {
	if errors.Is(err, syscall.EXDEV) {
		return fmt.Errorf("%w: %s: the cache (%s) and the output folder (%s) are on different filesystems; use --link copy, or keep the output on the cache's filesystem",
			ErrCrossDevice, what, cacheDir, dir)
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		err = le.Err
	}
	return fmt.Errorf("checkout: %s: folder %s: %w", what, dir, err)
}
