package reference

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/trove-ml/trove/manifest"
)

// FuzzParse: Parse never panics, accepts only what it can print back, and
// what it prints parses to the same location.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"s3://bucket/data/mnist", "s3://bucket", "gs://b/a b/%41?x#y", "https://host:8443/f?rev=2",
		"http://host/", "file:///data/mnist", "file://localhost/a/../b", "file:///", "s3:/x", "ftp://x",
		"http://[::1]:80/x", "http://host/%zz", "s3://bucket//x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		loc, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q): %v does not wrap ErrInvalid", s, err)
			}
			return
		}
		again, err := Parse(loc.String())
		if err != nil || again != loc {
			t.Fatalf("Parse(%q) = %+v prints %q, which parses to %+v, %v", s, loc, loc.String(), again, err)
		}
		if name, err := loc.Name(); err == nil && (name == "" || strings.Contains(name, "/")) {
			t.Fatalf("Parse(%q).Name() = %q", s, name)
		}
	})
}

// FuzzWalkCompare: walkCompare agrees with comparing paths element by
// element.
func FuzzWalkCompare(f *testing.F) {
	f.Add("a/b", "a-b")
	f.Add("a.txt", "a/b")
	f.Add("x", "x/y")
	f.Fuzz(func(t *testing.T, a, b string) {
		if strings.IndexByte(a, 0) >= 0 || strings.IndexByte(b, 0) >= 0 {
			return // names hold no NUL
		}
		want := slices.Compare(strings.Split(a, "/"), strings.Split(b, "/"))
		if got := walkCompare(a, b); got != want {
			t.Fatalf("walkCompare(%q, %q) = %d, want %d", a, b, got, want)
		}
	})
}

// FuzzReadItem: a sort run's decoder takes any bytes without a panic, and
// what it reads encodes in no more bytes than it read.
func FuzzReadItem(f *testing.F) {
	f.Add(appendItem(nil, item{path: "a/b", e: manifest.Entry{Name: "b", Kind: manifest.KindRef, Size: 7,
		Ref: &manifest.Reference{URI: "s3://b/a/b", ChecksumKind: KindETagVersionID, Checksum: "e", VersionID: "v"}}}))
	f.Add(appendItem(nil, item{path: "x", e: manifest.Entry{Name: "x", Kind: manifest.KindFile}}))
	f.Add([]byte{})
	f.Add([]byte{3, 'a'})
	f.Fuzz(func(t *testing.T, b []byte) {
		it, err := readItem(bufio.NewReader(bytes.NewReader(b)))
		if err == io.EOF && len(b) != 0 {
			t.Fatalf("io.EOF with %d bytes to read", len(b))
		}
		if err != nil {
			return
		}
		if enc := appendItem(nil, it); len(enc) > len(b) {
			t.Fatalf("read %d bytes' worth from %d", len(enc), len(b))
		}
	})
}
