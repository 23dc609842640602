//go:build linux

package objects

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestPackPagesDropped checks that a committed pack does not stay in the
// page cache: a commit must not push the files it read (which the user
// reads next) out of memory with copies of them.
func TestPackPagesDropped(t *testing.T) {
	dir := pageCacheDir(t)
	s := openStore(t, Options{Dir: dir})
	// 40 MiB: several writeback ranges, so both the ranges dropped while
	// the pack fills and the tail dropped after its fsync are covered.
	putAll(t, s, testChunks("drop", 160, 256<<10))

	packs, err := filepath.Glob(filepath.Join(dir, "packs", "*", "*"))
	if err != nil || len(packs) == 0 {
		t.Fatalf("packs: %v %v", packs, err)
	}
	var resident, total int
	for _, p := range packs {
		r, n := residentPages(t, p)
		resident += r
		total += n
	}
	// Pages another process or the kernel keeps for its own reasons may
	// stay; a pack left in the cache would be 100 %.
	if resident*10 > total {
		t.Errorf("%d of the packs' %d pages are in the page cache after the commit; want under 10 %%", resident, total)
	}
}

// pageCacheDir returns a temp dir, skipping the test where the page cache
// cannot be observed: tmpfs keeps every page in memory.
func pageCacheDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		t.Fatal(err)
	}
	if fs.Type == unix.TMPFS_MAGIC {
		t.Skip("tmpfs keeps every page in memory: no page cache to observe")
	}
	return dir
}

// residentPages reports how many of the file's pages are in the page cache.
func residentPages(t *testing.T, path string) (resident, total int) {
	t.Helper()
	return residentRange(t, path, 0, -1)
}

// residentRange reports how many of the file's pages in [from, to) are in
// the page cache; to < 0 means to the end.
func residentRange(t *testing.T, path string, from, to int64) (resident, total int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if to < 0 || to > fi.Size() {
		to = fi.Size()
	}
	m, err := unix.Mmap(int(f.Fd()), from, int(to-from), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	page := os.Getpagesize()
	vec := make([]byte, (len(m)+page-1)/page)
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatal(errno)
	}
	for _, v := range vec {
		if v&1 != 0 {
			resident++
		}
	}
	return resident, len(vec)
}

// TestReadAhead checks that reads running forward through a pack that is
// not in the page cache get the next stretch read ahead, and that a lone
// read elsewhere does not.
func TestReadAhead(t *testing.T) {
	dir := pageCacheDir(t)
	s := openStore(t, Options{Dir: dir})
	ids := putAll(t, s, testChunks("ahead", 160, 256<<10)) // one 40 MiB pack
	packs, err := filepath.Glob(filepath.Join(dir, "packs", "*", "*"))
	if err != nil || len(packs) != 1 {
		t.Fatalf("packs: %v %v", packs, err)
	}
	const mib = 1 << 20
	resident := func(from, to int64) int {
		r, _ := residentRange(t, packs[0], from, to)
		return r
	}
	ctx := context.Background()
	read := func(ids ...ID) {
		for _, id := range ids {
			if _, _, err := s.Get(ctx, id, nil); err != nil {
				t.Fatal(err)
			}
		}
	}

	// A lone read at 30 MiB, then three reads in a row from the start:
	// the kernel reads 4–16 MiB ahead of those (in the background, so
	// wait for it), and nothing far past the lone read.
	read(ids[120])
	read(ids[:3]...)
	want := 12 * mib / os.Getpagesize()
	deadline := time.Now().Add(10 * time.Second)
	for resident(4*mib, 16*mib) < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := resident(4*mib, 16*mib); n != want {
		t.Errorf("after three reads in a row from the start, %d of the %d pages of 4–16 MiB are in the page cache", n, want)
	}
	if n := resident(36*mib, 40*mib); n != 0 {
		t.Errorf("a lone read at 30 MiB brought %d pages of 36–40 MiB into the page cache", n)
	}
}
