package repo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
)

// TestCommitLeavesOutRepository commits a project folder that holds the
// repository's own .trove: the folder is left out of the version (it used
// to crash the walk with a nil pointer).
//
// The project's Git folder is left out the same way, but not a .git deeper
// in the tree (data, such as a dataset of repositories); and naming the
// project's .git itself is refused.
func TestCommitLeavesOutRepository(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	write(t, filepath.Join(r.Root, "data", "a"), []byte("hello"))
	write(t, filepath.Join(r.Root, ".git", "HEAD"), []byte("ref: refs/heads/main\n"))
	write(t, filepath.Join(r.Root, "data", "repo", ".git", "HEAD"), []byte("ref: refs/heads/dev\n"))
	res, err := r.Commit(ctx, CommitOptions{Name: "self", Type: "dataset", Paths: []string{r.Root}})
	if err != nil {
		t.Fatal(err)
	}
	if paths := versionPaths(t, r, res.Version.Root); fmt.Sprint(paths) != "[data data/a data/repo data/repo/.git data/repo/.git/HEAD]" {
		t.Fatalf("version holds %v, want [data data/a data/repo data/repo/.git data/repo/.git/HEAD]", paths)
	}
	for _, p := range []string{filepath.Join(r.Root, ".git"), r.Dir} {
		_, err := r.Commit(ctx, CommitOptions{Name: "self", Paths: []string{p}})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("commit of %s: %v, want ErrInvalid", p, err)
		}
	}
}

// TestCommitRefusesInvalidName commits a file whose name cannot be a path
// element of a version (not UTF-8), found in a folder and given on the
// command line: both are refused, naming the file and what to do, and no
// version is made.
func TestCommitRefusesInvalidName(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	bad := "bad\xff.csv"
	write(t, filepath.Join(r.Root, "data", "ok"), []byte("fine"))
	write(t, filepath.Join(r.Root, "data", bad), []byte("not fine"))
	write(t, filepath.Join(r.Root, "loose", bad), []byte("loose"))
	for _, tc := range []struct{ path, bad string }{
		{filepath.Join(r.Root, "data"), filepath.Join(r.Root, "data", bad)},
		{filepath.Join(r.Root, "loose", bad), filepath.Join(r.Root, "loose", bad)},
	} {
		_, err := r.Commit(ctx, CommitOptions{Name: "ds", Type: "dataset", Paths: []string{tc.path}})
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.bad) || !strings.Contains(err.Error(), "rename it or leave it out") {
			t.Errorf("commit of %q: %v, want ErrInvalid naming %q and what to do", tc.path, err, tc.bad)
		}
	}
	if _, err := r.Resolve(ctx, "ds:latest"); !errors.Is(err, refs.ErrNotFound) {
		t.Errorf("after the refused commits, ds:latest: %v, want refs.ErrNotFound", err)
	}
}

