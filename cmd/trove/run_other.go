//go:build !unix

package main

import (
	"strconv"
	"strings"
	"syscall"
)

// inForeground is false where process groups and terminals work otherwise:
// trove then passes every signal on.
func inForeground() bool { return false }

// signalName names a signal as run records do.
func signalName(s syscall.Signal) string { return "SIG" + strconv.Itoa(int(s)) }

// signalNumber is the number of a signal named by signalName, or 0.
func signalNumber(name string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(name, "SIG"))
	return n
}

// processGone is false where trove cannot tell: a run is shown as running.
func processGone(int) bool { return false }
