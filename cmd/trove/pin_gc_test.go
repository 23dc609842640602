package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGCHoldsPinsOfEveryBranch is the audit's reproduction: clone A pins
// a version on main and pushes; once it expired, GC run
// from clones checked out on a branch that does not pin it (here and on
// the remote, twice, so a remote GC's second stage runs too) keeps it,
// because main's trove.lock (a local or a remote-tracking branch) pins
// it; a fresh clone of main still checks it out. A trove.lock that does
// not parse at a branch tip stops GC, naming the branch.
func TestGCHoldsPinsOfEveryBranch(t *testing.T) {
	u := newPairUser(t)
	root, origin, a := pairedClones(t, u)
	b, c := filepath.Join(root, "b"), filepath.Join(root, "c")

	src := filepath.Join(root, "src")
	results := map[string]string{"scores.json": `{"acc": 0.9}` + "\n"}
	writeFiles(t, src, results)
	u.trove(a, "commit", "evals", "--type", "eval", src)
	u.trove(a, "pin", "evals:latest", "results/evals")
	u.git(a, "add", "-A")
	u.git(a, "commit", "-q", "-m", "pin the evals")
	if out := u.git(a, "push", "origin", "main"); !strings.Contains(out, "evals:v0 -> origin") {
		t.Fatalf("pre-push did not push the data:\n%s", out)
	}

	// B works on a branch from before the pin, and has no local main:
	// only the remote-tracking origin/main pins the version.
	u.git(root, "clone", "-q", origin, b)
	u.trove(b, "hooks", "install")
	u.git(b, "checkout", "-q", "-b", "oldbranch", "HEAD~1")
	u.git(b, "branch", "-q", "-D", "main")
	// A goes to such a branch too; its main still pins the version.
	u.git(a, "checkout", "-q", "-b", "other", "HEAD~1")
	// The version expires: a default TTL of 1s, set only now so that it
	// cannot run out before the pin is made, however slow the machine.
	for _, dir := range []string{a, b} {
		u.trove(dir, "config", "set", "ttl.default", "1s")
	}
	time.Sleep(1100 * time.Millisecond)

	for _, tc := range []struct {
		name string
		dir  string
		args []string
	}{
		{"local GC on another branch", a, []string{"gc"}},
		{"remote GC from a clone on another branch", b, []string{"gc", "--remote", "origin", "--grace", "0s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 {
				out := u.trove(tc.dir, tc.args...)
				if strings.Contains(out, "expired evals:v0") || !strings.Contains(out, "kept evals:v0") {
					t.Fatalf("trove %s:\n%s", strings.Join(tc.args, " "), out)
				}
			}
		})
	}
	u.git(a, "checkout", "-q", "main") // the post-checkout hook finds the data here
	sameTree(t, "A back on main", tree(t, filepath.Join(a, "results", "evals")), results)
	u.git(root, "clone", "-q", origin, c)
	u.trove(c, "checkout")
	sameTree(t, "a fresh clone of main", tree(t, filepath.Join(c, "results", "evals")), results)

	// A trove.lock that does not parse at a branch tip stops GC, which
	// names the branch; deleting the branch lets GC run again.
	u.git(b, "checkout", "-q", "-b", "broken")
	writeFiles(t, b, map[string]string{"trove.lock": "trove.lock 1\n<<<<<<< HEAD\n"})
	u.git(b, "add", "trove.lock")
	u.git(b, "commit", "-q", "-m", "half-merged lock")
	u.git(b, "checkout", "-q", "oldbranch")
	for _, args := range [][]string{{"gc", "--dry-run"}, {"gc", "--remote", "origin", "--dry-run"}} {
		out, err := u.exec(b, "", "trove", args...)
		if err == nil || !strings.Contains(out, "trove.lock at the tip of branch broken (commit ") || !strings.Contains(out, "line 2: Git conflict marker") {
			t.Fatalf("trove %s with a broken lock on a branch: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	u.git(b, "branch", "-q", "-D", "broken")
	u.trove(b, "gc", "--dry-run")
}
