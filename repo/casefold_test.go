package repo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPullRefusesCaseCollisions: on a filesystem that ignores case, two
// names of one folder that differ only in case (or in Unicode
// normalisation) would be one file; the pull refuses the version before
// writing anything and names both paths. Where case is told apart, the
// same version pulls whole.
func TestPullRefusesCaseCollisions(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		clash []string // the two paths named; none: the pull works
	}{
		{"files", []string{"data/Cat.jpg", "data/cat.jpg", "data/dog.jpg"}, []string{"data/Cat.jpg", "data/cat.jpg"}},
		{"folder and file", []string{"Models/a.bin", "models"}, []string{"Models", "models"}},
		{"normalisation", []string{"caf\u00e9.txt", "cafe\u0301.txt"}, []string{"cafe\u0301.txt", "caf\u00e9.txt"}},
		{"final sigma", []string{"ΟΔΟΣ", "οδος"}, []string{"ΟΔΟΣ", "οδος"}},
		{"one name in two folders", []string{"a/X", "b/x", "A2/y"}, nil},
		{"sharp s is not ss", []string{"stra\u00dfe", "strasse"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			folds := func(string) bool { return false }
			r, err := Init(ctx, dir, InitOptions{}, Options{PackSize: 1 << 20, CaseSensitive: folds})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			src := filepath.Join(t.TempDir(), "src")
			for i, f := range tc.files {
				write(t, filepath.Join(src, filepath.FromSlash(f)), noise(byte(i), 100+i))
			}
			v := commitSrc(t, r, src)
			out := filepath.Join(t.TempDir(), "out")
			_, err = r.Pull(ctx, v, PullOptions{Dir: out})
			if tc.clash == nil {
				if err != nil {
					t.Fatalf("pull: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.clash[0]+" and "+tc.clash[1]+" differ only in letter case") {
				t.Fatalf("pull = %v, want ErrInvalid naming %s and %s", err, tc.clash[0], tc.clash[1])
			}
			if left, _ := os.ReadDir(out); len(left) != 0 {
				t.Fatalf("the refused pull wrote %d entries", len(left))
			}
		})
	}

	// Where the filesystem tells case apart (here, as found by the probe),
	// both files arrive.
	ctx := context.Background()
	r := newRepo(t)
	src := filepath.Join(t.TempDir(), "src")
	write(t, filepath.Join(src, "Cat.jpg"), []byte("upper"))
	write(t, filepath.Join(src, "cat.jpg"), []byte("lower"))
	v := commitSrc(t, r, src)
	out := t.TempDir()
	if _, err := r.Pull(ctx, v, PullOptions{Dir: out}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"Cat.jpg": "upper", "cat.jpg": "lower"} {
		if got, err := os.ReadFile(filepath.Join(out, name)); err != nil || string(got) != want {
			t.Fatalf("%s: %q, %v", name, got, err)
		}
	}
}
