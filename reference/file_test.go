package reference

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trove-ml/trove/objects"
)

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// mapCache is a DigestCache keyed by path, size and mtime.
type mapCache struct {
	mu         sync.Mutex
	m          map[string]objects.ID
	hits, adds int
}

func (c *mapCache) key(path string, fi fs.FileInfo) string {
	return fmt.Sprint(path, "|", fi.ModTime().UnixNano(), "|", fi.Size())
}

func (c *mapCache) Lookup(path string, fi fs.FileInfo) (objects.ID, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.m[c.key(path, fi)]
	if ok {
		c.hits++
	}
	return d, ok
}

func (c *mapCache) Remember(path string, fi fs.FileInfo, _ time.Time, d objects.ID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]objects.ID{}
	}
	c.m[c.key(path, fi)] = d
	c.adds++
}

func fileResolver(c DigestCache, workers int) *Resolver {
	return NewResolver(map[string]Store{SchemeFile: NewFiles(FilesOptions{Cache: c, Workers: workers})})
}

// TestFiles records a folder in walk order with BLAKE3 digests, reuses
// the cache, and notices changes on fetch.
func TestFiles(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.txt": "A", "a/b": "B", "a-b": "AB", "sub/c": "C", "sub/d/e": "E"})
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a-b", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	cache := &mapCache{}
	for _, workers := range []int{1, 8} {
		r := fileResolver(cache, workers)
		got, ents := mustList(t, r, "file://"+dir, SourceOptions{})
		want := []string{"a/b", "a-b", "a.txt", "link", "sub/c", "sub/d/e"}
		if !slices.Equal(paths(got), want) {
			t.Fatalf("paths %q, want %q", paths(got), want)
		}
		for i, e := range ents {
			content, _ := os.ReadFile(filepath.Join(dir, want[i]))
			if e.Digest != objects.Sum(content) || e.Ref.ChecksumKind != KindBLAKE3 || e.Ref.Checksum != e.Digest.String() || e.Size != int64(len(content)) {
				t.Fatalf("%s: entry %+v %+v", want[i], e, e.Ref)
			}
		}
		if body, err := fetch(r, ents[1]); err != nil || string(body) != "AB" {
			t.Fatalf("fetch = %q, %v", body, err)
		}
	}
	if cache.adds != 6 || cache.hits != 6 {
		t.Fatalf("cache: %d added, %d hits; want 6 and 6 (the second listing reads nothing)", cache.adds, cache.hits)
	}

	r := fileResolver(nil, 2)
	_, ents := mustList(t, r, "file://"+dir, SourceOptions{})
	writeTree(t, dir, map[string]string{"a-b": "ba"})
	_, err := fetch(r, ents[1])
	wantErr(t, err, ErrChanged)
	writeTree(t, dir, map[string]string{"a-b": "longer"})
	_, err = fetch(r, ents[1])
	wantErr(t, err, ErrChanged)
	os.Remove(filepath.Join(dir, "a.txt"))
	_, err = fetch(r, ents[2])
	wantErr(t, err, ErrNotFound)

	single, _ := mustList(t, r, "file://"+dir+"/sub/c", SourceOptions{})
	if len(single) != 1 || single[0].Path != "c" || single[0].Name != "c" {
		t.Fatalf("single file: %+v", single)
	}
}

// TestFilesBadInput: what a file reference refuses.
func TestFilesBadInput(t *testing.T) {
	r := fileResolver(nil, 2)
	for _, tc := range []struct {
		name  string
		setup func(dir string) error
		want  error
	}{
		{"empty folder", func(string) error { return nil }, ErrEmpty},
		{"symlink loop", func(dir string) error {
			if err := os.Mkdir(filepath.Join(dir, "x"), 0o755); err != nil {
				return err
			}
			return os.Symlink("..", filepath.Join(dir, "x", "up"))
		}, ErrInvalid},
		{"broken symlink", func(dir string) error { return os.Symlink("nowhere", filepath.Join(dir, "dangling")) }, ErrInvalid},
		{"named pipe", func(dir string) error { return mkfifo(filepath.Join(dir, "pipe")) }, ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := tc.setup(dir); errors.Is(err, errors.ErrUnsupported) {
				t.Skip(err)
			} else if err != nil {
				t.Fatal(err)
			}
			wantErr(t, listErr(t, r, "file://"+dir, SourceOptions{}), tc.want)
		})
	}
	wantErr(t, listErr(t, r, "file:///no/such/path/here", SourceOptions{}), ErrNotFound)
	wantErr(t, listErr(t, r, "file:///no/such/path/here", SourceOptions{NoChecksum: true}), ErrNotFound)
	dir := t.TempDir()
	wantErr(t, listErr(t, r, "file://"+dir, SourceOptions{NoChecksum: true}), ErrEmpty)
	writeTree(t, dir, map[string]string{"f": "x", "g": "y"})
	wantErr(t, listErr(t, r, "file://"+dir, SourceOptions{MaxObjects: 1}), ErrTooMany)
}

// TestWalkFolderInBatches: a folder of more names than a batch gives every
// file once, in walk order, across batches, with its subfolders in place.
func TestWalkFolderInBatches(t *testing.T) {
	dir := t.TempDir()
	var want []string
	for i := range walkBatch + 300 {
		name := fmt.Sprintf("%x-%d", (i*7919)%10007, i)
		if i%1000 == 0 {
			name += "/in"
		}
		want = append(want, name)
		writeTree(t, dir, map[string]string{name: ""})
	}
	slices.SortFunc(want, walkCompare)
	var got []string
	walk := &folderWalk{ctx: context.Background(), tmp: t.TempDir(), emit: func(rel, _ string, _ fs.FileInfo) error {
		got = append(got, rel)
		return nil
	}}
	err := walk.folder(dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("walked %d files, want %d in walk order", len(got), len(want))
	}
}
