package fileinfo

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// readAll lists the folder dir whole, with the default options.
func readAll(dir string) ([]fs.FileInfo, error) {
	l, err := OpenList(dir, ListOptions{})
	if err != nil {
		return nil, err
	}
	defer l.Close()
	var all []fs.FileInfo
	for {
		infos, err := l.Next(listBatch)
		if err != nil || len(infos) == 0 {
			return all, err
		}
		all = append(all, infos...)
	}
}

// listAll reads every entry of l in batches of n.
func listAll(t *testing.T, l *Lister, n int) []fs.FileInfo {
	t.Helper()
	var out []fs.FileInfo
	for {
		batch, err := l.Next(n)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) == 0 {
			return out
		}
		if len(batch) > n {
			t.Fatalf("a batch of %d entries, asked for %d", len(batch), n)
		}
		out = append(out, batch...)
	}
}

// TestLister: whatever the memory allowed and the batch size, a Lister
// gives what os.ReadDir and os.Lstat give, and leaves no run behind.
func TestLister(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 1500 {
		name := fmt.Sprintf("f%d-%x", rng.IntN(1e6), i)
		if i%100 == 0 {
			if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, i%7), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// What os.ReadDir and os.Lstat say, in name order.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var want []fs.FileInfo
	for _, e := range entries {
		fi, err := os.Lstat(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, fi)
	}
	for _, tt := range []struct {
		memory, batch int
		spills        bool
	}{
		{0, 4096, false},
		{0, 1, false},
		{1, 7, true},
		{2 << 10, 100, true},
		{32 << 10, 1500, true},
	} {
		tmp := t.TempDir()
		l, err := OpenList(dir, ListOptions{TempDir: tmp, Memory: tt.memory})
		if err != nil {
			t.Fatal(err)
		}
		if l.Spilled() != tt.spills {
			t.Errorf("memory %d: spilled %v", tt.memory, l.Spilled())
		}
		got := listAll(t, l, tt.batch)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("memory %d, batch %d: %d entries, os.ReadDir %d", tt.memory, tt.batch, len(got), len(want))
		}
		for i := range got {
			g, w := got[i], want[i]
			if g.Name() != w.Name() || g.Mode() != w.Mode() || g.Size() != w.Size() || !g.ModTime().Equal(w.ModTime()) {
				t.Fatalf("memory %d, batch %d: entry %d is %s %v %d, os.Lstat's %s %v %d",
					tt.memory, tt.batch, i, g.Name(), g.Mode(), g.Size(), w.Name(), w.Mode(), w.Size())
			}
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Fatalf("memory %d: %d runs left after Close", tt.memory, len(left))
		}
	}
}

func TestListerNames(t *testing.T) {
	dir := t.TempDir()
	var want []string
	for i := range 50 {
		name := fmt.Sprintf("n%03d", (i*37)%50)
		want = append(want, name)
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(want)
	l, err := OpenList(dir, ListOptions{TempDir: t.TempDir(), Memory: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var got []string
	for {
		names, err := l.NextNames(8)
		if err != nil {
			t.Fatal(err)
		}
		if len(names) == 0 {
			break
		}
		got = append(got, names...)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("names %q, want %q", got, want)
	}
}

func TestListerErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := OpenList(filepath.Join(dir, "missing"), ListOptions{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing folder: %v", err)
	}
	for _, name := range []string{"a", "b", "c"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := OpenList(dir, ListOptions{TempDir: filepath.Join(dir, "no-such-temp"), Memory: 1}); err == nil {
		t.Error("a listing whose runs cannot be written opened")
	}
	l, err := OpenList(dir, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := os.Remove(filepath.Join(dir, "b")); err != nil {
		t.Fatal(err)
	}
	_, err = l.Next(10)
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != filepath.Join(dir, "b") || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("an entry removed after the listing: %v, want an error naming it", err)
	}
}
