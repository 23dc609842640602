//go:build freebsd || netbsd

package fileinfo

import "syscall"

// sysStat converts os.Lstat's Sys.
func sysStat(sys any) (Stat, bool) {
	st, ok := sys.(*syscall.Stat_t)
	if !ok {
		return Stat{}, false
	}
	return Stat{Ctime: st.Ctimespec.Nano(), Ino: uint64(st.Ino), Dev: uint64(st.Dev), Nlink: uint64(st.Nlink)}, true
}
