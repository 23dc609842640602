//go:build linux || darwin

package file

import (
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
