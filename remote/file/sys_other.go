//go:build !linux && !darwin

package file

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"

	"github.com/trove-ml/trove/remote"
)

// checkPlatform refuses to open a bucket where the ETag and locking below
// are not implemented: an ETag without an inode number could repeat, and
// compare-and-swap would be unsafe.
func checkPlatform() error {
	return fmt.Errorf("remote/file: file remotes are not implemented on %s: %w", runtime.GOOS, remote.ErrNotSupported)
}

func etag(fi fs.FileInfo) string      { return fmt.Sprintf("%x-%x", fi.Size(), fi.ModTime().UnixNano()) }
func linkCount(fi fs.FileInfo) uint64 { return 0 }
func tryLock(f *os.File) error        { return errors.ErrUnsupported }
func unlockFile(f *os.File) error     { return errors.ErrUnsupported }
