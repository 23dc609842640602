package checkout

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trove-ml/trove/objects"
)

func TestAddLookupPath(t *testing.T) {
	c := newCache(t, Options{})
	for _, content := range [][]byte{[]byte("weights"), {}, bytes.Repeat([]byte("x"), 1<<20+3)} {
		id := objects.Sum(content)
		size := int64(len(content))
		if p, ok, err := c.Lookup(id, size); ok || err != nil || p != "" {
			t.Fatalf("Lookup before Add = %q, %v, %v", p, ok, err)
		}
		p, err := c.Add(context.Background(), id, size, fillWith(id, content))
		if err != nil {
			t.Fatal(err)
		}
		h := id.String()
		if want := filepath.Join(c.Dir(), "files", h[:2], h); p != want || c.Path(id) != want {
			t.Errorf("Add put it at %s, Path says %s; want %s", p, c.Path(id), want)
		}
		checkFile(t, p, content, 0o444)
		got, ok, err := c.Lookup(id, size)
		if !ok || err != nil || got != p {
			t.Errorf("Lookup after Add = %q, %v, %v; want %s", got, ok, err, p)
		}
	}
	if left := names(t, filepath.Join(c.Dir(), "tmp")); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// TestAddFailureLeavesNothing: whatever fails, Add leaves no file under
// the id's name and no temp file.
func TestAddFailureLeavesNothing(t *testing.T) {
	content := []byte("checkpoint bytes")
	id := objects.Sum(content)
	errFetch := errors.New("remote went away")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		size    int64
		fill    func(f *os.File) error
		wantErr error
	}{
		{"fill fails half way", context.Background(), int64(len(content)), func(f *os.File) error {
			f.Write(content[:5])
			return errFetch
		}, errFetch},
		{"digest mismatch", context.Background(), int64(len(content)), fillWith(id, []byte("other bytes of len")), objects.ErrCorrupt},
		{"short content", context.Background(), int64(len(content)) + 1, fillWith(id, content), objects.ErrCorrupt},
		{"cancelled", cancelled, int64(len(content)), fillWith(id, content), context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCache(t, Options{})
			p, err := c.Add(tt.ctx, id, tt.size, tt.fill)
			if !errors.Is(err, tt.wantErr) || p != "" {
				t.Fatalf("Add = %q, %v; want error %v", p, err, tt.wantErr)
			}
			if _, err := os.Lstat(c.Path(id)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a file is at %s after a failed Add: %v", c.Path(id), err)
			}
			if left := names(t, filepath.Join(c.Dir(), "tmp")); len(left) != 0 {
				t.Errorf("temp files left: %v", left)
			}
		})
	}
}

// TestLookupDistrusts: a cached file of the wrong size, or made writable,
// is reported absent and removed, so that Add can put a good one there.
func TestLookupDistrusts(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(t *testing.T, path string)
		size  func(n int64) int64
	}{
		{"other size asked", func(*testing.T, string) {}, func(n int64) int64 { return n + 1 }},
		{"truncated", func(t *testing.T, p string) {
			if err := os.Chmod(p, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(p, 3); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, 0o444); err != nil {
				t.Fatal(err)
			}
		}, func(n int64) int64 { return n }},
		{"made writable", func(t *testing.T, p string) {
			if err := os.Chmod(p, 0o644); err != nil {
				t.Fatal(err)
			}
		}, func(n int64) int64 { return n }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCache(t, Options{})
			if tt.name == "made writable" && !c.perms {
				t.Skip("this filesystem does not keep modes")
			}
			content := []byte("eval results")
			id, p := add(t, c, content)
			tt.spoil(t, p)
			got, ok, err := c.Lookup(id, tt.size(int64(len(content))))
			if ok || err != nil || got != "" {
				t.Fatalf("Lookup = %q, %v, %v; want absent", got, ok, err)
			}
			if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("the bad file is still there: %v", err)
			}
			// Add then puts a good one in its place.
			if _, p2 := add(t, c, content); p2 != p {
				t.Fatalf("Add put it at %s, want %s", p2, p)
			}
			checkFile(t, p, content, 0o444)
		})
	}
}

// TestAddReplacesBadFile: Add over a bad file at the id's name (one that
// Lookup would remove) replaces it rather than keeping it.
func TestAddReplacesBadFile(t *testing.T) {
	c := newCache(t, Options{})
	content := []byte("dataset shard")
	id := objects.Sum(content)
	p := c.Path(id)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	add(t, c, content)
	checkFile(t, p, content, 0o444)
}

