package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
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

// TestTTLSetSaysAPinHolds: ttl set on a pinned version says that GC keeps
// it, not that the next GC deletes it.
func TestTTLSetSaysAPinHolds(t *testing.T) {
	u := newPairUser(t)
	dir := t.TempDir()
	u.git(dir, "init", "-q")
	u.trove(dir, "init")
	writeFiles(t, dir, map[string]string{"src/a": "a"})
	u.trove(dir, "commit", "ds", "--type", "dataset", filepath.Join(dir, "src"))
	u.trove(dir, "pin", "ds:v0", "data/ds")
	u.trove(dir, "ttl", "set", "ds:v0", "1s")
	time.Sleep(1100 * time.Millisecond)
	out := u.trove(dir, "ttl", "set", "ds:v0", "1s")
	if !strings.Contains(out, "held by pin data/ds, so GC keeps it") || strings.Contains(out, "next trove gc deletes it") {
		t.Errorf("ttl set on a pinned, expired version:\n%s", out)
	}
}
