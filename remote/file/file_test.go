package file_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/file"
	"github.com/trove-ml/trove/remote/remotetest"
)

func open(t testing.TB) *file.Bucket {
	t.Helper()
	b, err := file.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConformance(t *testing.T) {
	remotetest.Run(t, func(t *testing.T) remote.Bucket { return open(t) })
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "plain")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		root    string
		wantErr error // nil: must succeed; errAny: any error
	}{
		{dir, nil},
		{filepath.Join(dir, "missing"), remote.ErrBucketNotFound},
		{notDir, errAny},
		{"", errAny},
	}
	for _, tc := range tests {
		b, err := file.Open(tc.root)
		switch {
		case tc.wantErr == nil && err != nil:
			t.Errorf("Open(%q): %v", tc.root, err)
		case tc.wantErr == nil:
			if want := "file://" + filepath.ToSlash(tc.root); b.Location() != want {
				t.Errorf("Location() = %q, want %q", b.Location(), want)
			}
		case err == nil:
			t.Errorf("Open(%q) succeeded", tc.root)
		case tc.wantErr != errAny && !errors.Is(err, tc.wantErr):
			t.Errorf("Open(%q): %v, want %v", tc.root, err, tc.wantErr)
		}
	}
}

var errAny = errors.New("any error")

