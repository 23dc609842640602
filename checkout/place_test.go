package checkout

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// placeCase is one mode of placing, with what the result must look like.
type placeCase struct {
	mode     Mode
	perm     fs.FileMode
	wantUsed Mode
	wantPerm fs.FileMode
	shared   bool // dst must be the cache file's inode
}

// placeCases lists the modes that work in dir: Reflink only where the
// filesystem has reflinks, and Auto's answer as the filesystem gives it.
func placeCases(dir string) []placeCase {
	auto := Copy
	cases := []placeCase{
		{Copy, 0o640, Copy, 0o640, false},
		{Hardlink, 0o644, Hardlink, 0o444, true},
	}
	if Probe(dir, dir) {
		auto = Reflink
		cases = append(cases, placeCase{Reflink, 0o600, Reflink, 0o600, false})
	}
	// An executable file is not hardlinked: Hardlink does as Auto does.
	return append(cases, placeCase{Auto, 0o644, auto, 0o644, false}, placeCase{Hardlink, 0o755, auto, 0o755, false})
}

func TestPlace(t *testing.T) {
	c := newCache(t, Options{})
	content := bytes.Repeat([]byte("layer weights "), 10000)
	_, src := add(t, c, content)
	for _, tc := range placeCases(c.Dir()) {
		t.Run(tc.mode.String()+"/"+tc.perm.String(), func(t *testing.T) {
			out := t.TempDir()
			dst := filepath.Join(out, "model.bin")
			used, err := Place(context.Background(), tc.mode, src, dst, tc.perm)
			if err != nil || used != tc.wantUsed {
				t.Fatalf("Place = %v, %v; want %v", used, err, tc.wantUsed)
			}
			checkFile(t, dst, content, tc.wantPerm)
			if got := sameFile(t, src, dst); got != tc.shared {
				t.Errorf("dst shares the cache file's inode: %v, want %v", got, tc.shared)
			}
			checkFile(t, src, content, 0o444) // the cache file is untouched
			if got := names(t, out); len(got) != 1 {
				t.Errorf("%s holds %v; want only model.bin", out, got)
			}
		})
	}
}

// TestPlaceReplaces: Place replaces an existing file at dst without
// writing through it: a reader holding the old file keeps reading the old
// bytes, and an output hardlinked to the cache by an earlier pull is
// replaced, leaving the cache file as it was.
func TestPlaceReplaces(t *testing.T) {
	c := newCache(t, Options{})
	content := []byte("version 2 of the checkpoint")
	oldContent := []byte("version 1")
	_, src := add(t, c, content)
	_, oldSrc := add(t, c, oldContent)
	for _, tc := range placeCases(c.Dir()) {
		t.Run(tc.mode.String()+"/"+tc.perm.String(), func(t *testing.T) {
			out := t.TempDir()
			dst := filepath.Join(out, "ckpt")
			for _, previous := range []Mode{Copy, Hardlink} {
				if _, err := Place(context.Background(), previous, oldSrc, dst, 0o644); err != nil {
					t.Fatal(err)
				}
				reader, err := os.Open(dst)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := Place(context.Background(), tc.mode, src, dst, tc.perm); err != nil {
					reader.Close()
					t.Fatal(err)
				}
				got, err := io.ReadAll(reader)
				reader.Close()
				if err != nil || !bytes.Equal(got, oldContent) {
					t.Errorf("after a %v output was replaced, its reader read %q, %v; want the old bytes", previous, got, err)
				}
				checkFile(t, dst, content, tc.wantPerm)
				checkFile(t, oldSrc, oldContent, 0o444)
				if got := names(t, out); len(got) != 1 {
					t.Errorf("%s holds %v; want only ckpt", out, got)
				}
			}
		})
	}
}

// TestPlaceHardlinkAgain: hardlinking onto a link of the same cache file
// changes nothing (and leaves no temp name, which rename(2) between two
// links of one inode would).
func TestPlaceHardlinkAgain(t *testing.T) {
	c := newCache(t, Options{})
	_, src := add(t, c, []byte("same"))
	out := t.TempDir()
	dst := filepath.Join(out, "f")
	for range 2 {
		if used, err := Place(context.Background(), Hardlink, src, dst, 0o644); err != nil || used != Hardlink {
			t.Fatalf("Place = %v, %v", used, err)
		}
	}
	if !sameFile(t, src, dst) {
		t.Error("dst is not the cache file")
	}
	if got := names(t, out); len(got) != 1 {
		t.Errorf("%s holds %v; want only f", out, got)
	}
}

