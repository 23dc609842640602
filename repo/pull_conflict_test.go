package repo

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/trove-ml/trove/checkout"
)

// tree describes a folder: path -> content, where a path ending in "/" is
// a folder and content starting with "->" is a symbolic link's target.
type tree map[string]string

// make writes t under dir.
func (t tree) make(tb *testing.T, dir string) {
	tb.Helper()
	paths := make([]string, 0, len(t))
	for p := range t {
		paths = append(paths, p)
	}
	sort.Strings(paths) // a folder before what it holds
	for _, p := range paths {
		d := filepath.Join(dir, filepath.FromSlash(p))
		c := t[p]
		switch {
		case strings.HasSuffix(p, "/"):
			if err := os.MkdirAll(d, 0o755); err != nil {
				tb.Fatal(err)
			}
		case strings.HasPrefix(c, "->"):
			if err := os.MkdirAll(filepath.Dir(d), 0o755); err != nil {
				tb.Fatal(err)
			}
			if err := os.Symlink(c[2:], d); err != nil {
				tb.Fatal(err)
			}
		default:
			write(tb, d, []byte(c))
		}
	}
}

// read returns what is under dir, in tree's terms; trove's temp files
// are listed too, so a test sees any left behind.
func read(tb testing.TB, dir string) tree {
	tb.Helper()
	got := tree{}
	err := filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel := filepath.ToSlash(p[len(dir)+1:])
		switch {
		case de.IsDir():
			got[rel+"/"] = ""
		case de.Type()&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			got[rel] = "->" + t
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			got[rel] = string(b)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return got
}

func (t tree) String() string {
	var b strings.Builder
	paths := make([]string, 0, len(t))
	for p := range t {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		b.WriteString(p)
		if c := t[p]; c != "" {
			b.WriteString(" = " + c)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// commitTree commits t as the next version of artifact ds and returns it.
func commitTree(t *testing.T, r *Repo, name string, content tree) *Resolved {
	t.Helper()
	ctx := context.Background()
	src := t.TempDir()
	content.make(t, src)
	res, err := r.Commit(ctx, CommitOptions{Name: name, Type: "dataset", Paths: []string{src}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := r.Resolve(ctx, res.Name+":v"+itoa(res.Version.N))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// TestPullLeavesWhatIsNotTroves: where a version has a file or folder and
// the output folder has something else there that trove did not place (or
// that changed since), the pull fails naming it and leaves it as it was;
// what trove placed itself, unchanged, and empty folders make way.
func TestPullLeavesWhatIsNotTroves(t *testing.T) {
	fileInFolder := tree{"P/": "", "P/one.txt": "one", "a.txt": "a"}
	fileAtP := tree{"P": "v1's P", "a.txt": "a"}
	linkAtL := tree{"L": "->a.txt", "a.txt": "a"}
	folderAtL := tree{"L/": "", "L/x": "x", "a.txt": "a"}
	tests := []struct {
		name string
		// before are the versions pulled into the folder first, in
		// order; then user is laid over it, then want is pulled.
		before []tree
		user   tree
		want   tree
		// wantErr lists what the error must say; empty: the pull works
		// and the folder then holds want (and leftovers).
		wantErr   []string
		leftovers tree
	}{{
		name:    "user's folder where the version has a file",
		user:    tree{"P/one.txt/": "", "P/one.txt/mine": "precious"},
		want:    fileInFolder,
		wantErr: []string{"ds:v", "'s file P/one.txt: a folder holding 1 file not in ds:v", ": P/one.txt/mine", "move it away"},
	}, {
		name:    "user's file where the version has a folder",
		user:    tree{"P": "precious"},
		want:    fileInFolder,
		wantErr: []string{"'s folder P: a file not in ds:v"},
	}, {
		name:    "user's symbolic link where the version has a folder",
		user:    tree{"P": "->/elsewhere"},
		want:    fileInFolder,
		wantErr: []string{"'s folder P: a symbolic link not in ds:v"},
	}, {
		name:    "user's folder where the version has a symbolic link",
		user:    tree{"L/": "", "L/mine": "precious"},
		want:    linkAtL,
		wantErr: []string{"'s symbolic link L: a folder holding 1 file not in ds:v", "L/mine"},
	}, {
		name: "many files of the user's are counted",
		user: tree{"P/one.txt/": "", "P/one.txt/a": "1", "P/one.txt/b": "2", "P/one.txt/c/": "", "P/one.txt/c/d": "3",
			"P/one.txt/c/e": "4"},
		want:    fileInFolder,
		wantErr: []string{"a folder holding 4 files not in ds:v", "P/one.txt/a, P/one.txt/b, P/one.txt/c/d and 1 more"},
	}, {
		name:    "a file trove placed, changed since, where the version has a folder",
		before:  []tree{fileAtP},
		user:    tree{"P": "edited"},
		want:    fileInFolder,
		wantErr: []string{"'s folder P: a file not in ds:v"},
	}, {
		name:    "a folder trove placed, holding a file of the user's, where the version has a file",
		before:  []tree{fileInFolder},
		user:    tree{"P/mine": "precious"},
		want:    fileAtP,
		wantErr: []string{"'s file P: a folder holding 1 file not in ds:v", ": P/mine"},
	}, {
		name: "empty folders where the version has a file",
		user: tree{"P/one.txt/": "", "P/one.txt/a/": "", "P/one.txt/a/b/": ""},
		want: fileInFolder,
	}, {
		// The documented behaviour: a file at one of the version's
		// paths is the version's, and a changed one is replaced.
		name: "a changed file at a version's file path",
		user: tree{"P/": "", "P/one.txt": "edited"},
		want: fileInFolder,
	}, {
		name:      "files not in the version stay",
		user:      tree{"mine": "precious", "P/": "", "P/mine": "precious"},
		want:      fileInFolder,
		leftovers: tree{"mine": "precious", "P/mine": "precious"},
	}, {
		name:   "a folder trove placed becomes a file",
		before: []tree{fileInFolder},
		want:   fileAtP,
	}, {
		name:   "a file trove placed becomes a folder",
		before: []tree{fileAtP},
		want:   fileInFolder,
	}, {
		name:   "a link trove placed becomes a folder",
		before: []tree{linkAtL},
		want:   folderAtL,
	}, {
		name:   "a folder trove placed becomes a link",
		before: []tree{folderAtL},
		want:   linkAtL,
	}, {
		name:   "a folder trove placed, with a link in it, becomes a file",
		before: []tree{{"P/": "", "P/l": "->x", "P/d/": "", "P/d/f": "f"}},
		want:   fileAtP,
	}}
	for _, mode := range []checkout.Mode{checkout.Copy, checkout.Hardlink} {
		for _, tt := range tests {
			t.Run(mode.String()+"/"+tt.name, func(t *testing.T) {
				ctx := context.Background()
				r := newRepo(t)
				out := t.TempDir()
				for _, b := range tt.before {
					if _, err := r.Pull(ctx, commitTree(t, r, "ds", b), PullOptions{Dir: out, Link: mode}); err != nil {
						t.Fatal(err)
					}
				}
				tt.user.make(t, out)
				before := read(t, out)
				v := commitTree(t, r, "ds", tt.want)
				_, err := r.Pull(ctx, v, PullOptions{Dir: out, Link: mode})
				if len(tt.wantErr) > 0 {
					if !errors.Is(err, ErrInTheWay) {
						t.Fatalf("pull = %v, want ErrInTheWay", err)
					}
					for _, s := range tt.wantErr {
						if !strings.Contains(err.Error(), s) {
							t.Errorf("error %q does not say %q", err, s)
						}
					}
					// Everything that was there is there still, as
					// it was; files of the version may have been
					// added (a.txt), nothing else (no temp files).
					got := read(t, out)
					for p, c := range before {
						if g, ok := got[p]; !ok || g != c {
							t.Errorf("%s was %q, is %q (present: %v)", p, c, g, ok)
						}
					}
					for p := range got {
						if _, ok := before[p]; !ok && tt.want[p] != got[p] {
							t.Errorf("pull left %s = %q behind", p, got[p])
						}
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				want := tree{}
				for p, c := range tt.want {
					want[p] = c
				}
				for p, c := range tt.leftovers {
					want[p] = c
				}
				if got := read(t, out); got.String() != want.String() {
					t.Errorf("folder holds\n%s\nwant\n%s", got, want)
				}
			})
		}
	}
}

// TestPullInTheWayThenAgain: a refused pull leaves the folder so that,
// once the user moved their folder away, pulling again completes it and
// rewrites nothing already in place.
func TestPullInTheWayThenAgain(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	out := t.TempDir()
	v := commitTree(t, r, "ds", tree{"P/": "", "P/one.txt": "one", "Q/": "", "Q/two.txt": "two", "a.txt": "a"})
	tree{"Q/two.txt/": "", "Q/two.txt/mine": "precious"}.make(t, out)
	if _, err := r.Pull(ctx, v, PullOptions{Dir: out}); !errors.Is(err, ErrInTheWay) || !strings.Contains(err.Error(), "Q/two.txt/mine") {
		t.Fatalf("pull = %v, want ErrInTheWay naming Q/two.txt/mine", err)
	}
	if err := os.Rename(filepath.Join(out, "Q", "two.txt"), filepath.Join(out, "moved")); err != nil {
		t.Fatal(err)
	}
	res, err := r.Pull(ctx, v, PullOptions{Dir: out})
	if err != nil {
		t.Fatal(err)
	}
	if res.Written+res.Skipped != 3 {
		t.Errorf("second pull wrote %d and skipped %d files, want 3 in all", res.Written, res.Skipped)
	}
	want := tree{"P/": "", "P/one.txt": "one", "Q/": "", "Q/two.txt": "two", "a.txt": "a", "moved/": "", "moved/mine": "precious"}
	if got := read(t, out); got.String() != want.String() {
		t.Errorf("folder holds\n%s\nwant\n%s", got, want)
	}
	res, err = r.Pull(ctx, v, PullOptions{Dir: out})
	if err != nil {
		t.Fatal(err)
	}
	if res.Written != 0 || res.Skipped != 3 {
		t.Errorf("pull into an up-to-date folder wrote %d, skipped %d; want 0 and 3", res.Written, res.Skipped)
	}
}

// TestPullReplacesStoredFile: a file the user committed, unchanged since
// and held by the store, may make way for a version's folder: trove can
// give it back.
func TestPullReplacesStoredFile(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	out := t.TempDir()
	tree{"P": "committed"}.make(t, out)
	if _, err := r.Commit(ctx, CommitOptions{Name: "mine", Type: "dataset", Paths: []string{filepath.Join(out, "P")}}); err != nil {
		t.Fatal(err)
	}
	v := commitTree(t, r, "ds", tree{"P/": "", "P/one.txt": "one"})
	if _, err := r.Pull(ctx, v, PullOptions{Dir: out}); err != nil {
		t.Fatalf("pull over a committed, unchanged file: %v", err)
	}
	if got := read(t, out); got["P/one.txt"] != "one" {
		t.Errorf("folder holds\n%s", got)
	}
}

// TestPullKeepsEditedFileVerified: a file a pull placed and the user then
// edited stays the user's after `trove verify` read it: verify remembers
// only the version's content, so the edit is not taken for trove's and
// removed to make way for a later version's folder.
func TestPullKeepsEditedFileVerified(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	out := t.TempDir()
	v0 := commitTree(t, r, "ds", tree{"P": "v0's P"})
	v1 := commitTree(t, r, "ds", tree{"P/": "", "P/one.txt": "one"})
	if _, err := r.Pull(ctx, v0, PullOptions{Dir: out}); err != nil {
		t.Fatal(err)
	}
	// Of the same size: verify reads only a file whose size matches.
	write(t, filepath.Join(out, "P"), []byte("V0'S P"))
	// Edited an hour ago: a stat entry of a file changed moments before
	// is not trusted, and the test would pass for that reason alone.
	hourAgo := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(out, "P"), hourAgo, hourAgo); err != nil {
		t.Fatal(err)
	}
	rep, err := r.VerifyWith(ctx, v0, out, VerifyOptions{StatCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Changed) != 1 {
		t.Fatalf("verify found %v changed, want P", rep.Changed)
	}
	if _, err := r.Pull(ctx, v1, PullOptions{Dir: out}); !errors.Is(err, ErrInTheWay) {
		t.Fatalf("pull over the edited file = %v, want ErrInTheWay", err)
	}
	if got := read(t, out); got["P"] != "V0'S P" {
		t.Errorf("folder holds\n%s", got)
	}
}
