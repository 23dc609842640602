package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/trove-ml/trove/gitpair"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/repo"
)

// pairUser is a person at a terminal: real git and this test binary as
// `trove` on PATH, an own HOME, no system Git config, a Git identity.
type pairUser struct {
	t   *testing.T
	bin string // holds `trove`
	env []string
}

func newPairUser(t *testing.T) *pairUser {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("git is not installed, and CI needs this test")
		}
		t.Skip("git is not installed")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, home := t.TempDir(), t.TempDir()
	if err := os.Symlink(exe, filepath.Join(bin, "trove")); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GIT_") || strings.HasPrefix(k, "TROVE_") || k == "HOME" || k == "XDG_CONFIG_HOME" || k == "PATH" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Ana", "GIT_AUTHOR_EMAIL=ana@example.com", "GIT_COMMITTER_NAME=Ana", "GIT_COMMITTER_EMAIL=ana@example.com",
		"TROVE_TEST_AS_MAIN=1", "TROVE_NO_PROGRESS=1", "TROVE_USER=ana")
	u := &pairUser{t: t, bin: bin, env: env}
	u.git(home, "config", "--global", "init.defaultBranch", "main")
	u.git(home, "config", "--global", "advice.detachedHead", "false")
	u.git(home, "config", "--global", "pull.ff", "only")
	return u
}

