package repo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/file"
)

// TestRemoteChunkerAdoption shares a remote made by a repository that
// chunks with gear64 at 16/64/256 KiB, as every repository did before
// gear64nc1 became the default. A fresh repository joins it by taking its chunker (and saying
// so in its config) and pulls the version; a repository that already
// holds versions keeps its own chunker and is refused.
func TestRemoteChunkerAdoption(t *testing.T) {
	ctx := context.Background()
	bucketDir := t.TempDir()
	open := openWithRemote(t, Options{PackSize: 1 << 20}, func() (remote.Bucket, error) { return file.Open(bucketDir) })
	commit := func(r *Repo, seed byte) {
		t.Helper()
		src := filepath.Join(t.TempDir(), "data")
		write(t, filepath.Join(src, "big.bin"), noise(seed, 300<<10))
		if _, err := r.Commit(ctx, CommitOptions{Name: "data", Type: "dataset", Paths: []string{src}}); err != nil {
			t.Fatal(err)
		}
	}

	old := open()
	old.Config.Chunker = ChunkerConfig{Algorithm: objects.ChunkerGear64, Min: 16 << 10, Avg: 64 << 10, Max: 256 << 10}
	if err := old.Config.save(filepath.Join(old.Dir, "config")); err != nil {
		t.Fatal(err)
	}
	commit(old, 1)
	if _, err := old.Push(ctx, PushOptions{}); err != nil {
		t.Fatal(err)
	}

	fresh := open()
	if fresh.Config.Chunker == old.Config.Chunker {
		t.Fatal("a new repository chunks like the old one: nothing to test")
	}
	if _, err := fresh.Fetch(ctx, FetchOptions{}); err != nil {
		t.Fatalf("a fresh repository could not join the remote: %v", err)
	}
	saved, err := loadConfig(filepath.Join(fresh.Dir, "config"))
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Config.Chunker != old.Config.Chunker || saved.Chunker != old.Config.Chunker {
		t.Fatalf("fresh repository chunks with %+v (config on disk %+v), want the remote's %+v", fresh.Config.Chunker, saved.Chunker, old.Config.Chunker)
	}
	v, err := fresh.Resolve(ctx, "data:latest")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, err := fresh.Pull(ctx, v, PullOptions{Dir: out}); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(out, "big.bin")); err != nil || string(got) != string(noise(1, 300<<10)) {
		t.Fatalf("pulled file differs (%v)", err)
	}

	busy := open()
	commit(busy, 2)
	_, err = busy.Fetch(ctx, FetchOptions{})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "holds versions") {
		t.Fatalf("a repository with versions and another chunker: Fetch = %v, want ErrInvalid saying it holds versions", err)
	}
	if busy.Config.Chunker.Params() != objects.DefaultChunkerParams() {
		t.Fatalf("refused repository's chunker changed to %+v", busy.Config.Chunker)
	}
}
