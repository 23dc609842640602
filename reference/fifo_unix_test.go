//go:build unix

package reference

import "syscall"

// mkfifo makes a named pipe, a special file a reference refuses.
func mkfifo(path string) error { return syscall.Mkfifo(path, 0o644) }
