package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
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

// TestCommitChecksInputBeforeListing: a commit whose reference would take
// long to list refuses bad input at once, never asking the server, with
// the message and exit status it gave once the listing was done: a bad
// name, type, alias, tag, TTL or prefix, a type other than the artifact's,
// a new artifact without --type, a --ttl the guard rail refuses, a path
// that is not there. Good input is listed, and committed.
func TestCommitChecksInputBeforeListing(t *testing.T) {
	release, first := make(chan struct{}), make(chan struct{})
	var asked atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/fast/") {
			if asked.Add(1) == 1 {
				close(first)
			}
			<-release
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Length", "5")
		if r.Method == http.MethodGet {
			w.Write([]byte("model"))
		}
	}))
	defer srv.Close()
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free() // before srv.Close, which waits for the handlers

	dir := newProject(t)
	mustTrove(t, dir, "commit", "slow", "--type", "model", "--ref", srv.URL+"/fast/a.bin")
	t.Setenv("TROVE_USER", "ana")
	mustTrove(t, dir, "config", "set", "ttl.admins", "ana")
	t.Setenv("TROVE_USER", "bob")
	slow := srv.URL + "/x.bin"
	// commit runs trove in this process, telling a run that waits for
	// the server from one that fails.
	commit := func(args ...string) result {
		t.Helper()
		done := make(chan result, 1)
		go func() { done <- trove(t, dir, append([]string{"commit"}, args...)...) }()
		select {
		case r := <-done:
			return r
		case <-time.After(30 * time.Second):
			t.Errorf("trove commit %s is still waiting for the server", strings.Join(args, " "))
			free()
			return <-done
		}
	}
	const rule = "use only letters, digits, '_', '.' and '-'"
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"bad name!", "-t", "model"}, exitUsage, `trove: manifest: invalid: artifact name "bad name!": ' ' at byte 3 is not allowed; ` + rule},
		{[]string{"slow", "-t", "dataset"}, exitUsage, `trove: artifact "slow" has type "model"; a commit of type "dataset" under that name is refused (use another name)`},
		{[]string{"fresh"}, exitUsage, `trove: commit: "fresh" is a new artifact: give its type with --type (e.g. --type dataset)`},
		{[]string{"fresh", "-t", "mo del"}, exitUsage, `trove: manifest: invalid: type "mo del": ' ' at byte 2 is not allowed; ` + rule},
		{[]string{"slow", "-a", "b a d"}, exitUsage, `trove: manifest: invalid: alias "b a d": ' ' at byte 1 is not allowed; ` + rule},
		{[]string{"slow", "-a", "latest"}, exitUsage, `trove: refs: reserved alias: "latest" is managed by trove and always names the newest version`},
		{[]string{"slow", "--tag", "b a d"}, exitUsage, `trove: manifest: invalid: tag "b a d": ' ' at byte 1 is not allowed; ` + rule},
		{[]string{"slow", "--ttl", "3 parsecs"}, exitUsage, `trove: retention: invalid: TTL "3 parsecs": unknown unit ' ' (use s, m, h or d) (use e.g. 30d, 12h, never or inherit)`},
		{[]string{"slow", "--ttl", "30d"}, exitError, `trove: --ttl: retention: only TTL admins may change retention: "bob" is not one of them (ana); ask one of them, or commit without --ttl to inherit the project default`},
		{[]string{"slow", "--prefix", "/abs"}, exitUsage, `trove: --prefix "/abs": give a folder inside the version, relative to its root ("abs"), not a path on this machine`},
		{[]string{"slow", "--prefix", "a/../b"}, exitUsage, `trove: --prefix "a/../b": manifest: invalid: file name ".." is not allowed`},
		{[]string{"slow", "/no/such/path"}, exitUsage, `trove: /no/such/path: no such file or directory`},
	} {
		r := commit(append(tc.args, "--ref", slow)...)
		if r.code != tc.code || strings.TrimSpace(r.stderr) != tc.stderr {
			t.Errorf("trove commit %s: exit %d %q, want exit %d %q", strings.Join(tc.args, " "), r.code, r.stderr, tc.code, tc.stderr)
		}
	}
	if n := asked.Load(); n != 0 {
		t.Errorf("the server was asked %d times for commits of bad input", n)
	}

	// Good input, its type taken from the artifact: listed once the
	// server answers, then committed.
	done := make(chan result, 1)
	go func() { done <- trove(t, dir, "commit", "slow", "--ref", slow) }()
	select {
	case <-first:
	case r := <-done:
		t.Fatalf("the commit ended before it listed the reference: exit %d %s", r.code, r.stderr)
	}
	free()
	if r := <-done; r.code != 0 {
		t.Fatalf("commit of good input: exit %d %s", r.code, r.stderr)
	}
	if show := mustTrove(t, dir, "ls", "slow"); !strings.Contains(show, "x.bin") {
		t.Errorf("the version lacks the reference:\n%s", show)
	}
}
