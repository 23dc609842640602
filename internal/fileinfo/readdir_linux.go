package fileinfo

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// stat is the fs.FileInfo of one entry, filled from fstatat(2). It keeps
// only what callers read (72 bytes a name rather than a whole Stat_t's
// 144), as a folder of a million files lists a million of them.
type stat struct {
	name  string
	mode  fs.FileMode
	size  int64
	mtime int64 // ns since the epoch
	sys   Stat
}

func (s *stat) Name() string       { return s.name }
func (s *stat) Size() int64        { return s.size }
func (s *stat) Mode() fs.FileMode  { return s.mode }
func (s *stat) ModTime() time.Time { return time.Unix(0, s.mtime) }
func (s *stat) IsDir() bool        { return s.mode.IsDir() }
func (s *stat) Sys() any           { return &s.sys }

// lstatAll stats names in the folder open as f, relative to its descriptor.
func lstatAll(f *os.File, dir string, names []string) ([]fs.FileInfo, error) {
	stats := make([]stat, len(names))
	infos := make([]fs.FileInfo, len(names))
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		for i, name := range names {
			s := &stats[i]
			s.name = name
			var u unix.Stat_t
			var err error
			for {
				err = unix.Fstatat(int(fd), name, &u, unix.AT_SYMLINK_NOFOLLOW)
				if err != unix.EINTR {
					break
				}
			}
			if err != nil {
				serr = &fs.PathError{Op: "lstat", Path: filepath.Join(dir, name), Err: err}
				return
			}
			s.mode = modeOf(u.Mode)
			s.size, s.mtime = u.Size, u.Mtim.Nano()
			s.sys = Stat{Ctime: u.Ctim.Nano(), Ino: u.Ino, Dev: u.Dev, Nlink: uint64(u.Nlink)}
			infos[i] = s
		}
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return nil, err
	}
	return infos, nil
}

// modeOf converts st_mode to an fs.FileMode as package os does.
func modeOf(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & syscall.S_IFMT {
	case syscall.S_IFBLK:
		mode |= fs.ModeDevice
	case syscall.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFDIR:
		mode |= fs.ModeDir
	case syscall.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case syscall.S_IFLNK:
		mode |= fs.ModeSymlink
	case syscall.S_IFSOCK:
		mode |= fs.ModeSocket
	}
	if m&syscall.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&syscall.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&syscall.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}
