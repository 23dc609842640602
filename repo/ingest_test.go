package repo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// TestBigFilesShareBlocks commits more big files than may stream at once
// (bigFileConcurrency), each of several blocks with chunks across block
// ends, through the small block pool (bigBlockCount): the pipelines must
// share it without deadlock, and every file's digest and map must hold.
func TestBigFilesShareBlocks(t *testing.T) {
	if bigBlockCount <= bigFileConcurrency {
		t.Fatalf("bigBlockCount %d must exceed bigFileConcurrency %d", bigBlockCount, bigFileConcurrency)
	}
	ctx := context.Background()
	r := newRepo(t)
	src := filepath.Join(t.TempDir(), "data")
	want := map[string][]byte{}
	for i := range bigFileConcurrency + 2 {
		name := fmt.Sprintf("big%d", i)
		want[name] = noise(byte(10+i), bigFileSize+i*bigBlockSize+777)
		write(t, filepath.Join(src, name), want[name])
	}
	res, err := r.Commit(ctx, CommitOptions{Name: "big", Type: "dataset", Paths: []string{src}})
	if err != nil {
		t.Fatal(err)
	}
	b := blobs{st: r.store}
	for name, data := range want {
		e, err := manifest.Lookup(ctx, b, res.Version.Root, name)
		if err != nil {
			t.Fatal(err)
		}
		if e.Digest != objects.Sum(data) || e.Size != int64(len(data)) {
			t.Fatalf("%s: entry %s of %d bytes, want %s of %d", name, e.Digest.Short(), e.Size, objects.Sum(data).Short(), len(data))
		}
		mapID, ok, err := r.store.FileMap(e.Digest)
		if err != nil || !ok {
			t.Fatalf("%s: no file map (%v)", name, err)
		}
		h, got := objects.NewHasher(), int64(0)
		err = manifest.ReadFileMap(ctx, b, mapID, func(off int64, chunk objects.ID, n uint32) error {
			c, _, err := r.store.Get(ctx, chunk, nil)
			if err != nil {
				return err
			}
			h.Write(c)
			got += int64(len(c))
			return nil
		})
		if err != nil || got != int64(len(data)) || h.Sum() != e.Digest {
			t.Fatalf("%s: file map gives %d bytes hashing to %s (%v)", name, got, h.Sum().Short(), err)
		}
	}
}

// TestSmallFileLongerThanItsSize: a small file is read to its stat size
// with room for one byte more, so content beyond the size (a file that
// grew, or a pseudo-file whose size says 0) fails the read rather than
// being cut off, although the read stops at the size without a second
// read to EOF. Buffers come from a pool: a file read after a longer one
// gets exactly its own bytes.
func TestSmallFileLongerThanItsSize(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	c := newCommitter(ctx, r, r.store.NewWriter())
	defer c.wait()
	if fi, err := os.Stat("/proc/self/status"); err == nil && fi.Size() == 0 {
		if _, _, err := c.ingestSmall(ctx, "/proc/self/status"); !errors.Is(err, ErrFileChanged) {
			t.Errorf("pseudo-file of size 0 with content: %v, want ErrFileChanged", err)
		}
	}
	dir := t.TempDir()
	for i, n := range []int{5000, 10, 0, 4999} {
		p := filepath.Join(dir, fmt.Sprint(i))
		data := noise(byte(i), n)
		write(t, p, data)
		d, size, err := c.ingestSmall(ctx, p)
		if err != nil || d != objects.Sum(data) || size != int64(n) {
			t.Fatalf("file of %d bytes: digest %s, size %d, %v", n, d.Short(), size, err)
		}
	}
}

// BenchmarkHashFileSmall hashes a 15 KB file, the size of the benchmark's
// 20,000 small files, as a re-pull or verify does for each file whose
// stat cache entry it cannot trust. Its bytes per op are the point: a
// 1 MiB buffer per file made the first re-pull after a pull of those
// files take 6 s, in the garbage collector.
func BenchmarkHashFileSmall(b *testing.B) {
	p := filepath.Join(b.TempDir(), "f")
	write(b, p, noise(1, 15<<10))
	fi, err := os.Lstat(p)
	if err != nil {
		b.Fatal(err)
	}
	st := statOf(fi)
	b.ReportAllocs()
	b.SetBytes(fi.Size())
	for b.Loop() {
		if _, err := hashFile(p, st); err != nil {
			b.Fatal(err)
		}
	}
}
