package repo

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trove-ml/trove/checkout"
	"github.com/trove-ml/trove/objects"
)

// tree describes a folder: path -> content, where a path ending in "/" is
// a folder and content starting with "->" is a symbolic link's target.
type tree map[string]string

// make writes t under dir. A file or link already at one of its paths is
// removed first, as an editor saving a file replaces it: a file
// hardlinked to the file cache is read-only, and writing into it (as root
// can) would change the cache.
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
			removeFile(tb, d)
			if err := os.Symlink(c[2:], d); err != nil {
				tb.Fatal(err)
			}
		default:
			removeFile(tb, d)
			write(tb, d, []byte(c))
		}
	}
}

// removeFile removes the file or link at d, if there is one.
func removeFile(tb testing.TB, d string) {
	tb.Helper()
	if fi, err := os.Lstat(d); err == nil && !fi.IsDir() {
		if err := os.Remove(d); err != nil {
			tb.Fatal(err)
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

// holds reports whether t has every path of want, with its content.
func (t tree) holds(want tree) bool {
	for p, c := range want {
		if g, ok := t[p]; !ok || g != c {
			return false
		}
	}
	return true
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

// TestPullLeavesWhatIsNotTroves: where a version has a file, link or
// folder and the output folder has something else there — other content,
// or another kind — that trove did not place (or that changed since), the
// pull fails naming it and writes nothing at all; what trove placed
// itself, unchanged, and empty folders make way. With Force everything at
// the version's paths makes way, and the rest still stays.
func TestPullLeavesWhatIsNotTroves(t *testing.T) {
	fileInFolder := tree{"P/": "", "P/one.txt": "one", "a.txt": "a"}
	fileAtP := tree{"P": "v1's P", "a.txt": "a"}
	linkAtL := tree{"L": "->a.txt", "a.txt": "a"}
	folderAtL := tree{"L/": "", "L/x": "x", "a.txt": "a"}
	fiveFiles := tree{"a.txt": "a", "b.txt": "b", "c.txt": "c", "d.txt": "d", "e.txt": "e"}
	tests := []struct {
		name string
		// before are the versions pulled into the folder first, in
		// order; then user is laid over it, then want is pulled, with
		// PullOptions.Force if force.
		before []tree
		user   tree
		want   tree
		force  bool
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
		name: "a file of the user's at a version's file path",
		user: tree{"P/": "", "P/one.txt": "edited"},
		want: fileInFolder,
		wantErr: []string{"ds:v0's file P/one.txt: a file whose content differs from ds:v0's",
			"trove did not place it, or it changed since. Nothing was written: move it away and try again"},
	}, {
		name:   "a file trove placed, changed since, at a version's file path",
		before: []tree{{"P/": "", "P/one.txt": "v0's one", "a.txt": "a"}},
		user:   tree{"P/one.txt": "edited"},
		want:   fileInFolder,
		wantErr: []string{"ds:v1's file P/one.txt: a file whose content differs from ds:v1's",
			"trove did not place it, or it changed since"},
	}, {
		name:    "a file trove placed, changed since, of another size",
		before:  []tree{{"P/": "", "P/one.txt": "v0's one", "a.txt": "a"}},
		user:    tree{"P/one.txt": "edited, and longer"},
		want:    fileInFolder,
		wantErr: []string{"ds:v1's file P/one.txt: a file whose content differs"},
	}, {
		name:    "many changed files are counted",
		user:    tree{"a.txt": "1", "b.txt": "2", "c.txt": "3", "d.txt": "4", "e.txt": "5"},
		want:    fiveFiles,
		wantErr: []string{"ds:v0's file a.txt: a file whose content differs from ds:v0's; ds:v0's file b.txt: ", "ds:v0's file c.txt: ", " and 2 more (in ", "move them away"},
	}, {
		name:    "changed files and a folder in the way are reported together",
		user:    tree{"a.txt": "mine", "P/one.txt/": "", "P/one.txt/mine": "precious"},
		want:    fileInFolder,
		wantErr: []string{"ds:v0's file P/one.txt: a folder holding 1 file not in ds:v0: P/one.txt/mine; ds:v0's file a.txt: a file whose content differs"},
	}, {
		name:    "a symbolic link of the user's at a version's file path",
		user:    tree{"P/": "", "P/one.txt": "->elsewhere"},
		want:    fileInFolder,
		wantErr: []string{"ds:v0's file P/one.txt: a symbolic link whose content differs from ds:v0's"},
	}, {
		name:    "a file of the user's at a version's symbolic link path",
		user:    tree{"L": "mine"},
		want:    linkAtL,
		wantErr: []string{"ds:v0's symbolic link L: a file whose content differs from ds:v0's"},
	}, {
		name:    "a symbolic link of the user's, to elsewhere, at a version's symbolic link path",
		user:    tree{"L": "->elsewhere"},
		want:    linkAtL,
		wantErr: []string{"ds:v0's symbolic link L: a symbolic link whose content differs"},
	}, {
		name:   "a file trove placed, unchanged, becomes the next version's",
		before: []tree{{"P/": "", "P/one.txt": "v0's one", "a.txt": "v0's a"}},
		want:   fileInFolder,
	}, {
		name:   "a link trove placed, unchanged, becomes the next version's",
		before: []tree{{"L": "->elsewhere", "a.txt": "a"}},
		want:   linkAtL,
	}, {
		name:   "a link trove placed becomes a file",
		before: []tree{linkAtL},
		want:   tree{"L": "L", "a.txt": "a"},
	}, {
		name:   "a file trove placed becomes a link",
		before: []tree{{"L": "L", "a.txt": "a"}},
		want:   linkAtL,
	}, {
		name:      "force: a file of the user's at a version's file path is replaced",
		user:      tree{"P/": "", "P/one.txt": "edited", "mine": "precious"},
		want:      fileInFolder,
		force:     true,
		leftovers: tree{"mine": "precious"},
	}, {
		name:   "force: a file trove placed, changed since, is replaced",
		before: []tree{{"P/": "", "P/one.txt": "v0's one", "a.txt": "a"}},
		user:   tree{"P/one.txt": "edited"},
		want:   fileInFolder,
		force:  true,
	}, {
		name:  "force: links of the user's are replaced",
		user:  tree{"L": "->elsewhere", "P/": "", "P/one.txt": "->elsewhere"},
		want:  tree{"L": "->a.txt", "P/": "", "P/one.txt": "one", "a.txt": "a"},
		force: true,
	}, {
		name:      "force: a folder of the user's in the way of a file is removed",
		user:      tree{"P/one.txt/": "", "P/one.txt/mine": "precious", "P/two.txt": "stays"},
		want:      fileInFolder,
		force:     true,
		leftovers: tree{"P/two.txt": "stays"},
	}, {
		name:  "force: a file of the user's in the way of a folder is removed",
		user:  tree{"P": "precious"},
		want:  fileInFolder,
		force: true,
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
				_, err := r.Pull(ctx, v, PullOptions{Dir: out, Link: mode, Force: tt.force, ForceHint: "pull with --force"})
				if len(tt.wantErr) > 0 {
					if !errors.Is(err, ErrInTheWay) {
						t.Fatalf("pull = %v, want ErrInTheWay", err)
					}
					for _, s := range tt.wantErr {
						if !strings.Contains(err.Error(), s) {
							t.Errorf("error %q does not say %q", err, s)
						}
					}
					if !strings.Contains(err.Error(), "pull with --force to replace") {
						t.Errorf("error %q does not name --force", err)
					}
					// Nothing was written: the folder is exactly as
					// it was (no file of the version, no temp file).
					if got := read(t, out); got.String() != before.String() {
						t.Errorf("after the refusal the folder holds\n%s\nwant, as before,\n%s", got, before)
					}
					// Forced, the same pull replaces all of it.
					if _, err := r.Pull(ctx, v, PullOptions{Dir: out, Link: mode, Force: true}); err != nil {
						t.Fatalf("forced pull: %v", err)
					}
					if got := read(t, out); !got.holds(tt.want) {
						t.Errorf("after a forced pull the folder holds\n%s\nwant at least\n%s", got, tt.want)
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

// TestPullRefusesChangedReference: a referenced object's file that a pull
// placed and nobody changed is fetched again over (its ETag says nothing
// of its content); once the user edited it, or where the file is theirs —
// even one a file:// reference recorded in the stat cache — the pull
// refuses, writing nothing, and Force replaces it.
func TestPullRefusesChangedReference(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	m := &memRefs{name: "ds", paths: []string{"x", "y"}, content: map[string]string{}}
	for _, p := range m.paths {
		m.content[m.uri(p)] = "content of " + p
	}
	if _, err := r.Commit(ctx, CommitOptions{Name: "refs", Type: "dataset", Refs: []RefSource{m}}); err != nil {
		t.Fatal(err)
	}
	v, err := r.Resolve(ctx, "refs")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	pulled := tree{"ds/": "", "ds/x": "content of x", "ds/y": "content of y"}
	if _, err := r.Pull(ctx, v, PullOptions{Dir: out, Refs: m}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Pull(ctx, v, PullOptions{Dir: out, Refs: m}); err != nil {
		t.Fatalf("pull over the references it placed: %v", err)
	}

	tests := []struct {
		name string
		lay  func(t *testing.T, dir string) // makes the user's file ds/x
	}{{
		name: "edited after a pull placed it",
		lay: func(t *testing.T, dir string) {
			if _, err := r.Pull(ctx, v, PullOptions{Dir: dir, Refs: m}); err != nil {
				t.Fatal(err)
			}
			tree{"ds/x": "edited"}.make(t, dir)
		},
	}, {
		name: "the user's own, recorded by the DigestCache",
		lay: func(t *testing.T, dir string) {
			tree{"ds/x": "mine"}.make(t, dir)
			d := filepath.Join(dir, "ds", "x")
			fi, err := os.Lstat(d)
			if err != nil {
				t.Fatal(err)
			}
			c := r.DigestCache()
			c.Remember(d, fi, time.Now().Add(time.Hour), objects.Sum([]byte("mine")))
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.lay(t, dir)
			before := read(t, dir)
			_, err := r.Pull(ctx, v, PullOptions{Dir: dir, Refs: m})
			if !errors.Is(err, ErrInTheWay) || !strings.Contains(err.Error(), "refs:v0's file ds/x: a file whose content differs from refs:v0's") {
				t.Fatalf("pull = %v, want ErrInTheWay naming ds/x", err)
			}
			if got := read(t, dir); got.String() != before.String() {
				t.Errorf("after the refusal the folder holds\n%s\nwant\n%s", got, before)
			}
			if _, err := r.Pull(ctx, v, PullOptions{Dir: dir, Refs: m, Force: true}); err != nil {
				t.Fatalf("forced pull: %v", err)
			}
			if got := read(t, dir); got.String() != pulled.String() {
				t.Errorf("after a forced pull the folder holds\n%s\nwant\n%s", got, pulled)
			}
		})
	}
}

// TestPullUpToDateWritesNothing: pulling a version again into a folder
// holding it, as a pull placed it, looks at every path and writes
// nothing; pulling the next version over it replaces only what changed.
func TestPullUpToDateWritesNothing(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []checkout.Mode{checkout.Copy, checkout.Hardlink} {
		t.Run(mode.String(), func(t *testing.T) {
			r := newRepo(t)
			out := t.TempDir()
			v0 := commitTree(t, r, "ds", tree{"a.txt": "a", "P/": "", "P/b.txt": "b", "L": "->a.txt"})
			v1 := commitTree(t, r, "ds", tree{"a.txt": "a", "P/": "", "P/b.txt": "b, edited", "L": "->P/b.txt"})
			if _, err := r.Pull(ctx, v0, PullOptions{Dir: out, Link: mode}); err != nil {
				t.Fatal(err)
			}
			res, err := r.Pull(ctx, v0, PullOptions{Dir: out, Link: mode})
			if err != nil || res.Written != 0 || res.Skipped != 3 {
				t.Fatalf("pull again = %+v, %v; want 0 written, 3 skipped", res, err)
			}
			res, err = r.Pull(ctx, v1, PullOptions{Dir: out, Link: mode})
			if err != nil || res.Written != 2 || res.Skipped != 1 {
				t.Fatalf("pull of the next version = %+v, %v; want 2 written, 1 skipped", res, err)
			}
		})
	}
}

// TestPullCheckErrorWritesNothing: a path the check cannot look at (here
// too long for the system, under an output folder deeper than the
// source) fails the pull before anything is written, though files are
// looked at on the pool, after the walk has gone past them.
func TestPullCheckErrorWritesNothing(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	src := t.TempDir()
	out := filepath.Join(t.TempDir(), strings.Repeat("o", 200))
	// Folders that fit under out, and a file whose path fits under src
	// but not under out.
	var dirs []string
	for len(out)+len(filepath.Join(dirs...))+201 < 4000 {
		dirs = append(dirs, strings.Repeat("d", 200))
	}
	deep := filepath.Join(append(dirs, strings.Repeat("f", 250))...)
	if len(src)+1+len(deep) >= 4096 || len(out)+1+len(deep) < 4096 {
		t.Skipf("paths of %d and %d bytes do not straddle PATH_MAX here", len(src)+1+len(deep), len(out)+1+len(deep))
	}
	write(t, filepath.Join(src, "a"), []byte("first in the version"))
	if err := os.MkdirAll(filepath.Join(src, filepath.Dir(deep)), 0o755); err != nil {
		t.Skipf("no folders that deep here: %v", err)
	}
	write(t, filepath.Join(src, deep), []byte("deep"))
	v := commitSrc(t, r, src)
	if err := os.MkdirAll(filepath.Join(out, filepath.Dir(deep)), 0o755); err != nil {
		t.Fatal(err)
	}

	_, err := r.Pull(ctx, v, PullOptions{Dir: out})
	if err == nil || !errors.Is(err, syscall.ENAMETOOLONG) {
		t.Fatalf("pull: %v, want the check's lstat error", err)
	}
	if _, err := os.Lstat(filepath.Join(out, "a")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a was written by a pull whose check failed: %v", err)
	}
}
