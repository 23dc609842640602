//go:build !linux

package objects

import "os"

// startWriteback is advice that only Linux takes; see pagecache_linux.go.
func startWriteback(*os.File, int64, int64) {}

// dropBehind is advice that only Linux takes; see pagecache_linux.go.
func dropBehind(*os.File, int64, int64) {}

// readAhead is advice that only Linux takes; see pagecache_linux.go.
func readAhead(*os.File, int64, int64) {}
