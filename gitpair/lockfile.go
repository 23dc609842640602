package gitpair

import (
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
// A lock Encode refuses (ErrBadPin) leaves the file as it was.
func WriteLock(dir string, l *Lock) error {
	name := filepath.Join(dir, LockName)
	b, err := l.Encode()
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := atomicfile.WriteFile(name, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