// TestPlaceErrors: a missing folder, a folder in the way, a missing cache
// file and a cancelled context are errors naming what is wrong, and
// leave nothing behind.
func TestPlaceErrors(t *testing.T) {
	c := newCache(t, Options{})
	_, src := add(t, c, []byte("x"))
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, mode := range []Mode{Auto, Copy, Reflink, Hardlink} {
		t.Run(mode.String(), func(t *testing.T) {
			out := t.TempDir()
			missing := filepath.Join(out, "no", "such")
			_, err := Place(context.Background(), mode, src, filepath.Join(missing, "f"), 0o644)
			if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
				t.Errorf("Place into a missing folder = %v; want not-exist naming %s", err, missing)
			}

			folder := filepath.Join(out, "dir")
			if err := os.Mkdir(folder, 0o755); err != nil {
				t.Fatal(err)
			}
			_, err = Place(context.Background(), mode, src, folder, 0o644)
			if err == nil || !strings.Contains(err.Error(), folder) || !strings.Contains(err.Error(), "folder") {
				t.Errorf("Place over a folder = %v; want an error naming it", err)
			}
			if fi, err := os.Stat(folder); err != nil || !fi.IsDir() {
				t.Errorf("the folder at dst changed: %v", err)
			}

			gone := filepath.Join(c.Dir(), "files", "00", "gone")
			_, err = Place(context.Background(), mode, gone, filepath.Join(out, "f"), 0o644)
			if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), gone) {
				t.Errorf("Place of a missing cache file = %v; want not-exist naming %s", err, gone)
			}

			if _, err := Place(cancelled, mode, src, filepath.Join(out, "f"), 0o644); !errors.Is(err, context.Canceled) {
				t.Errorf("Place with a cancelled context = %v", err)
			}
			if got := names(t, out); len(got) != 1 {
				t.Errorf("%s holds %v; want only dir", out, got)
			}
		})
	}
	if _, err := Place(context.Background(), Mode(7), src, filepath.Join(t.TempDir(), "f"), 0o644); err == nil {
		t.Error("Place in an unknown mode succeeded")
	}
}

// TestAutoFallsBackToCopy: on a filesystem without reflinks (ext4 here)
// Auto copies and says so, and Reflink fails with ErrUnsupported.
func TestAutoFallsBackToCopy(t *testing.T) {
	c := newCache(t, Options{})
	noReflinks(t, c.Dir())
	content := []byte("a dataset file")
	_, src := add(t, c, content)
	out := t.TempDir()
	dst := filepath.Join(out, "data")
	used, err := Place(context.Background(), Auto, src, dst, 0o644)
	if err != nil || used != Copy {
		t.Fatalf("Place(Auto) = %v, %v; want copy", used, err)
	}
	checkFile(t, dst, content, 0o644)

	used, err = Place(context.Background(), Reflink, src, filepath.Join(out, "r"), 0o644)
	if !errors.Is(err, ErrUnsupported) || used != Reflink {
		t.Fatalf("Place(Reflink) = %v, %v; want ErrUnsupported", used, err)
	}
	if !strings.Contains(err.Error(), src) || !strings.Contains(err.Error(), filepath.Join(out, "r")) {
		t.Errorf("error %q does not name both files", err)
	}
	if got := names(t, out); len(got) != 1 {
		t.Errorf("%s holds %v; want only data", out, got)
	}
}

