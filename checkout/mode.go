package checkout

import (
	"errors"
	"fmt"
)

// Mode says how a cache file is put at its place in an output folder. The
// values are what `--link` accepts; the numbers are not persisted, but stay
// as they are.
type Mode uint8

const (
	// Auto reflinks where the filesystem can and copies where it cannot.
	// It never hardlinks: a hardlinked output is read-only and shares its
	// inode with the cache, which the user must ask for. Auto is the zero
	// value.
	Auto Mode = 0
	// Copy writes the bytes again (copy_file_range on Linux, which some
	// filesystems, btrfs and XFS among them, turn into a reflink of their
	// own accord).
	Copy Mode = 1
	// Reflink clones the cache file (FICLONE): the output shares the
	// cache's blocks until either is written, and is an ordinary writable
	// file. Where the filesystem cannot, placing fails with
	// [ErrUnsupported].
	Reflink Mode = 2
	// Hardlink gives the output the cache file's inode: no bytes are
	// written, and the output is read-only (mode 0444) because writing it
	// would change the cache. Across filesystems placing fails with
	// [ErrCrossDevice].
	Hardlink Mode = 3
)

// String returns the name ParseMode accepts for m: "auto", "copy",
// "reflink" or "hardlink".
func (m Mode) String() string {
	switch m {
	case Auto:
		return "auto"
	case Copy:
		return "copy"
	case Reflink:
		return "reflink"
	case Hardlink:
		return "hardlink"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// ParseMode returns the Mode named s, one of "auto", "copy", "reflink" and
// "hardlink" (lower case, as String spells them).
func ParseMode(s string) (Mode, error) {
	for m := Auto; m <= Hardlink; m++ {
		if s == m.String() {
			return m, nil
		}
	}
	return Auto, fmt.Errorf("checkout: link mode %q: want auto, copy, reflink or hardlink", s)
}

// Errors that callers branch on; test for them with [errors.Is]. Returned
// errors wrap them and name the files involved.
var (
	// ErrUnsupported means the filesystem cannot reflink between the cache
	// and the output folder: it has no reflinks (ext4, tmpfs), or the two
	// are on different filesystems. The error also wraps the system's
	// answer (such as EOPNOTSUPP or EXDEV).
	ErrUnsupported = errors.New("checkout: reflink not supported")

	// ErrCrossDevice means a hardlink was asked for between the cache and
	// an output folder on different filesystems. The message names both
	// folders and suggests `--link copy`.
	ErrCrossDevice = errors.New("checkout: hardlink across filesystems")
)
