package fileinfo

import "io/fs"

// Stat is the Sys of the entries a Lister returns on Linux: what they carry
// of stat(2) beyond fs.FileInfo. Elsewhere Sys is a *syscall.Stat_t, as
// from os.Lstat; SysOf reads either.
type Stat struct {
	Ctime    int64 // ns since the epoch
	Ino, Dev uint64
	Nlink    uint64
}

// SysOf returns what fi carries of stat(2) beyond fs.FileInfo, whether it
// came from a Lister or from os.Lstat, and false on a system whose stat
// reports none of it.
func SysOf(fi fs.FileInfo) (Stat, bool) {
	if st, ok := fi.Sys().(*Stat); ok {
		return *st, true
	}
	return sysStat(fi.Sys())
}
