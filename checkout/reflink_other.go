//go:build !linux

package checkout

import (
	"errors"
	"os"
)

// clone is Linux's alone here: macOS's clonefile(2) makes a new file by
// path rather than filling an open one, and nothing else is a target.
func clone(dst, src *os.File) error { return errors.ErrUnsupported }

// cannotClone reports whether err is clone's refusal.
func cannotClone(err error) bool { return errors.Is(err, errors.ErrUnsupported) }
