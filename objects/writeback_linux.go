//go:build linux

package objects

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to start writing f's bytes [off, off+n)
// to disk without waiting, so that the fsync that finishes a pack finds
// little left to do and the disk works while the pack is still being
// filled (Pebble's BytesPerSync does the same). It is advice: errors are
// ignored, and the fsync that follows is what guarantees durability.
func startWriteback(f *os.File, off, n int64) {
	_ = unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
