package main

import (
	"syscall"

	"golang.org/x/sys/windows"
)

// detachedProcAttr starts a background push without a console
// (DETACHED_PROCESS) in a new process group, the nearest Windows has to
// setsid: closing the console or a Ctrl-C there does not stop it. Its
// output goes to push.log, not to a console.
func detachedProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: windows.DETACHED_PROCESS | windows.CREATE_NEW_PROCESS_GROUP}
}

// processRunning reports whether process pid exists and has not exited.
// Windows has no signal 0: a process that exited stays openable while
// anyone holds a handle to it, so this waits on it with a zero timeout. A
// process trove may not open (another user's) counts as not running, as
// EPERM from kill does on Unix.
func processRunning(pid int) bool {
	h, err := windows.OpenProcess(windows.SYNCHRONIZE, false, uint32(pid))
	if err != nil {
		return false
	}
	defer windows.CloseHandle(h)
	ev, err := windows.WaitForSingleObject(h, 0)
	return err == nil && ev == uint32(windows.WAIT_TIMEOUT)
}
