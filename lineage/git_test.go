package lineage

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// gitRepo makes a Git work tree with files committed, and returns its
// folder and HEAD.
func gitRepo(t *testing.T, files map[string]string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	for p, c := range files {
		writeFile(t, filepath.Join(dir, p), c)
		if _, err := wt.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	h, err := wt.Commit("first", &git.CommitOptions{Author: &object.Signature{Name: "t", Email: "t@example.com", When: time.Unix(1e9, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	// Make every file older than the index, so no check is "racy" and the
	// stat comparison is what the test exercises.
	old := time.Now().Add(-time.Hour)
	for p := range files {
		os.Chtimes(filepath.Join(dir, p), old, old)
	}
	idx, _ := repo.Storer.Index()
	for _, e := range idx.Entries {
		e.ModifiedAt = old
	}
	repo.Storer.SetIndex(idx)
	return dir, h.String()
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadGit(t *testing.T) {
	ctx := context.Background()
	if g, err := ReadGit(ctx, t.TempDir()); g != nil || err != nil {
		t.Fatalf("outside Git: %+v, %v; want nil, nil", g, err)
	}
	empty := t.TempDir()
	if _, err := git.PlainInit(empty, false); err != nil {
		t.Fatal(err)
	}
	if g, err := ReadGit(ctx, empty); g != nil || err != nil {
		t.Fatalf("no commit yet: %+v, %v; want nil, nil", g, err)
	}

	files := map[string]string{"train.py": "print(1)\n", "src/lib.py": "x = 1\n"}
	tests := []struct {
		name  string
		edit  func(t *testing.T, dir string)
		dirty bool
	}{
		{"clean", func(*testing.T, string) {}, false},
		{"untracked files", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "data/big.bin"), "untracked data")
		}, false},
		{"touched, same content", func(t *testing.T, dir string) {
			now := time.Now()
			os.Chtimes(filepath.Join(dir, "train.py"), now, now)
		}, false},
		{"modified, same size", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "train.py"), "print(2)\n")
		}, true},
		{"modified in a subfolder", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "src/lib.py"), "x = 22\n")
		}, true},
		{"deleted", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "train.py")) }, true},
		{"made executable", func(t *testing.T, dir string) { os.Chmod(filepath.Join(dir, "train.py"), 0o755) }, true},
		{"staged new file", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "new.py"), "")
			repo, _ := git.PlainOpen(dir)
			wt, _ := repo.Worktree()
			if _, err := wt.Add("new.py"); err != nil {
				t.Fatal(err)
			}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, head := gitRepo(t, files)
			tt.edit(t, dir)
			// From a subfolder too: the work tree is found upwards.
			for _, d := range []string{dir, filepath.Join(dir, "src")} {
				g, err := ReadGit(ctx, d)
				if err != nil {
					t.Fatal(err)
				}
				if g == nil || g.Commit != head || g.Dirty != tt.dirty {
					t.Fatalf("ReadGit(%s) = %+v; want commit %s dirty %v", d, g, head, tt.dirty)
				}
			}
		})
	}
}
