//go:build !windows

package repo

import (
	"os"
	"syscall"
)

// openNoFollow opens path for reading; if its last element is a symlink
// the open fails (ELOOP), so a symlink swapped in after listing is never
// followed. The kernel checks and opens in one step, so there is no window.
func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
}
