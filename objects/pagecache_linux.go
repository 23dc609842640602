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

// dropBehind waits for the writeback of f's bytes [off, off+n), started
// earlier by startWriteback, and then drops them from the page cache;
// n == 0 means to the end of the file. A pack is not read again soon
// after it is written (the files it came from are the ones a user reads
// next), so its pages would only push those out: a 20 GiB commit would
// otherwise leave 20 GiB of pack pages in the cache and evict the dataset
// it just read. It also keeps what the page cache must allocate for a
// commit to a few writeback ranges, reused over and over; on a virtual
// machine whose host reclaims the guest's free memory, each page taken
// from fresh memory costs a fault in the host (2.6 s of system time per
// GiB written, measured on the benchmark machine, against 0.25 s for
// recycled pages). Borg drops its segment files' pages the same way.
// Advice only: errors are ignored, and pages still dirty (a blob written
// after the range was flushed) are simply kept.
func dropBehind(f *os.File, off, n int64) {
	fd := int(f.Fd())
	_ = unix.SyncFileRange(fd, off, n, unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
	_ = unix.Fadvise(fd, off, n, unix.FADV_DONTNEED)
}

// readAhead asks the kernel to read f's bytes [off, off+n) into the page
// cache without waiting for them. Advice only: errors are ignored.
//
// The kernel caps one WILLNEED at the larger of the device's optimal I/O
// size and the file's read-ahead window (often 128 KiB) and ignores the
// rest, so the range is asked for in pieces of readAheadPiece.
func readAhead(f *os.File, off, n int64) {
	fd := int(f.Fd())
	for end := off + n; off < end; off += readAheadPiece {
		_ = unix.Fadvise(fd, off, min(readAheadPiece, end-off), unix.FADV_WILLNEED)
	}
}

// readAheadPiece is what one WILLNEED asks for: no more than any device's
// cap on it, seen or documented.
const readAheadPiece = 512 << 10
