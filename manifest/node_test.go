package manifest

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/trove-ml/trove/objects"
)

func TestEmptyDirKnownAnswer(t *testing.T) {
	s := newMemStore()
	id, size, files := writeDir(t, s)
	if id != emptyDirID || size != 0 || files != 0 {
		t.Fatalf("empty dir = %s, %d, %d; want %s, 0, 0", id, size, files, emptyDirID)
	}
	// Pinned: changing it changes every version digest ever made.
	const want = "448bb2fa6e66faa6110cc7018b6bb8aabdcc61a37904b31c3f93d81b2f7f9985"
	if got := id.String(); got != want {
		t.Errorf("empty dir id = %s, pinned %s", got, want)
	}
}

// TestNodeLayout spells out the encoding of a one-file leaf byte by byte.
func TestNodeLayout(t *testing.T) {
	e := fileEntry("a.txt", "hello")
	got, err := EncodeNode(&Node{Entries: []Entry{e}})
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	want = append(want, "TRT"...)
	want = append(want, 1, 1, 1) // format 1, leaf, 1 entry
	want = append(want, 1)       // kind file
	want = append(want, 5)       // name length
	want = append(want, "a.txt"...)
	want = append(want, 0xa4, 0x03) // mode 0644 = 420
	want = append(want, 5)          // size
	want = append(want, e.Digest[:]...)
	if !bytes.Equal(got, want) {
		t.Fatalf("encoding\n got %x\nwant %x", got, want)
	}
}

// knownTree is a leaf holding one entry of every kind.
func knownTree() []Entry {
	return []Entry{
		fileEntry("a.txt", "hello"),
		dirEntry("d", emptyDirID, 0, 0),
		symlinkEntry("l", "a.txt"),
		{Name: "r", Kind: KindRef, Size: 10, Ref: &Reference{URI: "s3://bucket/key", ChecksumKind: "etag+versionid", Checksum: `"abc"`, VersionID: "v1"}},
		execEntry("run.sh", "#!/bin/sh\n"),
		locEntry("u", "https://example.com/x"),
	}
}

func TestNodeKnownAnswer(t *testing.T) {
	s := newMemStore()
	id, size, files := writeDir(t, s, knownTree()...)
	// Pinned encoding of knownTree: see TestNodeLayout for how to read it.
	const wantHex = "" +
		"5452540101" + "06" + // magic, format 1, leaf, 6 entries
		"01" + "05612e747874" + "a403" + "05" + "ea8f163db38682925e4491c5e58d4bb3506ef8c14eb78a86e908c5624a67200f" + // file a.txt
		"02" + "0164" + "00" + "00" + "448bb2fa6e66faa6110cc7018b6bb8aabdcc61a37904b31c3f93d81b2f7f9985" + "00" + // dir d, 0 files
		"03" + "016c" + "00" + "00" + "0c1b1bc9896253c19131abb26e3b1342f8ea0fb3148a5dcbe06ebe141831a5d5" + "05612e747874" + // symlink l
		"04" + "0172" + "00" + "0a" + "0000000000000000000000000000000000000000000000000000000000000000" + // ref r, size 10
		"0f73333a2f2f6275636b65742f6b6579" + "0e657461672b76657273696f6e6964" + "052261626322" + "027631" +
		"01" + "0672756e2e7368" + "ed03" + "0a" + "bc1f407a11c9377c8b9b13f956b279c8462775105eb958fc9ae3c40de87cc96e" + // exec run.sh
		"05" + "0175" + "00" + "00" + "0000000000000000000000000000000000000000000000000000000000000000" + // location u
		"1568747470733a2f2f6578616d706c652e636f6d2f78"
	b, err := s.GetBlob(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(b) != wantHex {
		t.Errorf("encoding\n got %x\nwant %s", b, wantHex)
	}
	const wantID = "21c5f47f75eb75892f7334ca5f5c5eaf1188923cd817e638810596fab280658f"
	if id.String() != wantID {
		t.Errorf("id = %s, pinned %s", id, wantID)
	}
	if size != 5+10+10 || files != 5 {
		t.Errorf("size, files = %d, %d; want 25, 5", size, files)
	}
}

func TestNodeRoundTrip(t *testing.T) {
	nodes := []*Node{
		{},
		{Entries: knownTree()},
		{Entries: []Entry{fileEntry(strings.Repeat("x", MaxNameLen), ""), fileEntry("é", "ü")}},
		{Index: true, Children: []Child{{First: "a", ID: emptyDirID, Count: 1, Size: 0}, {First: "b", ID: objects.Sum(nil), Count: 300, Size: 1 << 40}}},
	}
	for i, n := range nodes {
		b, err := EncodeNode(n)
		if err != nil {
			t.Fatalf("%d: encode: %v", i, err)
		}
		got, err := DecodeNode(b)
		if err != nil {
			t.Fatalf("%d: decode: %v", i, err)
		}
		if !reflect.DeepEqual(normNode(got), normNode(n)) {
			t.Fatalf("%d: round trip\n got %+v\nwant %+v", i, got, n)
		}
		again, _ := EncodeNode(got)
		if !bytes.Equal(again, b) {
			t.Fatalf("%d: re-encoding differs", i)
		}
	}
}

// normNode makes nil and empty slices compare equal.
func normNode(n *Node) Node {
	c := *n
	if len(c.Entries) == 0 {
		c.Entries = nil
	}
	if len(c.Children) == 0 {
		c.Children = nil
	}
	return c
}

func TestEncodeNodeRejects(t *testing.T) {
	big := make([]Entry, MaxNodeEntries+1)
	for i := range big {
		big[i] = fileEntry(strings.Repeat("a", i+1), "")
	}
	for _, tc := range []struct {
		name string
		n    *Node
		want string
	}{
		{"unsorted", &Node{Entries: []Entry{fileEntry("b", ""), fileEntry("a", "")}}, "does not sort after"},
		{"duplicate", &Node{Entries: []Entry{fileEntry("a", ""), fileEntry("a", "")}}, "does not sort after"},
		{"too many", &Node{Entries: big}, "the limit is 2048"},
		{"bad mode", &Node{Entries: []Entry{{Name: "a", Kind: KindFile, Mode: 0o600, Digest: emptyDirID}}}, "file mode"},
		{"index without children", &Node{Index: true}, "without children"},
		{"leaf with children", &Node{Children: []Child{{First: "a", ID: emptyDirID, Count: 1}}}, "leaf with children"},
		{"empty child count", &Node{Index: true, Children: []Child{{First: "a", ID: emptyDirID}}}, "entry count 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := EncodeNode(tc.n)
			wantErr(t, err, ErrInvalid, tc.want)
		})
	}
}

