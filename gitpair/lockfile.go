package gitpair

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
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
func WriteLock(dir string, l *Lock) (err error) {
	name := filepath.Join(dir, LockName)
	f, err := os.CreateTemp(dir, "."+LockName+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("write %s: %w", name, err)
		}
	}()
	if _, err = f.Write(l.Encode()); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	// Order: the new content is durable before the rename makes it the
	// lock, and the rename is durable before we report success.
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), name); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
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
