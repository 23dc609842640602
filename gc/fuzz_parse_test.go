package gc

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/remote/packindex"
)

// Fuzz targets for the decoders GC applies to what it reads from a remote:
// condemnation records and version records. Their seeds run as unit tests
// with `go test`; crashers found by `go test -fuzz` go to testdata/fuzz/
// and run as unit tests too.

// FuzzDecodeCondemned checks that decodeCondemned fails only with
// objects.ErrCorrupt, and that what it accepts survives a round trip
// through encodeCondemned: the same packs and file maps come back, in the
// order encodeCondemned writes them (by id, file maps by digest).
//
// The decoder is not strict about spelling (it takes upper-case ids, any
// JSON spacing, and ignores "by" and "made"), so re-encoding is not
// required to give the input back byte for byte.
func FuzzDecodeCondemned(f *testing.F) {
	a, b, c := objects.Sum([]byte("a")), objects.Sum([]byte("b")), objects.Sum([]byte("c"))
	made := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		packs []objects.ID
		fmaps []packindex.FileMap
	}{
		{},
		{packs: []objects.ID{a}},
		{packs: []objects.ID{c, a, b}, fmaps: []packindex.FileMap{{Digest: b, Map: a}, {Digest: a, Map: c}}},
	} {
		enc, err := encodeCondemned(tc.packs, tc.fmaps, "ana", made)
		if err != nil {
			f.Fatal(err)
		}
		packs, fmaps, err := decodeCondemned(enc)
		if err != nil || !slices.Equal(packs, sortedPacks(tc.packs)) || !slices.Equal(fmaps, sortedFileMaps(tc.fmaps)) {
			f.Fatalf("decodeCondemned(%s) = %v, %v, %v", enc, packs, fmaps, err)
		}
		f.Add(enc)
	}
	for _, s := range []string{
		`{"format":1,"packs":["` + strings.ToUpper(a.String()) + `"]}`,
		`{"format":1,"packs":null}`,
		`{"format":1,"packs":["` + b.String() + `","` + a.String() + `","` + a.String() + `"],"fileMaps":[["` + b.String() + `","` + a.String() + `"],["` + b.String() + `","` + c.String() + `"]]}`,
		``, `{}`, `null`, `[]`, `{"format":2,"packs":[]}`, `{"format":1,"packs":["abc"]}`,
		`{"format":1,"packs":[],"fileMaps":[["` + a.String() + `"]]}`,
		`{"format":1,"packs":[],"fileMaps":[["` + a.String() + `","x"]]}`,
		`{"format":1,"packs":[],"extra":true}`,
		`{"format":1,"packs":[1]}`,
		`{"format":1,"packs":[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		packs, fmaps, err := decodeCondemned(in)
		if err != nil {
			if !errors.Is(err, objects.ErrCorrupt) {
				t.Fatalf("decodeCondemned(%q): error of unknown class: %v", in, err)
			}
			if packs != nil || fmaps != nil {
				t.Fatalf("decodeCondemned(%q) failed (%v) but returned %v, %v", in, err, packs, fmaps)
			}
			return
		}
		enc, err := encodeCondemned(packs, fmaps, "", made)
		if err != nil {
			t.Fatalf("decodeCondemned(%q) = %v, %v, which does not encode: %v", in, packs, fmaps, err)
		}
		packs2, fmaps2, err := decodeCondemned(enc)
		if err != nil {
			t.Fatalf("re-encoded record %s does not decode: %v", enc, err)
		}
		if !slices.Equal(packs2, sortedPacks(packs)) || !slices.Equal(sortedFileMaps(fmaps2), sortedFileMaps(fmaps)) {
			t.Fatalf("decodeCondemned(%q) = %v, %v; after a round trip %v, %v", in, packs, fmaps, packs2, fmaps2)
		}
		if !slices.IsSortedFunc(fmaps2, func(x, y packindex.FileMap) int { return bytes.Compare(x.Digest[:], y.Digest[:]) }) {
			t.Fatalf("encodeCondemned wrote file maps out of digest order: %s", enc)
		}
	})
}

// sortedPacks returns ids in the order encodeCondemned writes them.
func sortedPacks(ids []objects.ID) []objects.ID {
	out := slices.Clone(ids)
	slices.SortFunc(out, func(x, y objects.ID) int { return bytes.Compare(x[:], y[:]) })
	return out
}

// sortedFileMaps returns fms by digest, then map: encodeCondemned sorts
// by digest only, so entries of one digest may come back in any order.
func sortedFileMaps(fms []packindex.FileMap) []packindex.FileMap {
	out := slices.Clone(fms)
	slices.SortFunc(out, func(x, y packindex.FileMap) int {
		if c := bytes.Compare(x.Digest[:], y.Digest[:]); c != 0 {
			return c
		}
		return bytes.Compare(x.Map[:], y.Map[:])
	})
	return out
}

// FuzzDecodeRecordTTL checks that decodeRecordTTL accepts exactly the
// version records manifest.DecodeRecord accepts, fails with the same
// error classes, and returns their TTL; and that the TTL of any record
// that encodes comes back unchanged (ttl is taken as given: "30d",
// "never", text that is no TTL at all), while a record whose TTL cannot be
// recorded (not UTF-8, or too long) does not encode.
func FuzzDecodeRecordTTL(f *testing.F) {
	base := manifest.Record{Artifact: "m", Type: "model", Root: objects.Sum(nil), Created: time.Unix(1, 0)}
	// TTLs as users give them, text that is no TTL, and two that cannot
	// be recorded: not UTF-8, and one byte over the limit of 1024.
	for _, ttl := range []string{"", "30d", "never", "inherit", "1d12h", "not a ttl \"\n\u2028", strings.Repeat("x", 1024), "\xff", strings.Repeat("x", 1025)} {
		r := base
		r.TTL = ttl
		enc, err := r.Encode()
		if err != nil { // a record that cannot be: spell one anyway
			enc = []byte(`{"format":1,"ttl":"` + ttl + `"}`)
		}
		f.Add(enc, ttl)
	}
	f.Add([]byte(``), "")
	f.Add([]byte(`{"format":2,"ttl":"30d"}`), "30d")
	f.Add([]byte(`{"format":1,"artifact":"m","type":"model","root":"`+objects.Sum(nil).String()+`","files":0,"size":0,"created":"1970-01-01T00:00:01Z","ttl":"30d","ttl":"1d"}`), "1d")
	f.Add([]byte(`{"format":1,"artifact":"m","type":"model","root":"`+objects.Sum(nil).String()+`","files":0,"size":0,"created":"1970-01-01T00:00:01Z", "ttl":"30d"}`), " 30d")
	f.Fuzz(func(t *testing.T, b []byte, ttl string) {
		got, err := decodeRecordTTL(b)
		rec, rerr := manifest.DecodeRecord(b)
		if (err == nil) != (rerr == nil) {
			t.Fatalf("decodeRecordTTL(%q) = %q, %v; manifest.DecodeRecord gives %v", b, got, err, rerr)
		}
		if err != nil {
			if !errors.Is(err, manifest.ErrCorrupt) && !errors.Is(err, manifest.ErrUnsupportedFormat) {
				t.Fatalf("decodeRecordTTL(%q): error of unknown class: %v", b, err)
			}
			if got != "" {
				t.Fatalf("decodeRecordTTL(%q) failed (%v) but returned %q", b, err, got)
			}
		} else if got != rec.TTL {
			t.Fatalf("decodeRecordTTL(%q) = %q, but the record's TTL is %q", b, got, rec.TTL)
		}

		r := base
		r.TTL = ttl
		enc, err := r.Encode()
		if err != nil {
			if utf8.ValidString(ttl) && len(ttl) <= 1024 {
				t.Fatalf("a record with TTL %q does not encode: %v", ttl, err)
			}
			return
		}
		if back, err := decodeRecordTTL(enc); err != nil || back != ttl {
			t.Fatalf("decodeRecordTTL of a record with TTL %q = %q, %v", ttl, back, err)
		}
	})
}
