//go:build !linux

package objects

import "os"

// startWriteback is advice that only Linux takes; see writeback_linux.go.
func startWriteback(*os.File, int64, int64) {}
