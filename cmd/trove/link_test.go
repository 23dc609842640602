//go:build !windows

// These tests compare inodes, link counts and ctimes, which Windows's
// os.Stat does not report.

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trove-ml/trove/checkout"
	"github.com/trove-ml/trove/internal/fileinfo"
)

type linkPullJSON struct {
	Written, Skipped, BytesWritten, BytesDownloaded int64
	Reflinked, Hardlinked                           int64
}

// inode returns the inode, link count, mode and ctime of path.
func inode(t *testing.T, path string) (ino, nlink uint64, mode os.FileMode, ctime int64) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := fileinfo.SysOf(fi)
	if !ok {
		t.Skip("this system's stat reports no inodes")
	}
	return st.Ino, st.Nlink, fi.Mode().Perm(), st.Ctime
}

// TestPullHardlink: --link hardlink places read-only files that share the
// file cache's inodes; a second pull elsewhere writes no bytes; re-pulls
// leave linked files alone (never chmodding the cache through them);
// --link copy replaces them with files of their own; committing a
// hardlinked folder changes nothing; cache prune evicts the file cache
// without touching the outputs.
func TestPullHardlink(t *testing.T) {
	a := newProject(t)
	writeFiles(t, a, map[string]string{"data/x.bin": string(randomBytes(1, 300<<10)), "data/sub/y.txt": "y", "data/z": "y"})
	mustTrove(t, a, "commit", "ds", "--type", "dataset", "data")
	out1, out2 := filepath.Join(a, "out1"), filepath.Join(a, "out2")

	var res linkPullJSON
	troveJSON(t, a, &res, "pull", "ds", "-o", out1, "--link", "hardlink")
	if res.Written != 3 || res.Hardlinked != 3 || res.BytesWritten != 300<<10+1 {
		t.Fatalf("hardlink pull: %+v (y and z share one cache file)", res)
	}
	mustTrove(t, a, "verify", "ds", out1)
	ino, nlink, mode, _ := inode(t, filepath.Join(out1, "x.bin"))
	if nlink != 2 || mode != 0o444 {
		t.Fatalf("x.bin: %d links, mode %v; want 2 links (output + cache), 0444", nlink, mode)
	}
	troveJSON(t, a, &res, "pull", "ds", "-o", out2, "--link", "hardlink")
	if res.Hardlinked != 3 || res.BytesWritten != 0 {
		t.Fatalf("second hardlink pull wrote bytes: %+v", res)
	}
	if ino2, _, _, _ := inode(t, filepath.Join(out2, "x.bin")); ino2 != ino {
		t.Fatal("the second output does not share the cache's inode")
	}

	// Re-pulling changes nothing, not even the ctime (a chmod would).
	_, _, _, ctime := inode(t, filepath.Join(out1, "x.bin"))
	troveJSON(t, a, &res, "pull", "ds", "-o", out1, "--link", "hardlink")
	if res.Written != 0 || res.Skipped != 3 {
		t.Fatalf("re-pull: %+v", res)
	}
	if _, _, mode, c := inode(t, filepath.Join(out1, "x.bin")); mode != 0o444 || c != ctime {
		t.Fatalf("re-pull touched x.bin: mode %v, ctime changed %v", mode, c != ctime)
	}

	// The project default applies when --link is not given.
	if got := mustTrove(t, a, "config", "get", "pull.link"); got != "auto\n" {
		t.Fatalf("pull.link before it is set: %q, want auto", got)
	}
	mustTrove(t, a, "config", "set", "pull.link", "hardlink")
	troveJSON(t, a, &res, "pull", "ds", "-o", filepath.Join(a, "out3"))
	if res.Hardlinked != 3 {
		t.Fatalf("pull with pull.link=hardlink: %+v", res)
	}

	// --link copy gives the folder files of its own, writable, and leaves
	// the cache read-only.
	troveJSON(t, a, &res, "pull", "ds", "-o", out2, "--link", "copy")
	if res.Written != 3 || res.Hardlinked != 0 {
		t.Fatalf("copy over hardlinks: %+v", res)
	}
	ino3, nlink, mode, _ := inode(t, filepath.Join(out2, "x.bin"))
	if ino3 == ino || nlink != 1 || mode != 0o644 {
		t.Fatalf("copied x.bin: shares the inode %v, %d links, mode %v", ino3 == ino, nlink, mode)
	}
	if _, _, mode, _ := inode(t, filepath.Join(out1, "x.bin")); mode != 0o444 {
		t.Fatalf("the cache file became %v", mode)
	}

	// A hardlinked folder commits as the same content.
	if out := mustTrove(t, a, "commit", "ds", out1); !strings.Contains(out, "no change") {
		t.Fatalf("commit of the hardlinked folder made a version: %s", out)
	}

	// cache prune empties the file cache; the outputs keep their content.
	mustTrove(t, a, "remote", "add", "origin", fileRemote(t))
	mustTrove(t, a, "push")
	var pr struct{ Files int }
	troveJSON(t, a, &pr, "cache", "prune", "--to", "0")
	if pr.Files != 3-1 {
		t.Fatalf("cache prune evicted %d cached files, want 2", pr.Files)
	}
	if _, nlink, _, _ := inode(t, filepath.Join(out1, "x.bin")); nlink != 2 { // out1 and out3
		t.Fatalf("x.bin has %d links after prune, want 2 (the two outputs)", nlink)
	}
	mustTrove(t, a, "verify", "ds", out1)
}