// rawLeaf assembles a leaf node from pre-encoded entries, unchecked.
func rawLeaf(count int, entries ...[]byte) []byte {
	b := []byte("TRT\x01\x01")
	b = append(b, byte(count))
	for _, e := range entries {
		b = append(b, e...)
	}
	return b
}

// rawFile encodes a file entry by hand, allowing any name and mode.
func rawFile(name string, mode ...byte) []byte {
	b := []byte{1, byte(len(name))}
	b = append(b, name...)
	if mode == nil {
		mode = []byte{0xa4, 0x03}
	}
	b = append(b, mode...)
	b = append(b, 0) // size
	id := objects.Sum([]byte(name))
	return append(b, id[:]...)
}

func TestDecodeNodeRejects(t *testing.T) {
	good := rawFile("a")
	sym := []byte{3, 1, 'l', 0, 0}
	wrongDigest := objects.Sum([]byte("other"))
	sym = append(sym, wrongDigest[:]...)
	sym = append(sym, 1, 'x')
	for _, tc := range []struct {
		name   string
		b      []byte
		target error
		want   string
	}{
		{"empty input", nil, ErrCorrupt, "bad magic"},
		{"bad magic", []byte("TRX\x01\x01\x00"), ErrCorrupt, "bad magic"},
		{"newer format", []byte("TRT\x02\x01\x00"), ErrUnsupportedFormat, "format 2 (reads 1..1)"},
		{"unknown node kind", []byte("TRT\x01\x03\x00"), ErrCorrupt, "unknown node kind 3"},
		{"missing count", []byte("TRT\x01\x01"), ErrCorrupt, "unexpected end"},
		{"non-minimal count", []byte("TRT\x01\x01\x80\x00"), ErrCorrupt, "non-minimal varint"},
		{"count over limit", append([]byte("TRT\x01\x01\x81\x10"), make([]byte, 2049*40)...), ErrCorrupt, "the limit is 2048"},
		{"count beyond input", []byte("TRT\x01\x01\x05"), ErrCorrupt, "cannot fit"},
		{"trailing bytes", append(rawLeaf(1, good), 0), ErrCorrupt, "1 trailing bytes"},
		{"truncated entry", rawLeaf(1, good)[:len(rawLeaf(1, good))-1], ErrCorrupt, "digest: unexpected end"},
		{"unsorted", rawLeaf(2, rawFile("b"), rawFile("a")), ErrCorrupt, `"a" does not sort after "b"`},
		{"duplicate", rawLeaf(2, rawFile("a"), rawFile("a")), ErrCorrupt, `"a" does not sort after "a"`},
		{"slash in name", rawLeaf(1, rawFile("a/b")), ErrCorrupt, "contains '/'"},
		{"dot", rawLeaf(1, rawFile(".")), ErrCorrupt, `"." is not allowed`},
		{"dot dot", rawLeaf(1, rawFile("..")), ErrCorrupt, `".." is not allowed`},
		{"NUL in name", rawLeaf(1, rawFile("a\x00b")), ErrCorrupt, "NUL"},
		{"empty name", rawLeaf(1, rawFile("")), ErrCorrupt, "empty file name"},
		{"invalid UTF-8 name", rawLeaf(1, rawFile("\xff")), ErrCorrupt, "not valid UTF-8"},
		{"unknown entry kind", rawLeaf(1, append([]byte{9}, good[1:]...)), ErrCorrupt, "unknown entry kind 9"},
		{"file mode 0600", rawLeaf(1, rawFile("a", 0x80, 0x03)), ErrCorrupt, "file mode 0600"},
		{"non-minimal mode", rawLeaf(1, rawFile("a", 0xa4, 0x83, 0x00)), ErrCorrupt, "non-minimal varint"},
		{"symlink digest", rawLeaf(1, sym), ErrCorrupt, "not the BLAKE3 of its target"},
		{"index without children", []byte("TRT\x01\x02\x00"), ErrCorrupt, "without children"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := DecodeNode(tc.b)
			if n != nil {
				t.Errorf("DecodeNode returned a node with error %v", err)
			}
			wantErr(t, err, tc.target, tc.want)
			if tc.target == ErrCorrupt && !errors.Is(err, objects.ErrCorrupt) {
				t.Errorf("error %v does not match objects.ErrCorrupt", err)
			}
		})
	}
}
