package manifest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/trove-ml/trove/objects"
)

type chunk struct {
	off int64
	id  objects.ID
	n   uint32
}

// testChunks returns n chunks of varying length with distinct ids.
func testChunks(n int) []chunk {
	out := make([]chunk, n)
	var off int64
	for i := range out {
		id := objects.Sum(binary.LittleEndian.AppendUint64(nil, uint64(i)))
		l := uint32(16<<10 + int(id[2])<<10)
		out[i] = chunk{off, id, l}
		off += int64(l)
	}
	return out
}

func writeFileMap(t testing.TB, s BlobPutter, cs []chunk) objects.ID {
	t.Helper()
	w := NewFileMapWriter(context.Background(), s)
	for _, c := range cs {
		if err := w.Add(c.id, c.n); err != nil {
			t.Fatal(err)
		}
	}
	id, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func readFileMap(t testing.TB, g BlobGetter, id objects.ID, off, length int64) []chunk {
	t.Helper()
	var out []chunk
	err := FileMapRange(context.Background(), g, id, off, length, func(off int64, id objects.ID, n uint32) error {
		out = append(out, chunk{off, id, n})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFileMapKnownAnswer(t *testing.T) {
	s := newMemStore()
	a, b := objects.Sum([]byte("a")), objects.Sum([]byte("b"))
	id := writeFileMap(t, s, []chunk{{0, a, 300}, {300, b, 5}})
	want := []byte("TFM\x03\x01\x02")
	want = append(want, 0xac, 0x02) // 300
	want = append(want, a[:]...)
	want = append(want, 5)
	want = append(want, b[:]...)
	got, _ := s.GetBlob(t.Context(), id)
	if !bytes.Equal(got, want) {
		t.Fatalf("encoding\n got %x\nwant %x", got, want)
	}
	if id != objects.Sum(want) {
		t.Fatal("id is not the BLAKE3 of the node")
	}
	if empty := writeFileMap(t, s, nil); empty != objects.Sum([]byte("TFM\x03\x01\x00")) {
		t.Errorf("empty map id %s", empty)
	}
}

// TestFileMapCuts pins where each format cuts a large file's map: the
// leaves' sizes are what an edit inside the file costs in metadata.
func TestFileMapCuts(t *testing.T) {
	cs := testChunks(20_000)
	for _, tc := range []struct {
		format          byte
		leaves, maxLeaf int
	}{
		{1, 8, 7328},
		{2, 104, 512},
		{3, 209, 256},
	} {
		t.Run(fmt.Sprint("format ", tc.format), func(t *testing.T) {
			s := newMemStore()
			w := newFileMapWriter(t.Context(), s, tc.format)
			for _, c := range cs {
				if err := w.Add(c.id, c.n); err != nil {
					t.Fatal(err)
				}
			}
			root, err := w.Finish()
			if err != nil {
				t.Fatal(err)
			}
			leaves, maxLeaf := 0, 0
			for id := range s.ids() {
				b, _ := s.GetBlob(t.Context(), id)
				n, err := DecodeFileMapNode(b)
				if err != nil || n.Format != tc.format {
					t.Fatalf("node %s: format %d, %v", id.Short(), n.Format, err)
				}
				if !n.Index {
					leaves++
					maxLeaf = max(maxLeaf, len(n.Items))
				}
			}
			if leaves != tc.leaves || maxLeaf != tc.maxLeaf {
				t.Errorf("%d leaves of at most %d items, want %d of at most %d", leaves, maxLeaf, tc.leaves, tc.maxLeaf)
			}
			if got := len(readFileMap(t, s, root, 0, math.MaxInt64)); got != len(cs) {
				t.Errorf("read %d chunks back, want %d", got, len(cs))
			}
			if _, err := VerifyFileMap(t.Context(), s, root); err != nil {
				t.Errorf("VerifyFileMap: %v", err)
			}
		})
	}
}

func TestFileMapRoundTrip(t *testing.T) {
	const oneNode = 256 // format 3's node size
	for _, n := range []int{1, 200, oneNode, oneNode + 1, 40_000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			cs := testChunks(n)
			s := newMemStore()
			id := writeFileMap(t, s, cs)
			nodes := len(s.ids())
			if n <= oneNode && nodes != 1 {
				t.Errorf("%d chunks in %d nodes; want one leaf", n, nodes)
			}
			if n > oneNode && nodes < 3 {
				t.Errorf("%d chunks in %d nodes; want leaves and an index", n, nodes)
			}
			got := readFileMap(t, s, id, 0, math.MaxInt64)
			if len(got) != n {
				t.Fatalf("read %d chunks, want %d", len(got), n)
			}
			for i := range got {
				if got[i] != cs[i] {
					t.Fatalf("chunk %d = %+v, want %+v", i, got[i], cs[i])
				}
			}
		})
	}
}

func TestFileMapRange(t *testing.T) {
	cs := testChunks(40_000)
	s := newMemStore()
	id := writeFileMap(t, s, cs)
	end := cs[len(cs)-1].off + int64(cs[len(cs)-1].n)
	for _, tc := range []struct{ off, length int64 }{
		{0, 1},
		{cs[100].off, 1},
		{cs[100].off - 1, 2},                  // last byte of one chunk, first of the next
		{cs[20_000].off + 5, 3 * 64 << 10},    // a few chunks in the middle
		{cs[39_999].off, 1 << 40},             // to the end and past it
		{end, 10},                             // just past the end
		{end - 1, math.MaxInt64},              // the length overflows
		{cs[5].off, 0},                        // empty range
		{0, end},                              // everything
		{cs[8191].off, int64(cs[8191].n) + 1}, // across a leaf boundary, if one is there
	} {
		var want []chunk
		rangeEnd := tc.off + tc.length
		if rangeEnd < tc.off {
			rangeEnd = math.MaxInt64
		}
		for _, c := range cs {
			if tc.length > 0 && c.off < rangeEnd && c.off+int64(c.n) > tc.off {
				want = append(want, c)
			}
		}
		before := s.getCount()
		got := readFileMap(t, s, id, tc.off, tc.length)
		if !slices.Equal(got, want) {
			t.Errorf("range %d+%d: %d chunks, want %d", tc.off, tc.length, len(got), len(want))
		}
		if reads := s.getCount() - before; len(want) < 10 && reads > 3 {
			t.Errorf("range %d+%d read %d nodes for %d chunks", tc.off, tc.length, reads, len(want))
		}
	}
	err := FileMapRange(t.Context(), s, id, -1, 5, func(int64, objects.ID, uint32) error { return nil })
	wantErr(t, err, ErrInvalid, "offset -1")
}

func TestFileMapWriterRejects(t *testing.T) {
	w := NewFileMapWriter(t.Context(), newMemStore())
	wantErr(t, w.Add(objects.Sum(nil), 0), ErrInvalid, "length 0")
	wantErr(t, w.Add(objects.Sum(nil), 1), ErrInvalid, "length 0") // stays failed
	w = NewFileMapWriter(t.Context(), newMemStore())
	wantErr(t, w.Add(objects.ID{}, 1), ErrInvalid, "zero id")
}

// TestFileMapInsertRewritesFewNodes: a chunk inserted in the middle of a
// large file changes the leaf it lands in and the index, not the leaves
// after it.
func TestFileMapInsertRewritesFewNodes(t *testing.T) {
	cs := testChunks(60_000)
	s := newMemStore()
	writeFileMap(t, s, cs)
	old := s.ids()
	ins := append(append(append([]chunk(nil), cs[:25_000]...), chunk{0, objects.Sum([]byte("new")), 100}), cs[25_000:]...)
	s2 := newMemStore()
	writeFileMap(t, s2, ins)
	fresh := 0
	for id := range s2.ids() {
		if !old[id] {
			fresh++
		}
	}
	t.Logf("%d of %d nodes new", fresh, len(s2.ids()))
	if fresh > 3 {
		t.Errorf("insert wrote %d new nodes", fresh)
	}
}

func TestDecodeFileMapNodeRejects(t *testing.T) {
	id := objects.Sum(nil)
	leaf := func(count byte, items ...[]byte) []byte {
		b := []byte{'T', 'F', 'M', 1, 1, count}
		for _, it := range items {
			b = append(b, it...)
		}
		return b
	}
	item := func(l ...byte) []byte { return append(l, id[:]...) }
	for _, tc := range []struct {
		name   string
		b      []byte
		target error
		want   string
	}{
		{"bad magic", []byte("TRT\x01\x01\x00"), ErrCorrupt, "bad magic"},
		{"newer format", []byte("TFM\x07\x01\x00"), ErrUnsupportedFormat, "format 7 (reads 1..3)"},
		{"format 3 count over its limit", append([]byte("TFM\x03\x01\x81\x02"), make([]byte, 257*33)...), ErrCorrupt, "the limit is 256"},
		{"format 2 count over its limit", append([]byte("TFM\x02\x01\x81\x04"), make([]byte, 513*33)...), ErrCorrupt, "the limit is 512"},
		{"unknown kind", []byte("TFM\x01\x05\x00"), ErrCorrupt, "unknown node kind 5"},
		{"index without children", []byte("TFM\x01\x02\x00"), ErrCorrupt, "without children"},
		{"count beyond input", leaf(3, item(1)), ErrCorrupt, "cannot fit"},
		{"count over limit", append([]byte("TFM\x01\x01\x81\x80\x01"), make([]byte, 8193*33)...), ErrCorrupt, "the limit is 8192"},
		{"zero length", leaf(1, item(0)), ErrCorrupt, "length 0"},
		{"non-minimal length", leaf(1, item(0x81, 0x00)), ErrCorrupt, "non-minimal"},
		{"chunk over 4 GiB", leaf(1, item(0x80, 0x80, 0x80, 0x80, 0x10)), ErrCorrupt, "exceeds"},
		{"zero id", leaf(1, append([]byte{1}, make([]byte, 32)...)), ErrCorrupt, "zero id"},
		{"trailing bytes", append(leaf(1, item(1)), 9), ErrCorrupt, "1 trailing bytes"},
		{"truncated", leaf(1, item(1))[:30], ErrCorrupt, "cannot fit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeFileMapNode(tc.b)
			wantErr(t, err, tc.target, tc.want)
		})
	}
}

func TestFileMapInconsistentNodes(t *testing.T) {
	s := newMemStore()
	a, b := objects.Sum([]byte("a")), objects.Sum([]byte("b"))
	put := func(n *FileMapNode) objects.ID {
		enc, err := EncodeFileMapNode(n)
		if err != nil {
			t.Fatal(err)
		}
		return s.putRaw(enc)
	}
	l1 := put(&FileMapNode{Items: []FileMapItem{{a, 10}, {b, 20}}})
	l2 := put(&FileMapNode{Items: []FileMapItem{{b, 5}}})
	idx := put(&FileMapNode{Index: true, Items: []FileMapItem{{l1, 30}, {l2, 5}}})
	if got := readFileMap(t, s, idx, 0, math.MaxInt64); len(got) != 3 || got[2].off != 30 {
		t.Fatalf("good map read %+v", got)
	}
	for _, tc := range []struct {
		name string
		root *FileMapNode
		want string
	}{
		{"wrong span", &FileMapNode{Index: true, Items: []FileMapItem{{l1, 31}, {l2, 5}}}, "spans 30 bytes; its index entry says 31"},
		{"single child", &FileMapNode{Index: true, Items: []FileMapItem{{l1, 30}}}, "root index node has one child"},
		{"uneven depth", &FileMapNode{Index: true, Items: []FileMapItem{{l1, 30}, {idx, 35}}}, "different depths"},
	} {
		root := put(tc.root)
		err := ReadFileMap(t.Context(), s, root, func(int64, objects.ID, uint32) error { return nil })
		wantErr(t, err, ErrCorrupt, tc.want)
	}
	stop := errors.New("stop")
	if err := ReadFileMap(t.Context(), s, idx, func(int64, objects.ID, uint32) error { return stop }); err != stop {
		t.Errorf("callback error came back as %v", err)
	}
}
