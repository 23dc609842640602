//go:build !windows

// These tests check inodes, link counts and ctimes against
// syscall.Stat_t and make a FIFO, none of which Windows has.

package fileinfo

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
)

// TestReadDirAgreesWithLstat lists a folder with one entry of each kind
// and checks every entry against os.Lstat: the same names in bytewise
// order, and the same mode, size, time and stat fields.
func TestReadDirAgreesWithLstat(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data string, perm fs.FileMode) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), perm); err != nil {
			t.Fatal(err)
		}
	}
	write("b.txt", "hello", 0o644)
	write("a-run.sh", "#!/bin/sh\n", 0o755)
	write("B-upper", "", 0o600)
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("b.txt", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("nowhere", filepath.Join(dir, "dangling")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o600); err != nil {
		t.Fatal(err)
	}

	got, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"B-upper", "a-run.sh", "b.txt", "dangling", "link", "pipe", "sub"}
	var names []string
	for _, fi := range got {
		names = append(names, fi.Name())
	}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("names %q, want %q", names, want)
	}
	for _, fi := range got {
		ref, err := os.Lstat(filepath.Join(dir, fi.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != ref.Mode() || fi.Size() != ref.Size() || !fi.ModTime().Equal(ref.ModTime()) || fi.IsDir() != ref.IsDir() {
			t.Errorf("%s: mode %v size %d mtime %v dir %v; Lstat says %v %d %v %v", fi.Name(),
				fi.Mode(), fi.Size(), fi.ModTime(), fi.IsDir(), ref.Mode(), ref.Size(), ref.ModTime(), ref.IsDir())
		}
		rst := ref.Sys().(*syscall.Stat_t)
		switch st := fi.Sys().(type) {
		case *Stat:
			if st.Ino != rst.Ino || st.Dev != rst.Dev || st.Ctime != rst.Ctim.Nano() || st.Nlink != uint64(rst.Nlink) {
				t.Errorf("%s: Sys %+v, Lstat's %+v", fi.Name(), st, rst)
			}
		case *syscall.Stat_t: // not Linux
			if st.Ino != rst.Ino || st.Ctim != rst.Ctim {
				t.Errorf("%s: Sys %+v, Lstat's %+v", fi.Name(), st, rst)
			}
		default:
			t.Errorf("%s: Sys is a %T", fi.Name(), st)
		}
	}
}

func TestReadDirErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadDir(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing folder: %v", err)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadDir(file); err == nil {
		t.Error("ReadDir of a file succeeded")
	}
}

// TestSysOf: a ReadDir entry and os.Lstat of the same file say the same of
// it through SysOf.
func TestSysOf(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "f"), filepath.Join(dir, "g")); err != nil {
		t.Fatal(err)
	}
	infos, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(filepath.Join(dir, "f"))
	if err != nil {
		t.Fatal(err)
	}
	listed, ok1 := SysOf(infos[0])
	lstat, ok2 := SysOf(fi)
	if !ok1 || !ok2 || listed != lstat {
		t.Fatalf("ReadDir says %+v (%v), Lstat %+v (%v)", listed, ok1, lstat, ok2)
	}
	if lstat.Nlink != 2 || lstat.Ino == 0 || lstat.Ctime == 0 {
		t.Errorf("SysOf(Lstat) = %+v, want two links, an inode and a ctime", lstat)
	}
}
