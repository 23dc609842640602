package repo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trove-ml/trove/objects"
)

// TestPullAfterInterruptedPull: files an interrupted pull placed without
// stat cache entries (its record still there, as a killed pull leaves it)
// make way for the next pull when they hold exactly that version's content
// at their paths; a file of other content there is still the user's. The
// whole version pulled supersedes the record, and says so; its temp files
// are removed, and nothing else of the folder's.
func TestPullAfterInterruptedPull(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	out := t.TempDir()
	v0 := commitTree(t, r, "ds", tree{"a.txt": "a0", "sub/": "", "sub/b.txt": "b0", "link": "->a.txt"})
	v1 := commitTree(t, r, "ds", tree{"a.txt": "a1", "sub/": "", "sub/b.txt": "b1", "sub/new.txt": "new", "link": "->sub/b.txt"})

	// What a pull of v1 killed midway leaves: some of its files, unknown
	// to the stat cache, a temp file, and its record.
	tree{"a.txt": "a1", "sub/": "", "sub/new.txt": "new", "link": "->sub/b.txt", "sub/.trove-pull-123": "partial"}.make(t, out)
	tree{"keep/": "", "keep/.trove-pull-x": "mine", "keep/.trove-pull-": "mine too"}.make(t, out)
	if err := r.beginPull(out, v1.Record.Root); err != nil {
		t.Fatal(err)
	}
	// Without it the files are the user's (another folder, same state).
	other := t.TempDir()
	tree{"a.txt": "a1"}.make(t, other)
	if _, err := r.Pull(ctx, v0, PullOptions{Dir: other}); !errors.Is(err, ErrInTheWay) {
		t.Fatalf("pull over an unknown file with no record: %v, want ErrInTheWay", err)
	}

	res, err := r.Pull(ctx, v0, PullOptions{Dir: out})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Superseded, []objects.ID{v1.Record.Root}) {
		t.Errorf("Superseded = %v, want v1's tree %s", res.Superseded, v1.Record.Root.Short())
	}
	want := tree{"a.txt": "a0", "sub/": "", "sub/b.txt": "b0", "sub/new.txt": "new", "link": "->a.txt",
		"keep/": "", "keep/.trove-pull-x": "mine", "keep/.trove-pull-": "mine too"}
	if got := read(t, out); got.String() != want.String() {
		t.Errorf("folder holds\n%s\nwant\n%s", got, want)
	}
	if roots := r.interrupted(ctx, out); len(roots) != 0 {
		t.Errorf("records left after a whole pull: %v", roots)
	}

	// A file of other content at a path of the interrupted version is not
	// vouched for by the record.
	if err := r.beginPull(out, v1.Record.Root); err != nil {
		t.Fatal(err)
	}
	removeFile(t, filepath.Join(out, "a.txt"))
	write(t, filepath.Join(out, "a.txt"), []byte("edited by hand"))
	if _, err := r.Pull(ctx, v1, PullOptions{Dir: out}); !errors.Is(err, ErrInTheWay) || !strings.Contains(err.Error(), "a.txt") {
		t.Fatalf("pull over an edited file: %v, want ErrInTheWay naming a.txt", err)
	}
	if roots := r.interrupted(ctx, out); len(roots) != 1 {
		t.Errorf("a pull that wrote nothing dropped the record: %v", roots)
	}
}

func TestIsPullTemp(t *testing.T) {
	for name, want := range map[string]bool{
		".trove-pull-0": true, ".trove-pull-18446744073709551615": true,
		".trove-pull-": false, ".trove-pull-12a": false, "trove-pull-1": false, ".trove-pull-1.txt": false, "x.trove-pull-1": false,
	} {
		if got := isPullTemp(name); got != want {
			t.Errorf("isPullTemp(%q) = %v, want %v", name, got, want)
		}
	}
	// The names pulls make are of that form.
	dir := t.TempDir()
	tf, err := createTemp(filepath.Join(dir, "x"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer tf.abort()
	if !isPullTemp(filepath.Base(tf.name)) {
		t.Errorf("createTemp made %q, which removePullTemps would not remove", tf.name)
	}
	if f, ok := openUnnamed(dir); ok && canOpenUnnamed() {
		defer f.Close()
		name, err := linkUnnamedTemp(f, dir)
		if err != nil {
			t.Fatal(err)
		}
		if !isPullTemp(filepath.Base(name)) {
			t.Errorf("linkUnnamedTemp made %q, which removePullTemps would not remove", name)
		}
		os.Remove(name)
	}
}

// TestPrefixPullKeepsRecord: after a pull of v was interrupted, a --prefix
// pull of v leaves v's record (it vouches for the files outside the
// prefix); the whole pull of v that follows ends it, writing nothing new.
func TestPrefixPullKeepsRecord(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	out := t.TempDir()
	v := commitTree(t, r, "ds", tree{"a/": "", "a/x.txt": "x", "b/": "", "b/y.txt": "y"})
	tree{"a/": "", "a/x.txt": "x", "b/": "", "b/y.txt": "y"}.make(t, out) // placed, entries lost
	if err := r.beginPull(out, v.Record.Root); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Pull(ctx, v, PullOptions{Dir: out, Prefix: "a"}); err != nil {
		t.Fatal(err)
	}
	if roots := r.interrupted(ctx, out); len(roots) != 1 {
		t.Fatalf("records after a --prefix pull: %d, want v's", len(roots))
	}
	res, err := r.Pull(ctx, v, PullOptions{Dir: out})
	if err != nil {
		t.Fatal(err)
	}
	if res.Written != 0 || len(res.Superseded) != 0 {
		t.Errorf("whole pull over its own interrupted files: wrote %d, superseded %v", res.Written, res.Superseded)
	}
	if roots := r.interrupted(ctx, out); len(roots) != 0 {
		t.Errorf("records after the whole pull: %v", roots)
	}
}
