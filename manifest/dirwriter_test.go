package manifest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/trove-ml/trove/objects"
)

func TestDirWriterRejects(t *testing.T) {
	okFile := fileEntry("b", "x")
	for _, tc := range []struct {
		name    string
		entries []Entry
		want    string
	}{
		{"out of order", []Entry{fileEntry("b", ""), fileEntry("a", "")}, `"a" added after "b"`},
		{"duplicate", []Entry{fileEntry("a", ""), fileEntry("a", "")}, `duplicate entry "a"`},
		{"bytewise order", []Entry{fileEntry("a", ""), fileEntry("B", "")}, "bytewise name order"},
		{"slash", []Entry{fileEntry("a/b", "")}, "contains '/'"},
		{"empty name", []Entry{fileEntry("", "")}, "empty file name"},
		{"dot dot", []Entry{fileEntry("..", "")}, `".." is not allowed`},
		{"bad UTF-8", []Entry{fileEntry("a\xc3", "")}, "not valid UTF-8"},
		{"file mode", []Entry{{Name: "a", Kind: KindFile, Mode: 0o600, Digest: okFile.Digest}}, "file mode 0600"},
		{"file without digest", []Entry{{Name: "a", Kind: KindFile, Mode: ModeFile}}, "file has no digest"},
		{"negative size", []Entry{{Name: "a", Kind: KindFile, Mode: ModeFile, Size: -1, Digest: okFile.Digest}}, "negative size"},
		{"dir mode", []Entry{{Name: "a", Kind: KindDir, Mode: 0o755, Digest: emptyDirID}}, "stores mode 0"},
		{"dir without id", []Entry{{Name: "a", Kind: KindDir}}, "no tree id"},
		{"file count on file", []Entry{{Name: "a", Kind: KindFile, Mode: ModeFile, Digest: okFile.Digest, Files: 1}}, "no file count"},
		{"symlink without target", []Entry{{Name: "a", Kind: KindSymlink}}, "symlink target is empty"},
		{"symlink wrong digest", []Entry{{Name: "a", Kind: KindSymlink, Target: "y", Digest: okFile.Digest}}, "not the BLAKE3"},
		{"ref without checksum", []Entry{{Name: "a", Kind: KindRef, Ref: &Reference{URI: "s3://b/k"}}}, "checksum kind is empty"},
		{"ref without reference", []Entry{{Name: "a", Kind: KindRef}}, "no URI"},
		{"location with checksum", []Entry{{Name: "a", Kind: KindRefLocation, Ref: &Reference{URI: "s3://b/k", Checksum: "x"}}}, "URI alone"},
		{"unknown kind", []Entry{{Name: "a", Kind: 9}}, "unknown entry kind 9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := NewDirWriter(context.Background(), newMemStore())
			var err error
			for _, e := range tc.entries {
				if err = w.Add(e); err != nil {
					break
				}
			}
			wantErr(t, err, ErrInvalid, tc.want)
			// The writer stays failed.
			if err2 := w.Add(fileEntry("zzz", "")); !errors.Is(err2, ErrInvalid) {
				t.Errorf("Add after failure = %v", err2)
			}
			if _, _, _, err2 := w.Finish(); !errors.Is(err2, ErrInvalid) {
				t.Errorf("Finish after failure = %v", err2)
			}
		})
	}
}

func TestDirWriterAfterFinish(t *testing.T) {
	w := NewDirWriter(context.Background(), newMemStore())
	if _, _, _, err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(fileEntry("a", "")); err == nil {
		t.Error("Add after Finish succeeded")
	}
	if _, _, _, err := w.Finish(); err == nil {
		t.Error("second Finish succeeded")
	}
}

func TestDirWriterSymlinkDigestFilledIn(t *testing.T) {
	s := newMemStore()
	id, _, _ := writeDir(t, s, Entry{Name: "l", Kind: KindSymlink, Target: "t"})
	got := readAll(t, s, id)
	if got[0].Digest != objects.Sum([]byte("t")) {
		t.Errorf("symlink digest = %s", got[0].Digest)
	}
}

// names returns n sorted, distinct names.
func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("file-%07d.bin", i)
	}
	return out
}

