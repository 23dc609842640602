package gitpair

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/trove-ml/trove/internal/atomicfile"
)

// ReadLock reads dir/trove.lock. A missing file is an empty lock (no
// pins), not an error. Errors wrap ErrBadLock or ErrLockConflict and name
// the file and the line.
func ReadLock(dir string) (*Lock, error) {
	name := filepath.Join(dir, LockName)
	f, err := os.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return &Lock{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// One byte past the limit tells a file at the limit from a longer one.
	b, err := io.ReadAll(io.LimitReader(f, MaxLockSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	l, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return l, nil
}

// WriteLock replaces dir/trove.lock with l, atomically: readers see the
// old lock or the new one, never a part. A lock without pins is written
// too (as a header), so that unpinning the last pin is a change Git sees.
func WriteLock(dir string, l *Lock) error {
	name := filepath.Join(dir, LockName)
	if err := atomicfile.WriteFile(name, l.Encode(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// Pins returns the pins of the work tree's project folder (the folder
// holding .trove and trove.lock), as its trove.lock says now, sorted by
// path. A project without trove.lock has no pins. GC calls it to hold the
// pinned versions live: every returned Pin's Record (and, for a version
// that collapsed into an equal one on push, any live version whose root is
// Pin.Digest) must be kept. Only this work tree's current lock counts; pins
// on other branches or in Git history are not held (use LockAt to read
// those). Errors wrap ErrBadLock or ErrLockConflict: GC must stop rather
// than treat an unreadable lock as no pins.
func Pins(ctx context.Context, workTree string) ([]Pin, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l, err := ReadLock(workTree)
	if err != nil {
		return nil, err
	}
	return l.Pins, nil
}