// TestReflink runs where the filesystem reflinks: the output shares the
// cache's blocks but is its own writable file.
func TestReflink(t *testing.T) {
	dir := reflinkDir(t)
	c, err := Open(filepath.Join(dir, "cache"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	content := bytes.Repeat([]byte("reflinked "), 100000)
	id, src := add(t, c, content)
	for _, mode := range []Mode{Reflink, Auto} {
		dst := filepath.Join(dir, "out-"+mode.String())
		used, err := Place(context.Background(), mode, src, dst, 0o644)
		if err != nil || used != Reflink {
			t.Fatalf("Place(%v) = %v, %v; want reflink", mode, used, err)
		}
		checkFile(t, dst, content, 0o644)
		if sameFile(t, src, dst) {
			t.Fatal("a reflink shares the inode")
		}
		// Writing the output leaves the cache as it was.
		if err := os.WriteFile(dst, []byte("changed"), 0o644); err != nil {
			t.Fatal(err)
		}
		checkFile(t, src, content, 0o444)
	}
	p := NewPlacer(c, Auto)
	if m, err := p.Plan(dir, 0o644); m != Reflink || err != nil {
		t.Errorf("Plan = %v, %v; want reflink", m, err)
	}
	if used, err := p.Place(context.Background(), id, filepath.Join(dir, "placer"), 0o644); used != Reflink || err != nil {
		t.Errorf("Placer.Place = %v, %v; want reflink", used, err)
	}
}

// deviceOf returns the device of path's filesystem.
func deviceOf(t *testing.T, path string) (uint64, bool) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return device(fi)
}

// otherDevice returns a temp folder in /dev/shm when that is another
// filesystem than dir's, or skips the test.
func otherDevice(t *testing.T, dir string) string {
	t.Helper()
	shm, err := os.MkdirTemp("/dev/shm", "checkout-test-")
	if err != nil {
		t.Skipf("no /dev/shm to place into: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	da, _ := deviceOf(t, dir)
	db, ok := deviceOf(t, shm)
	if !ok || da == db {
		t.Skipf("/dev/shm is on the same filesystem as %s", dir)
	}
	return shm
}

// TestHardlinkAcrossDevices: a hardlink from the cache into another
// filesystem fails with ErrCrossDevice, naming the cache and the output
// folder and suggesting a copy; Auto copies there.
func TestHardlinkAcrossDevices(t *testing.T) {
	c := newCache(t, Options{})
	shm := otherDevice(t, c.Dir())
	id, src := add(t, c, []byte("far away"))
	dst := filepath.Join(shm, "f")
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, ErrCrossDevice) {
			t.Fatalf("%s = %v; want ErrCrossDevice", what, err)
		}
		for _, s := range []string{c.Dir(), shm, "different filesystems", "--link copy"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s error %q does not say %q", what, err, s)
			}
		}
	}
	_, err := Place(context.Background(), Hardlink, src, dst, 0o644)
	if !errors.Is(err, ErrCrossDevice) {
		t.Fatalf("Place(Hardlink) = %v; want ErrCrossDevice", err)
	}
	for _, s := range []string{src, shm, "different filesystems", "--link copy"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("Place(Hardlink) error %q does not say %q", err, s)
		}
	}
	p := NewPlacer(c, Hardlink)
	_, err = p.Place(context.Background(), id, dst, 0o644)
	check("Placer.Place", err)
	_, err = p.Plan(shm, 0o644)
	check("Plan", err)
	if got := names(t, shm); len(got) != 0 {
		t.Errorf("%s holds %v after failed hardlinks", shm, got)
	}
	if used, err := Place(context.Background(), Auto, src, dst, 0o644); err != nil || used != Copy {
		t.Errorf("Place(Auto) across filesystems = %v, %v; want copy", used, err)
	}
}

// TestHardlinkMaxLinks: a cache file with as many links as the
// filesystem allows is copied, not hardlinked (ext4 allows 65,000, which
// a dataset of many empty or identical files reaches).
func TestHardlinkMaxLinks(t *testing.T) {
	if testing.Short() {
		t.Skip("makes 65,000 links")
	}
	const most = 70_000 // past ext4's 65,000; btrfs and XFS allow far more
	c := newCache(t, Options{})
	_, src := add(t, c, []byte{})
	links := t.TempDir()
	full := false
	for i := range most {
		err := os.Link(src, filepath.Join(links, strconv.Itoa(i)))
		if errors.Is(err, syscall.EMLINK) {
			full = true
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !full {
		t.Skipf("this filesystem took %d links to one file without complaint", most)
	}
	dst := filepath.Join(t.TempDir(), "__init__.py")
	used, err := Place(context.Background(), Hardlink, src, dst, 0o644)
	if err != nil || used == Hardlink {
		t.Fatalf("Place(Hardlink) of a file with the most links = %v, %v; want a copy", used, err)
	}
	checkFile(t, dst, nil, 0o644)
}
