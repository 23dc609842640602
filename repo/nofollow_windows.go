package repo

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// openNoFollow opens path for reading, refusing a symlink as O_NOFOLLOW
// does elsewhere. Windows has no O_NOFOLLOW, so this looks first (Lstat)
// and refuses a symlink with ELOOP as Unix would, then opens and checks
// with os.SameFile that the file opened is the one the name leads to
// without following links (os.SameFile reads the Lstat side's file id by
// name, when it is called).
//
// The guarantee is weaker than on Unix, where the check and the open are
// one step: here a link swapped in between them is followed by the open
// and refused only afterwards, so its target does get opened (which may
// block or have side effects for a device or a pipe). A junction or other
// name-surrogate reparse point, which Lstat reports as ModeIrregular
// rather than ModeSymlink, is followed the same way and refused by the
// same comparison.
func openNoFollow(path string) (*os.File, error) {
	before, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if before.Mode()&fs.ModeSymlink != 0 {
		return nil, &fs.PathError{Op: "open", Path: path, Err: syscall.ELOOP}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	after, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !os.SameFile(before, after) {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: path, Err: errors.New("the name led elsewhere when opened (a link swapped in, or a reparse point followed)")}
	}
	return f, nil
}
