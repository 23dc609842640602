//go:build linux || darwin

package file

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// tryLock takes an exclusive flock(2) on f without waiting: it fails with
// EWOULDBLOCK while another open file description holds it, in this process
// or any other.
func tryLock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

func unlockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}

func checkPlatform() error { return nil }

// etag derives an object's ETag from its file's metadata; see the package
// documentation for why these fields suffice.
func etag(fi fs.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Sprintf("%x-%x", fi.Size(), fi.ModTime().UnixNano())
	}
	mtim, ctim := statTimes(st)
	return fmt.Sprintf("%x-%x-%x-%x", st.Ino, fi.Size(), mtim.Nano(), ctim.Nano())
}

// linkCount returns the number of hard links of a file.
func linkCount(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 0
}
