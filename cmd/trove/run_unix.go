//go:build unix

package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// inForeground reports whether trove is in the foreground process group of
// its controlling terminal: then a Ctrl-C or hang-up from the terminal
// reached the command (which shares trove's process group) too.
func inForeground() bool {
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return false // no controlling terminal
	}
	defer tty.Close()
	pgrp, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}

// signalName names a signal as run records do: "SIGTERM".
func signalName(s syscall.Signal) string {
	if n := unix.SignalName(s); n != "" {
		return n
	}
	return "SIG" + strconv.Itoa(int(s))
}

// signalNumber is the number of a signal named by signalName, or 0.
func signalNumber(name string) int {
	if n := unix.SignalNum(name); n != 0 {
		return int(n)
	}
	n, _ := strconv.Atoi(strings.TrimPrefix(name, "SIG"))
	return n
}

// processGone reports whether no process pid exists on this host.
func processGone(pid int) bool {
	return pid > 0 && unix.Kill(pid, 0) == unix.ESRCH
}
