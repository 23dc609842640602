package packindex

import (
	"bytes"
	"errors"
	"testing"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/objects/pack"
)

func sample() *Index {
	e1 := pack.Entry{Type: 1, Compression: 0, StoredLen: 100, RawLen: 100, ID: objects.Sum([]byte("a")), Offset: pack.HeaderSize}
	e2 := pack.Entry{Type: 2, Compression: 1, StoredLen: 50, RawLen: 300, ID: objects.Sum([]byte("b")), Offset: pack.HeaderSize + 100}
	return &Index{
		Packs:    []Pack{{ID: objects.Sum([]byte("p")), Size: 1000, Blobs: []pack.Entry{e1, e2}}},
		FileMaps: []FileMap{{Digest: objects.Sum([]byte("d")), Map: objects.Sum([]byte("m"))}},
	}
}

func TestRoundTrip(t *testing.T) {
	b, err := Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	ix, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := Encode(ix)
	if err != nil || !bytes.Equal(b, b2) {
		t.Fatalf("re-encoding differs (%v)", err)
	}
	if ix.Packs[0].Blobs[1].Offset != pack.HeaderSize+100 || ix.FileMaps[0].Map != objects.Sum([]byte("m")) {
		t.Fatalf("decoded %+v", ix)
	}
	empty, _ := Encode(&Index{})
	if _, err := Decode(empty); err != nil {
		t.Fatalf("empty index: %v", err)
	}
}

func TestEncodeRejects(t *testing.T) {
	ix := sample()
	ix.Packs[0].Blobs[1].Offset++ // a gap
	if _, err := Encode(ix); err == nil {
		t.Fatal("gap between blobs encoded")
	}
	ix = sample()
	ix.Packs[0].Size = 100 // blobs past the pack's end
	if _, err := Encode(ix); err == nil {
		t.Fatal("blobs past the pack encoded")
	}
	ix = sample()
	ix.Packs[0].Size = 200 // room for the blobs, not for the table and footer
	if _, err := Encode(ix); err == nil {
		t.Fatal("a pack too small for its table encoded")
	}
}

func TestDecodeRejects(t *testing.T) {
	good, _ := Encode(sample())
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrCorrupt},
		{"bad magic", mutate(func(b []byte) []byte { b[0] = 'X'; return b }), ErrCorrupt},
		{"future version", mutate(func(b []byte) []byte { b[6] = 9; return b }), ErrFormat},
		{"truncated", good[:len(good)-1], ErrCorrupt},
		{"trailing", append(bytes.Clone(good), 0), ErrCorrupt},
		{"huge pack count", append([]byte("TRVIDX\x01"), 0xff, 0xff, 0x03), ErrCorrupt},
		{"non-minimal varint", []byte("TRVIDX\x01\x80\x00\x00"), ErrCorrupt},
		// A pack of no blobs is still a header, a table and a footer.
		{"empty pack of size 0", append(append([]byte("TRVIDX\x01\x01"), make([]byte, objects.IDSize)...), 0, 0, 0), ErrCorrupt},
		// 200 bytes hold the header and blobs (158) but not the table
		// and footer after them (294); 1000 and 200 are both two-byte
		// varints, at byte 40.
		{"no room for the table", mutate(func(b []byte) []byte { b[40], b[41] = 0xc8, 0x01; return b }), ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Decode(tc.in); !errors.Is(err, tc.want) {
				t.Fatalf("Decode = %v, want %v", err, tc.want)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	good, _ := Encode(sample())
	f.Add(good)
	empty, _ := Encode(&Index{})
	f.Add(empty)
	f.Fuzz(func(t *testing.T, b []byte) {
		ix, err := Decode(b)
		if err != nil {
			return
		}
		enc, err := Encode(ix)
		if err != nil {
			t.Fatalf("decoded index does not encode: %v", err)
		}
		if !bytes.Equal(enc, b) {
			t.Fatalf("decode/encode is not canonical")
		}
	})
}
