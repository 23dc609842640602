package file

import (
	"fmt"
	"io/fs"
	"syscall"
)

func checkPlatform() error { return nil }

// etag derives an object's ETag from its file's metadata; see the package
// documentation for why these fields suffice.
func etag(fi fs.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Sprintf("%x-%x", fi.Size(), fi.ModTime().UnixNano())
	}
	return fmt.Sprintf("%x-%x-%x-%x", st.Ino, fi.Size(), st.Mtimespec.Nano(), st.Ctimespec.Nano())
}

// linkCount returns the number of hard links of a file.
func linkCount(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 0
}
