package fileinfo

import "syscall"

// sysStat converts os.Lstat's Sys. Dev is a signed 32-bit number here.
func sysStat(sys any) (Stat, bool) {
	st, ok := sys.(*syscall.Stat_t)
	if !ok {
		return Stat{}, false
	}
	return Stat{Ctime: st.Ctimespec.Nano(), Ino: st.Ino, Dev: uint64(uint32(st.Dev)), Nlink: uint64(st.Nlink)}, true
}
