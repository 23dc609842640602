package manifest

import (
	"testing"

	"github.com/trove-ml/trove/objects"
)

func TestVerifyTree(t *testing.T) {
	s := newMemStore()
	root := buildNested(t, s)
	size, files, err := VerifyTree(t.Context(), s, root)
	if err != nil || size != 1+2+3+1+5 || files != 6 {
		t.Fatalf("VerifyTree = %d, %d, %v", size, files, err)
	}

	// A large directory cut in the wrong places holds the right entries,
	// so every reader accepts it, but VerifyTree does not.
	entries := filesNamed(names(3000))
	half := len(entries) / 2
	l1 := putNode(t, s, &Node{Entries: entries[:half]})
	l2 := putNode(t, s, &Node{Entries: entries[half:]})
	odd := putNode(t, s, &Node{Index: true, Children: []Child{
		{First: entries[0].Name, ID: l1, Count: int64(half), Size: sumSizes(entries[:half])},
		{First: entries[half].Name, ID: l2, Count: int64(len(entries) - half), Size: sumSizes(entries[half:])},
	}})
	if got := readAll(t, s, odd); len(got) != len(entries) {
		t.Fatalf("ReadDir read %d entries", len(got))
	}
	_, _, err = VerifyTree(t.Context(), s, odd)
	wantErr(t, err, ErrCorrupt, "not in canonical form")

	// A small directory split in two is not canonical either.
	small := putNode(t, s, &Node{Index: true, Children: []Child{
		{First: "a", ID: putNode(t, s, &Node{Entries: []Entry{fileEntry("a", "1")}}), Count: 1, Size: 1},
		{First: "b", ID: putNode(t, s, &Node{Entries: []Entry{fileEntry("b", "2")}}), Count: 1, Size: 1},
	}})
	_, _, err = VerifyTree(t.Context(), s, small)
	wantErr(t, err, ErrCorrupt, "not in canonical form")

	// Wrong totals in a directory entry.
	sub, _, _ := writeDir(t, s, fileEntry("x", "12345"))
	bad, _, _ := writeDir(t, s, dirEntry("d", sub, 4, 1))
	_, _, err = VerifyTree(t.Context(), s, bad)
	wantErr(t, err, ErrCorrupt, `directory "d" holds 5 bytes`)
}

func TestVerifyFileMap(t *testing.T) {
	s := newMemStore()
	const oneNode = 256 // format 3's node size
	cs := testChunks(oneNode + 500)
	id := writeFileMap(t, s, cs)
	n, err := VerifyFileMap(t.Context(), s, id)
	if last := cs[len(cs)-1]; err != nil || n != last.off+int64(last.n) {
		t.Fatalf("VerifyFileMap = %d, %v", n, err)
	}
	// The same chunks in two leaves cut at the wrong place.
	var l1, l2 FileMapNode
	for i, c := range cs[:oneNode] {
		if i < 10 {
			l1.Items = append(l1.Items, FileMapItem{c.id, int64(c.n)})
		} else {
			l2.Items = append(l2.Items, FileMapItem{c.id, int64(c.n)})
		}
	}
	put := func(n *FileMapNode) (objects.ID, int64) {
		b, err := EncodeFileMapNode(n)
		if err != nil {
			t.Fatal(err)
		}
		var total int64
		for _, it := range n.Items {
			total += it.Len
		}
		return s.putRaw(b), total
	}
	a, la := put(&l1)
	b, lb := put(&l2)
	odd, _ := put(&FileMapNode{Index: true, Items: []FileMapItem{{a, la}, {b, lb}}})
	_, err = VerifyFileMap(t.Context(), s, odd)
	wantErr(t, err, ErrCorrupt, "not in canonical form")
}
