package objects

import (
	"bytes"
	"encoding/hex"
	"testing"
	"time"
)

// TestIndexEntryLayout pins the `i` value format.
func TestIndexEntryLayout(t *testing.T) {
	e := indexEntry{Type: TypeChunk, Compression: compressionZstd, StoredLen: 0x0102, RawLen: 0x0304, Offset: 0x0506, Pack: ID{0xAA}}
	got := hex.EncodeToString(e.encode())
	want := "01" + "01" + "01" + "02010000" + "04030000" + "0605000000000000" + "aa" + hex.EncodeToString(make([]byte, 31))
	if got != want {
		t.Fatalf("encoding\n got %s\nwant %s", got, want)
	}
	back, err := decodeIndexEntry(e.encode())
	if err != nil || back != e {
		t.Fatalf("decode = %+v, %v", back, err)
	}
}

func TestPackInfoLayout(t *testing.T) {
	p := PackInfo{ID: ID{1}, Size: 1000, Count: 3, BlobBytes: 900, Created: time.Unix(1700000000, 5).UTC()}
	back, err := decodePackInfo(p.ID, p.encode())
	if err != nil || back != p {
		t.Fatalf("decode = %+v, %v", back, err)
	}
	if len(p.encode()) != packInfoSize || p.encode()[0] != valueFormat {
		t.Fatalf("encoding %x", p.encode())
	}
}

// The value decoders read bytes from disk: fuzz them. Whatever they accept
// must re-encode to the same bytes (one spelling per value).

func FuzzDecodeIndexEntry(f *testing.F) {
	f.Add(indexEntry{Type: TypeChunk, StoredLen: 10, RawLen: 10, Offset: 8, Pack: ID{1}}.encode())
	f.Add(indexEntry{Type: TypeTree, Compression: compressionZstd, StoredLen: 10, RawLen: 99, Offset: 1 << 40}.encode())
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeIndexEntry(b)
		if err != nil {
			return
		}
		if !bytes.Equal(e.encode(), b) {
			t.Fatalf("%x decodes to %+v, which encodes to %x", b, e, e.encode())
		}
	})
}

func FuzzDecodePackInfo(f *testing.F) {
	f.Add(PackInfo{Size: 100, Count: 1, BlobBytes: 44, Created: time.Unix(0, 1)}.encode())
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodePackInfo(ID{}, b)
		if err != nil {
			return
		}
		if !bytes.Equal(p.encode(), b) {
			t.Fatalf("%x decodes to %+v, which encodes to %x", b, p, p.encode())
		}
	})
}

func FuzzDecodeInline(f *testing.F) {
	f.Add(encodeInline(TypeTree, []byte("tree")))
	f.Add(encodeInline(TypeRun, nil))
	f.Add([]byte{1, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		typ, data, err := decodeInline(b)
		if err != nil {
			return
		}
		if !bytes.Equal(encodeInline(typ, data), b) {
			t.Fatalf("%x does not re-encode", b)
		}
	})
}

func FuzzDecodeFileMap(f *testing.F) {
	f.Add(encodeFileMap(ID{7}))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := decodeFileMap(b)
		if err != nil {
			return
		}
		if !bytes.Equal(encodeFileMap(id), b) {
			t.Fatalf("%x does not re-encode", b)
		}
	})
}
