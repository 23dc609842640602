package repo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/remote"
)

// openWithRemote returns a function that makes a new repository with
// the remote "origin", opened through bucket.
func openWithRemote(t *testing.T, opts Options, bucket func() (remote.Bucket, error)) func() *Repo {
	opts.OpenBucket = func(context.Context, string, RemoteConfig) (remote.Bucket, error) { return bucket() }
	return func() *Repo {
		t.Helper()
		r, err := Init(context.Background(), t.TempDir(), InitOptions{}, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		if err := r.AddRemote("origin", RemoteConfig{URL: "file:///origin"}); err != nil {
			t.Fatal(err)
		}
		return r
	}
}

func newRepo(t *testing.T) *Repo {
	t.Helper()
	r, err := Init(context.Background(), t.TempDir(), InitOptions{}, Options{PackSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// commitSrc commits the folder src as the next version of artifact ds and
// returns it.
func commitSrc(t *testing.T, r *Repo, src string) *Resolved {
	t.Helper()
	ctx := context.Background()
	if _, err := r.Commit(ctx, CommitOptions{Name: "ds", Type: "dataset", Paths: []string{src}}); err != nil {
		t.Fatal(err)
	}
	v, err := r.Resolve(ctx, "ds")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func write(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func noise(seed byte, n int) []byte {
	b := make([]byte, n)
	x := uint32(seed) + 1
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = byte(x >> 24)
	}
	return b
}

// TestPullRefusesEscapingPaths: a tree whose entry is named ".." is refused
// on pull, and nothing is written outside the output folder.
func TestPullRefusesEscapingPaths(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	w := r.store.NewWriter()
	content := []byte("escaped")
	if _, err := w.PutChunk(ctx, objects.Sum(content), content, nil); err != nil {
		t.Fatal(err)
	}
	// Encode a valid node naming "xx", then swap the name for ".." (same
	// length): the blob is what a malicious or corrupt store would hold.
	enc, err := manifest.EncodeNode(&manifest.Node{Entries: []manifest.Entry{{
		Name: "xx", Kind: manifest.KindFile, Mode: 0o644, Size: int64(len(content)), Digest: objects.Sum(content),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Replace(enc, []byte("xx"), []byte(".."), 1)
	root, err := w.PutBlob(ctx, objects.TypeTree, bad)
	if err != nil {
		t.Fatal(err)
	}
	rec := &manifest.Record{Artifact: "evil", Type: "dataset", Root: root, Files: 1, Size: 7, Created: time.Now().UTC()}
	recEnc, err := rec.Encode()
	if err != nil {
		t.Fatal(err)
	}
	recID, err := w.PutBlob(ctx, objects.TypeRecord, recEnc)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.refs.Commit(ctx, refs.CommitRequest{Name: "evil", Type: "dataset", Record: recID, Root: root, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	v, err := r.Resolve(ctx, "evil")
	if err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	_, err = r.Pull(ctx, v, PullOptions{Dir: out})
	if !errors.Is(err, objects.ErrCorrupt) {
		t.Fatalf("Pull of a tree with '..' = %v, want ErrCorrupt", err)
	}
	ents, _ := os.ReadDir(parent)
	for _, e := range ents {
		if e.Name() != "out" {
			t.Fatalf("pull wrote %s outside the output folder", e.Name())
		}
	}
}

// TestCorruptPackNamed: a flipped byte in a pack is found by pull and fsck,
// which name the object and the pack file; for a file of one chunk, for
// files read in order and for big files read in parallel, whose chunks
// pull reads unhashed and checks through the file's digest.
func TestCorruptPackNamed(t *testing.T) {
	for _, size := range []int{5000, 200 << 10, bigFileSize + 300<<10} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			ctx := context.Background()
			r := newRepo(t)
			src := filepath.Join(t.TempDir(), "data")
			write(t, filepath.Join(src, "f.bin"), noise(1, size))
			if _, err := r.Commit(ctx, CommitOptions{Name: "ds", Type: "dataset", Paths: []string{src}}); err != nil {
				t.Fatal(err)
			}
			packs, _ := filepath.Glob(filepath.Join(r.Dir, "packs", "*", "*"))
			if len(packs) == 0 {
				t.Fatal("no pack written")
			}
			flipByte(t, packs[0], 100) // in its first chunk

			v, err := r.Resolve(ctx, "ds")
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			_, err = r.Pull(ctx, v, PullOptions{Dir: out})
			if !errors.Is(err, objects.ErrCorrupt) || !strings.Contains(err.Error(), filepath.Base(packs[0])) || !strings.Contains(err.Error(), "chunk ") {
				t.Fatalf("Pull = %v, want ErrCorrupt naming the chunk and %s", err, filepath.Base(packs[0]))
			}
			if _, err := os.Lstat(filepath.Join(out, "f.bin")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the corrupt file was given its name: %v", err)
			}
			rep, err := r.Fsck(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), filepath.Base(packs[0])) {
				t.Fatalf("fsck problems %v do not name %s", rep.Problems, packs[0])
			}
		})
	}
}

func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// TestUnchangedRecommitReadsNothing: the stat cache means an unchanged
// re-commit reads no file content, and a touched file is read again.
func TestUnchangedRecommitReadsNothing(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	src := filepath.Join(t.TempDir(), "data")
	for i := range 20 {
		write(t, filepath.Join(src, "d", string(rune('a'+i))), noise(byte(i), 5000))
	}
	write(t, filepath.Join(src, "big"), noise(99, bigFileSize+12345))
	// Age the files past the racy window.
	old := time.Now().Add(-time.Hour)
	filepath.Walk(src, func(p string, _ os.FileInfo, _ error) error { return os.Chtimes(p, old, old) })
	// Chtimes moved the ctimes to now: let them age past the racy window.
	time.Sleep(2 * racyWindow)
	res, err := r.Commit(ctx, CommitOptions{Name: "ds", Type: "dataset", Paths: []string{src}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 20*5000+bigFileSize+12345 {
		t.Fatalf("first commit read %d bytes", res.Read)
	}
	res, err = r.Commit(ctx, CommitOptions{Name: "ds", Type: "dataset", Paths: []string{src}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Unchanged || res.Read != 0 {
		t.Fatalf("re-commit: unchanged=%v read=%d; want unchanged and 0 bytes read", res.Unchanged, res.Read)
	}
	// Rewrite one file with the same size and an old mtime: ctime moves.
	write(t, filepath.Join(src, "d", "a"), noise(200, 5000))
	os.Chtimes(filepath.Join(src, "d", "a"), old, old)
	time.Sleep(2 * racyWindow)
	res, err = r.Commit(ctx, CommitOptions{Name: "ds", Type: "dataset", Paths: []string{src}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Unchanged || res.Read != 5000 {
		t.Fatalf("after a same-size rewrite: unchanged=%v read=%d; want a new version reading 5000 bytes", res.Unchanged, res.Read)
	}
}

// TestFileChangedDetected: checkUnchanged catches a file that changed
// between the two stats around a read.
func TestFileChangedDetected(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	write(t, p, []byte("12345"))
	f, st, _, err := openStable(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := checkUnchanged(f, p, st, 5); err != nil {
		t.Fatalf("unchanged file: %v", err)
	}
	if err := checkUnchanged(f, p, st, 4); !errors.Is(err, ErrFileChanged) {
		t.Fatalf("short read: %v, want ErrFileChanged", err)
	}
	os.WriteFile(p, []byte("123456"), 0o644)
	if err := checkUnchanged(f, p, st, 5); !errors.Is(err, ErrFileChanged) {
		t.Fatalf("grown file: %v, want ErrFileChanged", err)
	}
}

// TestStatDirLookup reads one folder's stat cache entries and merges them
// with a listing: entries of other folders (a subfolder, a sibling whose
// name extends the folder's) and entries of an unknown size stay out.
func TestStatDirLookup(t *testing.T) {
	r := newRepo(t)
	entry := func(name string) []byte {
		return encodeStatEntry(fileStat{size: int64(len(name))}, time.Unix(1, 0), objects.Sum([]byte(name)), 7)
	}
	b := r.store.NewMetaBatch()
	for _, p := range []string{"/d/a", "/d/b", "/d/c", "/d/sub/a", "/d-x/a", "/dd/a", "/c/z"} {
		if err := b.Set(nsStatCache, statKey(p), entry(p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Set(nsStatCache, statKey("/d/bb"), []byte{statEntryFormat + 1, 0}); err != nil {
		t.Fatal(err)
	}
	// A format 1 entry (no epoch) is listed as format 2 with epoch 0.
	v1 := append([]byte{1}, entry("/d/c1")[1:statEntrySizeV1]...)
	if err := b.Set(nsStatCache, statKey("/d/c1"), v1); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	// Pages of one, two and three entries read the folder's five in
	// several scans; a lookup between pages must find the next one.
	for _, page := range []int{statPage, 1, 2, 3} {
		t.Run(fmt.Sprint(page), func(t *testing.T) { testStatDirLookup(t, r.statListFrom(t.Context(), "/d", nil, 0, page), entry) })
	}
}

func testStatDirLookup(t *testing.T, l *statList, entry func(string) []byte) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"", false}, {"a", true}, {"aa", false}, {"b", true}, {"bb", false}, {"c", true}, {"c1", true}, {"sub", false}, {"z", false},
	} {
		got := l.lookup(tc.name)
		if tc.name == "c1" {
			_, _, d, epoch, err := decodeStatEntry(got)
			if err != nil || d != objects.Sum([]byte("/d/c1")) || epoch != 0 {
				t.Errorf("format 1 entry listed as %x: digest %v, epoch %d, %v", got, d, epoch, err)
			}
			continue
		}
		switch {
		case tc.want && !bytes.Equal(got, entry("/d/"+tc.name)):
			t.Errorf("lookup(%q) = %x, want the entry of /d/%s", tc.name, got, tc.name)
		case !tc.want && got != nil:
			t.Errorf("lookup(%q) = %x, want none", tc.name, got)
		}
	}
}

func TestStatEntryRoundTrip(t *testing.T) {
	s := fileStat{size: 5, mtime: 6, ctime: 7, ino: 8, dev: 9}
	d := objects.Sum([]byte("x"))
	now := time.Unix(100, 5)
	enc := encodeStatEntry(s, now, d, 42)
	got, at, gd, epoch, err := decodeStatEntry(enc)
	if err != nil || got != s || at != now.UnixNano() || gd != d || epoch != 42 {
		t.Fatalf("round trip: %+v %d %v %d %v", got, at, gd, epoch, err)
	}
	// Format 1, the same fields without the epoch, reads as epoch 0.
	v1 := append([]byte{1}, enc[1:statEntrySizeV1]...)
	got, at, gd, epoch, err = decodeStatEntry(v1)
	if err != nil || got != s || at != now.UnixNano() || gd != d || epoch != 0 {
		t.Fatalf("format 1: %+v %d %v %d %v", got, at, gd, epoch, err)
	}
	for _, bad := range [][]byte{{1, 2}, append([]byte{2}, enc[1:statEntrySizeV1]...), append([]byte{1}, enc[1:]...), append([]byte{3}, enc[1:]...)} {
		if _, _, _, _, err := decodeStatEntry(bad); err == nil {
			t.Errorf("entry of format %d and %d bytes decoded", bad[0], len(bad))
		}
	}
}

// TestEntity: a repository made with an entity resolves names qualified
// with it and refuses others; one without resolves any valid entity; a
// malformed entity is refused at init and in names.
func TestEntity(t *testing.T) {
	ctx := context.Background()
	if _, err := Init(ctx, t.TempDir(), InitOptions{Project: "p", Entity: "bad entity!"}, Options{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("init with a malformed entity: %v, want ErrInvalid", err)
	}
	for _, tc := range []struct {
		entity string
		name   string
		want   error // nil: resolves
	}{
		{"team", "ds:latest", nil},
		{"team", "p/ds:latest", nil},
		{"team", "team/p/ds:latest", nil},
		{"team", "other/p/ds:latest", refs.ErrNotFound},
		{"team", "team/q/ds:latest", refs.ErrNotFound},
		{"", "anyone/p/ds:latest", nil},
		{"", "bad entity!/p/ds:latest", ErrInvalid},
		{"team", "bad entity!/p/ds:latest", ErrInvalid},
	} {
		r, err := Init(ctx, t.TempDir(), InitOptions{Project: "p", Entity: tc.entity}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(r.Root, "d", "f"), []byte("x"))
		if _, err := r.Commit(ctx, CommitOptions{Name: "ds", Type: "dataset", Paths: []string{filepath.Join(r.Root, "d")}}); err != nil {
			t.Fatal(err)
		}
		_, err = r.Resolve(ctx, tc.name)
		if (tc.want == nil && err != nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("entity %q, Resolve(%q) = %v, want %v", tc.entity, tc.name, err, tc.want)
		}
		r.Close()
	}
}
