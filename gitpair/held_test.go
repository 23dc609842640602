package gitpair

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPinsHoldsBranchTips: Pins holds the work tree's trove.lock (not
// committed yet) and trove.lock at the tip of every local and
// remote-tracking branch, each distinct pin once with every place that
// has it; tags and commits below the tips do not count.
func TestPinsHoldsBranchTips(t *testing.T) {
	g := newGitTest(t)
	origin := t.TempDir()
	g.run(origin, "init", "-q", "--bare")
	dir := t.TempDir()
	g.run(dir, "clone", "-q", origin, ".")
	proj := filepath.Join(dir, "proj") // the project is a sub-folder

	a, b, c, d := testPin("data/a", "a", 0, "latest"), testPin("data/b", "b", 0, "latest"), testPin("data/c", "c", 0, "latest"), testPin("data/d", "d", 0, "latest")
	e, old := testPin("data/e", "e", 0, "latest"), testPin("data/old", "o", 0, "latest")
	g.commitLock(dir, "proj", "history only", old)
	g.commitLock(dir, "proj", "main pins a", a)
	g.run(dir, "push", "-q", "origin", "main")

	// old: a branch that pins b instead.
	g.run(dir, "checkout", "-q", "-b", "old")
	g.commitLock(dir, "proj", "old pins b", b)
	// same: another commit with main's very lock (one blob, read once).
	g.run(dir, "checkout", "-q", "-b", "same", "main")
	os.WriteFile(filepath.Join(dir, "code.py"), []byte("x"), 0o644)
	g.run(dir, "add", "code.py")
	g.run(dir, "commit", "-q", "-m", "code")
	// nolock: a tip without trove.lock.
	g.run(dir, "checkout", "-q", "-b", "nolock", "main")
	g.run(dir, "rm", "-q", "proj/"+LockName)
	g.run(dir, "commit", "-q", "-m", "no lock")
	// feature: only on the remote (its local branch deleted).
	g.run(dir, "checkout", "-q", "-b", "feature", "main")
	g.commitLock(dir, "proj", "feature pins c", c)
	g.run(dir, "push", "-q", "origin", "feature")
	// A tag is not a branch.
	g.commitLock(dir, "proj", "tagged pins e", e)
	g.run(dir, "tag", "v1")
	g.run(dir, "checkout", "-q", "main")
	g.run(dir, "branch", "-q", "-D", "feature")
	// The work tree's lock, not committed: a and d.
	l := &Lock{}
	l.Set(a)
	l.Set(d)
	if err := WriteLock(proj, l); err != nil {
		t.Fatal(err)
	}

	pins, err := Pins(t.Context(), proj)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]HeldPin{}
	for _, p := range pins {
		got[p.Path] = p
	}
	for _, tc := range []struct {
		pin   Pin
		in    string // HeldPin.In, joined; "" for not held
		label string
	}{
		{a, "work tree,main,same,origin/main", "data/a"},
		{b, "old", "data/b (on old)"},
		{c, "origin/feature", "data/c (on origin/feature)"},
		{d, "work tree", "data/d"},
		{e, "", ""},   // tagged, on no branch
		{old, "", ""}, // below main's tip
	} {
		h, ok := got[tc.pin.Path]
		if tc.in == "" {
			if ok {
				t.Errorf("%s is held (%v), want not", tc.pin.Path, h.In)
			}
			continue
		}
		if !ok || h.Pin != tc.pin || strings.Join(h.In, ",") != tc.in || h.Label() != tc.label {
			t.Errorf("%s: held %v in %q, label %q; want in %q, label %q", tc.pin.Path, ok, h.In, h.Label(), tc.in, tc.label)
		}
	}
	if len(pins) != 4 {
		t.Fatalf("Pins = %+v, want 4", pins)
	}
	for i := 1; i < len(pins); i++ {
		if pins[i-1].Path >= pins[i].Path {
			t.Fatalf("not sorted: %s before %s", pins[i-1].Path, pins[i].Path)
		}
	}

	// Two pins of one path with different versions are both held.
	g.run(dir, "checkout", "-q", "-b", "moved", "main")
	a1 := testPin("data/a", "a", 1, "latest")
	a1.Record, a1.Digest = a.Digest, a.Record
	g.commitLock(dir, "proj", "moved pins a v1", a1)
	g.run(dir, "checkout", "-q", "main")
	WriteLock(proj, l) // the checkout restored main's lock
	pins, err = Pins(t.Context(), proj)
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, p := range pins {
		if p.Path == "data/a" {
			versions = append(versions, p.Name()+"@"+p.Label())
		}
	}
	if strings.Join(versions, " ") != "a:v0@data/a a:v1@data/a (on moved)" && strings.Join(versions, " ") != "a:v1@data/a (on moved) a:v0@data/a" {
		t.Fatalf("data/a held as %v", versions)
	}

	// A tip whose lock does not parse stops Pins, naming the branch.
	g.run(dir, "checkout", "-q", "-b", "broken", "main")
	os.WriteFile(filepath.Join(proj, LockName), []byte("trove.lock 1\n<<<<<<< HEAD\n"), 0o644)
	g.run(dir, "commit", "-q", "-am", "half-merged lock")
	g.run(dir, "checkout", "-q", "main")
	WriteLock(proj, l)
	_, err = Pins(t.Context(), proj)
	if !errors.Is(err, ErrLockConflict) || !strings.Contains(err.Error(), "branch broken (commit ") || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("Pins with a broken lock on a branch: %v", err)
	}
	g.run(dir, "branch", "-q", "-D", "broken")
	if _, err := Pins(t.Context(), proj); err != nil {
		t.Fatalf("Pins once the broken branch is gone: %v", err)
	}
}

// BenchmarkPins measures Pins in a repository with many branches that
// share a few locks: the cost is one tree lookup per distinct tip and
// one parse per distinct lock.
func BenchmarkPins(b *testing.B) {
	g := newGitTest(b)
	dir := b.TempDir()
	run := func(args ...string) string { return g.run(dir, args...) }
	run("init", "-q")
	var tips []string
	for i := range 4 {
		l := &Lock{}
		for j := range 50 {
			l.Set(testPin(fmt.Sprintf("data/%d-%d", i, j), "a", j, "latest"))
		}
		WriteLock(dir, l)
		run("add", "-A")
		run("commit", "-q", "-m", "lock")
		tips = append(tips, run("rev-parse", "HEAD"))
	}
	var refs strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&refs, "create refs/heads/b%d %s\n", i, tips[i%len(tips)])
	}
	cmd := g.command(dir, "update-ref", "--stdin")
	cmd.Stdin = strings.NewReader(refs.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("update-ref: %v\n%s", err, out)
	}
	b.ResetTimer()
	for range b.N {
		pins, err := Pins(b.Context(), dir)
		if err != nil || len(pins) != 200 {
			b.Fatalf("Pins: %d, %v", len(pins), err)
		}
	}
}
