package fileinfo

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestKindName(t *testing.T) {
	for m, want := range map[fs.FileMode]string{
		fs.ModeSocket:                     "socket",
		fs.ModeNamedPipe:                  "named pipe",
		fs.ModeDevice | fs.ModeCharDevice: "character device",
		fs.ModeDevice:                     "device",
		fs.ModeSymlink:                    "symbolic link",
		fs.ModeDir:                        "folder",
		fs.ModeIrregular:                  "irregular file",
		0:                                 "special file",
	} {
		if got := KindName(m); got != want {
			t.Errorf("KindName(%v) = %q, want %q", m, got, want)
		}
	}
}

func TestCause(t *testing.T) {
	_, err := os.Stat(filepath.Join(t.TempDir(), "missing"))
	if got := Cause(err); !errors.Is(got, fs.ErrNotExist) || got.Error() != "no such file or directory" {
		t.Fatalf("Cause = %v", got)
	}
	plain := errors.New("plain")
	if Cause(plain) != plain {
		t.Fatal("Cause changed an error that is no PathError")
	}
}
