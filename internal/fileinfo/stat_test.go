//go:build !windows

// These tests make a FIFO, which Windows does not have.

package fileinfo

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"syscall"
	"testing"
)

// TestListerAgreesWithLstat lists a folder with one entry of each kind
// and checks every entry against os.Lstat: the same names in bytewise
// order, and the same mode, size, time and stat fields.
func TestListerAgreesWithLstat(t *testing.T) {
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

	got, err := readAll(dir)
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
		got, ok := SysOf(fi)
		want, refOK := SysOf(ref)
		if ok != refOK || got != want {
			t.Errorf("%s: SysOf %+v (%v), Lstat's %+v (%v)", fi.Name(), got, ok, want, refOK)
		}
		if _, own := fi.Sys().(*Stat); runtime.GOOS == "linux" && !own {
			t.Errorf("%s: Sys is a %T, want the one-allocation *Stat", fi.Name(), fi.Sys())
		}
	}
}

func TestListerOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := readAll(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing folder: %v", err)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readAll(file); err == nil {
		t.Error("listing a file succeeded")
	}
}

// TestSysOf: a listed entry and os.Lstat of the same file say the same of
// it through SysOf.
func TestSysOf(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "f"), filepath.Join(dir, "g")); err != nil {
		t.Fatal(err)
	}
	infos, err := readAll(dir)
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
		t.Fatalf("the Lister says %+v (%v), Lstat %+v (%v)", listed, ok1, lstat, ok2)
	}
	if lstat.Nlink != 2 || lstat.Ino == 0 || lstat.Ctime == 0 {
		t.Errorf("SysOf(Lstat) = %+v, want two links, an inode and a ctime", lstat)
	}
}
