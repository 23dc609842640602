package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// pairedClones sets up a bare Git origin, a trove bucket and clone a with
// a trove project, its remote and the hooks, pushed; it returns the
// folder holding them all.
func pairedClones(t *testing.T, u *pairUser) (root, origin, a string) {
	t.Helper()
	root = t.TempDir()
	origin, a = filepath.Join(root, "origin.git"), filepath.Join(root, "a")
	bucket := filepath.Join(root, "bucket")
	os.MkdirAll(origin, 0o755)
	os.MkdirAll(bucket, 0o755)
	u.git(origin, "init", "-q", "--bare")
	u.git(root, "clone", "-q", origin, a)
	writeFiles(t, a, map[string]string{"train.py": "print('train')\n"})
	u.trove(a, "init")
	u.trove(a, "remote", "add", "origin", "file://"+bucket)
	u.trove(a, "hooks", "install")
	u.git(a, "add", "-A")
	u.git(a, "commit", "-q", "-m", "code and trove config")
	u.git(a, "push", "-q", "-u", "origin", "main")
	return root, origin, a
}

// TestPostRewriteChecksOutAfterRebase: 'git pull --rebase' over a local
// commit brings a trove.lock change through a rebase, whose checkouts the
// other hooks skip; the post-rewrite hook checks the new pins out when
// the rebase ends. An amend leaves the data alone.
func TestPostRewriteChecksOutAfterRebase(t *testing.T) {
	u := newPairUser(t)
	root, origin, a := pairedClones(t, u)
	src := filepath.Join(root, "src")
	v0 := map[string]string{"train.csv": "x,y\n1,2\n", "old.txt": "only in v0\n"}
	writeFiles(t, src, v0)
	u.trove(a, "commit", "ds", "--type", "dataset", src)
	u.trove(a, "pin", "ds", "data/ds")
	u.git(a, "add", "-A")
	u.git(a, "commit", "-q", "-m", "train on ds v0")
	u.git(a, "push", "-q", "origin", "main")

	b := filepath.Join(root, "b")
	u.git(root, "clone", "-q", origin, b)
	u.trove(b, "hooks", "install")
	u.trove(b, "checkout")
	sameTree(t, "B after clone", tree(t, filepath.Join(b, "data", "ds")), v0)

	// A moves the pin to v1 and pushes; B has a commit of its own.
	v1 := map[string]string{"train.csv": "x,y\n1,2\n3,4\n", "new.txt": "new in v1\n"}
	os.RemoveAll(src)
	writeFiles(t, src, v1)
	u.trove(a, "commit", "ds", src)
	u.trove(a, "pin", "--update", "data/ds")
	u.git(a, "commit", "-q", "-am", "train on ds v1")
	u.git(a, "push", "-q", "origin", "main")
	writeFiles(t, b, map[string]string{"notes.md": "B's notes\n"})
	u.git(b, "add", "notes.md")
	u.git(b, "commit", "-q", "-m", "notes")

	out := u.git(b, "pull", "--rebase", "origin", "main")
	if !strings.Contains(out, "ds:v1 -> data/ds") {
		t.Fatalf("git pull --rebase did not check out the new pin:\n%s", out)
	}
	sameTree(t, "B after git pull --rebase", tree(t, filepath.Join(b, "data", "ds")), v1)
	if st := u.trove(b, "status"); !strings.Contains(st, "ok") {
		t.Fatalf("status after the rebase:\n%s", st)
	}

	// An amend rewrites a commit but moves no pin: nothing is checked out.
	os.RemoveAll(filepath.Join(b, "data"))
	u.git(b, "commit", "-q", "--amend", "-m", "notes, amended")
	if _, err := os.Stat(filepath.Join(b, "data")); err == nil {
		t.Fatal("an amend ran trove checkout")
	}
}

