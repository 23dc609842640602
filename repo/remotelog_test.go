package repo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/file"
)

// fileRemote returns the folder of a new file remote and a function that
// makes a repository with it as origin.
func fileRemote(t *testing.T) (string, func() *Repo) {
	bucketDir := t.TempDir()
	return bucketDir, openWithRemote(t, Options{}, func() (remote.Bucket, error) { return file.Open(bucketDir) })
}

// commitAndPush commits the files (path -> content) of a new folder as the
// next version of artifact name, pushes, and returns the folder and the
// commit's result.
func commitAndPush(t *testing.T, r *Repo, name string, files map[string][]byte) (string, *CommitResult) {
	t.Helper()
	ctx := context.Background()
	src := t.TempDir()
	for p, b := range files {
		write(t, filepath.Join(src, filepath.FromSlash(p)), b)
	}
	res, err := r.Commit(ctx, CommitOptions{Name: name, Type: "dataset", Paths: []string{src}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Push(ctx, PushOptions{}); err != nil {
		t.Fatal(err)
	}
	return src, res
}

// remoteLogFile returns the file of a file remote that holds the log of
// artifact name (remote.Repository keeps refs under refs/).
func remoteLogFile(t *testing.T, bucketDir, name string) string {
	t.Helper()
	p := filepath.Join(bucketDir, "refs", "artifacts", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("no remote log for %s: %v", name, err)
	}
	return p
}

// TestRemoteLogRootMustMatchRecord: a remote log whose version names one
// root while its record names another is refused by fetch and push, before
// anything is merged: trusted, it made a fetch's commit of new content say
// "no change", and a push collapse our version into the remote's.
func TestRemoteLogRootMustMatchRecord(t *testing.T) {
	ctx := context.Background()
	bucketDir, open := fileRemote(t)
	a := open()
	src, ds := commitAndPush(t, a, "ds", map[string][]byte{"a.txt": []byte("the real content")})
	_, tmp := commitAndPush(t, a, "tmp", map[string][]byte{"new.txt": []byte("other content")})

	// Point ds:v0's root, in the remote's log only, at tmp's content.
	logFile := remoteLogFile(t, bucketDir, "ds")
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	forged := strings.ReplaceAll(string(b), ds.Version.Root.String(), tmp.Version.Root.String())
	if forged == string(b) {
		t.Fatal("the log does not name ds:v0's root")
	}
	if err := os.WriteFile(logFile, []byte(forged), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		what string
		do   func() error
	}{
		{"fetch into a fresh repository", func() error {
			_, err := open().Fetch(ctx, FetchOptions{})
			return err
		}},
		{"push of the repository that made ds", func() error {
			write(t, filepath.Join(src, "b.txt"), []byte("more"))
			if _, err := a.Commit(ctx, CommitOptions{Name: "ds", Type: "dataset", Paths: []string{src}}); err != nil {
				return err
			}
			_, err := a.Push(ctx, PushOptions{})
			return err
		}},
	} {
		err := tc.do()
		if !errors.Is(err, objects.ErrCorrupt) || !strings.Contains(err.Error(), `artifact "ds" v0`) {
			t.Errorf("%s: %v, want ErrCorrupt naming ds v0", tc.what, err)
		}
	}
	// The maker's own log was not touched: ds:v0 is still its content.
	v, err := a.Resolve(ctx, "ds:v0")
	if err != nil || v.Version.Root != ds.Version.Root {
		t.Fatalf("ds:v0 after the refused push: %v, root %v", err, v)
	}
}

// TestFetchSkipsBadNames: an artifact log on the remote under a name no
// trove gives an artifact (a damaged or foreign bucket) is skipped, said
// so, and never made a local ref; the others are fetched.
func TestFetchSkipsBadNames(t *testing.T) {
	ctx := context.Background()
	bucketDir, open := fileRemote(t)
	commitAndPush(t, open(), "ds", map[string][]byte{"a.txt": []byte("a")})
	logFile := remoteLogFile(t, bucketDir, "ds")
	body, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"sub/deep", "bad name"} {
		write(t, filepath.Join(filepath.Dir(logFile), filepath.FromSlash(bad)), body)
	}
	b := open()
	res, err := b.Fetch(ctx, FetchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Artifacts) != 1 || res.Artifacts[0].Name != "ds" {
		t.Errorf("fetched %+v, want ds only", res.Artifacts)
	}
	if len(res.Skipped) != 2 || !strings.Contains(strings.Join(res.Skipped, "\n"), `artifacts/bad name`) {
		t.Errorf("skipped %q, want both bad names", res.Skipped)
	}
	var names []string
	err = b.Refs().Artifacts(ctx, func(name string, _ *refs.Log) error {
		names = append(names, name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 || names[0] != "ds" {
		t.Errorf("local artifacts %q, want [ds]", names)
	}
}

// TestFsckAfterFetch: a version fetched and not pulled has its record here
// and its tree and content on the remote; fsck finds nothing wrong with
// it, and a pull verifies it as it comes.
func TestFsckAfterFetch(t *testing.T) {
	ctx := context.Background()
	_, open := fileRemote(t)
	commitAndPush(t, open(), "ds", map[string][]byte{"d/a.txt": []byte("a"), "big.bin": noise(7, 300<<10)})
	b := open()
	if _, err := b.Fetch(ctx, FetchOptions{}); err != nil {
		t.Fatal(err)
	}
	rep, err := b.Fsck(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 0 || rep.Versions != 1 {
		t.Fatalf("fsck after fetch: %d versions, problems %q", rep.Versions, rep.Problems)
	}
}

// TestVerifyAfterFetch: verify compares a folder with a version fetched
// and not pulled, reading its tree from the remote as a pull would.
func TestVerifyAfterFetch(t *testing.T) {
	ctx := context.Background()
	_, open := fileRemote(t)
	src, _ := commitAndPush(t, open(), "ds", map[string][]byte{"d/a.txt": []byte("a"), "b.txt": []byte("b")})
	b := open()
	v, err := b.ResolveOrFetch(ctx, "ds")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := b.Verify(ctx, v, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Missing)+len(rep.Extra)+len(rep.Changed) != 0 {
		t.Fatalf("verify of the committed folder: %+v", rep)
	}
}