// The file backend promises more than the contract: the ETag changes even
// when an overwrite rewrites the very same bytes, and even when the kernel
// reuses the replaced file's inode number.
func TestETagChangesOnIdenticalRewrite(t *testing.T) {
	b := open(t)
	ctx := context.Background()
	seen := map[string]bool{}
	for i := range 50 {
		info, err := b.Put(ctx, "refs/same", strings.NewReader("same bytes"), 10, remote.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if seen[info.ETag] {
			t.Fatalf("rewrite %d repeated ETag %s", i, info.ETag)
		}
		seen[info.ETag] = true
	}
}

// An object edited in place by another tool gets a new ETag, so a
// compare-and-swap based on the old one fails.
func TestETagSeesOutsideEdits(t *testing.T) {
	b := open(t)
	ctx := context.Background()
	info, err := b.Put(ctx, "ref", strings.NewReader("v1"), 2, remote.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(b.Root(), "ref")
	if err := os.WriteFile(name, []byte("v2"), 0o644); err != nil { // same size, same inode
		t.Fatal(err)
	}
	old := time.Unix(0, 0)
	if err := os.Chtimes(name, old, info.ModTime); err != nil { // even with the old mtime
		t.Fatal(err)
	}
	_, err = b.Put(ctx, "ref", strings.NewReader("v3"), 2, remote.PutOptions{IfMatch: info.ETag})
	if !errors.Is(err, remote.ErrPreconditionFailed) {
		t.Fatalf("compare-and-swap over an outside edit: %v, want ErrPreconditionFailed", err)
	}
}

// List never shows the backend's temp and lock files, and failed puts leave
// no temp file behind.
func TestListSkipsOwnFiles(t *testing.T) {
	b := open(t)
	ctx := context.Background()
	info, err := b.Put(ctx, "refs/a", strings.NewReader("1"), 1, remote.PutOptions{IfAbsent: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(ctx, "refs/a", strings.NewReader("2"), 1, remote.PutOptions{IfMatch: info.ETag}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(ctx, "refs/b", strings.NewReader("x"), 5, remote.PutOptions{}); err == nil {
		t.Fatal("short put succeeded")
	}
	// A temp file from a process killed mid-put.
	if err := os.WriteFile(filepath.Join(b.Root(), "refs", remote.ReservedPrefix+"tmp-killed"), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	var got []string
	err = b.List(ctx, "", func(oi remote.ObjectInfo) error {
		got = append(got, oi.Key)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "refs/a" {
		t.Errorf("list: %q, want only refs/a", got)
	}
	var temps []string
	_ = filepath.WalkDir(b.Root(), func(p string, d fs.DirEntry, err error) error {
		if strings.HasPrefix(d.Name(), remote.ReservedPrefix+"tmp-") && d.Name() != remote.ReservedPrefix+"tmp-killed" {
			temps = append(temps, p)
		}
		return nil
	})
	if len(temps) != 0 {
		t.Errorf("puts left temp files: %q", temps)
	}
}

// Objects are plain files at root/key, readable by other tools.
func TestLayoutIsPlainFiles(t *testing.T) {
	b := open(t)
	data := []byte("pack bytes")
	if _, err := b.Put(context.Background(), "packs/ab/abcdef", bytes.NewReader(data), int64(len(data)), remote.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(b.Root(), "packs", "ab", "abcdef"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("root/packs/ab/abcdef: %q, %v", got, err)
	}
}

// Symbolic links to files are objects; links to folders are not followed.
func TestListSymlinks(t *testing.T) {
	b := open(t)
	root := b.Root()
	if err := os.WriteFile(filepath.Join(root, "target"), []byte("t"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"link": "target", "loop": ".", "dangling": "nowhere"} {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	if err := b.List(context.Background(), "", func(oi remote.ObjectInfo) error {
		got = append(got, fmt.Sprintf("%s:%d", oi.Key, oi.Size))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "link:1 target:1" {
		t.Errorf("list: %q", got)
	}
}

// Compare-and-swap holds across processes, which share nothing but the
// folder (the helper below is this test binary run again).
func TestCASAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	b := open(t)
	ctx := context.Background()
	if _, err := b.Put(ctx, "refs/counter", strings.NewReader("0"), 1, remote.PutOptions{IfAbsent: true}); err != nil {
		t.Fatal(err)
	}
	const procs, each = 2, 15
	var wg sync.WaitGroup
	for range procs {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperIncrement$")
			cmd.Env = append(os.Environ(), "TROVE_TEST_HELPER_ROOT="+b.Root(), "TROVE_TEST_HELPER_N="+strconv.Itoa(each))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("helper: %v\n%s", err, out)
			}
		})
	}
	for range each {
		if err := increment(ctx, b, "refs/counter"); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	st, err := b.Stat(ctx, "refs/counter")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := b.Get(ctx, "refs/counter", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	buf, err := io.ReadAll(rc)
	if err != nil || int64(len(buf)) != st.Size {
		t.Fatalf("read %d bytes of %d: %v", len(buf), st.Size, err)
	}
	if want := strconv.Itoa((procs + 1) * each); string(buf) != want {
		t.Errorf("counter %s, want %s: an update was lost", buf, want)
	}
}

func TestHelperIncrement(t *testing.T) {
	root := os.Getenv("TROVE_TEST_HELPER_ROOT")
	if root == "" {
		t.Skip("helper process for TestCASAcrossProcesses")
	}
	n, _ := strconv.Atoi(os.Getenv("TROVE_TEST_HELPER_N"))
	b, err := file.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := increment(context.Background(), b, "refs/counter"); err != nil {
			t.Fatal(err)
		}
	}
}

func increment(ctx context.Context, b remote.Bucket, key string) error {
	for {
		st, err := b.Stat(ctx, key)
		if err != nil {
			return err
		}
		rc, err := b.Get(ctx, key, 0, -1)
		if err != nil {
			return err
		}
		buf, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(string(buf))
		if err != nil {
			return err
		}
		next := strconv.Itoa(n + 1)
		_, err = b.Put(ctx, key, strings.NewReader(next), int64(len(next)), remote.PutOptions{IfMatch: st.ETag})
		if !errors.Is(err, remote.ErrPreconditionFailed) {
			return err
		}
	}
}

// A key cannot be both an object and a folder of other objects; such puts
// fail with an error that says so, not with "exists" or "not found".
func TestObjectFolderClash(t *testing.T) {
	b := open(t)
	ctx := context.Background()
	for _, k := range []string{"d/x", "f"} {
		if _, err := b.Put(ctx, k, strings.NewReader("x"), 1, remote.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		key  string
		opts remote.PutOptions
	}{
		{"d", remote.PutOptions{}},
		{"d", remote.PutOptions{IfAbsent: true}},
		{"f/y", remote.PutOptions{}},
		{"f/y", remote.PutOptions{IfAbsent: true}},
	} {
		_, err := b.Put(ctx, tc.key, strings.NewReader("y"), 1, tc.opts)
		if err == nil || errors.Is(err, remote.ErrExists) || errors.Is(err, remote.ErrNotFound) || remote.IsTransient(err) {
			t.Errorf("put %s %+v: %v, want a plain, permanent error", tc.key, tc.opts, err)
		}
	}
	if got := readAll(t, b, "d/x"); got != "x" {
		t.Errorf("d/x = %q", got)
	}
}

func readAll(t *testing.T, b remote.Bucket, key string) string {
	t.Helper()
	rc, err := b.Get(context.Background(), key, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func BenchmarkBucket(b *testing.B) { remotetest.Bench(b, open(b)) }
