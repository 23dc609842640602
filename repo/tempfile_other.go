//go:build !linux

package repo

import (
	"errors"
	"os"
)

// canOpenUnnamed reports false: only Linux has O_TMPFILE.
func canOpenUnnamed() bool { return false }

// openUnnamed reports false: only Linux has O_TMPFILE.
func openUnnamed(string) (*os.File, bool) { return nil, false }

func linkUnnamed(*os.File, string) error { return errors.ErrUnsupported }

func linkUnnamedTemp(*os.File, string) (string, error) { return "", errors.ErrUnsupported }
