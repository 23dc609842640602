package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiffMarks: each kind of change has its mark; a path that changed
// kind is T, not M, and its JSON names the folder's kind.
func TestDiffMarks(t *testing.T) {
	dir := newProject(t)
	src := filepath.Join(dir, "d")
	writeFiles(t, src, map[string]string{"keep": "k", "edit": "1", "gone": "g", "swap": "file"})
	mustTrove(t, dir, "commit", "m", "--type", "dataset", src)
	if err := os.Remove(filepath.Join(src, "gone")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(src, "swap")); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, src, map[string]string{"edit": "2", "new": "n", "swap/inner": "now a folder"})
	mustTrove(t, dir, "commit", "m", src)
	out := mustTrove(t, dir, "diff", "m:v0", "m:v1")
	for _, want := range []string{"M edit\n", "- gone\n", "+ new\n", "T swap\n", "+ swap/inner\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("diff lacks %q:\n%s", want, out)
		}
	}
	var changes []changeJSON
	troveJSON(t, dir, &changes, "diff", "m:v0", "m:v1")
	for _, c := range changes {
		if c.Path == "swap" && (c.Op != "type-changed" || c.New == nil || c.New.Kind != "dir") {
			t.Errorf("swap: %+v, want type-changed to a dir", c)
		}
	}
}
