package checkout

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// fsNoCOW is FS_NOCOW_FL from linux/fs.h: btrfs's nodatacow, which
// chattr +C sets. x/sys/unix does not define it.
const fsNoCOW = 0x00800000

// TestAutoFallsBackPerFile: where the filesystem reflinks but refuses one
// file (btrfs, from a datacow file into a nodatacow folder: EINVAL), Auto
// copies that file and Reflink fails with ErrUnsupported.
func TestAutoFallsBackPerFile(t *testing.T) {
	dir := reflinkDir(t)
	nocow := filepath.Join(dir, "nocow")
	if err := os.Mkdir(nocow, 0o755); err != nil {
		t.Fatal(err)
	}
	d, err := os.Open(nocow)
	if err != nil {
		t.Fatal(err)
	}
	flags, err := unix.IoctlGetUint32(int(d.Fd()), unix.FS_IOC_GETFLAGS)
	if err == nil {
		err = unix.IoctlSetPointerInt(int(d.Fd()), unix.FS_IOC_SETFLAGS, int(flags|fsNoCOW))
	}
	d.Close()
	if err != nil {
		t.Skipf("cannot mark %s nodatacow (a btrfs feature): %v", nocow, err)
	}
	c, err := Open(filepath.Join(dir, "cache"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	content := bytes.Repeat([]byte("nocow "), 5000)
	_, src := add(t, c, content)
	if Probe(filepath.Join(c.Dir(), "tmp"), nocow) {
		t.Skip("this filesystem reflinks into a nodatacow folder")
	}
	used, err := Place(context.Background(), Auto, src, filepath.Join(nocow, "f"), 0o644)
	if err != nil || used != Copy {
		t.Fatalf("Place(Auto) = %v, %v; want copy", used, err)
	}
	checkFile(t, filepath.Join(nocow, "f"), content, 0o644)
	_, err = Place(context.Background(), Reflink, src, filepath.Join(nocow, "g"), 0o644)
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Place(Reflink) = %v; want ErrUnsupported", err)
	}
	t.Logf("Reflink refused with: %v", err)
}
