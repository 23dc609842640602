package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestPinAndCheckoutReferences: a version that holds references pins and
// checks out like any other (it used to fail: "no reference fetcher was
// given"), and status sees the pinned folder as it is.
func TestPinAndCheckoutReferences(t *testing.T) {
	u := newPairUser(t)
	dir := t.TempDir()
	u.git(dir, "init", "-q")
	u.trove(dir, "init")
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a.txt": "alpha", "sub/b.txt": "bravo"})
	u.trove(dir, "commit", "raw", "--type", "dataset", "--ref", "file://"+src)
	u.trove(dir, "pin", "raw:v0", "data/raw")
	if got := contents(t, filepath.Join(dir, "data", "raw")); got != "alpha,bravo" {
		t.Fatalf("pinned folder holds %s, want the two referenced files", got)
	}
	if out := u.trove(dir, "status"); !strings.Contains(out, "data/raw") || strings.Contains(out, "modified") || strings.Contains(out, "missing") {
		t.Fatalf("status of the pinned references:\n%s", out)
	}
	// Checkout after the folder went: the references are fetched again.
	if err := os.RemoveAll(filepath.Join(dir, "data")); err != nil {
		t.Fatal(err)
	}
	u.trove(dir, "checkout")
	if got := contents(t, filepath.Join(dir, "data", "raw")); got != "alpha,bravo" {
		t.Fatalf("checked out: %s", got)
	}
}

// contents lists the contents of the files under dir, sorted.
func contents(t *testing.T, dir string) string {
	var vs []string
	for _, v := range tree(t, dir) {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	return strings.Join(vs, ",")
}
