package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zeebo/blake3"
)

func b3(b []byte) string {
	s := blake3.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestWorkflow walks the quickstart: commit, no-op commit, change, alias,
// diff, pull, verify.
func TestWorkflow(t *testing.T) {
	dir := newProject(t)
	big := randomBytes(1, 9<<20) // a big file: the pipelined path
	writeFiles(t, dir, map[string]string{
		"data/a.txt":       "alpha\n",
		"data/sub/b.txt":   "beta\n",
		"data/sub/c/d.bin": string(randomBytes(2, 300<<10)), // several chunks
		"data/empty":       "",
		"data/big.bin":     string(big),
	})

	var c0 commitJSON
	troveJSON(t, dir, &c0, "commit", "mnist", "--type", "dataset", "data", "-m", "first", "--meta", "rows=5", "--alias", "raw")
	if c0.Version != "v0" || c0.Unchanged || c0.Files != 5 {
		t.Fatalf("first commit = %+v, want v0 with 5 files", c0)
	}

	// Same content again: no new version, and it says which one it equals.
	out := mustTrove(t, dir, "commit", "mnist", "data")
	if !strings.Contains(out, "no change; content equals mnist:v0") {
		t.Fatalf("recommit said %q", out)
	}

	// ls shows the BLAKE3 of each file, as b3sum would.
	var files []fileJSON
	troveJSON(t, dir, &files, "ls", "mnist:latest")
	got := map[string]string{}
	for _, f := range files {
		got[f.Path] = f.Digest
	}
	if got["big.bin"] != b3(big) || got["a.txt"] != b3([]byte("alpha\n")) || got["empty"] != b3(nil) {
		t.Fatalf("ls digests do not match BLAKE3 of the content: %v", got)
	}
	if len(files) != 5 {
		t.Fatalf("ls listed %d files, want 5: %+v", len(files), files)
	}

	// Change one file, add one, remove one.
	writeFiles(t, dir, map[string]string{"data/a.txt": "ALPHA\n", "data/new.txt": "new\n"})
	os.Remove(filepath.Join(dir, "data/sub/b.txt"))
	var c1 commitJSON
	troveJSON(t, dir, &c1, "commit", "mnist", "data", "--alias", "raw", "--tag", "cleaned")
	if c1.Version != "v1" || c1.Moved["raw"] != "v0" {
		t.Fatalf("second commit = %+v, want v1 taking alias raw from v0", c1)
	}
	// Only the changed bytes are new.
	if c1.Stored > 100 {
		t.Fatalf("second commit stored %d bytes; only ~10 bytes changed", c1.Stored)
	}

	out = mustTrove(t, dir, "diff", "mnist:v0", "mnist:v1")
	for _, want := range []string{"M a.txt", "+ new.txt", "- sub/b.txt"} {
		if !strings.Contains(out, want) {
			t.Errorf("diff lacks %q:\n%s", want, out)
		}
	}

	mustTrove(t, dir, "alias", "set", "mnist:v0", "best")
	var show showJSON
	troveJSON(t, dir, &show, "show", "mnist:best")
	var md bytes.Buffer
	json.Compact(&md, show.Metadata)
	if show.Version != "v0" || show.Description != "first" || md.String() != `{"rows":5}` {
		t.Fatalf("show mnist:best = %+v", show)
	}

	// Pull v0 and verify it byte for byte.
	outDir := filepath.Join(dir, "restored")
	mustTrove(t, dir, "pull", "mnist:best", "-o", outDir)
	b, err := os.ReadFile(filepath.Join(outDir, "big.bin"))
	if err != nil || b3(b) != b3(big) {
		t.Fatalf("pulled big.bin differs (err %v)", err)
	}
	mustTrove(t, dir, "verify", "mnist:best", outDir)

	// Re-pulling into an up-to-date folder rewrites nothing.
	var pr struct{ Written, Skipped int64 }
	troveJSON(t, dir, &pr, "pull", "mnist:best", "-o", outDir)
	if pr.Written != 0 || pr.Skipped != 5 {
		t.Fatalf("re-pull wrote %d, skipped %d; want 0 and 5", pr.Written, pr.Skipped)
	}

	// Verify reports every difference and exits 3.
	writeFiles(t, outDir, map[string]string{"extra.txt": "x", "a.txt": "alphA\n"})
	os.Remove(filepath.Join(outDir, "sub/c/d.bin"))
	r := trove(t, dir, "verify", "mnist:best", outDir)
	if r.code != exitMismatch {
		t.Fatalf("verify of a changed folder exited %d, want %d", r.code, exitMismatch)
	}
	for _, want := range []string{"missing  sub/c/d.bin", "extra    extra.txt", "changed  a.txt"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("verify output lacks %q:\n%s", want, r.stdout)
		}
	}
	// A pull refuses to replace the edited file; pull --force repairs
	// what differs.
	if r := trove(t, dir, "pull", "mnist:best", "-o", outDir); r.code != exitError || !strings.Contains(r.stderr, "mnist:v0's file a.txt: a file whose content differs") {
		t.Fatalf("pull over an edited file: exit %d\n%s", r.code, r.stderr)
	}
	mustTrove(t, dir, "pull", "mnist:best", "-o", outDir, "--force")
	if r := trove(t, dir, "verify", "mnist:best", outDir); !strings.Contains(r.stdout, "extra    extra.txt") || strings.Contains(r.stdout, "changed") {
		t.Fatalf("after re-pull verify says:\n%s", r.stdout)
	}

	var log []versionJSON
	troveJSON(t, dir, &log, "log", "mnist")
	if len(log) != 2 || log[0].Version != "v1" || strings.Join(log[0].Aliases, ",") != "latest,raw" || strings.Join(log[1].Aliases, ",") != "best" {
		t.Fatalf("log = %+v", log)
	}
	mustTrove(t, dir, "fsck")
}

