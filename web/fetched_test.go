package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/file"
	"github.com/trove-ml/trove/repo"
)

// TestFetchedNotPulled: a version fetched from a remote and not pulled
// has its record here and its files there. Its page still shows what the
// record says and tells how to get the files; the pages that need the
// files say the same with 404, instead of a bare "not found".
func TestFetchedNotPulled(t *testing.T) {
	ctx := context.Background()
	bucketDir := t.TempDir()
	opts := repo.Options{User: testUser, Workers: 2, OpenBucket: func(context.Context, string, repo.RemoteConfig) (remote.Bucket, error) {
		return file.Open(bucketDir)
	}}
	share := func(r *repo.Repo) {
		t.Helper()
		if err := r.AddRemote("origin", repo.RemoteConfig{URL: "file://" + bucketDir}); err != nil {
			t.Fatal(err)
		}
	}

	b := newBuilder(t)
	b.r.Close()
	src, err := repo.Open(ctx, b.f.root, opts)
	if err != nil {
		t.Fatal(err)
	}
	b.r = src
	share(src)
	b.commit(repo.CommitOptions{Name: "mnist", Type: "dataset", Description: "digits", Paths: []string{b.files(map[string]string{"train/a.csv": "1,2"})}})
	if _, err := src.Push(ctx, repo.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	src.Close()

	root := t.TempDir()
	dst, err := repo.Init(ctx, root, repo.InitOptions{Project: "demo"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	share(dst)
	if _, err := dst.Fetch(ctx, repo.FetchOptions{}); err != nil {
		t.Fatal(err)
	}
	dst.Close()
	f := serve(t, &fixture{root: root}, Options{Open: func(ctx context.Context) (*repo.Repo, error) {
		return repo.Open(ctx, root, repo.Options{LockTimeout: 5 * time.Second})
	}})

	var v struct {
		Description string
		NotHere     bool
		Root        []any
	}
	f.getJSON(t, "/artifacts/mnist/v0", &v)
	if v.Description != "digits" || !v.NotHere || len(v.Root) != 0 {
		t.Fatalf("version page of a fetched version: %+v", v)
	}
	_, page := f.get(t, "/artifacts/mnist/v0")
	if !strings.Contains(page, "trove pull mnist:v0") {
		t.Fatalf("version page does not say how to get the files:\n%s", page)
	}
	for _, path := range []string{"/artifacts/mnist/v0/files", "/artifacts/mnist/v0/file?path=train/a.csv", "/artifacts/mnist/v0/manifest"} {
		resp, body := f.get(t, path, "Accept", "application/json")
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "fetched, not pulled") {
			t.Errorf("GET %s: %s\n%s", path, resp.Status, body)
		}
	}
}
