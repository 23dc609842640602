//go:build linux || darwin

package checkout

import (
	"io/fs"
	"syscall"
	"time"
)

// device returns the device of the filesystem holding fi.
func device(fi fs.FileInfo) (uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return statDev(st), true
}

// accessTime returns fi's access time.
func accessTime(fi fs.FileInfo) (time.Time, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return time.Time{}, false
	}
	ts := statAtime(st)
	return time.Unix(ts.Unix()), true
}

// links returns fi's number of hard links.
func links(fi fs.FileInfo) (uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return statNlink(st), true
}
