package repo

import (
	"context"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// TestCommitInPlaceEditKeepsBoundaries overwrites scattered regions of a big
// file in place, as a training job rewriting some tensors of a checkpoint
// does, and commits it again: once where the file was committed, once in a
// folder it was pulled to. Either way the stat cache names the content the
// file replaces, so the chunks after each edit fall back in step at the old
// boundaries, storing fewer bytes than chunking the new content afresh.
func TestCommitInPlaceEditKeepsBoundaries(t *testing.T) {
	ctx := context.Background()
	const size, edits, editLen = 16 << 20, 24, 3000
	v1 := noise(7, size)
	v2 := append([]byte(nil), v1...)
	patch := noise(8, edits*editLen)
	for i := range edits {
		at := i*(size/edits) + (i*7919)%(size/edits-editLen)
		copy(v2[at:at+editLen], patch[i*editLen:])
	}

	for _, from := range []string{"committed", "pulled"} {
		t.Run(from, func(t *testing.T) {
			r := newRepo(t)
			path := filepath.Join(t.TempDir(), "ckpt", "model.bin")
			write(t, path, v1)
			first, err := r.Commit(ctx, CommitOptions{Name: "ckpt", Type: "model", Paths: []string{filepath.Dir(path)}})
			if err != nil {
				t.Fatal(err)
			}
			if from == "pulled" {
				dir := t.TempDir()
				v, err := r.Resolve(ctx, "ckpt:v0")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := r.Pull(ctx, v, PullOptions{Dir: dir}); err != nil {
					t.Fatal(err)
				}
				path = filepath.Join(dir, "model.bin")
			}
			overwrite(t, path, v1, v2)

			second, err := r.Commit(ctx, CommitOptions{Name: "ckpt", Type: "model", Paths: []string{filepath.Dir(path)}})
			if err != nil {
				t.Fatal(err)
			}
			if second.Version.N != first.Version.N+1 {
				t.Fatalf("second commit made v%d, want v%d", second.Version.N, first.Version.N+1)
			}
			old := chunkIDs(t, r, objects.Sum(v1))
			got := chunkIDs(t, r, objects.Sum(v2))
			fresh := 0 // what chunking v2 as a new file would store
			c := objects.NewChunker(r.Config.Chunker.Params())
			for rest := v2; len(rest) > 0; {
				n := c.Cut(rest, true)
				if _, ok := old[objects.Sum(rest[:n])]; !ok {
					fresh += n
				}
				rest = rest[n:]
			}
			stored := 0
			for id, n := range got {
				if _, ok := old[id]; !ok {
					stored += n
				}
			}
			t.Logf("%d overwrites of %d bytes: %d new chunk bytes, %d as a new file", edits, editLen, stored, fresh)
			if stored >= fresh {
				t.Errorf("the edited file stored %d new chunk bytes, no fewer than the %d of chunking it afresh", stored, fresh)
			}
			if second.Stored != int64(stored) {
				t.Errorf("commit says it stored %d bytes, its new chunks hold %d", second.Stored, stored)
			}
		})
	}
}

// overwrite changes the file at path from old to new in place (same inode),
// writing only the bytes that differ.
func overwrite(t *testing.T, path string, old, new []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := 0; i < len(new); {
		if old[i] == new[i] {
			i++
			continue
		}
		j := i
		for j < len(new) && old[j] != new[j] {
			j++
		}
		if _, err := f.WriteAt(new[i:j], int64(i)); err != nil {
			t.Fatal(err)
		}
		i = j
	}
}

// chunkIDs returns the chunks of the file with the given digest, with their
// lengths.
func chunkIDs(t *testing.T, r *Repo, digest objects.ID) map[objects.ID]int {
	t.Helper()
	mapID, ok, err := r.store.FileMap(digest)
	if err != nil || !ok {
		t.Fatalf("file map of %s: ok %v, %v", digest, ok, err)
	}
	ids := map[objects.ID]int{}
	err = manifest.ReadFileMap(context.Background(), blobs{st: r.store}, mapID, func(_ int64, id objects.ID, n uint32) error {
		ids[id] = int(n)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestCutHintsWindow checks the boundaries each chunk start is given: those
// within a chunk's maximum after it, relative to it, however far the old
// boundaries run ahead.
func TestCutHintsWindow(t *testing.T) {
	next, stop := iter.Pull(slices.Values([]int64{100, 250, 400, 1000, 1001, 5000}))
	h := &cutHints{next: next, stop: stop}
	defer h.close()
	steps := []struct {
		off  int64
		span int
		want []int
	}{
		{0, 300, []int{100, 250}},
		{0, 300, []int{100, 250}},
		{100, 300, []int{150, 300}},
		{260, 100, nil},
		{260, 800, []int{140, 740, 741}},
		{1000, 10, []int{1}},
		{1001, 100000, []int{3999}},
		{6000, 100, nil},
	}
	for _, s := range steps {
		if got := h.window(s.off, s.span); !slices.Equal(got, s.want) {
			t.Errorf("window(%d, %d) = %v, want %v", s.off, s.span, got, s.want)
		}
	}
	var none *cutHints
	if got := none.window(0, 100); got != nil {
		t.Errorf("no hints gave %v", got)
	}
	none.close()
}