// versionPaths lists a version's paths in walk order (treePaths with
// their kinds).
func versionPaths(t *testing.T, r *Repo, root objects.ID) []string {
	t.Helper()
	var paths []string
	if err := manifest.Walk(context.Background(), r.Blobs(), root, func(p string, _ manifest.Entry) error {
		paths = append(paths, p)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return paths
}

// TestRecommitManyFolders re-commits a tree of many folders, which workers
// list ahead of the walk, and checks that nothing is read until one file
// changes.
func TestRecommitManyFolders(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	src := filepath.Join(t.TempDir(), "data")
	for d := range 3 * prefetchDirs {
		for f := range 4 {
			write(t, filepath.Join(src, fmt.Sprintf("d%02d", d), fmt.Sprintf("sub%d", f%2), fmt.Sprintf("f%d", f)), noise(byte(d*4+f), 1000+f))
		}
	}
	old := time.Now().Add(-time.Hour)
	filepath.Walk(src, func(p string, _ os.FileInfo, _ error) error { return os.Chtimes(p, old, old) })
	time.Sleep(2 * racyWindow)
	commit := func() *CommitResult {
		t.Helper()
		res, err := r.Commit(ctx, CommitOptions{Name: "tree", Type: "dataset", Paths: []string{src}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := commit()
	if first.Files != 3*prefetchDirs*4 {
		t.Fatalf("first commit: %d files", first.Files)
	}
	again := commit()
	if !again.Unchanged || again.Read != 0 || again.Version.Root != first.Version.Root {
		t.Fatalf("re-commit: unchanged=%v read=%d", again.Unchanged, again.Read)
	}
	changed := filepath.Join(src, fmt.Sprintf("d%02d", 2*prefetchDirs+1), "sub1", "f3")
	write(t, changed, noise(200, 1003))
	os.Chtimes(changed, old, old)
	time.Sleep(2 * racyWindow)
	if res := commit(); res.Unchanged || res.Read != 1003 {
		t.Fatalf("after one change: unchanged=%v read=%d, want 1003 bytes read", res.Unchanged, res.Read)
	}
}

// TestCommitterHasContext: folders listed ahead of the walk scan the stat
// cache on pool workers with the committer's context; Pebble waits on it
// when two readers want one block, so it must be set.
func TestCommitterHasContext(t *testing.T) {
	r := newRepo(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newCommitter(ctx, r, r.store.NewWriter())
	defer c.wait()
	if c.ctx != ctx {
		t.Fatal("committer without its context")
	}
}

// TestFailedCommitKeepsStatCacheTrue: a commit writes its stat cache
// entries as it goes (Options.StatFlush), and a later commit uses them
// without reading the files or looking their content up. So an entry may
// be written only once its content is durable: here a commit stores a
// folder's files, writing their entries in batches of 8, and then fails
// on a socket; its last pack is thrown away. The next commit trusts the
// entries, and every file of its version must still be there.
func TestFailedCommitKeepsStatCacheTrue(t *testing.T) {
	ctx := context.Background()
	r, err := Init(ctx, t.TempDir(), InitOptions{}, Options{StatFlush: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	src := filepath.Join(t.TempDir(), "data")
	want := map[string][]byte{}
	for i := range 40 {
		name := fmt.Sprintf("a/f%02d", i)
		want[name] = noise(byte(i), 3000)
		write(t, filepath.Join(src, name), want[name])
	}
	old := time.Now().Add(-time.Hour)
	filepath.Walk(src, func(p string, _ os.FileInfo, _ error) error { return os.Chtimes(p, old, old) })
	time.Sleep(2 * racyWindow) // past the racy window, so that entries are trusted

	// The socket sorts after a/, whose files are stored before the walk
	// reaches it.
	sock := filepath.Join(src, "b", "s")
	if err := os.MkdirAll(filepath.Dir(sock), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("no unix socket here: %v", err)
	}
	_, err = r.Commit(ctx, CommitOptions{Name: "ds", Type: "dataset", Paths: []string{src}})
	l.Close()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("commit with a socket: %v, want ErrInvalid", err)
	}
	os.RemoveAll(filepath.Dir(sock))

	res, err := r.Commit(ctx, CommitOptions{Name: "ds", Type: "dataset", Paths: []string{src}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Read >= int64(len(want))*3000 {
		t.Fatalf("the re-commit read all %d bytes: the failed commit wrote no stat cache entries, so this test tests nothing", res.Read)
	}
	v, err := r.Resolve(ctx, "ds")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, err := r.Pull(ctx, v, PullOptions{Dir: out}); err != nil {
		t.Fatalf("pull of the version the stat cache made: %v", err)
	}
	for name, data := range want {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: %v, %d bytes; want its %d bytes", name, err, len(got), len(data))
		}
	}
	if rep, err := r.Fsck(ctx); err != nil || !rep.OK() {
		t.Fatalf("fsck: %v %v", err, rep)
	}
}

// TestCommitFolderInBatches commits a folder of more entries than a batch
// (listBatch), with its names sorted in memory and, in a second
// repository, in runs on disk: both give the version a full listing held
// whole gives (every path, in order, one root), the re-commit reads
// nothing, and a failure before the last batch leaves no version, no run
// and no open folder behind.
func TestCommitFolderInBatches(t *testing.T) {
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "data")
	var want []string
	for i := range listBatch + 904 {
		name := fmt.Sprintf("%x-%d", (i*7919)%10007, i) // written out of name order
		if i%300 == 0 {
			write(t, filepath.Join(src, name, "inner"), noise(byte(i), 10))
			want = append(want, name, name+"/inner")
			continue
		}
		write(t, filepath.Join(src, name), noise(byte(i), 1+i%50))
		want = append(want, name)
	}
	slices.Sort(want) // "/" sorts below every byte of the names
	old := time.Now().Add(-time.Hour)
	filepath.Walk(src, func(p string, _ os.FileInfo, _ error) error { return os.Chtimes(p, old, old) })
	time.Sleep(2 * racyWindow)

	var roots []objects.ID
	var spilled *Repo
	for _, memory := range []int{0, 16 << 10} {
		r, err := Init(ctx, t.TempDir(), InitOptions{}, Options{ListMemory: memory})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		res, err := r.Commit(ctx, CommitOptions{Name: "ds", Type: "dataset", Paths: []string{src}})
		if err != nil {
			t.Fatal(err)
		}
		if got := versionPaths(t, r, res.Version.Root); !slices.Equal(got, want) {
			t.Fatalf("list memory %d: the version holds %d paths, want %d in order", memory, len(got), len(want))
		}
		again, err := r.Commit(ctx, CommitOptions{Name: "ds", Type: "dataset", Paths: []string{src}})
		if err != nil || !again.Unchanged || again.Read != 0 {
			t.Fatalf("list memory %d: re-commit read %d bytes (unchanged %v): %v", memory, again.Read, again.Unchanged, err)
		}
		roots = append(roots, res.Version.Root)
		spilled = r
	}
	if roots[0] != roots[1] {
		t.Fatal("the folder sorted on disk gave another root than sorted in memory")
	}

	// A socket in the first batch fails the commit while the folder's
	// listing is open, with runs to read.
	sock := filepath.Join(src, "0-socket")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("no unix socket here: %v", err)
	}
	defer l.Close()
	fds := openFiles(t)
	_, err = spilled.Commit(ctx, CommitOptions{Name: "ds", Type: "dataset", Paths: []string{src}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), sock) {
		t.Fatalf("commit with a socket in its first batch: %v, want ErrInvalid naming it", err)
	}
	if n := openFiles(t); fds >= 0 && n != fds {
		t.Errorf("%d files open after the failed commit, %d before", n, fds)
	}
	if left, _ := os.ReadDir(spilled.store.TempDir()); len(left) != 0 {
		t.Errorf("%d temp files left after the failed commit", len(left))
	}
	if v, err := spilled.Resolve(ctx, "ds"); err != nil || v.Version.N != 0 {
		t.Fatalf("after the failed commit, ds is %+v (%v), want v0", v, err)
	}
}

// openFiles counts the process's open files, or -1 where /proc does not
// tell.
func openFiles(t *testing.T) int {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(fds)
}

// TestCommitMergesRootInBatches commits two folders of more entries than a
// batch, whose names interleave, with a loose file and a subfolder of the
// same name in both: the version is the one their union in one folder
// gives. A clash in the last batch is still found, naming both paths.
func TestCommitMergesRootInBatches(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	tmp := t.TempDir()
	one, two, union := filepath.Join(tmp, "one"), filepath.Join(tmp, "two"), filepath.Join(tmp, "union")
	for i := range 2*listBatch + 100 {
		name := fmt.Sprintf("f%05d", i)
		dir := one
		if i%2 == 1 {
			dir = two
		}
		for _, d := range []string{dir, union} {
			write(t, filepath.Join(d, name), []byte(name))
		}
	}
	for _, f := range []struct{ dir, name string }{{one, "sub/a"}, {two, "sub/b"}} {
		write(t, filepath.Join(f.dir, f.name), []byte(f.name))
		write(t, filepath.Join(union, f.name), []byte(f.name))
	}
	loose := filepath.Join(tmp, "g-loose")
	write(t, loose, []byte("loose"))
	write(t, filepath.Join(union, "g-loose"), []byte("loose"))

	merged, err := r.Commit(ctx, CommitOptions{Name: "merged", Type: "dataset", Paths: []string{one, loose, two}})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := r.Commit(ctx, CommitOptions{Name: "whole", Type: "dataset", Paths: []string{union}})
	if err != nil {
		t.Fatal(err)
	}
	if merged.Version.Root != whole.Version.Root || merged.Files != whole.Files {
		t.Fatalf("merged root holds %d files, the union %d, or another tree", merged.Files, whole.Files)
	}

	last := fmt.Sprintf("f%05d", 2*listBatch+98) // in one's last batch
	write(t, filepath.Join(two, last), []byte("clash"))
	_, err = r.Commit(ctx, CommitOptions{Name: "clash", Type: "dataset", Paths: []string{one, two}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), filepath.Join(one, last)+" and "+filepath.Join(two, last)+" both claim") {
		t.Fatalf("a clash in the last batch: %v", err)
	}
}
