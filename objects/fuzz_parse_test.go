package objects

import (
	"strings"
	"testing"
)

// Fuzz targets for the text forms of IDs. Their seeds run as unit tests
// with `go test`; crashers found by `go test -fuzz` go to testdata/fuzz/
// and run as unit tests too.

// idSeeds are valid ids in both cases, boundary lengths and non-hex text.
func idSeeds() []string {
	id := Sum([]byte("abc")).String()
	return []string{
		id, strings.ToUpper(id), id[:10] + "A" + id[11:], ID{}.String(), strings.Repeat("f", 64), strings.Repeat("F", 64),
		"", "abc", id[:63], id + "0", id[:62] + "0", strings.Repeat("g", 64), "sha256:" + id[7:],
		id[:63] + " ", " " + id[1:], id[:63] + "\x00", id[:62] + "é", strings.Repeat("é", 32), "0x" + id[2:],
	}
}

// FuzzParseID checks ParseID against its definition: it accepts exactly
// the 64-character strings of hex digits of either case, and String then
// gives the input back in lower case. It also checks that every ID's
// String parses back to that ID.
func FuzzParseID(f *testing.F) {
	for _, s := range idSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if want := len(s) == 2*IDSize && isHex(s); (err == nil) != want {
			t.Fatalf("ParseID(%q) = %v, %v; want accepted %v", s, id, err, want)
		}
		if err != nil {
			if !id.IsZero() {
				t.Fatalf("ParseID(%q) failed (%v) but returned %v", s, err, id)
			}
		} else if id.String() != strings.ToLower(s) {
			t.Fatalf("ParseID(%q) = %v, which is not the input in lower case", s, id)
		}
		// Any 32 bytes (here the input's first, zero-padded) round-trip.
		var raw ID
		copy(raw[:], s)
		if back, err := ParseID(raw.String()); err != nil || back != raw {
			t.Fatalf("ParseID(%q) = %v, %v; want %x", raw.String(), back, err, raw[:])
		}
	})
}

// FuzzParseCanonicalID checks that ParseCanonicalID accepts exactly the
// ids ParseID accepts that are already spelt as String writes them, that
// the two then agree, and that every refusal says lower-case hex is
// wanted.
func FuzzParseCanonicalID(f *testing.F) {
	for _, s := range idSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseCanonicalID(s)
		loose, lerr := ParseID(s)
		want := lerr == nil && loose.String() == s
		if (err == nil) != want {
			t.Fatalf("ParseCanonicalID(%q) = %v, %v; ParseID gives %v, %v", s, id, err, loose, lerr)
		}
		if err != nil {
			if !id.IsZero() || !strings.Contains(err.Error(), "lower-case hex") {
				t.Fatalf("ParseCanonicalID(%q) = %v, %v: want the zero ID and an error asking for lower-case hex", s, id, err)
			}
			return
		}
		if id != loose || id.String() != s {
			t.Fatalf("ParseCanonicalID(%q) = %v; ParseID gives %v", s, id, loose)
		}
	})
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
