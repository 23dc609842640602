package checkout

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/trove-ml/trove/objects"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time // guarded by mu
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newCache opens a cache in a new temp folder.
func newCache(t testing.TB, o Options) *Cache {
	t.Helper()
	c, err := Open(filepath.Join(t.TempDir(), "cache"), o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fillWith returns a fill for Add that writes content and, as a caller's
// fill must, checks it against id.
func fillWith(id objects.ID, content []byte) func(*os.File) error {
	return func(f *os.File) error {
		if got := objects.Sum(content); got != id {
			return fmt.Errorf("%w: content hashes to %s, want %s", objects.ErrCorrupt, got, id)
		}
		_, err := f.Write(content)
		return err
	}
}

// add puts content into c and returns its id and path.
func add(t testing.TB, c *Cache, content []byte) (objects.ID, string) {
	t.Helper()
	id := objects.Sum(content)
	p, err := c.Add(context.Background(), id, int64(len(content)), fillWith(id, content))
	if err != nil {
		t.Fatal(err)
	}
	return id, p
}

// names lists the names in dir, for checks that nothing was left behind.
func names(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// checkFile fails unless path holds content with permissions perm.
func checkFile(t testing.TB, path string, content []byte, perm os.FileMode) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, content) {
		t.Errorf("%s holds %q, want %q", path, got, content)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != perm {
		t.Errorf("%s has mode %v, want %v", path, fi.Mode().Perm(), perm)
	}
}

// sameFile reports whether a and b are one inode.
func sameFile(t testing.TB, a, b string) bool {
	t.Helper()
	ai, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	bi, err := os.Stat(b)
	if err != nil {
		t.Fatal(err)
	}
	return os.SameFile(ai, bi)
}

// reflinkDir returns a folder on a filesystem that reflinks, trying
// $TMPDIR and then the package's folder, or skips the test saying why.
func reflinkDir(t testing.TB) string {
	t.Helper()
	tmp := t.TempDir()
	if Probe(tmp, tmp) {
		return tmp
	}
	here, err := os.MkdirTemp(".", "reflink-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(here) })
	if Probe(here, here) {
		abs, err := filepath.Abs(here)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	t.Skipf("no reflinks in $TMPDIR (%s) or the package folder: their filesystems (ext4 and tmpfs have none) refuse FICLONE; "+
		"on the build machine /tmp and the work tree are ext4, so this test skips there. Run with TMPDIR on btrfs or XFS (reflink=1) to test it", os.TempDir())
	return ""
}

// noReflinks skips the test where dir's filesystem reflinks: it checks
// what happens where it does not.
func noReflinks(t testing.TB, dir string) {
	t.Helper()
	if Probe(dir, dir) {
		t.Skipf("%s reflinks; this test is about a filesystem that does not (as ext4, the build machine's)", dir)
	}
}
