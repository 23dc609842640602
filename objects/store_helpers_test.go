package objects

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// openStore opens a store in a fresh temp dir (unless opts.Dir is set) and
// closes it when the test ends.
func openStore(t testing.TB, opts Options) *Store {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	s, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testChunks returns n distinct incompressible chunks of size bytes.
func testChunks(label string, n, size int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = pseudoRandom(fmt.Sprintf("%s %d", label, i), size)
	}
	return out
}

// putAll puts chunks with one writer and flushes.
func putAll(t testing.TB, s *Store, chunks [][]byte) []ID {
	t.Helper()
	ctx := context.Background()
	w := s.NewWriter()
	ids := make([]ID, len(chunks))
	for i, c := range chunks {
		ids[i] = Sum(c)
		if _, err := w.PutChunk(ctx, ids[i], c, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return ids
}

// tmpFiles returns the names in s's temp dir.
func tmpFiles(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// patchFile XORs the byte at off of the read-only file at path with mask.
func patchFile(t testing.TB, path string, off int64, mask byte) {
	t.Helper()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= mask
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}
