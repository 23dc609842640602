package fileinfo

import "io/fs"

// Stat is the Sys of the entries ReadDir returns on Linux: what they carry
// of stat(2) beyond fs.FileInfo. Elsewhere Sys is a *syscall.Stat_t, as
// from os.Lstat; SysOf reads either.
type Stat struct {
	Ctime    int64 // ns since the epoch
	Ino, Dev uint64
	Nlink    uint64
}

// ReadDir returns the entries of the folder dir in name order (bytewise,
// as os.ReadDir), each with what Lstat reports of it: symlinks are not
// followed. On Linux the entries are stat'ed relative to the folder's open
// descriptor, so the kernel resolves one path element per entry instead
// of the whole path, and the results share one allocation: listing a
// folder this way costs about half of os.ReadDir and an Info per entry.
//
// An entry removed between the listing and its stat is an error that
// names it, as from Info. ReadDir holds the whole folder; a [Lister] gives
// it a batch at a time.
func ReadDir(dir string) ([]fs.FileInfo, error) {
	l, err := OpenList(dir, ListOptions{})
	if err != nil {
		return nil, err
	}
	defer l.Close()
	var all []fs.FileInfo
	for {
		infos, err := l.Next(listBatch)
		if err != nil || len(infos) == 0 {
			return all, err
		}
		all = append(all, infos...)
	}
}

// SysOf returns what fi carries of stat(2) beyond fs.FileInfo, whether it
// came from ReadDir or from os.Lstat, and false on a system whose stat
// reports none of it.
func SysOf(fi fs.FileInfo) (Stat, bool) {
	if st, ok := fi.Sys().(*Stat); ok {
		return *st, true
	}
	return sysStat(fi.Sys())
}
