//go:build !windows

package main

import "syscall"

// detachedProcAttr puts a background push in a new session, away from the
// terminal, so that closing the terminal or a Ctrl-C there does not stop it.
func detachedProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true}
}

// processRunning reports whether process pid exists: signal 0 checks that
// without sending anything.
func processRunning(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}
