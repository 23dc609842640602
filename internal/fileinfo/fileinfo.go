// Package fileinfo reads what the file system reports about files: a fast
// folder listing with each entry's Lstat, in name order (a Lister, which
// gives a folder of any size a batch at a time, in bounded memory), and
// names for kinds of file and for errors, for messages that say what is
// wrong with a path.
package fileinfo

import (
	"errors"
	"io/fs"
)

// KindName names the kind of file a mode describes: "socket", "named
// pipe", "character device", "device", "symbolic link", "folder",
// "irregular file", or "special file".
func KindName(m fs.FileMode) string {
	switch {
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m.IsDir():
		return "folder"
	case m&fs.ModeIrregular != 0:
		return "irregular file"
	}
	return "special file"
}

// Cause strips an *fs.PathError down to its cause ("no such file or
// directory"), for messages that name the path themselves.
func Cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
