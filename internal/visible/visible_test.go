package visible

import (
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain name.txt", "plain name.txt"},
		{"ünïcödé 数据", "ünïcödé 数据"},
		{"esc\x1b[31m", `esc\x1b[31m`},
		{"tab\tnl\n", `tab\x09nl\x0a`},
		{"rtl\u202egnp.exe", `rtl\u202egnp.exe`},
		{"iso\u2066late\u2069", `iso\u2066late\u2069`},
		{"zw\u200bsp", `zw\u200bsp`},
		{"bad\xffutf8", `bad\ufffdutf8`},
		// Format characters that writing needs stay.
		{"👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"},
		{"می\u200cخواهم", "می\u200cخواهم"},
		{"soft\u00adhyphen", "soft\u00adhyphen"},
	} {
		if got := String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := Lines("a\nb\tc\x1b"); got != "a\nb\tc\\x1b" {
		t.Errorf("Lines kept %q", got)
	}
}

// FuzzString: what String returns is valid UTF-8 with no invisible
// character left, and text with none is returned as it is.
func FuzzString(f *testing.F) {
	for _, s := range []string{"a\u202eb", "\x1b[0m", "\xff", "👨\u200d👩", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := String(s)
		if !utf8.ValidString(got) {
			t.Fatalf("String(%q) = %q, not UTF-8", s, got)
		}
		clean := true
		for _, r := range got {
			if Invisible(r) {
				t.Fatalf("String(%q) = %q keeps %U", s, got, r)
			}
		}
		for _, r := range s {
			clean = clean && !Invisible(r)
		}
		if clean && got != s {
			t.Fatalf("String(%q) = %q changed clean text", s, got)
		}
	})
}