// filesNamed returns a file entry for each name; every field is a function
// of the name alone.
func filesNamed(ns []string) []Entry {
	out := make([]Entry, len(ns))
	for i, n := range ns {
		d := objects.Sum([]byte(n))
		out[i] = Entry{Name: n, Kind: KindFile, Mode: ModeFile, Size: int64(d[0]) << 20, Digest: d}
	}
	return out
}

func sumSizes(es []Entry) (size int64) {
	for _, e := range es {
		size += e.Size
	}
	return size
}

// nodeStats describes the nodes of directory id.
type nodeStats struct {
	leaves, index, height int
	maxEntries, maxBytes  int
}

func statNodes(t testing.TB, s *memStore, id objects.ID) nodeStats {
	t.Helper()
	var st nodeStats
	var visit func(id objects.ID, depth int)
	visit = func(id objects.ID, depth int) {
		b, err := s.GetBlob(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		n, err := DecodeNode(b)
		if err != nil {
			t.Fatal(err)
		}
		st.maxBytes = max(st.maxBytes, len(b))
		st.maxEntries = max(st.maxEntries, len(n.Entries)+len(n.Children))
		st.height = max(st.height, depth)
		if !n.Index {
			st.leaves++
			return
		}
		st.index++
		for _, c := range n.Children {
			visit(c.ID, depth+1)
		}
	}
	visit(id, 0)
	return st
}

func TestDirWriterOneNodeWhenItFits(t *testing.T) {
	for _, n := range []int{1, 63, 64, 600, MaxNodeEntries} {
		s := newMemStore()
		entries := filesNamed(names(n))
		id, _, files := writeDir(t, s, entries...)
		st := statNodes(t, s, id)
		if st.leaves != 1 || st.index != 0 || files != int64(n) {
			t.Errorf("%d entries: %d leaves, %d index nodes, %d files; want one leaf", n, st.leaves, st.index, files)
		}
		want, err := EncodeNode(&Node{Entries: entries})
		if err != nil {
			t.Fatal(err)
		}
		if id != objects.Sum(want) {
			t.Errorf("%d entries: id is not that of the single leaf", n)
		}
	}
	// One more entry than fits splits the directory.
	s := newMemStore()
	id, _, _ := writeDir(t, s, filesNamed(names(MaxNodeEntries+1))...)
	if st := statNodes(t, s, id); st.leaves < 2 || st.index != 1 {
		t.Errorf("%d entries: %+v; want an index over leaves", MaxNodeEntries+1, st)
	}
}

func TestDirWriterByteLimit(t *testing.T) {
	// 1,000 entries with names of MaxNameLen bytes overflow 1 MiB long
	// before 2,048 entries.
	ns := make([]string, 1000)
	for i := range ns {
		ns[i] = fmt.Sprintf("%04d%01020d", i, 0)
	}
	s := newMemStore()
	id, _, _ := writeDir(t, s, filesNamed(ns)...)
	st := statNodes(t, s, id)
	if st.leaves < 2 || st.maxBytes > MaxNodeSize {
		t.Fatalf("%+v: want several leaves of at most %d bytes", st, MaxNodeSize)
	}
	if got := readAll(t, s, id); len(got) != len(ns) {
		t.Fatalf("read %d entries, want %d", len(got), len(ns))
	}
}

func TestDirWriterLarge(t *testing.T) {
	const n = 200_000
	ns := names(n)
	entries := filesNamed(ns)
	s := newMemStore()
	id, size, files := writeDir(t, s, entries...)
	if files != n || size != sumSizes(entries) {
		t.Errorf("files, size = %d, %d", files, size)
	}
	st := statNodes(t, s, id)
	t.Logf("%d entries: %+v", n, st)
	if st.leaves < n/MaxNodeEntries*2 || st.maxEntries > MaxNodeEntries || st.maxBytes > MaxNodeSize || st.index < 1 {
		t.Errorf("node shape %+v: want many bounded leaves under index nodes", st)
	}
	got := readAll(t, s, id)
	if i := firstDifference(got, entries); i >= 0 {
		t.Fatalf("ReadDir returned %d entries, not the %d written; first difference at %d", len(got), len(entries), i)
	}

	// Paging through ListDir returns the same entries, reading only the
	// nodes of each page.
	var paged []Entry
	after := ""
	for pages := 0; ; pages++ {
		before := s.getCount()
		page, err := ListDir(t.Context(), s, id, "", after, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if reads := s.getCount() - before; reads > 5000/MinLeafEntries+st.height+2 {
			t.Errorf("page %d read %d nodes", pages, reads)
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after = page[len(page)-1].Name
	}
	if i := firstDifference(paged, entries); i >= 0 {
		t.Fatalf("ListDir pages hold %d entries, not the %d written; first difference at %d", len(paged), len(entries), i)
	}

	// Lookup reads one node per level.
	for _, i := range []int{0, 1, 777, n / 2, n - 1} {
		before := s.getCount()
		e, err := Lookup(t.Context(), s, id, ns[i])
		if err != nil {
			t.Fatalf("Lookup(%q): %v", ns[i], err)
		}
		if !reflect.DeepEqual(e, entries[i]) {
			t.Errorf("Lookup(%q) = %+v", ns[i], e)
		}
		if reads := s.getCount() - before; reads > st.height+2 {
			t.Errorf("Lookup(%q) read %d nodes, tree height %d", ns[i], reads, st.height)
		}
	}
	if _, err := Lookup(t.Context(), s, id, "file-0000000.bim"); !errors.Is(err, ErrNotExist) {
		t.Errorf("Lookup of a missing name = %v", err)
	}
}

// TestDirWriterInsertRewritesFewNodes adds one name to a large directory
// and counts the nodes that are new.
func TestDirWriterInsertRewritesFewNodes(t *testing.T) {
	const n = 100_000
	ns := names(n)
	s := newMemStore()
	writeDir(t, s, filesNamed(ns)...)
	old := s.ids()
	for _, at := range []int{0, 31_337, n / 2, n} {
		withNew := append(append(append([]string(nil), ns[:at]...), fmt.Sprintf("file-%07d.bim", at)), ns[at:]...)
		if at > 0 {
			withNew[at] = ns[at-1] + "+"
		}
		s2 := newMemStore()
		for id, b := range s.blobs {
			s2.set(id, b)
		}
		id, _, _ := writeDir(t, s2, filesNamed(withNew)...)
		fresh := 0
		for id := range s2.ids() {
			if !old[id] {
				fresh++
			}
		}
		st := statNodes(t, s2, id)
		t.Logf("insert at %d: %d new nodes of %d", at, fresh, st.leaves+st.index)
		// The leaf that takes the name (sometimes also the next, when the
		// insertion moves a cut) and the index nodes above it.
		if fresh > 2+st.height+1 {
			t.Errorf("insert at %d wrote %d new nodes (tree height %d)", at, fresh, st.height)
		}
	}
}

// TestDirWriterReset reuses one writer for several directories, one of
// them with index levels, one after a failure: each tree must be the one a
// fresh writer builds.
func TestDirWriterReset(t *testing.T) {
	big := filesNamed(names(3 * MaxNodeEntries))
	dirs := [][]Entry{
		{fileEntry("a", "1"), fileEntry("b", "2")},
		big,
		{},
		{fileEntry("c", "3")},
	}
	s := newMemStore()
	w := NewDirWriter(t.Context(), s)
	// A failure first: Reset clears it.
	w.Add(fileEntry("b", ""))
	if err := w.Add(fileEntry("a", "")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("out-of-order Add = %v", err)
	}
	w.Reset()
	for i, entries := range dirs {
		for _, e := range entries {
			if err := w.Add(e); err != nil {
				t.Fatalf("dir %d: %v", i, err)
			}
		}
		id, size, files, err := w.Finish()
		if err != nil {
			t.Fatalf("dir %d: %v", i, err)
		}
		wantID, wantSize, wantFiles := writeDir(t, newMemStore(), entries...)
		if id != wantID || size != wantSize || files != wantFiles {
			t.Errorf("dir %d: reused writer gave %s %d %d, a fresh one %s %d %d", i, id, size, files, wantID, wantSize, wantFiles)
		}
		if got := readAll(t, s, id); firstDifference(got, entries) >= 0 {
			t.Errorf("dir %d: tree read back differs from the entries written", i)
		}
		w.Reset()
	}
}
