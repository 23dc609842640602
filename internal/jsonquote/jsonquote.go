// Package jsonquote quotes strings as JSON, fast and byte for byte as a
// format needs: trove's canonical encodings (Canonical) and the output of
// encoding/json, which --json documents match (EncodingJSON).
package jsonquote

import "unicode/utf8"

// Canonical appends s as a canonical JSON string: '"', '\\' and control
// characters escaped (as \n, \r, \t, \b, \f or \u00XX), U+2028 and U+2029
// as \u2028 and \u2029, everything else as is. s must be valid UTF-8.
// Version records and metadata are hashed in this spelling: never change
// it.
func Canonical(b []byte, s string) []byte { return appendQuoted(b, s, false) }

// EncodingJSON appends s quoted as encoding/json quotes it: as Canonical,
// and also <, > and & as \u003c, \u003e and \u0026, and each byte of
// invalid UTF-8 as \ufffd.
func EncodingJSON(b []byte, s string) []byte { return appendQuoted(b, s, true) }

func appendQuoted(b []byte, s string, html bool) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && (!html || c != '<' && c != '>' && c != '&') {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case html && r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
