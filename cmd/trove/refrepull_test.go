package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRefRepullFetchesNothing: objects recorded by their ETag alone are
// known by content once pulled, so a pull into a folder that holds them
// fetches nothing and rewrites nothing; one that changed at its source
// since is not taken for the old one; and the bytes fetched from the
// source count as downloaded.
func TestRefRepullFetchesNothing(t *testing.T) {
	b, c := s3Env(t)
	objs := map[string]string{"ds/a": "alpha", "ds/sub/b": "bravo!", "ds/sub/c": "charlie"}
	var total int64
	for k, v := range objs {
		putS3(t, c, b, k, v)
		total += int64(len(v))
	}
	proj := newProject(t)
	mustTrove(t, proj, "commit", "ds", "--type", "dataset", "--ref", "s3://"+b+"/ds")
	out := filepath.Join(t.TempDir(), "out")
	var first, again pullJSON
	troveJSON(t, proj, &first, "pull", "ds", "-o", out)
	if first.Written != 3 || first.BytesDownloaded != total {
		t.Fatalf("first pull: %+v, want 3 files and %d bytes downloaded", first, total)
	}
	troveJSON(t, proj, &again, "pull", "ds", "-o", out)
	if again.Written != 0 || again.Skipped != 3 || again.BytesDownloaded != 0 {
		t.Fatalf("pull into the same folder: %+v, want nothing fetched or written", again)
	}
	// Another folder, a copy of the first made by other means: still
	// known by content, so nothing is in the way and nothing is fetched.
	copyDir := filepath.Join(t.TempDir(), "copy")
	if err := os.CopyFS(copyDir, os.DirFS(out)); err != nil {
		t.Fatal(err)
	}
	troveJSON(t, proj, &again, "pull", "ds", "-o", copyDir)
	if again.Written != 0 || again.BytesDownloaded != 0 {
		t.Fatalf("pull into a copy: %+v, want nothing fetched or written", again)
	}
	// An object that changed at its source makes a new version whose
	// entry is not the old one's: fetched, alone.
	putS3(t, c, b, "ds/a", "ALPHA")
	mustTrove(t, proj, "commit", "ds", "--ref", "s3://"+b+"/ds")
	troveJSON(t, proj, &again, "pull", "ds", "-o", copyDir)
	if again.Written != 1 || again.BytesDownloaded != 5 {
		t.Fatalf("pull of the new version into the old one's copy: %+v, want one file of 5 bytes", again)
	}
	// A local edit of the same size is the user's: refused, not taken
	// for the object.
	var edited string
	_ = filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && edited == "" {
			edited = p
		}
		return nil
	})
	fi, _ := os.Stat(edited)
	if err := os.WriteFile(edited, make([]byte, fi.Size()), 0o644); err != nil {
		t.Fatal(err)
	}
	wantExit(t, proj, exitError, []string{"in the way"}, "pull", "ds", "-o", out)
}

// TestRefPullFindsCopiesByMD5: a folder holding the objects that this
// repository never pulled (copied from elsewhere, or placed by a pull
// killed before it recorded them) is up to date where an object's ETag is
// its MD5, not in the way; a same-size file of other content still is.
func TestRefPullFindsCopiesByMD5(t *testing.T) {
	b, c := s3Env(t)
	for k, v := range map[string]string{"ds/a": "alpha", "ds/sub/b": "bravo!"} {
		putS3(t, c, b, k, v)
	}
	first := newProject(t)
	mustTrove(t, first, "commit", "ds", "--type", "dataset", "--ref", "s3://"+b+"/ds")
	out := filepath.Join(t.TempDir(), "out")
	mustTrove(t, first, "pull", "ds", "-o", out)

	other := newProject(t)
	mustTrove(t, other, "commit", "ds", "--type", "dataset", "--ref", "s3://"+b+"/ds")
	copyDir := filepath.Join(t.TempDir(), "copy")
	if err := os.CopyFS(copyDir, os.DirFS(out)); err != nil {
		t.Fatal(err)
	}
	var res pullJSON
	troveJSON(t, other, &res, "pull", "ds", "-o", copyDir)
	if res.Written != 0 || res.BytesDownloaded != 0 {
		t.Fatalf("pull into a copy this repository never pulled: %+v, want nothing fetched or written", res)
	}
	third := filepath.Join(t.TempDir(), "third")
	if err := os.CopyFS(third, os.DirFS(out)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(third, "a"), []byte("ALPHA"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantExit(t, other, exitError, []string{"in the way", "a"}, "pull", "ds", "-o", third)
}
