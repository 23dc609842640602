package gitpair

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitTest runs Debian's real git in isolated folders: its own HOME, no
// system config, a fixed identity.
type gitTest struct {
	t    testing.TB
	home string
}

func newGitTest(t testing.TB) *gitTest {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("git is not installed, and CI needs these tests")
		}
		t.Skip("git is not installed")
	}
	return &gitTest{t: t, home: t.TempDir()}
}

func (g *gitTest) getenv(k string) string {
	for _, kv := range g.env() {
		if v, ok := strings.CutPrefix(kv, k+"="); ok {
			return v
		}
	}
	return ""
}

func (g *gitTest) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			env = append(env, kv)
		}
	}
	return append(env, "HOME="+g.home, "XDG_CONFIG_HOME="+filepath.Join(g.home, ".config"), "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Ana", "GIT_AUTHOR_EMAIL=ana@example.com", "GIT_COMMITTER_NAME=Ana", "GIT_COMMITTER_EMAIL=ana@example.com")
}

// command returns the command running git in dir.
func (g *gitTest) command(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("git", append([]string{"-c", "init.defaultBranch=main", "-c", "advice.detachedHead=false"}, args...)...)
	cmd.Dir = dir
	cmd.Env = g.env()
	return cmd
}

// run runs git in dir and returns its trimmed standard output.
func (g *gitTest) run(dir string, args ...string) string {
	g.t.Helper()
	out, err := g.command(dir, args...).CombinedOutput()
	if err != nil {
		g.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// commitLock writes dir/rel/trove.lock with pins and commits everything.
func (g *gitTest) commitLock(dir, rel, msg string, pins ...Pin) string {
	g.t.Helper()
	l := &Lock{}
	for _, p := range pins {
		if err := l.Set(p); err != nil {
			g.t.Fatal(err)
		}
	}
	d := filepath.Join(dir, rel)
	os.MkdirAll(d, 0o755)
	if err := WriteLock(d, l); err != nil {
		g.t.Fatal(err)
	}
	g.run(dir, "add", "-A")
	g.run(dir, "commit", "-q", "--allow-empty", "-m", msg)
	return g.run(dir, "rev-parse", "HEAD")
}

func TestFindGitAndLockAt(t *testing.T) {
	g := newGitTest(t)
	dir := t.TempDir()
	g.run(dir, "init", "-q")
	g.run(dir, "commit", "-q", "--allow-empty", "-m", "no lock yet")
	a := testPin("data/a", "a", 0, "latest")
	a1 := testPin("data/a", "a", 1, "latest")
	a1.Digest, a1.Record = a.Record, a.Digest // another version
	c1 := g.commitLock(dir, "proj", "pin a v0", a)
	g.commitLock(dir, "proj", "pin a v1", a1)

	sub := filepath.Join(dir, "proj", "deep")
	os.MkdirAll(sub, 0o755)
	gg, err := FindGit(sub)
	if err != nil {
		t.Fatal(err)
	}
	real, _ := filepath.EvalSymlinks(dir)
	if gg.WorkTree != real || gg.CommonDir != filepath.Join(real, ".git") || gg.Dir != gg.CommonDir {
		t.Fatalf("FindGit = %+v", gg)
	}
	rel, err := gg.Rel(filepath.Join(dir, "proj"))
	if err != nil || rel != "proj" {
		t.Fatalf("Rel = %q, %v", rel, err)
	}
	for _, tc := range []struct {
		rev  string
		want *Pin
	}{{"HEAD", &a1}, {"HEAD~1", &a}, {c1[:10], &a}, {"main~2", nil}} {
		l, commit, err := gg.LockAt(t.Context(), tc.rev, "proj")
		if err != nil {
			t.Fatalf("LockAt(%s): %v", tc.rev, err)
		}
		if len(commit) != 40 {
			t.Fatalf("commit %q", commit)
		}
		if tc.want == nil && len(l.Pins) != 0 || tc.want != nil && (len(l.Pins) != 1 || l.Pins[0] != *tc.want) {
			t.Fatalf("LockAt(%s) = %+v, want %+v", tc.rev, l.Pins, tc.want)
		}
	}
	if _, _, err := gg.LockAt(t.Context(), "no-such-branch", "proj"); !errors.Is(err, ErrBadRevision) {
		t.Fatalf("unknown revision: %v", err)
	}
	// A lock with a conflict marker in a commit is an error naming it.
	os.WriteFile(filepath.Join(dir, "proj", LockName), []byte("trove.lock 1\n=======\n"), 0o644)
	g.run(dir, "commit", "-q", "-am", "broken")
	if _, _, err := gg.LockAt(t.Context(), "HEAD", "proj"); !errors.Is(err, ErrLockConflict) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("conflicted lock at HEAD: %v", err)
	}

	if _, err := FindGit(t.TempDir()); !errors.Is(err, ErrNotGit) {
		t.Fatalf("FindGit outside Git: %v", err)
	}
}

func TestLinkedWorktree(t *testing.T) {
	g := newGitTest(t)
	dir := filepath.Join(t.TempDir(), "main")
	os.MkdirAll(dir, 0o755)
	g.run(dir, "init", "-q")
	a := testPin("data/a", "a", 0, "latest")
	g.commitLock(dir, ".", "pin a", a)
	wt := filepath.Join(filepath.Dir(dir), "wt")
	g.run(dir, "worktree", "add", "-q", "-b", "side", wt)
	b := testPin("data/b", "b", 0, "latest")
	g.commitLock(wt, ".", "pin b on side", a, b)

	gg, err := FindGit(filepath.Join(wt, "data"))
	if err != nil {
		t.Fatal(err)
	}
	realMain, _ := filepath.EvalSymlinks(dir)
	realWT, _ := filepath.EvalSymlinks(wt)
	if gg.WorkTree != realWT || gg.CommonDir != filepath.Join(realMain, ".git") || !strings.HasPrefix(gg.Dir, filepath.Join(realMain, ".git", "worktrees")) {
		t.Fatalf("FindGit in a linked worktree = %+v", gg)
	}
	// HEAD is the worktree's own; branches are shared.
	l, _, err := gg.LockAt(t.Context(), "HEAD", ".")
	if err != nil || len(l.Pins) != 2 {
		t.Fatalf("LockAt(HEAD) in worktree: %+v, %v", l, err)
	}
	l, _, err = gg.LockAt(t.Context(), "main", ".")
	if err != nil || len(l.Pins) != 1 {
		t.Fatalf("LockAt(main) in worktree: %+v, %v", l, err)
	}
	hd, err := gg.HooksDir(g.getenv)
	if err != nil || hd != filepath.Join(realMain, ".git", "hooks") {
		t.Fatalf("hooks of a linked worktree: %s, %v", hd, err)
	}
	if gg.RebaseInProgress() {
		t.Fatal("rebase in progress?")
	}
	os.Mkdir(filepath.Join(gg.Dir, "rebase-merge"), 0o755)
	if !gg.RebaseInProgress() {
		t.Fatal("rebase-merge not seen")
	}
}

func TestPushedLocks(t *testing.T) {
	g := newGitTest(t)
	origin := t.TempDir()
	g.run(origin, "init", "-q", "--bare")
	dir := t.TempDir()
	g.run(dir, "clone", "-q", origin, ".")
	p := func(n int) Pin {
		x := testPin("data/a", "a", n, "latest")
		x.Record = testPin("r", "a", 0, "latest").Record
		x.Record[0] = byte(n)
		return x
	}
	c1 := g.commitLock(dir, ".", "v1", p(1))
	g.run(dir, "push", "-q", "origin", "main")
	c2 := g.commitLock(dir, ".", "v2", p(2))
	c3 := g.commitLock(dir, ".", "v3", p(3))
	// The tip changes another file: its lock is c3's.
	os.WriteFile(filepath.Join(dir, "x"), []byte("x"), 0o644)
	g.run(dir, "add", "x")
	g.run(dir, "commit", "-qm", "x")
	tip := g.run(dir, "rev-parse", "HEAD")
	gg, _ := FindGit(dir)

	records := func(locks []PushedLock) string {
		var s []string
		for _, l := range locks {
			for _, p := range l.Lock.Pins {
				tag := "v" + string(rune('0'+p.Version))
				if l.Tip {
					tag += "*"
				}
				s = append(s, tag)
			}
		}
		return strings.Join(s, " ")
	}
	for _, tc := range []struct {
		name string
		ups  []RefUpdate
		want string
	}{
		{"fast-forward", []RefUpdate{{"refs/heads/main", tip, "refs/heads/main", c1}}, "v3* v2"},
		{"new branch: remote-tracking refs hide what origin has", []RefUpdate{{"refs/heads/main", c2, "refs/heads/new", zero40}}, "v2*"},
		{"delete", []RefUpdate{{"(delete)", zero40, "refs/heads/old", c3}}, ""},
		{"unknown remote commit", []RefUpdate{{"refs/heads/main", c2, "refs/heads/main", strings.Repeat("ab", 20)}}, "v2*"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			locks, err := gg.PushedLocks(t.Context(), "origin", ".", tc.ups)
			if err != nil {
				t.Fatal(err)
			}
			if got := records(locks); got != tc.want {
				t.Fatalf("locks = %q, want %q", got, tc.want)
			}
		})
	}
	// Without remote-tracking refs (another remote name) the whole
	// history is new.
	locks, err := gg.PushedLocks(t.Context(), "elsewhere", ".", []RefUpdate{{"refs/heads/main", tip, "refs/heads/main", zero40}})
	if err != nil || records(locks) != "v3* v2 v1" {
		t.Fatalf("first push to a new remote: %q, %v", records(locks), err)
	}
}

var zero40 = strings.Repeat("0", 40)

func TestParsePrePush(t *testing.T) {
	h := strings.Repeat("1f", 20)
	ups, err := ParsePrePush(strings.NewReader("refs/heads/main " + h + " refs/heads/main " + zero40 + "\n\n(delete) " + zero40 + " refs/heads/x " + h + "\n"))
	if err != nil || len(ups) != 2 || ups[0].Deletes() || !ups[1].Deletes() {
		t.Fatalf("ParsePrePush = %+v, %v", ups, err)
	}
	for _, bad := range []string{"a b c\n", "a " + h + " b zz\n", "a " + strings.ToUpper(h) + " b " + h} {
		if _, err := ParsePrePush(strings.NewReader(bad)); !errors.Is(err, ErrBadPrePush) || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("ParsePrePush(%q) = %v", bad, err)
		}
	}
}
