package checkout

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trove-ml/trove/objects"
)

// TestPlan: Plan answers what each mode does in a folder on the cache's
// filesystem, leaving no probe files behind.
func TestPlan(t *testing.T) {
	c := newCache(t, Options{})
	out := t.TempDir()
	reflinks := Probe(c.Dir(), out)
	auto := Copy
	if reflinks {
		auto = Reflink
	}
	type planCase struct {
		mode    Mode
		perm    fs.FileMode
		want    Mode
		wantErr error
	}
	tests := []planCase{
		{Copy, 0o644, Copy, nil},
		{Auto, 0o644, auto, nil},
		{Hardlink, 0o644, Hardlink, nil},
		{Hardlink, 0o755, auto, nil}, // executables are not hardlinked
	}
	if reflinks {
		tests = append(tests, planCase{Reflink, 0o644, Reflink, nil})
	} else {
		tests = append(tests, planCase{Reflink, 0o644, Reflink, ErrUnsupported})
	}
	for _, tt := range tests {
		got, err := NewPlacer(c, tt.mode).Plan(out, tt.perm)
		if got != tt.want || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
			t.Errorf("Plan in %v for %v = %v, %v; want %v, %v", tt.mode, tt.perm, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), out) {
			t.Errorf("Plan error %q does not name %s", err, out)
		}
	}
	if got := names(t, out); len(got) != 0 {
		t.Errorf("probes left in %s: %v", out, got)
	}
	if got := names(t, filepath.Join(c.Dir(), "tmp")); len(got) != 0 {
		t.Errorf("probes left in the cache: %v", got)
	}
	if _, err := NewPlacer(c, Hardlink).Plan(filepath.Join(out, "missing"), 0o644); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Plan(Hardlink) of a missing folder = %v; want not-exist", err)
	}
}

// TestPlacerProbesOnce: a Placer probes reflinks once per output device,
// however many folders and files it places into.
func TestPlacerProbesOnce(t *testing.T) {
	c := newCache(t, Options{})
	id, _ := add(t, c, []byte("shard"))
	p := NewPlacer(c, Auto)
	out := t.TempDir()
	want := Copy
	if Probe(out, out) {
		want = Reflink
	}
	for _, d := range []string{"a", "b", "c"} {
		if err := os.Mkdir(filepath.Join(out, d), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"1", "2"} {
			used, err := p.Place(context.Background(), id, filepath.Join(out, d, f), 0o644)
			if err != nil {
				t.Fatal(err)
			}
			if used != want {
				t.Errorf("Place = %v, want %v", used, want)
			}
		}
	}
	if len(p.devs) != 3 || len(p.reflink) != 1 {
		t.Errorf("the Placer knows %d folders and %d devices; want 3 and 1", len(p.devs), len(p.reflink))
	}
	if p.Mode() != Auto {
		t.Errorf("Mode() = %v", p.Mode())
	}
}

// TestPlacerPlace: Placer.Place records use, and names a cached file
// that is missing.
func TestPlacerPlace(t *testing.T) {
	clock := &fakeClock{t: time.Now().Add(1000 * time.Hour)}
	c := newCache(t, Options{Now: clock.Now})
	content := []byte("tokenizer.json")
	id, src := add(t, c, content)
	before, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	dst := filepath.Join(t.TempDir(), "tokenizer.json")
	used, err := NewPlacer(c, Hardlink).Place(context.Background(), id, dst, 0o644)
	if err != nil || used != Hardlink {
		t.Fatalf("Place = %v, %v", used, err)
	}
	checkFile(t, dst, content, 0o444)
	if !c.Linked(id, lstat(t, dst)) {
		t.Error("Linked says the hardlinked output is not the cache's file")
	}
	after, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.lastUsed(after); !got.Equal(clock.Now()) {
		t.Errorf("last used %v after Place at %v", got, clock.Now())
	}
	if c.atime && !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("Place moved the modification time from %v to %v; it sets only the access time", before.ModTime(), after.ModTime())
	}

	// Copy over the hardlink replaces it; Linked then says no.
	if used, err := NewPlacer(c, Copy).Place(context.Background(), id, dst, 0o644); err != nil || used != Copy {
		t.Fatalf("Place(Copy) = %v, %v", used, err)
	}
	if c.Linked(id, lstat(t, dst)) {
		t.Error("Linked says a copy is the cache's file")
	}
	checkFile(t, src, content, 0o444)

	missing := objects.Sum([]byte("not cached"))
	_, err = NewPlacer(c, Copy).Place(context.Background(), missing, dst, 0o644)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), c.Path(missing)) {
		t.Errorf("Place of an uncached id = %v; want not-exist naming %s", err, c.Path(missing))
	}
	checkFile(t, dst, content, 0o644)
}

// lstat returns path's Lstat, for Cache.Linked.
func lstat(t testing.TB, path string) fs.FileInfo {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}
