package repo

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// TestCommitInPlaceEditKeepsBoundaries overwrites scattered regions of a big
// file in place, as a training job rewriting some tensors of a checkpoint
// does, and commits it again: once where the file was committed, once in a
// folder it was pulled to. Either way the stat cache names the content the
// file replaces, so the chunks after each edit fall back in step at the old
// boundaries, storing fewer bytes than chunking the new content afresh;
// and an insertion after that costs the chunks around it, not one more
// per earlier edit.
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
			stored := bytesNotIn(got, old)
			fresh := bytesNotIn(newFileChunks(r, v2), old) // what chunking v2 as a new file would store
			t.Logf("%d overwrites of %d bytes: %d new chunk bytes, %d as a new file", edits, editLen, stored, fresh)
			if stored >= fresh {
				t.Errorf("the edited file stored %d new chunk bytes, no fewer than the %d of chunking it afresh", stored, fresh)
			}
			if second.Stored != int64(stored) {
				t.Errorf("commit says it stored %d bytes, its new chunks hold %d", second.Stored, stored)
			}

			// Insert 100 bytes near the start, rewriting the file: past
			// the insertion the chunks fall back in step with v2's,
			// shifted, and keep the boundaries v2 took from its hints.
			const at = 1<<20 + 123
			v3 := slices.Concat(v2[:at], noise(9, 100), v2[at:])
			tmp := path + ".tmp"
			write(t, tmp, v3)
			if err := os.Rename(tmp, path); err != nil {
				t.Fatal(err)
			}
			_, err = r.Commit(ctx, CommitOptions{Name: "ckpt", Type: "model", Paths: []string{filepath.Dir(path)}})
			if err != nil {
				t.Fatal(err)
			}
			// Every chunk v3 does not share with v2 lies around the
			// insertion.
			mapID, _, err := r.store.FileMap(objects.Sum(v3))
			if err != nil {
				t.Fatal(err)
			}
			reach := int64(at + 2*r.Config.Chunker.Max)
			err = manifest.ReadFileMap(ctx, blobs{st: r.store}, mapID, func(off int64, id objects.ID, n uint32) error {
				if _, shared := got[id]; !shared && off+int64(n) > reach {
					t.Errorf("a chunk at %d..%d, far past the insertion at %d, is not one of v2's", off, off+int64(n), at)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
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

// newFileChunks returns the chunks, with their lengths, that r's chunker
// cuts data into with no hints: those of a file committed for the first
// time.
func newFileChunks(r *Repo, data []byte) map[objects.ID]int {
	c := objects.NewChunker(r.Config.Chunker.Params())
	ids := map[objects.ID]int{}
	for len(data) > 0 {
		n := c.Cut(data, true)
		ids[objects.Sum(data[:n])] = n
		data = data[n:]
	}
	return ids
}

// bytesNotIn returns the bytes of the chunks of a that b does not have.
func bytesNotIn(a, b map[objects.ID]int) int {
	total := 0
	for id, n := range a {
		if _, ok := b[id]; !ok {
			total += n
		}
	}
	return total
}

// TestCutHintsWindow checks the boundaries each chunk start is given: those
// within a chunk's maximum after it, relative to it, however far the old
// boundaries run ahead, shifted once the chunks are in step with shifted
// old ones, and none once the chunks have been out of step with them for
// hintReach.
func TestCutHintsWindow(t *testing.T) {
	type step struct {
		off  int64
		span int
		want []int
	}
	const reach = hintReach
	tests := []struct {
		name  string
		old   []int64 // the old chunk ends
		steps []step
	}{
		{"in step", []int64{100, 250, 400, 1000, 1001, 5000}, []step{
			{0, 300, []int{100, 250}},
			{0, 300, []int{100, 250}},
			{100, 300, []int{150, 300}},
			{260, 100, nil},
			{260, 800, []int{140, 740, 741}},
			{1000, 10, []int{1}},
			{1001, 100000, []int{3999}},
			{6000, 100, nil},
		}},
		// Out of step for longer than hintReach: no hints until a chunk
		// starts on an old boundary again.
		{"out of step", []int64{10, reach + 50, reach + 100, 3 * reach}, []step{
			{0, 20, []int{10}},
			{5, 20, []int{5}},
			{11, 100, nil},
			{reach + 20, 100, nil},
			{reach + 50, 100, []int{50}},
			{reach + 60, 10, nil},
			{reach + 60, 40, []int{40}},
			{2*reach + 51, 1 << 30, nil},
		}},
		// 30 bytes inserted at 50: once a chunk as long as an old one
		// ends 30 bytes after it, the hints follow the shift.
		{"shifted", []int64{100, 200, 350, 500, 700}, []step{
			{0, 120, []int{100}},
			{90, 120, []int{10, 110}}, // not shifted yet
			{230, 150, []int{120}},
			{380, 200, []int{150}}, // [230, 380) is as long as [200, 350)
			{530, 300, []int{200}},
		}},
		// 30 bytes deleted at 50: the same, shifted back.
		{"shifted back", []int64{100, 200, 350, 500, 700}, []step{
			{0, 120, []int{100}},
			{140, 100, []int{60}}, // not shifted yet
			{320, 100, []int{30}},
			{470, 300, []int{200}}, // [320, 470) is as long as [350, 500)
			{670, 100, nil},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newCutHints(iter.Pull(slices.Values(tt.old)))
			defer h.close()
			for _, s := range tt.steps {
				if got := h.window(s.off, s.span); !slices.Equal(got, s.want) {
					t.Errorf("window(%d, %d) = %v, want %v", s.off, s.span, got, s.want)
				}
			}
		})
	}

	var none *cutHints
	if got := none.window(0, 100); got != nil {
		t.Errorf("no hints gave %v", got)
	}
	none.close()
}

// TestCommitHintsCannotHurt: hints that name content unrelated to the file,
// or a file map the store cannot read, change nothing a user sees: the
// commit succeeds, the version holds the file's bytes, and unrelated
// boundaries cut nothing (their bytes do not hash to boundaries).
func TestCommitHintsCannotHurt(t *testing.T) {
	ctx := context.Background()
	data := noise(11, 6<<20)
	for _, tc := range []string{"unrelated content", "unreadable map"} {
		t.Run(tc, func(t *testing.T) {
			r := newRepo(t)
			dir := filepath.Join(t.TempDir(), "data")
			path := filepath.Join(dir, "model.bin")
			var prev objects.ID
			switch tc {
			case "unrelated content":
				other := filepath.Join(t.TempDir(), "other", "big.bin")
				write(t, other, noise(12, 6<<20))
				if _, err := r.Commit(ctx, CommitOptions{Name: "other", Type: "model", Paths: []string{filepath.Dir(other)}}); err != nil {
					t.Fatal(err)
				}
				prev = objects.Sum(noise(12, 6<<20))
			case "unreadable map":
				prev = objects.Sum([]byte("content this store never had"))
				w := r.store.NewWriter()
				w.SetFileMap(prev, objects.Sum([]byte("no such file map")))
				if err := w.Flush(ctx); err != nil {
					t.Fatal(err)
				}
			}
			// The stat cache says the file last held prev.
			write(t, path, data)
			rec := r.newStatRecorder(0)
			rec.remember(path, fileStat{size: 1}, time.Now(), prev, 0)
			if err := rec.commit(); err != nil {
				t.Fatal(err)
			}

			res, err := r.Commit(ctx, CommitOptions{Name: "data", Type: "model", Paths: []string{dir}})
			if err != nil {
				t.Fatalf("commit with hints from %s: %v", tc, err)
			}
			got, want := chunkIDs(t, r, objects.Sum(data)), newFileChunks(r, data)
			if !maps.Equal(got, want) {
				t.Fatalf("the file has %d chunks, %d bytes of them not a new file's; a new file has %d", len(got), bytesNotIn(got, want), len(want))
			}
			out := t.TempDir()
			v, err := r.Resolve(ctx, fmt.Sprintf("data:v%d", res.Version.N))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Pull(ctx, v, PullOptions{Dir: out}); err != nil {
				t.Fatal(err)
			}
			if back, err := os.ReadFile(filepath.Join(out, "model.bin")); err != nil || !bytes.Equal(back, data) {
				t.Fatalf("pulled back %d bytes (%v), not the file committed", len(back), err)
			}
		})
	}
}
