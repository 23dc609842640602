package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCommitListsReferencesBeforeLocking: while a commit lists a slow
// reference, other commands use the repository (they used to wait, and
// time out, for the whole listing), and the commit then records it.
func TestCommitListsReferencesBeforeLocking(t *testing.T) {
	release := make(chan struct{})
	asked := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(asked) })
		<-release
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Length", "5")
		if r.Method == http.MethodGet {
			w.Write([]byte("model"))
		}
	}))
	defer srv.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()

	dir := newProject(t)
	commit := troveProc(t, dir, "commit", "weights", "--type", "model", "--ref", srv.URL+"/w.bin")
	var out strings.Builder
	commit.Stdout, commit.Stderr = &out, &out
	if err := commit.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-asked:
	case <-time.After(30 * time.Second):
		t.Fatal("the commit never asked the server")
	}
	// The commit is listing; the repository is free.
	if r := trove(t, dir, "--lock-timeout", "500ms", "log"); r.code != 0 {
		t.Errorf("trove log while a commit lists a reference: exit %d %s", r.code, r.stderr)
	}
	close(release)
	if err := commit.Wait(); err != nil {
		t.Fatalf("commit: %v\n%s", err, out.String())
	}
	if show := mustTrove(t, dir, "ls", "weights"); !strings.Contains(show, "w.bin") {
		t.Errorf("the version lacks the reference:\n%s", show)
	}
}
