// Package visible makes text that users chose show what it is. A file
// called "a\u202egnp.exe" (a right-to-left override) displays as
// "aexe.png"; a terminal escape in a name recolours the screen. String
// writes such characters as escapes ("\u202e", "\x1b") and leaves the rest
// alone, so the UI (web) and the command line print names the same way.
//
// What counts as invisible is deliberately narrow: control characters,
// the bidirectional embeddings, overrides and isolates of "Trojan Source"
// spoofing, and the zero-width space and its kin. Format characters that
// writing needs stay: the zero-width joiner and non-joiner of emoji
// sequences and of Persian or Indic text, soft hyphens, and the
// left-to-right and right-to-left marks.
package visible

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Invisible reports whether r changes how text around it looks without
// looking like anything itself, and is not needed to write any language.
func Invisible(r rune) bool {
	switch {
	case unicode.IsControl(r), r == utf8.RuneError:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // bidi embeddings, overrides, isolates
		return true
	case r == 0x200b, r == 0x2060, r == 0xfeff, r == 0x180e: // zero-width space, word joiner, BOM, Mongolian vowel separator
		return true
	}
	return false
}

// String returns s with every invisible character written as an escape
// ("\x1b", "\u202e"). Invalid UTF-8 shows as "\ufffd".
func String(s string) string { return escape(s, false) }

// Lines is String keeping line breaks and tabs, for text of several lines.
func Lines(s string) string { return escape(s, true) }

func escape(s string, lines bool) string {
	keep := func(r rune) bool { return lines && (r == '\n' || r == '\t' || r == '\r') }
	clean := true
	for _, r := range s {
		if Invisible(r) && !keep(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case keep(r) || !Invisible(r):
			b.WriteRune(r)
		case r == utf8.RuneError:
			b.WriteString(`\ufffd`)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}
