package repo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/faulty"
	"github.com/trove-ml/trove/remote/file"
)

// TestPullFetchesTreeNodesTogether pulls, into a fresh repository, a
// version of 40 folders that only the remote holds. The tree nodes of the
// folders are fetched together, not one request each, and blobs a few
// bytes apart in a pack are read in one request: a pull from S3 would
// otherwise wait for a round trip per folder and per file.
func TestPullFetchesTreeNodesTogether(t *testing.T) {
	ctx := context.Background()
	bucketDir := t.TempDir()
	fb, err := file.Open(bucketDir)
	if err != nil {
		t.Fatal(err)
	}
	counting := faulty.New(fb) // no faults: it counts requests
	open := openWithRemote(t, Options{}, func() (remote.Bucket, error) { return counting, nil })

	const folders = 40
	src := filepath.Join(t.TempDir(), "data")
	for i := range folders {
		write(t, filepath.Join(src, fmt.Sprintf("d%02d", i), "f.bin"), noise(byte(i), 1000+i))
	}
	a := open()
	if _, err := a.Commit(ctx, CommitOptions{Name: "ds", Type: "dataset", Paths: []string{src}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Push(ctx, PushOptions{}); err != nil {
		t.Fatal(err)
	}

	b := open()
	v, err := b.ResolveOrFetch(ctx, "ds:latest")
	if err != nil {
		t.Fatal(err)
	}
	before := counting.Calls(faulty.Get)
	out := t.TempDir()
	if _, err := b.Pull(ctx, v, PullOptions{Dir: out}); err != nil {
		t.Fatal(err)
	}
	// The version's record, the root's tree node, the 40 folders' nodes
	// (with the chunks between them) and the 40 chunks; one request each
	// made 82.
	if gets := counting.Calls(faulty.Get) - before; gets > 6 {
		t.Errorf("the pull of %d folders made %d requests for content and tree nodes", folders, gets)
	}
	for i := range folders {
		got, err := os.ReadFile(filepath.Join(out, fmt.Sprintf("d%02d", i), "f.bin"))
		if err != nil || string(got) != string(noise(byte(i), 1000+i)) {
			t.Fatalf("d%02d/f.bin differs (%v)", i, err)
		}
	}
}
