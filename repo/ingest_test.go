package repo

import (
	"context"
	"fmt"
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
