//go:build unix

package objects

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// isLockHeld reports whether err from pebble.LockDirectory means another
// holder has the lock, as opposed to a failure to create the lock file.
func isLockHeld(err error) bool {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return false // creating or opening the LOCK file failed
	}
	if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EACCES) {
		return true // fcntl(F_SETLK) refused: another process
	}
	// Pebble refuses a second lock of the same file in this process with
	// an unexported error.
	return strings.Contains(err.Error(), "lock held by current process")
}

// lockHolder names the holder of the lock on dbDir's LOCK file for error
// messages: "process 1234", or "this process" (POSIX locks do not conflict
// with their own process, which then reports none), or "another process".
func lockHolder(dbDir string) string {
	f, err := os.Open(filepath.Join(dbDir, "LOCK"))
	if err != nil {
		return "another trove process"
	}
	defer f.Close()
	spec := unix.Flock_t{Type: unix.F_WRLCK}
	if err := unix.FcntlFlock(f.Fd(), unix.F_GETLK, &spec); err != nil {
		return "another trove process"
	}
	if spec.Type == unix.F_UNLCK {
		return "another user of the repository in this process"
	}
	return fmt.Sprintf("another trove process (pid %d)", spec.Pid)
}
