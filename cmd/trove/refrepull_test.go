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
