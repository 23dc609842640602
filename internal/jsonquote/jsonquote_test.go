package jsonquote

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

var seeds = []string{"", "a/b.bin", "<&>\u00e9\u2028\u2029", "\x00\x1f\b\f\n\r\t\"\\", "\xff\xfe", "日本\x80語", "\x7f"}

// FuzzEncodingJSON: EncodingJSON quotes as json.Marshal does, whatever
// the bytes.
func FuzzEncodingJSON(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := EncodingJSON(nil, s); string(got) != string(want) {
			t.Fatalf("EncodingJSON(%q) = %s, encoding/json %s", s, got, want)
		}
	})
}

// FuzzCanonical: Canonical quotes valid UTF-8 as encoding/json does with
// HTML escaping off, and what it writes decodes back to s.
func FuzzCanonical(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		got := Canonical(nil, s)
		if string(got) != strings.TrimSuffix(want.String(), "\n") {
			t.Fatalf("Canonical(%q) = %s, encoding/json %s", s, got, want.String())
		}
		var back string
		if err := json.Unmarshal(got, &back); err != nil || back != s {
			t.Fatalf("Canonical(%q) = %s decodes to %q, %v", s, got, back, err)
		}
	})
}