// TestHooksUninstallSaysRestored: uninstall says that a hook trove had
// chained to is back in place.
func TestHooksUninstallSaysRestored(t *testing.T) {
	u := newPairUser(t)
	dir := t.TempDir()
	u.git(dir, "init", "-q")
	u.trove(dir, "init")
	hooks := filepath.Join(dir, ".git", "hooks")
	os.MkdirAll(hooks, 0o755)
	mine := "#!/bin/sh\nexit 0\n"
	os.WriteFile(filepath.Join(hooks, "post-checkout"), []byte(mine), 0o755)

	out := u.trove(dir, "hooks", "install")
	if !strings.Contains(out, "post-checkout installed ("+filepath.Join(hooks, "post-checkout")+"); runs "+filepath.Join(hooks, "post-checkout.pre-trove")+" first") {
		t.Fatalf("install said:\n%s", out)
	}
	out = u.trove(dir, "hooks", "uninstall")
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		line = strings.Join(strings.Fields(line), " ") // names are padded to one width
		hook, _, _ := strings.Cut(line, " ")
		want := hook + " removed"
		if hook == "post-checkout" {
			want += " (" + filepath.Join(hooks, "post-checkout") + "); original hook restored from post-checkout.pre-trove"
		}
		if !strings.HasPrefix(line, want) || strings.Contains(line, "runs ") {
			t.Errorf("uninstall said %q, want %q", line, want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(hooks, "post-checkout")); string(b) != mine {
		t.Fatal("the original hook is not back")
	}
}

// TestPrePushSaysDeletedOnRemote: a push of code pinning a version that
// expired and was collected on the remote is refused, saying so and how
// to move the pin, in the clone that made the version (once it has seen
// the remote's log) and in a fresh one, not "push the data from the
// clone that made it".
func TestPrePushSaysDeletedOnRemote(t *testing.T) {
	u := newPairUser(t)
	root, origin, a := pairedClones(t, u)
	src := filepath.Join(root, "src")
	writeFiles(t, src, map[string]string{"scores.json": "{}\n"})
	u.trove(a, "commit", "evals", "--type", "eval", src)
	u.trove(a, "pin", "evals", "results/evals")
	u.git(a, "add", "-A")
	u.git(a, "commit", "-q", "-m", "pin the evals")
	u.git(a, "push", "-q", "origin", "main")
	// Unpinned on every branch, it expires and a remote GC collects it.
	u.trove(a, "unpin", "results/evals")
	u.git(a, "commit", "-q", "-am", "unpin")
	u.git(a, "push", "-q", "origin", "main")
	// A default TTL of 1s, set only now: the version could not expire
	// before it was pinned, however slow the machine.
	u.trove(a, "config", "set", "ttl.default", "1s")
	time.Sleep(1100 * time.Millisecond)
	if out := u.trove(a, "gc", "--remote", "origin", "--grace", "0s"); !strings.Contains(out, "expired evals:v0") {
		t.Fatalf("remote gc:\n%s", out)
	}
	u.trove(a, "fetch")
	b := filepath.Join(root, "b")
	u.git(root, "clone", "-q", origin, b)
	u.trove(b, "hooks", "install")

	for _, tc := range []struct{ name, dir string }{{"the clone that made it", a}, {"a fresh clone", b}} {
		t.Run(tc.name, func(t *testing.T) {
			// The checkout hook fails (the version is gone): Git has moved.
			u.exec(tc.dir, "", "git", "checkout", "-q", "-b", "revive", "main~1")
			writeFiles(t, tc.dir, map[string]string{"train.py": "print('again')\n"})
			u.git(tc.dir, "commit", "-q", "-am", "again")
			out, err := u.exec(tc.dir, "", "git", "push", "origin", "revive")
			if err == nil || !strings.Contains(out, "evals:v0 (pinned at results/evals, record ") ||
				!strings.Contains(out, "was deleted on the trove remote (by a GC or 'trove delete'): it expired on ") ||
				!strings.Contains(out, "trove unpin results/evals") || strings.Contains(out, "clone that made it") {
				t.Fatalf("push of code pinning a version deleted on the remote: %v\n%s", err, out)
			}
		})
	}
}

// TestPrePushSeesDeletionSinceLastFetch: clone C pins a version and
// commits the lock; clone A deletes that version and pushes the deletion
// to the trove remote. C has not fetched since, so its own picture of the
// remote still shows the version live; its Git push is refused all the
// same, because the hook reads the pinned artifacts' logs from the remote
// first, and it says the version was deleted there.
func TestPrePushSeesDeletionSinceLastFetch(t *testing.T) {
	u := newPairUser(t)
	root, origin, a := pairedClones(t, u)
	src := filepath.Join(root, "src")
	for i := range 4 {
		writeFiles(t, src, map[string]string{"q.txt": strings.Repeat("q", i+1) + "\n"})
		u.trove(a, "commit", "qq", "--type", "dataset", src)
	}
	u.trove(a, "push")

	c := filepath.Join(root, "c")
	u.git(root, "clone", "-q", origin, c)
	u.trove(c, "hooks", "install")
	u.trove(c, "pin", "qq:v3", "data/q")
	u.git(c, "add", "trove.lock")
	u.git(c, "commit", "-q", "-m", "train on qq v3")

	// While the trove remote cannot be reached, the push is refused,
	// saying so, though C's picture of the remote shows the version.
	t.Run("remote unreachable", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closed := "http://" + l.Addr().String()
		l.Close()
		cfg := filepath.Join(c, ".trove", "config")
		orig, err := os.ReadFile(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(cfg, orig, 0o644)
		var conf map[string]any
		if err := json.Unmarshal(orig, &conf); err != nil {
			t.Fatal(err)
		}
		conf["remotes"] = map[string]any{"origin": map[string]any{"url": "s3://bkt/p", "endpoint": closed, "region": "us-east-1"}}
		b, _ := json.Marshal(conf)
		if err := os.WriteFile(cfg, b, 0o644); err != nil {
			t.Fatal(err)
		}
		env := u.env
		defer func() { u.env = env }()
		u.env = append(slices.Clip(env), "AWS_ACCESS_KEY_ID=id", "AWS_SECRET_ACCESS_KEY=dummy", "AWS_EC2_METADATA_DISABLED=true",
			"AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull)
		out, err := u.exec(c, "", "git", "push", "origin", "main")
		if err == nil || !strings.Contains(out, "pre-push: remote origin") || !strings.Contains(out, "cannot reach "+closed) {
			t.Fatalf("push while the trove remote cannot be reached: %v\n%s", err, out)
		}
	})

	u.trove(a, "delete", "qq:v3")
	u.trove(a, "push")

	out, err := u.exec(c, "", "git", "push", "origin", "main")
	if err == nil || !strings.Contains(out, "qq:v3 (pinned at data/q, record ") ||
		!strings.Contains(out, "was deleted on the trove remote (by a GC or 'trove delete')") ||
		strings.Contains(out, "clone that made it") {
		t.Fatalf("push of code pinning a version deleted on the remote since the last fetch: %v\n%s", err, out)
	}
	if got := u.git(origin, "rev-parse", "main"); got == u.git(c, "rev-parse", "main") {
		t.Fatal("the Git remote took the commit")
	}
}
