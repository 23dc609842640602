package repo

import (
	"context"
	"fmt"
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

// TestVerifyFolderInBatches: a folder of more names than a batch, sorted
// on disk, is merged with its tree across batches: what differs is found
// wherever it falls.
func TestVerifyFolderInBatches(t *testing.T) {
	ctx := context.Background()
	r, err := Init(ctx, t.TempDir(), InitOptions{}, Options{ListMemory: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	src := filepath.Join(t.TempDir(), "data")
	const n = listBatch + 1000
	for i := range n {
		write(t, filepath.Join(src, fmt.Sprintf("f%05d", i)), []byte{byte(i)})
	}
	v := commitSrc(t, r, src)
	out := t.TempDir()
	if _, err := r.Pull(ctx, v, PullOptions{Dir: out}); err != nil {
		t.Fatal(err)
	}
	if rep, err := r.Verify(ctx, v, out); err != nil || !rep.OK() || rep.Files != n {
		t.Fatalf("verify of a fresh pull: %+v, %v", rep, err)
	}
	name := func(i int, suffix string) string { return fmt.Sprintf("f%05d%s", i, suffix) }
	want := VerifyReport{
		Missing: []string{name(10, ""), name(listBatch, ""), name(n-1, "")},
		Extra:   []string{name(0, "-a"), name(listBatch-1, "-a"), name(n-1, "-a")},
		Changed: []string{name(2000, ""), name(listBatch+500, "")},
	}
	for _, p := range want.Missing {
		os.Remove(filepath.Join(out, p))
	}
	for _, p := range want.Extra {
		write(t, filepath.Join(out, p), []byte("extra"))
	}
	for _, p := range want.Changed {
		write(t, filepath.Join(out, p), []byte("changed"))
	}
	rep, err := r.Verify(ctx, v, out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rep.Missing, want.Missing) || !reflect.DeepEqual(rep.Extra, want.Extra) || !reflect.DeepEqual(rep.Changed, want.Changed) {
		t.Errorf("verify: missing %q extra %q changed %q; want %q, %q, %q",
			rep.Missing, rep.Extra, rep.Changed, want.Missing, want.Extra, want.Changed)
	}
	if left, _ := os.ReadDir(r.TempDir()); len(left) != 0 {
		t.Errorf("%d temp files left after verify", len(left))
	}
}
