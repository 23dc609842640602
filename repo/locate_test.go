package repo

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// TestPullManySmallFiles: a pull locates small files' content in batches
// (locate.go), and the files of a batch are written by several workers.
// Every file of several batches, across folders, one chunk or several,
// arrives whole; a re-pull after some were deleted writes exactly those.
func TestPullManySmallFiles(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	src := filepath.Join(t.TempDir(), "data")
	want := map[string][]byte{}
	for i := range 3*locateBatch + 17 {
		size := 1 + i*37%5000
		if i%9 == 0 {
			size = 150<<10 + i // several chunks: a file map
		}
		rel := filepath.Join(fmt.Sprintf("d%d", i%7), fmt.Sprintf("f%03d", i))
		want[rel] = noise(byte(i), size)
		write(t, filepath.Join(src, rel), want[rel])
	}
	write(t, filepath.Join(src, "empty"), nil)
	want["empty"] = []byte{}
	v := commitSrc(t, r, src)
	out := filepath.Join(t.TempDir(), "out")
	res, err := r.Pull(ctx, v, PullOptions{Dir: out})
	if err != nil {
		t.Fatal(err)
	}
	if res.Written != int64(len(want)) {
		t.Fatalf("first pull wrote %d files, want %d", res.Written, len(want))
	}
	check := func() {
		t.Helper()
		for rel, b := range want {
			got, err := os.ReadFile(filepath.Join(out, rel))
			if err != nil || !bytes.Equal(got, b) {
				t.Fatalf("%s: %d bytes, %v; want %d bytes", rel, len(got), err, len(b))
			}
		}
	}
	check()

	gone := []string{filepath.Join("d0", "f000"), filepath.Join("d3", "f003"), filepath.Join("d1", "f197"), filepath.Join("d6", "f398")}
	for _, rel := range gone {
		if err := os.Remove(filepath.Join(out, rel)); err != nil {
			t.Fatal(err)
		}
	}
	res, err = r.Pull(ctx, v, PullOptions{Dir: out})
	if err != nil {
		t.Fatal(err)
	}
	if res.Written != int64(len(gone)) || res.Skipped != int64(len(want)-len(gone)) {
		t.Fatalf("re-pull wrote %d and skipped %d files, want %d and %d", res.Written, res.Skipped, len(gone), len(want)-len(gone))
	}
	check()
}

// TestWriteFileContentManyChunks: cat and the web's downloads read a
// file's chunks located in batches; a file of more chunks than one batch
// comes out whole.
func TestWriteFileContentManyChunks(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	src := filepath.Join(t.TempDir(), "data")
	want := noise(7, 12<<20)
	write(t, filepath.Join(src, "big.bin"), want)
	v := commitSrc(t, r, src)
	e, err := manifest.Lookup(ctx, r.Blobs(), v.Record.Root, "big.bin")
	if err != nil {
		t.Fatal(err)
	}
	mapID, ok, err := r.store.FileMap(e.Digest)
	if err != nil || !ok {
		t.Fatalf("file map: %v, %v", ok, err)
	}
	chunks := 0
	if err := manifest.ReadFileMap(ctx, r.Blobs(), mapID, func(int64, objects.ID, uint32) error { chunks++; return nil }); err != nil {
		t.Fatal(err)
	}
	if chunks <= locateBatch {
		t.Fatalf("the file has %d chunks, not more than one batch (%d)", chunks, locateBatch)
	}
	var got bytes.Buffer
	if err := r.WriteFileContent(ctx, &got, e); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("WriteFileContent wrote %d bytes, not the file's %d", got.Len(), len(want))
	}
}

// TestCaseSensitive: a pull skips looking for files in the folders it
// makes only where the filesystem tells names apart by case, which
// caseSensitive finds out by looking up the folder's name in the other
// case, or, for a name without letters, with a temp file it removes.
// Linux's usual filesystems (where the tests run) tell case apart; two
// folders whose names differ only in case are two folders there; a
// folder that cannot be looked at is taken as one that does not.
func TestCaseSensitive(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"data", "Data", "DATA", "2024", "_-."} {
		dir := filepath.Join(root, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if !caseSensitive(dir) {
			t.Errorf("caseSensitive(%s) = false on a filesystem that tells names apart by case", name)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("caseSensitive(%s) left %d files in the folder", name, len(left))
		}
	}
	if caseSensitive(filepath.Join(root, "missing", "1")) {
		t.Error("caseSensitive of a folder it cannot look at = true, want false")
	}
	// A name looked up in the other case that is another entry there
	// (a link to the folder) is not the same entry.
	if err := os.Symlink("data", filepath.Join(root, "DAT")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "dat"), 0o755); err != nil {
		t.Fatal(err)
	}
	if !caseSensitive(filepath.Join(root, "dat")) {
		t.Error("caseSensitive(dat) = false beside a link named DAT")
	}
}