// TestPullLinkBadInput: an unknown mode and a mode the filesystem cannot
// do are refused before anything is written.
func TestPullLinkBadInput(t *testing.T) {
	a := newProject(t)
	writeFiles(t, a, map[string]string{"data/x": "x"})
	mustTrove(t, a, "commit", "ds", "--type", "dataset", "data")
	r := trove(t, a, "pull", "ds", "-o", filepath.Join(a, "o1"), "--link", "symlink")
	if r.code != 2 || !strings.Contains(r.stderr, "hardlink") {
		t.Fatalf("--link symlink: exit %d, %s", r.code, r.stderr)
	}
	if r := trove(t, a, "config", "set", "pull.link", "sometimes"); r.code != 2 {
		t.Fatalf("config set pull.link sometimes: exit %d, %s", r.code, r.stderr)
	}
	if checkout.Probe(filepath.Join(a, ".trove"), a) {
		t.Skip("this filesystem reflinks: the refusal below cannot happen here")
	}
	out := filepath.Join(a, "o2")
	r = trove(t, a, "pull", "ds", "-o", out, "--link", "reflink")
	if r.code != 2 || !strings.Contains(r.stderr, "reflink") {
		t.Fatalf("--link reflink on a filesystem without reflinks: exit %d, %s", r.code, r.stderr)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Fatalf("refused pull wrote %d entries", len(ents))
	}
	// auto falls back to writing files in place.
	var res linkPullJSON
	troveJSON(t, a, &res, "pull", "ds", "-o", out)
	if res.Written != 1 || res.Reflinked != 0 || res.Hardlinked != 0 {
		t.Fatalf("auto pull: %+v", res)
	}
}

// TestPullHardlinkFromRemote: streamed files land in the file cache and
// are linked from there.
func TestPullHardlinkFromRemote(t *testing.T) {
	_, want, b := pushedStreamDataset(t)
	var res linkPullJSON
	out := filepath.Join(b, "out")
	troveJSON(t, b, &res, "pull", "ds", "-o", out, "--link", "hardlink")
	sameFiles(t, out, want)
	// The empty file and the two equal files share cache files.
	if res.Written != int64(len(want)) || res.Hardlinked != int64(len(want)) {
		t.Fatalf("hardlink pull from a remote: %+v", res)
	}
	if _, nlink, _, _ := inode(t, filepath.Join(out, "big.bin")); nlink != 2 {
		t.Fatalf("big.bin has %d links, want 2", nlink)
	}
}

// TestRePullTouchesNothing: a re-pull into an up-to-date folder does not
// even chmod its files (a chmod changes the ctime, which would make the
// next pull hash every file again).
func TestRePullTouchesNothing(t *testing.T) {
	a := newProject(t)
	writeFiles(t, a, map[string]string{"data/x": "x"})
	mustTrove(t, a, "commit", "ds", "--type", "dataset", "data")
	out := filepath.Join(a, "out")
	mustTrove(t, a, "pull", "ds", "-o", out)
	_, _, _, ctime := inode(t, filepath.Join(out, "x"))
	for range 2 {
		mustTrove(t, a, "pull", "ds", "-o", out)
		if _, _, _, c := inode(t, filepath.Join(out, "x")); c != ctime {
			t.Fatal("a re-pull changed x's ctime")
		}
	}
}

