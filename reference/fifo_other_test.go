//go:build !unix

package reference

import "errors"

func mkfifo(string) error { return errors.ErrUnsupported }
