package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAliasLsAfterExpiry: alias ls agrees with resolution once versions
// expire: latest names the newest version that resolves, and an alias on
// an expired version is listed released, never as a version.
func TestAliasLsAfterExpiry(t *testing.T) {
	dir := newProject(t)
	src := t.TempDir()
	for i := range 6 {
		writeFiles(t, src, map[string]string{"f": strings.Repeat("x", i+1)})
		mustTrove(t, dir, "commit", "cc", "--type", "dataset", src)
	}
	mustTrove(t, dir, "alias", "set", "cc:v2", "keep")
	mustTrove(t, dir, "ttl", "set", "cc:v2", "1s")
	mustTrove(t, dir, "ttl", "set", "cc:v5", "1s")
	time.Sleep(1100 * time.Millisecond)

	if out := mustTrove(t, dir, "show", "cc"); !strings.Contains(out, "cc:v4") {
		t.Fatalf("show cc:\n%s", out)
	}
	out := mustTrove(t, dir, "alias", "ls", "cc")
	lines := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		lines[f[0]] = strings.Join(f[1:], " ")
	}
	for alias, want := range map[string]string{"latest": "v4", "keep": "released: v2 expired on "} {
		if !strings.HasPrefix(lines[alias], want) {
			t.Errorf("alias ls: %s is %q, want %q…\n%s", alias, lines[alias], want, out)
		}
	}

	var j aliasesJSON
	troveJSON(t, dir, &j, "alias", "ls", "cc")
	got := map[string]aliasJSON{}
	for _, a := range j.Aliases {
		got[a.Alias] = a
	}
	if j.Artifact != "cc" || len(j.Aliases) != 2 || got["latest"].Version != "v4" ||
		got["keep"].Version != "" || !strings.HasPrefix(got["keep"].Released, "v2 expired on") || got["keep"].Expired == nil {
		t.Fatalf("alias ls --json = %+v", j)
	}
	// What the list says resolves, resolves; what it says released does not.
	for _, a := range j.Aliases {
		r := trove(t, dir, "show", "cc:"+a.Alias)
		if (r.code == 0) != (a.Version != "") {
			t.Errorf("show cc:%s: exit %d, but alias ls says %+v\n%s", a.Alias, r.code, a, r.stderr)
		}
	}
}