// TestCommitPaths: several paths, a file's base name, --prefix, clashes.
func TestCommitPaths(t *testing.T) {
	dir := newProject(t)
	writeFiles(t, dir, map[string]string{
		"a/x.txt": "1", "a/shared/p": "p",
		"b/y.txt": "2", "b/shared/q": "q",
		"c/x.txt":  "3",
		"model.pt": "weights",
	})
	mustTrove(t, dir, "commit", "ds", "--type", "dataset", "a", "b", "model.pt", "--prefix", "top/inner")
	var files []fileJSON
	troveJSON(t, dir, &files, "ls", "ds")
	var paths []string
	for _, f := range files {
		paths = append(paths, f.Path)
	}
	want := "top/inner/model.pt top/inner/shared/p top/inner/shared/q top/inner/x.txt top/inner/y.txt"
	if strings.Join(paths, " ") != want {
		t.Fatalf("paths = %v, want %s", paths, want)
	}
	r := trove(t, dir, "commit", "ds2", "--type", "dataset", "a", "c")
	if r.code != exitUsage || !strings.Contains(r.stderr, `both claim the path "x.txt"`) {
		t.Fatalf("clash: exit %d, %s", r.code, r.stderr)
	}
	r = trove(t, dir, "log", "ds2")
	if r.code == 0 {
		t.Fatalf("a refused commit left an artifact: %s", r.stdout)
	}
}

// TestSymlinks are recorded as links and never followed.
func TestSymlinks(t *testing.T) {
	dir := newProject(t)
	outside := t.TempDir()
	writeFiles(t, outside, map[string]string{"secret": "do not commit"})
	writeFiles(t, dir, map[string]string{"data/real.txt": "real"})
	if err := os.Symlink(outside, filepath.Join(dir, "data/escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.txt", filepath.Join(dir, "data/alias.txt")); err != nil {
		t.Fatal(err)
	}
	var c commitJSON
	troveJSON(t, dir, &c, "commit", "links", "--type", "dataset", "data")
	if c.Files != 3 {
		t.Fatalf("commit counted %d entries, want 3: one file and two links, not what they point at", c.Files)
	}
	var files []fileJSON
	troveJSON(t, dir, &files, "ls", "links")
	for _, f := range files {
		if strings.Contains(f.Path, "secret") {
			t.Fatalf("followed a symlink out of the tree: %+v", files)
		}
	}
	out := filepath.Join(dir, "out")
	mustTrove(t, dir, "pull", "links", "-o", out)
	if target, err := os.Readlink(filepath.Join(out, "escape")); err != nil || target != outside {
		t.Fatalf("escape link pulled as %q, %v", target, err)
	}
	mustTrove(t, dir, "verify", "links", out)
}

// TestTypeFixedByFirstVersion: another type under the same name is refused.
func TestTypeFixedByFirstVersion(t *testing.T) {
	dir := newProject(t)
	writeFiles(t, dir, map[string]string{"f": "1"})
	mustTrove(t, dir, "commit", "m", "--type", "model", "f")
	r := trove(t, dir, "commit", "m", "--type", "dataset", "f")
	if r.code != exitUsage || !strings.Contains(r.stderr, `has type "model"`) {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}

// TestArtifactsNamedHelp: "help" and "h" are artifact names like any
// other; no command takes them for a request for help, which still works
// as `trove help CMD` and --help.
func TestArtifactsNamedHelp(t *testing.T) {
	dir := newProject(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a.txt": "a"})
	for _, name := range []string{"help", "h"} {
		out := mustTrove(t, dir, "commit", name, "--type", "dataset", src)
		if !strings.HasPrefix(out, name+":v0 ") {
			t.Fatalf("commit %s: %s", name, out)
		}
		if out := mustTrove(t, dir, "show", name); !strings.Contains(out, name+":v0") {
			t.Fatalf("show %s:\n%s", name, out)
		}
		if out := mustTrove(t, dir, "log", name); !strings.Contains(out, "v0") || strings.Contains(out, "USAGE") {
			t.Fatalf("log %s:\n%s", name, out)
		}
		mustTrove(t, dir, "pull", name, "-o", filepath.Join(dir, "out-"+name))
	}
	if r := trove(t, dir, "show", "nothing"); r.code == 0 {
		t.Fatal("show of an unknown artifact succeeded")
	}
	for _, args := range [][]string{{"help", "show"}, {"show", "--help"}, {"alias", "help"}} {
		if out := mustTrove(t, dir, args...); !strings.Contains(out, "USAGE") {
			t.Errorf("trove %s printed no help:\n%s", strings.Join(args, " "), out)
		}
	}
}
