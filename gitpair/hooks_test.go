package gitpair

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func actions(chs []HookChange) string {
	var s []string
	for _, c := range chs {
		a := c.Hook + ":" + c.Action
		if c.Chained != "" {
			a += "+chain"
		}
		s = append(s, a)
	}
	return strings.Join(s, " ")
}

// fakeTrove puts a "trove" on PATH that appends its arguments and standard
// input to log, and returns the PATH value.
func fakeTrove(t *testing.T, log string) string {
	bin := t.TempDir()
	script := "#!/bin/sh\necho \"trove $*\" >> " + shellQuote(log) + "\ncat >> " + shellQuote(log) + "\n"
	if err := os.WriteFile(filepath.Join(bin, "trove"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin + string(os.PathListSeparator) + os.Getenv("PATH")
}

func TestInstallHooksChainsAndRestores(t *testing.T) {
	g := newGitTest(t)
	dir := t.TempDir()
	g.run(dir, "init", "-q")
	gg, err := FindGit(dir)
	if err != nil {
		t.Fatal(err)
	}
	hooks := filepath.Join(gg.CommonDir, "hooks")
	os.MkdirAll(hooks, 0o755)
	log := filepath.Join(t.TempDir(), "log")
	// Someone's pre-push hook, which reads its input too.
	theirs := "#!/bin/sh\necho \"theirs $*\" >> " + shellQuote(log) + "\ncat >> " + shellQuote(log) + "\n"
	os.WriteFile(filepath.Join(hooks, "pre-push"), []byte(theirs), 0o755)
	// And a post-rewrite hook, whose input (the commits rewritten) it
	// must get too.
	theirsRewrite := "#!/bin/sh\necho \"theirs-rewrite $*\" >> " + shellQuote(log) + "\ncat >> " + shellQuote(log) + "\n"
	os.WriteFile(filepath.Join(hooks, "post-rewrite"), []byte(theirsRewrite), 0o755)

	o := HookOptions{ProjectRel: "sub dir", Getenv: g.getenv}
	chs, err := gg.InstallHooks(o)
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(chs); got != "pre-push:installed+chain post-checkout:installed post-merge:installed post-rewrite:installed+chain" {
		t.Fatalf("install: %s", got)
	}
	if b, _ := os.ReadFile(filepath.Join(hooks, "pre-push"+ChainSuffix)); string(b) != theirs {
		t.Fatal("their hook was not kept as pre-push.pre-trove")
	}
	// Installing again changes nothing.
	chs, err = gg.InstallHooks(o)
	if err != nil || actions(chs) != "pre-push:unchanged+chain post-checkout:unchanged post-merge:unchanged post-rewrite:unchanged+chain" {
		t.Fatalf("reinstall: %s, %v", actions(chs), err)
	}

	// The pre-push hook feeds the same input to their hook and to trove,
	// with Git's arguments, in the project folder.
	in := "refs/heads/main " + strings.Repeat("1", 40) + " refs/heads/main " + zero40 + "\n"
	cmd := exec.Command(filepath.Join(hooks, "pre-push"), "origin", "/srv/x.git")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(in)
	cmd.Env = append(g.env(), "PATH="+fakeTrove(t, log))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pre-push: %v\n%s", err, out)
	}
	want := "theirs origin /srv/x.git\n" + in + "trove -C sub dir hooks run pre-push origin /srv/x.git\n" + in
	if b, _ := os.ReadFile(log); string(b) != want {
		t.Fatalf("pre-push ran:\n%s\nwant:\n%s", b, want)
	}
	// Their failing hook stops the push before trove runs.
	os.WriteFile(filepath.Join(hooks, "pre-push"+ChainSuffix), []byte("#!/bin/sh\nexit 7\n"), 0o755)
	os.Remove(log)
	cmd = exec.Command(filepath.Join(hooks, "pre-push"), "origin", "x")
	cmd.Stdin = strings.NewReader(in)
	cmd.Env = append(g.env(), "PATH="+fakeTrove(t, log))
	if err := cmd.Run(); err == nil || cmd.ProcessState.ExitCode() != 7 {
		t.Fatalf("pre-push with a failing chained hook: %v", err)
	}
	if _, err := os.Stat(log); err == nil {
		t.Fatal("trove ran after the chained hook failed")
	}

	// A real checkout runs post-checkout through Git.
	os.Remove(log)
	g.run(dir, "commit", "-q", "--allow-empty", "-m", "one")
	cmd = exec.Command("git", "checkout", "-q", "-b", "other")
	cmd.Dir = dir
	cmd.Env = append(g.env(), "PATH="+fakeTrove(t, log))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git checkout: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(log); !strings.HasPrefix(string(b), "trove -C sub dir hooks run post-checkout ") || !strings.Contains(string(b), " 1\n") {
		t.Fatalf("post-checkout ran: %q", b)
	}

	// An amend runs post-rewrite: their hook gets Git's arguments and
	// input, then trove runs with the arguments.
	os.Remove(log)
	before := g.run(dir, "rev-parse", "HEAD")
	cmd = g.command(dir, "commit", "-q", "--amend", "--allow-empty", "-m", "one, amended")
	cmd.Env = append(cmd.Env, "PATH="+fakeTrove(t, log))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git commit --amend: %v\n%s", err, out)
	}
	want = "theirs-rewrite amend\n" + before + " " + g.run(dir, "rev-parse", "HEAD") + "\n" + "trove -C sub dir hooks run post-rewrite amend\n"
	if b, _ := os.ReadFile(log); string(b) != want {
		t.Fatalf("post-rewrite ran:\n%s\nwant:\n%s", b, want)
	}

	os.WriteFile(filepath.Join(hooks, "pre-push"+ChainSuffix), []byte(theirs), 0o755)
	chs, err = gg.UninstallHooks(o)
	if err != nil || actions(chs) != "pre-push:removed+chain post-checkout:removed post-merge:removed post-rewrite:removed+chain" {
		t.Fatalf("uninstall: %s, %v", actions(chs), err)
	}
	if b, _ := os.ReadFile(filepath.Join(hooks, "pre-push")); string(b) != theirs {
		t.Fatal("uninstall did not restore their hook")
	}
	if b, _ := os.ReadFile(filepath.Join(hooks, "post-rewrite")); string(b) != theirsRewrite {
		t.Fatal("uninstall did not restore their post-rewrite hook")
	}
	for _, n := range []string{"post-checkout", "post-merge", "pre-push" + ChainSuffix, "post-rewrite" + ChainSuffix} {
		if _, err := os.Stat(filepath.Join(hooks, n)); err == nil {
			t.Fatalf("%s left behind", n)
		}
	}
	// Uninstall leaves hooks that are not trove's alone.
	chs, err = gg.UninstallHooks(o)
	if err != nil || actions(chs) != "pre-push:not trove's post-checkout:absent post-merge:absent post-rewrite:not trove's" {
		t.Fatalf("second uninstall: %s, %v", actions(chs), err)
	}
}

