package repo

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestVerifyReport: verify merges a folder's names on disk with the
// version's entries, and must name every difference, wherever it falls in
// the merge: before the first entry, between entries, after the last, a
// whole folder missing or extra, a file where a folder was.
func TestVerifyReport(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	src := filepath.Join(t.TempDir(), "data")
	for _, name := range []string{"b", "d/x", "d/y", "f", "m/1", "m/2", "z"} {
		write(t, filepath.Join(src, name), []byte(name))
	}
	v := commitSrc(t, r, src)
	out := t.TempDir()
	if _, err := r.Pull(ctx, v, PullOptions{Dir: out}); err != nil {
		t.Fatal(err)
	}
	rep, err := r.Verify(ctx, v, out)
	if err != nil || !rep.OK() || rep.Files != 7 {
		t.Fatalf("verify of a fresh pull: %+v, %v", rep, err)
	}

	write(t, filepath.Join(out, "a"), []byte("first"))      // extra, before every entry
	write(t, filepath.Join(out, "c"), []byte("between"))    // extra, between entries
	write(t, filepath.Join(out, "zz", "q"), []byte("last")) // extra folder, after the last
	write(t, filepath.Join(out, "f"), []byte("F"))          // changed, same size
	os.Remove(filepath.Join(out, "z"))                      // missing, the last entry
	os.RemoveAll(filepath.Join(out, "m"))                   // missing folder
	os.RemoveAll(filepath.Join(out, "d"))
	write(t, filepath.Join(out, "d"), []byte("a file")) // a file where a folder was
	rep, err = r.Verify(ctx, v, out)
	if err != nil {
		t.Fatal(err)
	}
	want := VerifyReport{
		Missing: []string{"m/1", "m/2", "z"},
		Extra:   []string{"a", "c", "zz/q"},
		Changed: []string{"d", "f"},
	}
	if !reflect.DeepEqual(rep.Missing, want.Missing) || !reflect.DeepEqual(rep.Extra, want.Extra) || !reflect.DeepEqual(rep.Changed, want.Changed) {
		t.Errorf("verify: missing %q extra %q changed %q; want %q, %q, %q",
			rep.Missing, rep.Extra, rep.Changed, want.Missing, want.Extra, want.Changed)
	}
}
