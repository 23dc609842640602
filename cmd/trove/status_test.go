package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStatusAdvisesCheckoutAfterMerge: after a Git merge that changed
// trove.lock with no hook to check it out, the pinned folder still holds
// the previous version, as trove placed it; status says so and advises a
// plain 'trove checkout', which then works. Files the user changed still
// call for --force, and where trove does not know what it placed, status
// names plain checkout first.
func TestStatusAdvisesCheckoutAfterMerge(t *testing.T) {
	u := newPairUser(t)
	dir := t.TempDir()
	u.git(dir, "init", "-q")
	u.trove(dir, "init") // no hooks: nothing checks out after Git
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a.txt": "alpha\n", "same.txt": "in both\n", "only0.txt": "zero\n"})
	u.trove(dir, "commit", "ds", "--type", "dataset", src)
	u.trove(dir, "pin", "ds", "data/ds")
	u.git(dir, "add", "-A")
	u.git(dir, "commit", "-q", "-m", "ds v0")
	u.git(dir, "checkout", "-q", "-b", "feature")
	os.Remove(filepath.Join(src, "only0.txt"))
	writeFiles(t, src, map[string]string{"a.txt": "ALPHA\n", "b.txt": "beta\n"})
	u.trove(dir, "commit", "ds", src)
	u.trove(dir, "pin", "--update", "data/ds")
	u.git(dir, "commit", "-q", "-am", "ds v1")
	u.git(dir, "checkout", "-q", "main")
	u.trove(dir, "checkout") // v0 back in place
	u.git(dir, "merge", "-q", "feature")

	type pinState struct {
		Name     string
		Modified bool
		Placed   string
		Stale    bool
	}
	status := func() (string, pinState) {
		t.Helper()
		r := trove(t, dir, "status")
		if r.code == 0 {
			return r.stdout, pinState{}
		}
		text := r.stdout
		r = trove(t, dir, "status", "--json")
		var st struct{ Pins []pinState }
		if r.code != exitMismatch || json.Unmarshal([]byte(r.stdout), &st) != nil || len(st.Pins) != 1 {
			t.Fatalf("status --json: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		return text, st.Pins[0]
	}
	for _, tc := range []struct {
		name  string
		setup func()
		want  string // in status's text; "" for a clean status
		pin   pinState
	}{
		{"after the merge", func() {},
			"data/ds: 1 file changed: the folder holds ds:v0's files, as trove placed them, and trove.lock pins ds:v1 now; 'trove checkout' puts ds:v1's in place",
			pinState{"ds:v1", true, "ds:v0", true}},
		{"a file the versions share, edited", func() { writeFiles(t, dir, map[string]string{"data/ds/same.txt": "mine\n"}) },
			"data/ds: 2 files changed; 'trove checkout --force' puts the version's back (your changes are lost)",
			pinState{"ds:v1", true, "ds:v0", false}},
		{"checked out", func() {
			writeFiles(t, dir, map[string]string{"data/ds/same.txt": "in both\n"})
			u.trove(dir, "checkout") // plain: trove placed what it replaces
		}, "", pinState{}},
		{"edited after the checkout", func() { writeFiles(t, dir, map[string]string{"data/ds/a.txt": "mine\n"}) },
			"data/ds: 1 file changed; 'trove checkout --force' puts the version's back (your changes are lost)",
			pinState{"ds:v1", true, "ds:v1", false}},
		{"not known what trove placed", func() { os.Remove(filepath.Join(dir, ".trove", "checkout")) },
			"data/ds: 1 file changed; 'trove checkout' replaces those trove placed and names any you changed, which 'trove checkout --force' replaces",
			pinState{"ds:v1", true, "", false}},
	} {
		tc.setup()
		text, pin := status()
		if tc.want == "" && pin != (pinState{}) || tc.want != "" && !strings.Contains(text, tc.want) || pin != tc.pin {
			t.Fatalf("%s: status %+v, want %+v; said:\n%s\nwant %q", tc.name, pin, tc.pin, text, tc.want)
		}
	}
	sameTree(t, "after the plain checkout", tree(t, filepath.Join(dir, "data", "ds")),
		map[string]string{"a.txt": "mine\n", "b.txt": "beta\n", "same.txt": "in both\n"})
}