// TestConcurrentAdd: eight Adds of one id at once all succeed, and leave
// one good file and no temp files.
func TestConcurrentAdd(t *testing.T) {
	c := newCache(t, Options{})
	content := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	id := objects.Sum(content)
	const n = 8
	paths := make([]string, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			paths[i], errs[i] = c.Add(context.Background(), id, int64(len(content)), fillWith(id, content))
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || paths[i] != c.Path(id) {
			t.Errorf("Add %d = %q, %v", i, paths[i], errs[i])
		}
	}
	checkFile(t, c.Path(id), content, 0o444)
	if got := names(t, filepath.Dir(c.Path(id))); len(got) != 1 {
		t.Errorf("files under %s: %v; want one", filepath.Dir(c.Path(id)), got)
	}
	if left := names(t, filepath.Join(c.Dir(), "tmp")); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

func TestRemove(t *testing.T) {
	c := newCache(t, Options{})
	content := []byte("model")
	id, p := add(t, c, content)
	out := filepath.Join(t.TempDir(), "model.bin")
	if _, err := Place(context.Background(), Hardlink, p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second time removes nothing, which is no error
		if err := c.Remove(id); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, err := c.Lookup(id, int64(len(content))); ok || err != nil {
		t.Fatalf("Lookup after Remove = %v, %v", ok, err)
	}
	checkFile(t, out, content, 0o444) // the hardlinked output keeps it
}

// TestOpenRemovesStaleTemps: Open removes temp files a day old, as a
// crashed Add leaves them, and keeps younger ones, which a running Add
// may be writing.
func TestOpenRemovesStaleTemps(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	dir := filepath.Join(t.TempDir(), "cache")
	if _, err := Open(dir, Options{Now: clock.Now}); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "tmp", "add-old")
	young := filepath.Join(dir, "tmp", "add-young")
	for _, p := range []string{old, young} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chtimes(old, time.Time{}, clock.Now().Add(-staleTempAge-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(young, time.Time{}, clock.Now().Add(-staleTempAge+time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{Now: clock.Now}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names(t, filepath.Join(dir, "tmp")), " "); got != "add-young" {
		t.Errorf("tmp holds %q after Open; want add-young", got)
	}
}

// TestPrune: Prune removes the least recently placed files first, down
// to the target, whichever time (access or modification) the cache
// records use in.
func TestPrune(t *testing.T) {
	for _, atime := range []bool{true, false} {
		name := "mtime"
		if atime {
			name = "atime"
		}
		t.Run(name, func(t *testing.T) {
			// The clock runs ahead of the real one, so reads that the
			// kernel dates itself (relatime) never count as later use.
			clock := &fakeClock{t: time.Now().Add(1000 * time.Hour)}
			c := newCache(t, Options{Now: clock.Now})
			if atime && !c.atime {
				t.Skip("this filesystem keeps no access times")
			}
			c.atime = atime
			ids := map[string]objects.ID{}
			for _, s := range []string{"a", "b", "c", "d"} {
				clock.Advance(time.Minute)
				ids[s], _ = add(t, c, bytes.Repeat([]byte(s), 100))
			}
			if files, n, err := c.Size(context.Background()); files != 4 || n != 400 || err != nil {
				t.Fatalf("Size = %d, %d, %v; want 4, 400", files, n, err)
			}
			// Placed in the order c a d b: c is the least recently used.
			p := NewPlacer(c, Copy)
			out := t.TempDir()
			for _, s := range []string{"c", "a", "d", "b"} {
				clock.Advance(time.Minute)
				if _, err := p.Place(context.Background(), ids[s], filepath.Join(out, s), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			files, n, err := c.Prune(context.Background(), 250)
			if files != 2 || n != 200 || err != nil {
				t.Fatalf("Prune(250) = %d, %d, %v; want 2, 200", files, n, err)
			}
			for s, want := range map[string]bool{"a": false, "b": true, "c": false, "d": true} {
				if _, ok, _ := c.Lookup(ids[s], 100); ok != want {
					t.Errorf("after Prune(250), %s cached = %v, want %v", s, ok, want)
				}
			}
			// Nothing to do at or above the cache's size.
			if files, n, err := c.Prune(context.Background(), 200); files != 0 || n != 0 || err != nil {
				t.Fatalf("Prune(200) = %d, %d, %v; want nothing", files, n, err)
			}
			// Touch counts as use too: b is now the most recent.
			clock.Advance(time.Minute)
			if err := c.Touch(ids["b"]); err != nil {
				t.Fatal(err)
			}
			if files, _, err := c.Prune(context.Background(), 100); files != 1 || err != nil {
				t.Fatalf("Prune(100) = %d, %v; want 1 file", files, err)
			}
			if _, ok, _ := c.Lookup(ids["b"], 100); !ok {
				t.Error("Prune removed the touched file")
			}
			if files, n, err := c.Prune(context.Background(), 0); files != 1 || n != 100 || err != nil {
				t.Fatalf("Prune(0) = %d, %d, %v; want 1, 100", files, n, err)
			}
			if files, n, err := c.Size(context.Background()); files != 0 || n != 0 || err != nil {
				t.Fatalf("Size after Prune(0) = %d, %d, %v", files, n, err)
			}
		})
	}
}

func TestPruneErrors(t *testing.T) {
	c := newCache(t, Options{})
	add(t, c, []byte("x"))
	if _, _, err := c.Prune(context.Background(), -1); err == nil || !strings.Contains(err.Error(), c.Dir()) {
		t.Errorf("Prune(-1) = %v; want an error naming the cache", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := c.Prune(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Prune with a cancelled context = %v", err)
	}
	// A file that is not the cache's is left alone and not counted.
	stray := filepath.Join(c.Dir(), "files", "ab", "notes.txt")
	if err := os.MkdirAll(filepath.Dir(stray), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stray, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if files, n, err := c.Prune(context.Background(), 0); files != 1 || n != 1 || err != nil {
		t.Errorf("Prune(0) = %d, %d, %v; want 1, 1", files, n, err)
	}
	if _, err := os.Stat(stray); err != nil {
		t.Errorf("Prune removed a file that is not the cache's: %v", err)
	}
}

func TestTouchMissing(t *testing.T) {
	c := newCache(t, Options{})
	id := objects.Sum([]byte("never added"))
	err := c.Touch(id)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), c.Path(id)) {
		t.Errorf("Touch of a missing file = %v; want not-exist naming %s", err, c.Path(id))
	}
}
