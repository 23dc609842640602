//go:build linux

package repo

import "syscall"

// ctimeOf returns a stat's change time in ns since the epoch.
func ctimeOf(st *syscall.Stat_t) int64 { return st.Ctim.Nano() }
