package repo

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/trove-ml/trove/objects"
)

// TestStatPages: a pull's stat cache lookups come from pages of folders'
// entries. Whatever the page size and the order of the lookups (workers
// take a folder's files about in order, not exactly), each must find the
// entry a point lookup finds, and none where there is none.
func TestStatPages(t *testing.T) {
	r := newRepo(t)
	root := t.TempDir()
	st := func(p string) fileStat { return fileStat{size: int64(len(p)), mtime: 1, ctime: 1} }
	b := r.store.NewMetaBatch()
	var paths, absent []string
	for _, dir := range []string{"a", "a/b", "ab", "b"} {
		for i := range 30 {
			p := filepath.Join(root, filepath.FromSlash(dir), fmt.Sprintf("f%02d", i))
			if i%3 == 2 {
				absent = append(absent, p) // no entry: every third name
				continue
			}
			paths = append(paths, p)
			if err := b.Set(nsStatCache, statKey(p), encodeStatEntry(st(p), time.Unix(100, 0), objects.Sum([]byte(p)), 0)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{statPage, 1, 4, 7} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			p := newStatPages(t.Context(), r)
			p.size = size
			all := append(append([]string(nil), paths...), absent...)
			// A few passes in shuffled order, from several goroutines.
			rng := rand.New(rand.NewPCG(uint64(size), 1))
			var wg sync.WaitGroup
			for range 3 {
				rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
				order := append([]string(nil), all...)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for _, path := range order {
						d, ok := p.cachedDigest(path, st(path))
						want, wantOK := r.cachedDigest(path, st(path))
						if ok != wantOK || d != want {
							t.Errorf("%s: pages say %v %v, the store %v %v", path, d, ok, want, wantOK)
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}

// TestRepullHashesOnce: a re-pull's check hashes the files whose stat
// cache entries cannot vouch for them and writes new entries, and the
// write pass must find those (not pages read before they were written):
// each file is hashed once.
func TestRepullHashesOnce(t *testing.T) {
	ctx := t.Context()
	r := newRepo(t)
	src := filepath.Join(t.TempDir(), "data")
	const n = 20
	for i := range n {
		write(t, filepath.Join(src, "d", fmt.Sprintf("f%02d", i)), noise(byte(i), 1000))
	}
	v := commitSrc(t, r, src)
	out := t.TempDir()
	if _, err := r.Pull(ctx, v, PullOptions{Dir: out}); err != nil {
		t.Fatal(err)
	}
	// The pull's entries were written as it wrote the files: racy, so
	// the next pull hashes the files, now old enough to be vouched for.
	time.Sleep(2 * racyWindow)
	res, err := r.Pull(ctx, v, PullOptions{Dir: out})
	if err != nil {
		t.Fatal(err)
	}
	if res.Written != 0 || res.Skipped != n || res.Hashed != n {
		t.Fatalf("re-pull: %d written, %d up to date, %d hashed; want 0, %d, %d (each file hashed once)", res.Written, res.Skipped, res.Hashed, n, n)
	}
	res, err = r.Pull(ctx, v, PullOptions{Dir: out})
	if err != nil || res.Hashed != 0 || res.Skipped != n {
		t.Fatalf("third pull: %+v, %v; want every file vouched for by the stat cache", res, err)
	}
}