// TestPinHoldsThroughTTL: a pinned version whose TTL runs out is not
// recorded deleted by GC (as trove delete refuses it), its content stays,
// and checkout materialises it with a warning saying how to extend it.
func TestPinHoldsThroughTTL(t *testing.T) {
	dir := newProject(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a.txt": "zero\n"})
	mustTrove(t, dir, "commit", "ds", "--type", "dataset", src)
	writeFiles(t, src, map[string]string{"a.txt": "one\n"})
	mustTrove(t, dir, "commit", "ds", src)
	mustTrove(t, dir, "pin", "ds:v0", "data/ds")
	mustTrove(t, dir, "ttl", "set", "ds:v0", "1s")
	time.Sleep(1100 * time.Millisecond)

	var plan gcJSON
	troveJSON(t, dir, &plan, "gc", "--dry-run")
	if len(plan.Expired) != 0 || len(plan.Held) != 1 || !strings.Contains(plan.Held[0], "ds:v0 expired on") || !strings.Contains(plan.Held[0], "pin data/ds") {
		t.Fatalf("gc --dry-run: expired %q, held %q", plan.Expired, plan.Held)
	}
	out := mustTrove(t, dir, "gc")
	if strings.Contains(out, "expired ds:v0") || !strings.Contains(out, "kept ds:v0") || !strings.Contains(out, "trove ttl set ds:v0") {
		t.Fatalf("gc:\n%s", out)
	}
	mustTrove(t, dir, "fsck")

	// Resolution by name still refuses it: it expired.
	if r := trove(t, dir, "show", "ds:v0"); r.code == 0 || !strings.Contains(r.stderr, "expired on") {
		t.Fatalf("show ds:v0: exit %d %s", r.code, r.stderr)
	}
	// The pin checks it out, with a warning.
	if err := os.RemoveAll(filepath.Join(dir, "data")); err != nil {
		t.Fatal(err)
	}
	r := trove(t, dir, "checkout")
	if r.code != 0 || !strings.Contains(r.stderr, "warning: data/ds: ds:v0 expired on") || !strings.Contains(r.stderr, "trove ttl set ds:v0") {
		t.Fatalf("checkout: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "data/ds/a.txt")); err != nil || string(b) != "zero\n" {
		t.Fatalf("data/ds/a.txt = %q, %v", b, err)
	}
	r = trove(t, dir, "status")
	if r.code != exitMismatch || !strings.Contains(r.stdout, "expired (kept by the pin)") {
		t.Fatalf("status: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if out := mustTrove(t, dir, "ttl", "show", "ds"); !strings.Contains(out, "expired (kept by pin data/ds)") {
		t.Fatalf("ttl show:\n%s", out)
	}
	// The post-checkout hook is quiet about pins it leaves as they are,
	// but not about this one.
	if out, err := exec.Command("git", "init", "-q", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	r = trove(t, dir, "hooks", "run", "post-checkout", "x", "y", "1")
	if r.code != 0 || !strings.Contains(r.stderr, "warning: data/ds: ds:v0 expired on") {
		t.Fatalf("post-checkout hook: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Extended, it resolves again and nothing needs attention.
	mustTrove(t, dir, "ttl", "set", "ds:v0", "never")
	mustTrove(t, dir, "show", "ds:v0")
	mustTrove(t, dir, "status")
	if r := trove(t, dir, "checkout"); r.code != 0 || r.stderr != "" {
		t.Fatalf("checkout after ttl set: exit %d %s", r.code, r.stderr)
	}
}

// TestPinGoneHint: when a pinned version is gone, checkout suggests
// 'trove pin --update' only if the alias the pin follows names a version
// that resolves; a pin following "v0" is pointed at the latest instead.
func TestPinGoneHint(t *testing.T) {
	for _, c := range []struct {
		pin       string // what was pinned
		want, not string // in checkout's error
	}{
		{pin: "ds:v0", want: "'trove pin ds:latest data/ds' pins ds:v1", not: "--update"},
		{pin: "ds:best", want: "pin ds:v1 ('trove pin --update data/ds' follows \"best\" there)"},
	} {
		t.Run(c.pin, func(t *testing.T) {
			dir := newProject(t)
			src := t.TempDir()
			writeFiles(t, src, map[string]string{"a.txt": "zero\n"})
			mustTrove(t, dir, "commit", "ds", "--type", "dataset", src, "--alias", "best")
			writeFiles(t, src, map[string]string{"a.txt": "one\n"})
			mustTrove(t, dir, "commit", "ds", src)
			mustTrove(t, dir, "pin", c.pin, "data/ds")
			// The lock of an older Git commit, whose version was deleted since.
			lock, err := os.ReadFile(filepath.Join(dir, "trove.lock"))
			if err != nil {
				t.Fatal(err)
			}
			mustTrove(t, dir, "unpin", "data/ds")
			mustTrove(t, dir, "alias", "set", "ds:v1", "best")
			mustTrove(t, dir, "delete", "ds:v0")
			if err := os.WriteFile(filepath.Join(dir, "trove.lock"), lock, 0o644); err != nil {
				t.Fatal(err)
			}
			r := trove(t, dir, "checkout")
			if r.code == 0 || !strings.Contains(r.stderr, "pinned version is gone") || !strings.Contains(r.stderr, c.want) ||
				c.not != "" && strings.Contains(r.stderr, c.not) {
				t.Fatalf("checkout: exit %d\n%s", r.code, r.stderr)
			}
		})
	}
}

// TestUnchangedCommitWarns: a commit whose content equals latest applies
// --alias and --tag, and says on stderr (and in --json) which of -m,
// --meta, --meta-file and --ttl it did not apply, and how to.
func TestUnchangedCommitWarns(t *testing.T) {
	dir := newProject(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a.txt": "alpha\n"})
	meta := filepath.Join(t.TempDir(), "meta.json")
	if err := os.WriteFile(meta, []byte(`{"x": 2}`), 0o644); err != nil {
		t.Fatal(err)
	}
	mustTrove(t, dir, "commit", "mnist", "--type", "dataset", src, "-m", "old desc", "--meta", "x=0", "--ttl", "30d")
	for _, c := range []struct {
		args    []string
		applied []string // not applied, in --json
		stderr  []string
	}{
		{args: []string{"-m", "new desc"}, applied: []string{"-m"}, stderr: []string{"-m not applied", "description and metadata are fixed"}},
		{args: []string{"--meta", "x=1"}, applied: []string{"--meta"}, stderr: []string{"--meta not applied"}},
		{args: []string{"--meta-file", meta}, applied: []string{"--meta-file"}, stderr: []string{"--meta-file not applied"}},
		{args: []string{"--ttl", "5d"}, applied: []string{"--ttl"}, stderr: []string{"--ttl not applied", "trove ttl set mnist:v0 5d"}},
		{args: []string{"-m", "new desc", "--meta", "x=1", "--ttl", "5d"}, applied: []string{"-m", "--meta", "--ttl"},
			stderr: []string{"-m, --meta not applied", "trove ttl set mnist:v0 5d"}},
		// What the version already has is no loss: no warning.
		{args: []string{"-m", "old desc", "--meta", "x=0", "--ttl", "30d"}, applied: []string{}},
		{args: []string{"--alias", "best", "--tag", "t"}, applied: []string{}},
	} {
		args := append([]string{"commit", "mnist", src}, c.args...)
		r := trove(t, dir, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "no change; content equals mnist:v0") {
			t.Fatalf("%v: exit %d\n%s%s", c.args, r.code, r.stdout, r.stderr)
		}
		for _, s := range c.stderr {
			if !strings.Contains(r.stderr, s) {
				t.Errorf("%v: stderr lacks %q:\n%s", c.args, s, r.stderr)
			}
		}
		if len(c.stderr) == 0 && r.stderr != "" {
			t.Errorf("%v: stderr: %s", c.args, r.stderr)
		}
		r = trove(t, dir, append(args, "--json")...)
		var j commitJSON
		if err := json.Unmarshal([]byte(r.stdout), &j); err != nil || !j.Unchanged || !slices.Equal(j.NotApplied, c.applied) {
			t.Errorf("%v --json: notApplied %q, want %q (%v)\n%s", c.args, j.NotApplied, c.applied, err, r.stdout)
		}
	}
	if out := mustTrove(t, dir, "alias", "ls", "mnist"); !strings.Contains(out, "best") {
		t.Errorf("--alias not applied:\n%s", out)
	}
}