func TestInstallHooksConflict(t *testing.T) {
	g := newGitTest(t)
	dir := t.TempDir()
	g.run(dir, "init", "-q")
	gg, _ := FindGit(dir)
	hooks := filepath.Join(gg.CommonDir, "hooks")
	os.MkdirAll(hooks, 0o755)
	os.WriteFile(filepath.Join(hooks, "post-merge"), []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(filepath.Join(hooks, "post-merge"+ChainSuffix), []byte("#!/bin/sh\n"), 0o755)
	if _, err := gg.InstallHooks(HookOptions{Getenv: g.getenv}); !errors.Is(err, ErrHookConflict) {
		t.Fatalf("install over a foreign hook and a chained one: %v", err)
	}
	for _, n := range []string{"pre-push", "post-checkout"} {
		if _, err := os.Stat(filepath.Join(hooks, n)); err == nil {
			t.Fatalf("a failed install wrote %s", n)
		}
	}
}

func TestHooksPath(t *testing.T) {
	g := newGitTest(t)
	dir := t.TempDir()
	g.run(dir, "init", "-q")
	gg, _ := FindGit(dir)
	for _, tc := range []struct{ global, local, want string }{
		{"", "", filepath.Join(gg.CommonDir, "hooks")},
		{"", ".githooks", filepath.Join(gg.WorkTree, ".githooks")},
		{"~/hooks", "", filepath.Join(g.home, "hooks")},
		{"/srv/hooks", ".githooks", filepath.Join(gg.WorkTree, ".githooks")},
	} {
		os.Remove(filepath.Join(g.home, ".gitconfig"))
		exec.Command("git", "-C", dir, "config", "--unset-all", "core.hooksPath").Run()
		if tc.global != "" {
			g.run(dir, "config", "--global", "core.hooksPath", tc.global)
		}
		if tc.local != "" {
			g.run(dir, "config", "core.hooksPath", tc.local)
		}
		got, err := gg.HooksDir(g.getenv)
		if err != nil || got != tc.want {
			t.Errorf("global %q local %q: HooksDir = %s, %v; want %s", tc.global, tc.local, got, err, tc.want)
		}
	}
	// Installing honours it, and Git runs the hook from there.
	g.run(dir, "config", "core.hooksPath", ".githooks")
	if _, err := gg.InstallHooks(HookOptions{Getenv: g.getenv}); err != nil {
		t.Fatal(err)
	}
	for _, n := range HookNames() {
		if _, err := os.Stat(filepath.Join(dir, ".githooks", n)); err != nil {
			t.Fatalf("%s not installed under core.hooksPath", n)
		}
	}
	if _, err := os.Stat(filepath.Join(gg.CommonDir, "hooks", "post-merge")); err == nil {
		t.Fatal("hook installed in .git/hooks despite core.hooksPath")
	}
}
