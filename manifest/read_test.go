package manifest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/trove-ml/trove/objects"
)

// smallSpec builds trees of tiny nodes, so that tests reach several index
// levels with few entries.
func smallSpec() *nodeSpec {
	s := treeSpec()
	s.minItems, s.maxItems = 2, 4
	return s
}

func TestMultiLevelTree(t *testing.T) {
	const n = 3000
	entries := filesNamed(names(n))
	s := newMemStore()
	w := newDirWriter(t.Context(), s, smallSpec())
	for _, e := range entries {
		if err := w.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	id, size, files, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if files != n || size != sumSizes(entries) {
		t.Errorf("files, size = %d, %d", files, size)
	}
	st := statNodes(t, s, id)
	t.Logf("%+v", st)
	if st.height < 3 || st.maxEntries > 4 {
		t.Fatalf("shape %+v: want at least 3 index levels of nodes of at most 4 items", st)
	}
	if got := readAll(t, s, id); firstDifference(got, entries) >= 0 {
		t.Fatalf("ReadDir: %d entries, want %d", len(got), n)
	}
	for _, after := range []string{"", "a", "file-0000000.bin", "file-0001499.bin", "file-0001499.bin~", "file-0002999.bin", "zzz"} {
		got, err := ListDir(t.Context(), s, id, "", after, 7)
		if err != nil {
			t.Fatal(err)
		}
		var want []Entry
		for _, e := range entries {
			if e.Name > after && len(want) < 7 {
				want = append(want, e)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ListDir(after %q) = %d entries starting %v", after, len(got), got)
		}
	}
	for i := 0; i < n; i += 97 {
		e, err := Lookup(t.Context(), s, id, entries[i].Name)
		if err != nil || e.Name != entries[i].Name {
			t.Fatalf("Lookup(%q) = %v, %v", entries[i].Name, e.Name, err)
		}
	}
	// Diff sees one changed file and reads few nodes.
	changed := append([]Entry(nil), entries...)
	changed[1234].Digest = objects.Sum([]byte("new"))
	w = newDirWriter(t.Context(), s, smallSpec())
	for _, e := range changed {
		if err := w.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	id2, _, _, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	before := s.getCount()
	var got []string
	err = Diff(t.Context(), s, id, id2, func(c Change) error {
		got = append(got, c.Op.String()+" "+c.Path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"modified " + entries[1234].Name}; !reflect.DeepEqual(got, want) {
		t.Errorf("Diff = %v, want %v", got, want)
	}
	if reads := s.getCount() - before; reads > 4*st.height+4 {
		t.Errorf("Diff read %d nodes of a tree of height %d", reads, st.height)
	}
}

// buildNested makes:
//
//	a.txt
//	a/          b, c/ (d), e-f
//	a-b
//	l -> a.txt
func buildNested(t testing.TB, s *memStore) objects.ID {
	c, cs, cf := writeDir(t, s, fileEntry("d", "dd"))
	a, as, af := writeDir(t, s, fileEntry("b", "b"), dirEntry("c", c, cs, cf), fileEntry("e-f", "eee"))
	root, _, _ := writeDir(t, s,
		dirEntry("a", a, as, af), fileEntry("a-b", "x"), fileEntry("a.txt", "hello"), symlinkEntry("l", "a.txt"))
	return root
}

func TestWalk(t *testing.T) {
	s := newMemStore()
	root := buildNested(t, s)
	walk := func(skip map[string]error) []string {
		var got []string
		err := Walk(t.Context(), s, root, func(p string, e Entry) error {
			got = append(got, p)
			return skip[p]
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	// Element-wise order: "a/..." before "a-b" and "a.txt".
	if got, want := walk(nil), []string{"a", "a/b", "a/c", "a/c/d", "a/e-f", "a-b", "a.txt", "l"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Walk = %v, want %v", got, want)
	}
	if got, want := walk(map[string]error{"a/c": SkipDir}), []string{"a", "a/b", "a/c", "a/e-f", "a-b", "a.txt", "l"}; !reflect.DeepEqual(got, want) {
		t.Errorf("SkipDir on a directory: %v, want %v", got, want)
	}
	if got, want := walk(map[string]error{"a/b": SkipDir}), []string{"a", "a/b", "a-b", "a.txt", "l"}; !reflect.DeepEqual(got, want) {
		t.Errorf("SkipDir on a file: %v, want %v", got, want)
	}
	if got, want := walk(map[string]error{"a/c/d": SkipAll}), []string{"a", "a/b", "a/c", "a/c/d"}; !reflect.DeepEqual(got, want) {
		t.Errorf("SkipAll: %v, want %v", got, want)
	}
	stop := errors.New("stop")
	if err := Walk(t.Context(), s, root, func(string, Entry) error { return stop }); err != stop {
		t.Errorf("Walk returned %v, want the callback's error unchanged", err)
	}
}

func TestLookupAndListDir(t *testing.T) {
	s := newMemStore()
	root := buildNested(t, s)
	ctx := t.Context()
	for _, tc := range []struct {
		path   string
		target error
		kind   Kind
	}{
		{"a", nil, KindDir},
		{"a/c/d", nil, KindFile},
		{"l", nil, KindSymlink},
		{"a/x", ErrNotExist, 0},
		{"zzz", ErrNotExist, 0},
		{"a.txt/x", ErrNotExist, 0}, // through a file
		{"", ErrInvalid, 0},
		{"/a", ErrInvalid, 0},
		{"a/", ErrInvalid, 0},
		{"a//c", ErrInvalid, 0},
		{"a/../a", ErrInvalid, 0},
	} {
		e, err := Lookup(ctx, s, root, tc.path)
		if tc.target == nil {
			if err != nil || e.Kind != tc.kind {
				t.Errorf("Lookup(%q) = %v, %v; want a %v", tc.path, e.Kind, err, tc.kind)
			}
			continue
		}
		if !errors.Is(err, tc.target) {
			t.Errorf("Lookup(%q) error %v, want %v", tc.path, err, tc.target)
		}
	}
	if _, err := Lookup(ctx, s, root, "nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ErrNotExist does not match fs.ErrNotExist: %v", err)
	}

	got, err := ListDir(ctx, s, root, "a", "", 0)
	if err != nil || len(got) != 3 || got[1].Name != "c" {
		t.Errorf("ListDir(a) = %v, %v", got, err)
	}
	got, err = ListDir(ctx, s, root, "a", "b", 1)
	if err != nil || len(got) != 1 || got[0].Name != "c" {
		t.Errorf("ListDir(a, after b, 1) = %v, %v", got, err)
	}
	if _, err := ListDir(ctx, s, root, "a.txt", "", 0); !errors.Is(err, ErrNotDir) {
		t.Errorf("ListDir of a file: %v", err)
	}
	if _, err := ListDir(ctx, s, root, "missing", "", 0); !errors.Is(err, ErrNotExist) {
		t.Errorf("ListDir of a missing dir: %v", err)
	}
}

// putNode encodes n and stores it, returning its id.
func putNode(t testing.TB, s *memStore, n *Node) objects.ID {
	t.Helper()
	b, err := EncodeNode(n)
	if err != nil {
		t.Fatal(err)
	}
	return s.putRaw(b)
}

// TestReadDirInconsistentNodes plants trees whose nodes are each valid but
// contradict one another.
func TestReadDirInconsistentNodes(t *testing.T) {
	s := newMemStore()
	leafA := putNode(t, s, &Node{Entries: []Entry{fileEntry("a", "1"), fileEntry("b", "2")}})
	leafC := putNode(t, s, &Node{Entries: []Entry{fileEntry("c", "3")}})
	leafB := putNode(t, s, &Node{Entries: []Entry{fileEntry("b", "2")}})
	empty := putNode(t, s, &Node{})
	child := func(first string, id objects.ID, count, size int64) Child {
		return Child{First: first, ID: id, Count: count, Size: size}
	}
	good := putNode(t, s, &Node{Index: true, Children: []Child{child("a", leafA, 2, 2), child("c", leafC, 1, 1)}})
	if got := readAll(t, s, good); len(got) != 3 {
		t.Fatalf("good tree: %d entries", len(got))
	}
	mid := putNode(t, s, &Node{Index: true, Children: []Child{child("c", leafC, 1, 1), child("d", leafC, 1, 1)}})
	for _, tc := range []struct {
		name string
		root *Node
		want string
	}{
		{"wrong count", &Node{Index: true, Children: []Child{child("a", leafA, 3, 2), child("c", leafC, 1, 1)}}, "holds 2 entries"},
		{"wrong size", &Node{Index: true, Children: []Child{child("a", leafA, 2, 9), child("c", leafC, 1, 1)}}, "of size 2"},
		{"wrong first name", &Node{Index: true, Children: []Child{child("a", leafA, 2, 2), child("bb", leafC, 1, 1)}}, `from "c"`},
		{"overlapping leaves", &Node{Index: true, Children: []Child{child("a", leafA, 2, 2), child("b", leafB, 1, 1)}}, "does not sort after"},
		{"single child", &Node{Index: true, Children: []Child{child("a", leafA, 2, 2)}}, "root index node has 1 child"},
		{"empty leaf", &Node{Index: true, Children: []Child{child("a", leafA, 2, 2), child("c", empty, 1, 1)}}, "holds 0 entries"},
		{"uneven depth", &Node{Index: true, Children: []Child{child("a", leafA, 2, 2), child("c", mid, 2, 2)}}, "different depths"},
		{"missing child", &Node{Index: true, Children: []Child{child("a", leafA, 2, 2), child("c", objects.Sum([]byte("?")), 1, 1)}}, "read tree node"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := putNode(t, s, tc.root)
			err := ReadDir(t.Context(), s, root, func(Entry) error { return nil })
			if !strings.Contains(fmt.Sprint(err), tc.want) {
				t.Fatalf("ReadDir error %v, want one mentioning %q", err, tc.want)
			}
			if tc.name != "missing child" && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
		})
	}
}

func TestWalkChecksDirectoryTotals(t *testing.T) {
	s := newMemStore()
	sub, size, files := writeDir(t, s, fileEntry("x", "12345"))
	for _, tc := range []struct {
		name        string
		size, files int64
	}{
		{"size", size + 1, files},
		{"files", size, files + 1},
	} {
		root, _, _ := writeDir(t, s, dirEntry("d", sub, tc.size, tc.files))
		err := Walk(t.Context(), s, root, func(string, Entry) error { return nil })
		wantErr(t, err, ErrCorrupt, `directory "d" holds 5 bytes in 1 files`)
	}
}

func TestWalkDepthLimit(t *testing.T) {
	s := newMemStore()
	id, size, files := writeDir(t, s, fileEntry("f", "x"))
	for range MaxDepth {
		id, size, files = writeDir(t, s, dirEntry("d", id, size, files))
	}
	err := Walk(t.Context(), s, id, func(string, Entry) error { return nil })
	wantErr(t, err, ErrCorrupt, "deeper than 256 levels")
}

func TestReadCancelled(t *testing.T) {
	s := newMemStore()
	root := buildNested(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := Walk(ctx, s, root, func(string, Entry) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Walk with a cancelled context = %v", err)
	}
	w := NewDirWriter(ctx, s)
	if _, _, _, err := w.Finish(); !errors.Is(err, context.Canceled) {
		t.Errorf("Finish with a cancelled context = %v", err)
	}
}
