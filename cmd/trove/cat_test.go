package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCat: cat writes one file of a version, stored or referenced, and
// refuses what is not a file by name with exit 2 and nothing on stdout.
func TestCat(t *testing.T) {
	dir := newProject(t)
	src, ext := t.TempDir(), t.TempDir()
	big := string(randomBytes(3, 5<<20)) // several chunks, read in parallel elsewhere
	writeFiles(t, src, map[string]string{"sub/h.txt": "hello\n", "big.bin": big})
	if err := os.Symlink("sub/h.txt", filepath.Join(src, "link")); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, ext, map[string]string{"a.txt": "outside\n"})
	mustTrove(t, dir, "commit", "ds", "--type", "dataset", src, "--ref", "ext=file://"+ext)

	for path, want := range map[string]string{"sub/h.txt": "hello\n", "/sub/h.txt": "hello\n", "big.bin": big, "ext/a.txt": "outside\n"} {
		if got := mustTrove(t, dir, "cat", "ds", path); got != want {
			t.Errorf("cat ds %s: %d bytes, want %d", path, len(got), len(want))
		}
	}
	for _, c := range []struct{ path, says string }{
		{"nope", `has no file "nope"`},
		{"sub/h.txt/x", `has no file "sub/h.txt/x"`},
		{"sub", "is a folder"},
		{"link", `symbolic link to "sub/h.txt"`},
	} {
		r := trove(t, dir, "cat", "ds", c.path)
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, c.says) {
			t.Errorf("cat ds %s: exit %d, stdout %q, stderr %q; want exit 2 saying %q", c.path, r.code, r.stdout, r.stderr, c.says)
		}
	}

	// A referenced object changed at its source: nothing of it is
	// written, and the exit status says the bytes differ.
	writeFiles(t, ext, map[string]string{"a.txt": "changed since\n"})
	if r := trove(t, dir, "cat", "ds", "ext/a.txt"); r.code != 3 || r.stdout != "" || !strings.Contains(r.stderr, "changed at its source") {
		t.Fatalf("cat of a changed reference: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, ".trove", "tmp")); len(left) != 0 {
		t.Fatalf("cat left %d files in .trove/tmp", len(left))
	}
}

// TestCatRemoteAndRun: cat reads a version that is on the remote only,
// and inside a run records the version as an input, as pull does.
func TestCatRemoteAndRun(t *testing.T) {
	_, a, b := sharingRemote(t)
	writeFiles(t, a, map[string]string{"data/x.csv": "1,2\n"})
	mustTrove(t, a, "commit", "ds", "--type", "dataset", "data")
	mustTrove(t, a, "push")

	id := startRun(t, b)
	t.Setenv(runIDEnv, id)
	if got := mustTrove(t, b, "cat", "ds:latest", "x.csv"); got != "1,2\n" {
		t.Fatalf("cat of a version on the remote only: %q", got)
	}
	t.Setenv(runIDEnv, "")
	var show struct{ UsedBy []struct{ ID string } }
	troveJSON(t, b, &show, "show", "ds:v0")
	if len(show.UsedBy) != 1 || show.UsedBy[0].ID != id {
		t.Fatalf("cat inside run %s: the version is used by %+v", id, show.UsedBy)
	}
}
