package fileinfo

import "syscall"

// sysStat converts os.Lstat's Sys.
func sysStat(sys any) (Stat, bool) {
	st, ok := sys.(*syscall.Stat_t)
	if !ok {
		return Stat{}, false
	}
	return Stat{Ctime: st.Ctim.Nano(), Ino: st.Ino, Dev: st.Dev, Nlink: uint64(st.Nlink)}, true
}