// TestPullReflink runs where the filesystem of the test's temp folder
// reflinks (btrfs, XFS): outputs are files of their own, writable, placed
// without writing their bytes a second time.
func TestPullReflink(t *testing.T) {
	a := newProject(t)
	if !checkout.Probe(filepath.Join(a, ".trove"), a) {
		t.Skip("the temp folder's filesystem does not reflink (ext4 here); run with TMPDIR on btrfs or XFS")
	}
	writeFiles(t, a, map[string]string{"data/x.bin": string(randomBytes(3, 1<<20))})
	mustTrove(t, a, "commit", "ds", "--type", "dataset", "data")
	var res linkPullJSON
	troveJSON(t, a, &res, "pull", "ds", "-o", filepath.Join(a, "o1"))
	if res.Reflinked != 1 {
		t.Fatalf("auto pull on a reflinking filesystem: %+v", res)
	}
	troveJSON(t, a, &res, "pull", "ds", "-o", filepath.Join(a, "o2"), "--link", "reflink")
	if res.Reflinked != 1 || res.BytesWritten != 0 {
		t.Fatalf("second reflink pull: %+v", res)
	}
	_, nlink, mode, _ := inode(t, filepath.Join(a, "o2", "x.bin"))
	if nlink != 1 || mode != 0o644 {
		t.Fatalf("reflinked x.bin: %d links, mode %v", nlink, mode)
	}
	mustTrove(t, a, "verify", "ds", filepath.Join(a, "o2"))
}

// TestPullReplacesFolderWithFile: a folder that an earlier pull placed,
// where the version has a file, is replaced by the file, whichever way
// files are placed. (A folder holding a file trove did not place is not:
// see TestPullCheckoutKeepUserData.)
func TestPullReplacesFolderWithFile(t *testing.T) {
	a := newProject(t)
	writeFiles(t, a, map[string]string{"old/x/inner/file": "in the way"})
	mustTrove(t, a, "commit", "old", "--type", "dataset", "old")
	writeFiles(t, a, map[string]string{"data/x": "x"})
	mustTrove(t, a, "commit", "ds", "--type", "dataset", "data")
	for _, mode := range []string{"copy", "hardlink"} {
		out := filepath.Join(a, "out-"+mode)
		mustTrove(t, a, "pull", "old", "-o", out, "--link", mode)
		mustTrove(t, a, "pull", "ds", "-o", out, "--link", mode)
		if got, err := os.ReadFile(filepath.Join(out, "x")); err != nil || string(got) != "x" {
			t.Fatalf("--link %s: x = %q, %v", mode, got, err)
		}
	}
}

// TestPullReplacesChangedFile: a re-pull refuses to replace a file the
// user changed (exit 1, naming it and --force); with --force it puts the
// version's content back, atomically, leaving no temp file.
func TestPullReplacesChangedFile(t *testing.T) {
	a := newProject(t)
	writeFiles(t, a, map[string]string{"data/x": "version content", "data/y": "y"})
	mustTrove(t, a, "commit", "ds", "--type", "dataset", "data")
	out := filepath.Join(a, "out")
	mustTrove(t, a, "pull", "ds", "-o", out)
	writeFiles(t, out, map[string]string{"x": "edited"})
	if r := trove(t, a, "pull", "ds", "-o", out); r.code != exitError ||
		!strings.Contains(r.stderr, "ds:v0's file x: a file whose content differs from ds:v0's") || !strings.Contains(r.stderr, "pull with --force to replace it") {
		t.Fatalf("re-pull over a changed file: exit %d, want %d\n%s", r.code, exitError, r.stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(out, "x")); string(got) != "edited" {
		t.Fatalf("the refused pull changed x: %q", got)
	}
	var res linkPullJSON
	troveJSON(t, a, &res, "pull", "ds", "-o", out, "--force")
	if res.Written != 1 || res.Skipped != 1 {
		t.Fatalf("re-pull over a changed file: %+v", res)
	}
	if got, _ := os.ReadFile(filepath.Join(out, "x")); string(got) != "version content" {
		t.Fatalf("x = %q", got)
	}
	noTempFiles(t, out)
}