// exec runs a command in dir and returns its combined output and error.
func (u *pairUser) exec(dir, stdin string, name string, args ...string) (string, error) {
	if name == "trove" {
		// exec looks names up in this process's PATH, not cmd.Env's.
		name = filepath.Join(u.bin, name)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = u.env
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (u *pairUser) git(dir string, args ...string) string {
	u.t.Helper()
	out, err := u.exec(dir, "", "git", args...)
	if err != nil {
		u.t.Fatalf("git %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return out
}

func (u *pairUser) trove(dir string, args ...string) string {
	u.t.Helper()
	out, err := u.exec(dir, "", "trove", args...)
	if err != nil {
		u.t.Fatalf("trove %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return out
}

// tree returns every regular file under dir (path -> content).
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			out[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		var g, w []string
		for k := range got {
			g = append(g, k)
		}
		for k := range want {
			w = append(w, k)
		}
		sort.Strings(g)
		sort.Strings(w)
		t.Fatalf("%s: files %v, want %v", what, g, w)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s: %s differs (%d bytes, want %d)", what, k, len(got[k]), len(v))
		}
	}
}

// TestGitPairingTwoClones is the new user's story, with Debian's git and
// the hooks: clone A pins a dataset and pushes the code (the pre-push hook
// pushes the data); clone B pulls and finds the data (post-merge); an
// older Git commit brings the older data back (post-checkout), also in a
// linked worktree.
func TestGitPairingTwoClones(t *testing.T) {
	u := newPairUser(t)
	root := t.TempDir()
	origin := filepath.Join(root, "origin.git")
	bucket := filepath.Join(root, "bucket")
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	os.MkdirAll(origin, 0o755)
	os.MkdirAll(bucket, 0o755)
	u.git(origin, "init", "-q", "--bare")

	// A sets the project up: trove init, the team's remote, hooks.
	u.git(root, "clone", "-q", origin, a)
	writeFiles(t, a, map[string]string{"train.py": "print('train')\n"})
	u.trove(a, "init")
	u.trove(a, "remote", "add", "origin", "file://"+bucket)
	if out := u.trove(a, "hooks", "install"); !strings.Contains(out, "pre-push") {
		t.Fatalf("hooks install said %q", out)
	}
	u.git(a, "add", "-A")
	u.git(a, "commit", "-q", "-m", "code and trove config")
	u.git(a, "push", "-q", "-u", "origin", "main")

	// B clones; the config comes with the code, so B only installs the
	// hooks (Git never clones them).
	u.git(root, "clone", "-q", origin, b)
	u.trove(b, "hooks", "install")

	// A commits version 0 of a dataset and pins it.
	src := filepath.Join(root, "src")
	v0 := map[string]string{"train.csv": "x,y\n1,2\n", "sub/big.bin": string(randomBytes(11, 3<<20)), "old.txt": "only in v0\n"}
	writeFiles(t, src, v0)
	u.trove(a, "commit", "ds", "--type", "dataset", src, "--alias", "best")
	os.MkdirAll(filepath.Join(a, "notebooks"), 0o755)
	// From a subfolder, as people do.
	out := u.trove(filepath.Join(a, "notebooks"), "pin", "ds:best", "../data/ds")
	if !strings.Contains(out, "data/ds: pinned ds:v0 (best)") || !strings.Contains(out, "added /data/ds/ to .gitignore") {
		t.Fatalf("pin said %q", out)
	}
	sameTree(t, "A after pin", tree(t, filepath.Join(a, "data", "ds")), v0)
	if st := u.git(a, "status", "--porcelain"); strings.Contains(st, "data/") {
		t.Fatalf("pinned data is not ignored by Git:\n%s", st)
	}
	u.git(a, "add", "-A")
	u.git(a, "commit", "-q", "-m", "train on ds v0")
	pushOut := u.git(a, "push", "origin", "main")
	if !strings.Contains(pushOut, "ds:v0 -> origin") {
		t.Fatalf("pre-push hook did not push the data:\n%s", pushOut)
	}

	// B pulls the code; the post-merge hook brings the data.
	u.git(b, "pull", "-q")
	sameTree(t, "B after git pull", tree(t, filepath.Join(b, "data", "ds")), v0)

	// A makes version 1 (one file changed, one added, one removed) and
	// moves the pin to it.
	v1 := map[string]string{"train.csv": "x,y\n1,2\n3,4\n", "sub/big.bin": v0["sub/big.bin"], "new.txt": "new in v1\n"}
	os.RemoveAll(src)
	writeFiles(t, src, v1)
	u.trove(a, "commit", "ds", src, "--alias", "best")
	if out := u.trove(a, "pin", "--update", "data/ds"); !strings.Contains(out, "pinned ds:v1 (best), was ds:v0") {
		t.Fatalf("pin --update said %q", out)
	}
	sameTree(t, "A after pin --update", tree(t, filepath.Join(a, "data", "ds")), v1)
	u.git(a, "commit", "-q", "-am", "train on ds v1")
	u.git(a, "push", "-q", "origin", "main")

	u.git(b, "pull", "-q")
	sameTree(t, "B after the second pull", tree(t, filepath.Join(b, "data", "ds")), v1)
	if out := u.trove(b, "status"); !strings.Contains(out, "ok") {
		t.Fatalf("status in B: %s", out)
	}

	// An older commit brings the older data back, byte for byte.
	u.git(b, "checkout", "-q", "HEAD~1")
	sameTree(t, "B at HEAD~1", tree(t, filepath.Join(b, "data", "ds")), v0)
	// ... and its pin is behind its alias now: status says so and exits 3.
	sout, err := u.exec(b, "", "trove", "status")
	if err == nil || !strings.Contains(sout, "behind: best is ds:v1") {
		t.Fatalf("status at HEAD~1 should report behind and fail: %v\n%s", err, sout)
	}
	// A file checkout (third argument 0) leaves the data alone.
	os.WriteFile(filepath.Join(b, "data", "ds", "train.csv"), []byte("edited"), 0o644)
	os.WriteFile(filepath.Join(b, "train.py"), []byte("changed"), 0o644)
	u.git(b, "checkout", "--", "train.py")
	if got, _ := os.ReadFile(filepath.Join(b, "data", "ds", "train.csv")); string(got) != "edited" {
		t.Fatal("a file checkout ran trove checkout")
	}
	// Back on main, the post-checkout hook refuses to replace the file
	// edited at a path of the pinned version: Git has moved, the hook's
	// failure is its exit status, and nothing of the pin is written.
	// 'trove checkout --force' then puts the version's files back.
	if out, err := u.exec(b, "", "git", "checkout", "-q", "main"); err == nil ||
		!strings.Contains(out, "ds:v1's file train.csv: a file whose content differs from ds:v1's") || !strings.Contains(out, "'trove checkout --force'") {
		t.Fatalf("git checkout main over an edited pinned file: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(filepath.Join(b, "data", "ds", "train.csv")); string(got) != "edited" {
		t.Fatalf("the hook replaced the edited file: %q", got)
	}
	if _, err := os.Lstat(filepath.Join(b, "data", "ds", "new.txt")); err == nil {
		t.Fatal("the refused checkout wrote new.txt")
	}
	u.trove(b, "checkout", "--force")
	sameTree(t, "B back on main", tree(t, filepath.Join(b, "data", "ds")), v1)

	// --rev reads an older lock without moving Git.
	head := u.git(b, "rev-parse", "HEAD")
	u.trove(b, "checkout", "--rev", "HEAD~1")
	sameTree(t, "B checkout --rev HEAD~1", tree(t, filepath.Join(b, "data", "ds")), v0)
	if u.git(b, "rev-parse", "HEAD") != head || u.git(b, "status", "--porcelain") != "" {
		t.Fatal("checkout --rev touched the Git work tree")
	}
	u.trove(b, "checkout")
	sameTree(t, "B checkout", tree(t, filepath.Join(b, "data", "ds")), v1)

	// A linked worktree at the older commit gets the older data from the
	// remote through post-checkout; its .trove is its own.
	wt := filepath.Join(root, "b-old")
	u.git(b, "worktree", "add", "-q", "--detach", wt, "HEAD~1")
	sameTree(t, "linked worktree", tree(t, filepath.Join(wt, "data", "ds")), v0)
	if out := u.trove(filepath.Join(wt, "data"), "checkout", "--rev", "main"); !strings.Contains(out, "ds:v1") {
		t.Fatalf("checkout --rev main in the worktree said %q", out)
	}
	sameTree(t, "linked worktree at main's lock", tree(t, filepath.Join(wt, "data", "ds")), v1)

	// A push whose code pins data that is nowhere is refused.
	l, err := gitpair.ReadLock(b)
	if err != nil {
		t.Fatal(err)
	}
	ghost := l.Pins[0]
	ghost.Path, ghost.Version = "data/ghost", 9
	ghost.Record[0]++
	ghost.Digest[0]++
	l.Set(ghost)
	if err := gitpair.WriteLock(b, l); err != nil {
		t.Fatal(err)
	}
	u.git(b, "commit", "-q", "-am", "pin a version nobody pushed")
	out, err = u.exec(b, "", "git", "push", "origin", "main")
	if err == nil || !strings.Contains(out, "ds:v9 (pinned at data/ghost") {
		t.Fatalf("push of code pinning missing data: %v\n%s", err, out)
	}
	if remoteMain := u.git(origin, "rev-parse", "main"); remoteMain == u.git(b, "rev-parse", "HEAD") {
		t.Fatal("the push went through")
	}

	// Uninstall puts things back as they were.
	u.trove(b, "hooks", "uninstall")
	if _, err := os.Stat(filepath.Join(b, ".git", "hooks", "post-merge")); err == nil {
		t.Fatal("post-merge hook left after uninstall")
	}
}

// TestPinStatusCheckout covers pin, status, checkout and unpin without
// Git.
func TestPinStatusCheckout(t *testing.T) {
	dir := newProject(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a.txt": "alpha\n", "only0.txt": "zero\n"})
	mustTrove(t, dir, "commit", "ds", "--type", "dataset", src, "--alias", "best")

	var pr struct {
		Pin      pinJSON
		Checkout struct {
			Name    string
			Written int64
		}
		Ignored string
	}
	troveJSON(t, dir, &pr, "pin", "ds:best", "data/ds")
	if pr.Pin.Path != "data/ds" || pr.Pin.Version != "v0" || pr.Pin.Alias != "best" || pr.Checkout.Name != "ds:v0" || pr.Checkout.Written != 2 || pr.Ignored != "" {
		t.Fatalf("pin = %+v", pr)
	}
	lock, err := os.ReadFile(filepath.Join(dir, "trove.lock"))
	if err != nil || !bytes.HasPrefix(lock, []byte("trove.lock 1\n")) || !strings.Contains(string(lock), "\ndata/ds\tds\tv0\tbest\t") {
		t.Fatalf("trove.lock:\n%s", lock)
	}

	type statusJSON struct {
		Remote string
		Pins   []struct {
			Pin                                 pinJSON
			Name                                string
			Missing, Modified, Behind, Unpushed bool
			AliasNow                            string
			Unavailable                         string
			Changes                             *repo.VerifyReport
		}
	}
	var st statusJSON
	troveJSON(t, dir, &st, "status")
	if len(st.Pins) != 1 || st.Pins[0].Name != "ds:v0" || st.Pins[0].Pin.Version != "v0" || st.Pins[0].Missing || st.Pins[0].Modified || st.Pins[0].Behind || st.Pins[0].Unpushed {
		t.Fatalf("status = %+v", st)
	}

	// A changed file: status says modified, how to restore it, and exits
	// 3; checkout refuses to replace the edit, checkout --force restores.
	writeFiles(t, dir, map[string]string{"data/ds/a.txt": "ALPHA\n"})
	r := trove(t, dir, "status", "--json")
	if r.code != exitMismatch || json.Unmarshal([]byte(r.stdout), &st) != nil || !st.Pins[0].Modified || strings.Join(st.Pins[0].Changes.Changed, ",") != "a.txt" {
		t.Fatalf("status after an edit: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := trove(t, dir, "status"); r.code != exitMismatch || !strings.Contains(r.stdout, "data/ds: 1 file changed; 'trove checkout --force' puts the version's back") {
		t.Fatalf("status after an edit: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := trove(t, dir, "checkout"); r.code != exitError || !strings.Contains(r.stderr, "data/ds: ") ||
		!strings.Contains(r.stderr, "ds:v0's file a.txt: a file whose content differs from ds:v0's") || !strings.Contains(r.stderr, "run 'trove checkout --force' to replace it") {
		t.Fatalf("checkout over an edited file: exit %d, want %d\n%s%s", r.code, exitError, r.stdout, r.stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "data", "ds", "a.txt")); string(b) != "ALPHA\n" {
		t.Fatalf("checkout replaced the edited file: %q", b)
	}
	mustTrove(t, dir, "checkout", "--force")
	mustTrove(t, dir, "status")

	// A new version under the alias: the pin is behind until updated;
	// the update removes the file only the old version had.
	os.Remove(filepath.Join(src, "only0.txt"))
	writeFiles(t, src, map[string]string{"b.txt": "beta\n"})
	mustTrove(t, dir, "commit", "ds", src, "--alias", "best")
	r = trove(t, dir, "status")
	if r.code != exitMismatch || !strings.Contains(r.stdout, "behind: best is ds:v1") {
		t.Fatalf("status behind: exit %d\n%s", r.code, r.stdout)
	}
	writeFiles(t, dir, map[string]string{"data/ds/mine.txt": "the user's own file\n"})
	out := mustTrove(t, dir, "pin", "--update", "data/ds")
	if !strings.Contains(out, "pinned ds:v1 (best), was ds:v0") || !strings.Contains(out, "1 removed") {
		t.Fatalf("pin --update said %q", out)
	}
	got := tree(t, filepath.Join(dir, "data", "ds"))
	sameTree(t, "after update", got, map[string]string{"a.txt": "alpha\n", "b.txt": "beta\n", "mine.txt": "the user's own file\n"})

	// Missing data: status says so; checkout brings it back.
	os.RemoveAll(filepath.Join(dir, "data"))
	r = trove(t, dir, "status")
	if r.code != exitMismatch || !strings.Contains(r.stdout, "missing") {
		t.Fatalf("status missing: exit %d\n%s", r.code, r.stdout)
	}
	mustTrove(t, dir, "checkout")
	sameTree(t, "after checkout", tree(t, filepath.Join(dir, "data", "ds")), map[string]string{"a.txt": "alpha\n", "b.txt": "beta\n"})

	// A version not pushed yet is reported once a remote exists.
	mustTrove(t, dir, "remote", "add", "origin", fileRemote(t))
	r = trove(t, dir, "status")
	if r.code != exitMismatch || !strings.Contains(r.stdout, "not pushed to origin") {
		t.Fatalf("status unpushed: exit %d\n%s", r.code, r.stdout)
	}
	mustTrove(t, dir, "push")
	mustTrove(t, dir, "status")

	// Pinning by digest holds that exact version.
	var log []struct{ Version, Digest string }
	troveJSON(t, dir, &log, "log", "ds")
	troveJSON(t, dir, &pr, "pin", log[1].Digest[:12], "data/first")
	if pr.Pin.Version != "v0" || pr.Pin.Alias != "v0" {
		t.Fatalf("pin by digest = %+v", pr.Pin)
	}

	out = mustTrove(t, dir, "unpin", "data/ds")
	if !strings.Contains(out, "unpinned ds:v1") {
		t.Fatalf("unpin said %q", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "ds", "a.txt")); err != nil {
		t.Fatal("unpin removed the files")
	}
	pins, err := gitpair.Pins(context.Background(), dir)
	if err != nil || len(pins) != 1 || pins[0].Path != "data/first" {
		t.Fatalf("Pins after unpin = %+v, %v", pins, err)
	}
}

// TestStatusTrustsStatCache: once status has read a pinned folder, the
// next status of the unchanged folder reads no file contents (the stat
// cache vouches for every file); a file changed in place, same size, is
// read again and reported; verify still reads every byte.
func TestStatusTrustsStatCache(t *testing.T) {
	dir := newProject(t)
	src := t.TempDir()
	big := string(randomBytes(7, 300<<10))
	writeFiles(t, src, map[string]string{"a.txt": "alpha\n", "sub/big.bin": big})
	size := int64(len("alpha\n") + len(big))
	mustTrove(t, dir, "commit", "ds", "--type", "dataset", src)
	mustTrove(t, dir, "pin", "ds", "data/ds")
	// A stat cache entry is trusted only if the file's times are older
	// than the moment it was read by more than the racy window (50 ms).
	time.Sleep(100 * time.Millisecond)

	type statusJSON struct {
		Pins []struct {
			Modified    bool
			HashedBytes int64
			Changes     *repo.VerifyReport
		}
	}
	var st statusJSON
	troveJSON(t, dir, &st, "status")
	if len(st.Pins) != 1 || st.Pins[0].Modified || st.Pins[0].HashedBytes > size {
		t.Fatalf("first status = %+v", st)
	}
	troveJSON(t, dir, &st, "status")
	if st.Pins[0].Modified || st.Pins[0].HashedBytes != 0 {
		t.Fatalf("status of an unchanged folder read %d bytes, want 0 (%+v)", st.Pins[0].HashedBytes, st)
	}

	writeFiles(t, dir, map[string]string{"data/ds/a.txt": "ALPHA\n"})
	r := trove(t, dir, "status", "--json")
	if r.code != exitMismatch || json.Unmarshal([]byte(r.stdout), &st) != nil || !st.Pins[0].Modified ||
		strings.Join(st.Pins[0].Changes.Changed, ",") != "a.txt" || st.Pins[0].HashedBytes != int64(len("ALPHA\n")) {
		t.Fatalf("status after an edit: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var vr verifyJSON
	r = trove(t, dir, "verify", "ds", filepath.Join(dir, "data", "ds"), "--json")
	if r.code != exitMismatch || json.Unmarshal([]byte(r.stdout), &vr) != nil || vr.Report.Bytes != size ||
		vr.Name != "ds:v0" || vr.Artifact != "ds" || vr.Version != "v0" || strings.Join(vr.Report.Changed, ",") != "a.txt" {
		t.Fatalf("verify: exit %d, want %d, and %d bytes read, want %d\n%s%s", r.code, exitMismatch, vr.Report.Bytes, size, r.stdout, r.stderr)
	}
}

func TestGitPairingBadInput(t *testing.T) {
	dir := newProject(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a.txt": "alpha\n"})
	mustTrove(t, dir, "commit", "ds", "--type", "dataset", src)
	mustTrove(t, dir, "pin", "ds", "data/ds")
	lockBytes, _ := os.ReadFile(filepath.Join(dir, "trove.lock"))

	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"path outside the project", []string{"pin", "ds", t.TempDir()}, exitUsage, "is outside the project folder"},
		{"path is the project", []string{"pin", "ds", "."}, exitUsage, "the project folder itself"},
		{"path in .trove", []string{"pin", "ds", ".trove/x"}, exitUsage, "lies in .trove"},
		{"path read as a comment", []string{"pin", "ds", "#c"}, exitUsage, "starts with '#', which trove.lock reads as a comment; rename it, or put it under a folder"},
		{"unpin of a path read as a comment", []string{"unpin", "#c"}, exitUsage, "starts with '#'"},
		{"nested pin", []string{"pin", "ds", "data/ds/inner"}, exitUsage, "would overlap"},
		{"unknown artifact", []string{"pin", "nope", "data/nope"}, exitUsage, "no such artifact: \"nope\""},
		{"update of an unpinned path", []string{"pin", "--update", "data/other"}, exitUsage, "not pinned"},
		{"unpin of an unpinned path", []string{"unpin", "data/other"}, exitUsage, "not pinned"},
		{"checkout --rev outside Git", []string{"checkout", "--rev", "HEAD"}, exitUsage, "not in a Git work tree"},
		{"hooks outside Git", []string{"hooks", "install"}, exitUsage, "is not in a Git work tree"},
		{"unknown hook", []string{"hooks", "run", "pre-commit"}, exitUsage, "unknown hook"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := trove(t, dir, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.msg) {
				t.Fatalf("exit %d, want %d, stderr %q, want %q", r.code, tc.code, r.stderr, tc.msg)
			}
			if after, _ := os.ReadFile(filepath.Join(dir, "trove.lock")); !bytes.Equal(after, lockBytes) {
				t.Fatal("trove.lock changed")
			}
		})
	}

	// A lock with a conflict marker or a bad line: every command that
	// reads it says which line, and exits 2.
	pinLine := strings.Split(string(lockBytes), "\n")[2]
	for _, tc := range []struct{ name, lock, msg string }{
		{"conflict", "trove.lock 1\n<<<<<<< HEAD\n" + pinLine + "\n=======\n" + pinLine + "\n>>>>>>> theirs\n", "line 2: Git conflict marker \"<<<<<<<\""},
		{"bad line", "trove.lock 1\n" + pinLine + "\ndata/x ds v0\n", "line 3: want 6 tab-separated fields"},
	} {
		os.WriteFile(filepath.Join(dir, "trove.lock"), []byte(tc.lock), 0o644)
		for _, cmd := range [][]string{{"checkout"}, {"status"}, {"pin", "ds", "data/y"}} {
			r := trove(t, dir, cmd...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tc.msg) || !strings.Contains(r.stderr, "trove.lock") {
				t.Errorf("%s: trove %s: exit %d, stderr %q", tc.name, cmd[0], r.code, r.stderr)
			}
		}
	}
	os.WriteFile(filepath.Join(dir, "trove.lock"), lockBytes, 0o644)

	// A lock (from someone's commit) whose path runs through a symbolic
	// link is refused before anything is written through it.
	outside := t.TempDir()
	os.Symlink(outside, filepath.Join(dir, "link"))
	os.WriteFile(filepath.Join(dir, "trove.lock"), []byte(strings.Replace(string(lockBytes), "\ndata/ds\t", "\nlink/ds\t", 1)), 0o644)
	if r := trove(t, dir, "checkout"); r.code != exitUsage || !strings.Contains(r.stderr, "is a symbolic link") {
		t.Fatalf("checkout through a symlink: exit %d\n%s", r.code, r.stderr)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Fatal("checkout wrote through a symbolic link")
	}
	if r := trove(t, dir, "pin", "ds", "link/x"); r.code != exitUsage || !strings.Contains(r.stderr, "outside the project folder") {
		t.Fatalf("pin through a symlink: exit %d\n%s", r.code, r.stderr)
	}
	os.Remove(filepath.Join(dir, "link"))
	os.WriteFile(filepath.Join(dir, "trove.lock"), lockBytes, 0o644)

	// A pinned version that expired (and was deleted): checkout and status
	// say so and how to fix it.
	func() {
		r, err := repo.Open(context.Background(), dir, repo.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		l, err := r.Refs().Log(context.Background(), "ds")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.MarkDeleted(0, refs.ReasonExpired, time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		if err := r.Refs().Replace(context.Background(), "ds", l); err != nil {
			t.Fatal(err)
		}
	}()
	r := trove(t, dir, "checkout")
	if r.code != exitError || !strings.Contains(r.stderr, "data/ds: pinned ds:v0") || !strings.Contains(r.stderr, "expired on 2026-03-10 12:00:00 UTC and was deleted") || !strings.Contains(r.stderr, "trove unpin data/ds") {
		t.Fatalf("checkout of a deleted version: exit %d\n%s", r.code, r.stderr)
	}
	r = trove(t, dir, "status")
	if r.code != exitMismatch || !strings.Contains(r.stdout, "unavailable") || !strings.Contains(r.stdout, "expired on") {
		t.Fatalf("status of a deleted version: exit %d\n%s", r.code, r.stdout)
	}
}

// TestHooksRunSkips: the hook work is skipped for file checkouts, during
// rebases, and outside trove projects.
func TestHooksRunSkips(t *testing.T) {
	u := newPairUser(t)
	dir := t.TempDir()
	u.git(dir, "init", "-q")
	// Not a trove project: nothing to do, no error.
	u.trove(dir, "hooks", "run", "post-checkout", "a", "b", "1")
	u.trove(dir, "init")
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a.txt": "alpha\n"})
	u.trove(dir, "commit", "ds", "--type", "dataset", src)
	u.trove(dir, "pin", "ds", "data/ds")
	os.RemoveAll(filepath.Join(dir, "data"))
	u.trove(dir, "hooks", "run", "post-checkout", "a", "b", "0")
	os.MkdirAll(filepath.Join(dir, ".git", "rebase-merge"), 0o755)
	u.trove(dir, "hooks", "run", "post-merge", "0")
	if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
		t.Fatal("hook work ran on a file checkout or during a rebase")
	}
	os.RemoveAll(filepath.Join(dir, ".git", "rebase-merge"))
	u.trove(dir, "hooks", "run", "post-merge", "0")
	if _, err := os.Stat(filepath.Join(dir, "data", "ds", "a.txt")); err != nil {
		t.Fatal("post-merge did not check out")
	}
}
