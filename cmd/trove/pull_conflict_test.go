package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPullCheckoutKeepUserData: pull and checkout never remove or replace
// what the user put where a version has a file or folder: one of another
// kind, or a file of other content. They exit 1 naming it and saying what
// to do, and write nothing; once it is moved away, or with --force, the
// same command completes.
func TestPullCheckoutKeepUserData(t *testing.T) {
	tests := []struct {
		name string
		// files are the version's; user is what the user has made at
		// its place (a path ending in "/" is a folder); moved is what
		// to move away before trying again, or with force, the
		// command is run again with --force instead. absent are paths
		// of the version missing before the command (removed from a
		// checkout) that a refused command must not write.
		files     map[string]string
		user      map[string]string
		checkout  bool
		moved     string
		force     bool
		absent    []string
		wantError []string
	}{{
		name:      "pull: a folder of the user's where the version has a file",
		files:     map[string]string{"P/one.txt": "one\n"},
		user:      map[string]string{"P/one.txt/mine": "precious\n"},
		moved:     "P/one.txt",
		wantError: []string{"ds:v0's file P/one.txt: a folder holding 1 file not in ds:v0: P/one.txt/mine", "move it away"},
	}, {
		name:      "pull: a file of the user's where the version has a folder",
		files:     map[string]string{"P/one.txt": "one\n"},
		user:      map[string]string{"P": "precious\n"},
		moved:     "P",
		wantError: []string{"ds:v0's folder P: a file not in ds:v0"},
	}, {
		name:      "checkout: a folder of the user's where the pinned version has a file",
		files:     map[string]string{"a.txt": "a\n", "b.txt": "b\n"},
		user:      map[string]string{"b.txt/notes": "precious\n"},
		checkout:  true,
		moved:     "b.txt",
		wantError: []string{"data/ds: ", "ds:v0's file b.txt: a folder holding 1 file not in ds:v0: b.txt/notes"},
	}, {
		name:   "pull: a file of the user's where the version has another",
		files:  map[string]string{"P/one.txt": "one\n", "a.txt": "a\n"},
		user:   map[string]string{"P/one.txt": "mine\n"},
		force:  true,
		absent: []string{"a.txt"},
		wantError: []string{"ds:v0's file P/one.txt: a file whose content differs from ds:v0's", "trove did not place it, or it changed since",
			"Nothing was written: move it away and try again, or pull with --force to replace it"},
	}, {
		name:     "checkout: a pinned file the user edited",
		files:    map[string]string{"a.txt": "a\n", "b.txt": "b\n"},
		user:     map[string]string{"b.txt": "edited\n"},
		checkout: true,
		moved:    "b.txt",
		force:    true,
		absent:   []string{"a.txt"},
		wantError: []string{"data/ds: ", "ds:v0's file b.txt: a file whose content differs from ds:v0's",
			"Nothing was written: move it away and try again, or run 'trove checkout --force' to replace it"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newProject(t)
			src := t.TempDir()
			writeFiles(t, src, tt.files)
			mustTrove(t, dir, "commit", "ds", "--type", "dataset", src)
			out := filepath.Join(dir, "out")
			args := []string{"pull", "ds:v0", "-o", out}
			if tt.checkout {
				// The pin checks the version out; then the user
				// replaces one of its files with a folder of theirs.
				out = filepath.Join(dir, "data", "ds")
				mustTrove(t, dir, "pin", "ds:v0", "data/ds")
				for _, p := range append([]string{tt.moved}, tt.absent...) {
					if err := os.RemoveAll(filepath.Join(out, p)); err != nil {
						t.Fatal(err)
					}
				}
				args = []string{"checkout"}
			}
			writeFiles(t, out, tt.user)

			r := trove(t, dir, args...)
			if r.code != exitError {
				t.Fatalf("trove %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, exitError, r.stdout, r.stderr)
			}
			for _, s := range tt.wantError {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr does not say %q:\n%s", s, r.stderr)
				}
			}
			for p, c := range tt.user {
				if b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(p))); err != nil || string(b) != c {
					t.Errorf("%s after the refusal: %q, %v; want %q", p, b, err, c)
				}
			}
			for _, p := range tt.absent {
				if _, err := os.Lstat(filepath.Join(out, filepath.FromSlash(p))); err == nil {
					t.Errorf("the refused command wrote %s", p)
				}
			}

			if tt.force {
				args = append(args, "--force")
			} else if err := os.Rename(filepath.Join(out, filepath.FromSlash(tt.moved)), filepath.Join(dir, "moved")); err != nil {
				t.Fatal(err)
			}
			mustTrove(t, dir, args...)
			for p, c := range tt.files {
				if b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(p))); err != nil || string(b) != c {
					t.Errorf("%s after moving the user's data away: %q, %v; want %q", p, b, err, c)
				}
			}
		})
	}
}
