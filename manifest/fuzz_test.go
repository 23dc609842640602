package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/trove-ml/trove/objects"
)

// The fuzz targets check that decoders never panic, that they fail only
// with the documented error classes, and that whatever they accept is
// canonical: encoding it again gives back the input byte for byte. Their
// seeds run as unit tests; crashers found later go to testdata/fuzz/.

func FuzzDecodeNode(f *testing.F) {
	for _, n := range []*Node{
		{},
		{Entries: knownTree()},
		{Entries: []Entry{fileEntry("a", "")}},
		{Index: true, Children: []Child{{First: "a", ID: emptyDirID, Count: 2, Size: 7}, {First: "b", ID: emptyDirID, Count: 1, Size: 0}}},
	} {
		b, err := EncodeNode(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("TRT\x01\x01\x80\x00"))
	f.Add(rawLeaf(2, rawFile("b"), rawFile("a")))
	f.Add(rawLeaf(1, rawFile("a", 0xa4, 0x83, 0x00)))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := DecodeNode(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupportedFormat) {
				t.Fatalf("error of unknown class: %v", err)
			}
			return
		}
		again, err := EncodeNode(n)
		if err != nil {
			t.Fatalf("decoded node does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("accepted a non-canonical encoding:\n in %x\nout %x", b, again)
		}
	})
}

func FuzzDecodeFileMap(f *testing.F) {
	a, b := objects.Sum([]byte("a")), objects.Sum([]byte("b"))
	for _, n := range []*FileMapNode{
		{},
		{Items: []FileMapItem{{a, 300}, {b, 1<<32 - 1}}},
		{Index: true, Items: []FileMapItem{{a, 1 << 40}}},
		{Format: 2, Items: []FileMapItem{{a, 300}, {b, 5}}},
	} {
		enc, err := EncodeFileMapNode(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
	}
	f.Add([]byte("TFM\x01\x01\x01\x81\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := DecodeFileMapNode(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupportedFormat) {
				t.Fatalf("error of unknown class: %v", err)
			}
			return
		}
		again, err := EncodeFileMapNode(n)
		if err != nil {
			t.Fatalf("decoded node does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("accepted a non-canonical encoding:\n in %x\nout %x", b, again)
		}
	})
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(func() []byte { b, _ := testRecord().Encode(); return b }())
	f.Add([]byte(`{"format":1,"artifact":"m","type":"model","root":"` + objects.Sum(nil).String() + `","files":0,"size":0,"created":"1970-01-01T00:00:01Z"}`))
	f.Add([]byte(`{"format":2}`))
	f.Add([]byte(`{"format":1,"metadata":{"a":NaN}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRecord(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupportedFormat) {
				t.Fatalf("error of unknown class: %v", err)
			}
			return
		}
		again, err := r.Encode()
		if err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("accepted a non-canonical record:\n in %s\nout %s", b, again)
		}
	})
}

func FuzzCanonicalMetadata(f *testing.F) {
	for _, s := range []string{`{}`, `{"b":1,"a":[1.0,{"c":"\u2028"}]}`, `{"a":NaN}`, `{"a":1e999}`, `[1]`, `{"a":1,"a":2}`, `{"s":"NaN \" Infinity"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := CanonicalMetadata(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error of unknown class: %v", err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("canonical form is not JSON: %s", out)
		}
		again, err := CanonicalMetadata(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("canonical form is not a fixed point: %s → %s, %v", out, again, err)
		}
	})
}
