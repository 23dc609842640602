//go:build linux

package repo

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// canOpenUnnamed reports whether /proc, through which linkUnnamed names
// an unnamed file, is there: without it openUnnamed must not be used. A
// pull asks once, not once per file.
func canOpenUnnamed() bool {
	return unix.Access("/proc/self/fd", unix.F_OK) == nil
}

// openUnnamed opens a new file without a name in dir (O_TMPFILE), or
// reports false where the filesystem or kernel cannot. Call it only where
// canOpenUnnamed says yes.
func openUnnamed(dir string) (*os.File, bool) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, false
	}
	return os.NewFile(uintptr(fd), filepath.Join(dir, "(new file)")), true
}

// linkUnnamed gives the unnamed file f the name path, failing with an
// error matching fs.ErrExist if something is there.
func linkUnnamed(f *os.File, path string) error {
	err := unix.Linkat(unix.AT_FDCWD, fmt.Sprintf("/proc/self/fd/%d", f.Fd()), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
	if err != nil {
		return &os.LinkError{Op: "link", Old: f.Name(), New: path, Err: err}
	}
	return nil
}

// linkUnnamedTemp gives the unnamed file f a new temp name in dir.
func linkUnnamedTemp(f *os.File, dir string) (string, error) {
	for range 100 {
		name := filepath.Join(dir, pullTempPrefix+strconv.FormatUint(rand.Uint64(), 10))
		err := linkUnnamed(f, name)
		if err == nil || !os.IsExist(err) {
			return name, err
		}
	}
	return "", fmt.Errorf("no free temp name in %s", dir)
}
