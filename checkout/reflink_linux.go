package checkout

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// clone makes dst, open for writing and empty, share all of src's blocks
// (the FICLONE ioctl). On failure dst is left as it was.
func clone(dst, src *os.File) error {
	dc, err := dst.SyscallConn()
	if err != nil {
		return err
	}
	sc, err := src.SyscallConn()
	if err != nil {
		return err
	}
	var cerr error
	err = dc.Control(func(dfd uintptr) {
		if err := sc.Control(func(sfd uintptr) {
			cerr = unix.IoctlFileClone(int(dfd), int(sfd))
		}); err != nil {
			cerr = err
		}
	})
	if err != nil {
		return err
	}
	return cerr
}

// cannotClone reports whether err from clone means that the filesystem
// cannot reflink these two files, so that a copy is the way, rather than
// a failure a copy would meet too. What Linux returns, per
// ioctl_ficlone(2) and vfs_clone_file_range in fs/remap_range.c:
//
//   - EOPNOTSUPP: the filesystem has no reflinks (ext4, tmpfs, and any
//     without remap_file_range), or not for these inodes.
//   - EXDEV: the files are on different filesystems (before Linux 5.19
//     also on different mounts of one filesystem).
//   - EINVAL: the filesystem cannot reflink these particular files, as
//     btrfs between a nodatacow and a datacow file, or some NFS and CIFS
//     servers.
//   - ENOTTY: the ioctl is unknown: kernels before 4.5, and sandboxes
//     such as gVisor before its 2026 fix (google/gvisor#12853).
//   - EPERM: the destination is immutable, or a seccomp filter in a
//     container refuses the ioctl.
//
// EBADF and EISDIR would mean a bug here, and are not in the list.
func cannotClone(err error) bool {
	for _, errno := range [...]unix.Errno{unix.EOPNOTSUPP, unix.EXDEV, unix.EINVAL, unix.ENOTTY, unix.EPERM} {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}
