//go:build !linux

package testserver

import "os/exec"

// setParentDeathSignal does nothing where the kernel has no such signal:
// a server outlives a test binary that dies without cleaning up.
func setParentDeathSignal(*exec.Cmd) {}
