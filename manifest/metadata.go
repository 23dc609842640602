package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/trove-ml/trove/internal/jsonquote"
)

// Limits on version metadata.
const (
	// MaxMetadataKeys is the most top-level keys a metadata object may
	// have (W&B's limit).
	MaxMetadataKeys = 100
	// MaxMetadataSize is the longest metadata object in bytes, as given
	// and as canonicalised. It keeps a version record well under the
	// 4 MiB limit on inline blobs.
	MaxMetadataSize = 1 << 20
	// MaxMetadataDepth is the deepest nesting of arrays and objects.
	MaxMetadataDepth = 64
)

// CanonicalMetadata checks that raw is a JSON object fit to be version
// metadata and returns its canonical form: object keys sorted bytewise at
// every level, no insignificant space, numbers exactly as written, strings
// escaped one way. It refuses, with an error wrapping [ErrInvalid] that
// says why: anything but an object at the top, more than [MaxMetadataKeys]
// top-level keys, a key repeated in one object, NaN or Infinity (which are
// not JSON), a number too large for a float64 (1e999), invalid UTF-8,
// nesting deeper than [MaxMetadataDepth] and input over [MaxMetadataSize].
func CanonicalMetadata(raw []byte) (json.RawMessage, error) {
	if len(raw) > MaxMetadataSize {
		return nil, invalidf("metadata is %d bytes (the limit is %d)", len(raw), MaxMetadataSize)
	}
	if !utf8.Valid(raw) {
		return nil, invalidf("metadata is not valid UTF-8")
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	tok, err := d.Token()
	if err == io.EOF {
		return nil, invalidf("metadata is empty; want a JSON object such as {\"key\": 1}")
	}
	if err != nil {
		return nil, metadataSyntaxError(raw, err)
	}
	if tok != json.Delim('{') {
		return nil, invalidf("metadata must be a JSON object, not %s", jsonKind(tok))
	}
	out, keys, err := canonicalObject(nil, d, raw, 1, "")
	if err != nil {
		return nil, err
	}
	if keys > MaxMetadataKeys {
		return nil, invalidf("metadata has %d top-level keys (the limit is %d)", keys, MaxMetadataKeys)
	}
	if _, err := d.Token(); err != io.EOF {
		if err == nil {
			return nil, invalidf("metadata has more after its closing brace (at byte %d)", d.InputOffset())
		}
		return nil, metadataSyntaxError(raw, err)
	}
	if len(out) > MaxMetadataSize {
		return nil, invalidf("metadata is %d bytes in canonical form (the limit is %d)", len(out), MaxMetadataSize)
	}
	return out, nil
}

// canonicalObject appends the canonical form of the object whose '{' the
// decoder has just read, and returns its number of keys. path names the
// object in messages ("" for the top level).
func canonicalObject(b []byte, d *json.Decoder, raw []byte, depth int, path string) ([]byte, int, error) {
	if depth > MaxMetadataDepth {
		return nil, 0, invalidf("metadata nests deeper than %d levels at %s", MaxMetadataDepth, pathOrTop(path))
	}
	type member struct {
		key string
		val []byte
	}
	var ms []member
	seen := map[string]bool{}
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, 0, metadataSyntaxError(raw, err)
		}
		if tok == json.Delim('}') {
			break
		}
		key := tok.(string) // the decoder returns only strings in key position
		if seen[key] {
			return nil, 0, invalidf("metadata repeats key %q in %s", key, pathOrTop(path))
		}
		seen[key] = true
		val, err := canonicalValue(nil, d, raw, depth, path+"."+key)
		if err != nil {
			return nil, 0, err
		}
		ms = append(ms, member{key, val})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].key < ms[j].key })
	b = append(b, '{')
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonquote.Canonical(b, m.key)
		b = append(b, ':')
		b = append(b, m.val...)
	}
	return append(b, '}'), len(ms), nil
}

// canonicalValue appends the canonical form of the next value.
func canonicalValue(b []byte, d *json.Decoder, raw []byte, depth int, path string) ([]byte, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, metadataSyntaxError(raw, err)
	}
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			b, _, err = canonicalObject(b, d, raw, depth+1, path)
			return b, err
		}
		// v is '[': the decoder reports a stray ']' or '}' as a syntax error.
		if depth+1 > MaxMetadataDepth {
			return nil, invalidf("metadata nests deeper than %d levels at %s", MaxMetadataDepth, path)
		}
		b = append(b, '[')
		for i := 0; d.More(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = canonicalValue(b, d, raw, depth+1, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return nil, err
			}
		}
		if _, err := d.Token(); err != nil { // the closing ']'
			return nil, metadataSyntaxError(raw, err)
		}
		return append(b, ']'), nil
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) || math.IsInf(f, 0) {
			return nil, invalidf("metadata number %s at %s is too large for a float64", v, path[1:])
		}
		return append(b, v...), nil
	case string:
		return jsonquote.Canonical(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case nil:
		return append(b, "null"...), nil
	}
	return nil, fmt.Errorf("manifest: metadata: unexpected JSON token %T", tok)
}

func pathOrTop(path string) string {
	if path == "" {
		return "the top-level object"
	}
	return path[1:]
}

func jsonKind(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "an array"
		}
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}

// metadataSyntaxError explains a JSON syntax error, naming NaN and
// Infinity, which Python's json module writes but JSON does not allow.
func metadataSyntaxError(raw []byte, err error) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return invalidf("metadata ends early: %v", err)
	}
	if lit, off := findNonJSONNumber(raw); lit != "" {
		return invalidf("metadata holds %s at byte %d: NaN and infinities are not JSON; store them as strings or null", lit, off)
	}
	return invalidf("metadata is not valid JSON: %v", err)
}

// findNonJSONNumber finds NaN or Infinity outside strings in raw.
func findNonJSONNumber(raw []byte) (string, int) {
	inString := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case inString && c == '\\':
			i++ // skip the escaped byte
		case c == '"':
			inString = !inString
		case !inString && c == 'N' && bytes.HasPrefix(raw[i:], []byte("NaN")):
			return "NaN", i
		case !inString && c == 'I' && bytes.HasPrefix(raw[i:], []byte("Infinity")):
			if i > 0 && raw[i-1] == '-' {
				return "-Infinity", i - 1
			}
			return "Infinity", i
		}
	}
	return "", 0
}

// MergeMetadata applies "key=value" settings, as given by repeated
// --meta flags, to the metadata object base (empty means {}), and returns
// the canonical result. A value that is valid JSON is stored as that JSON
// value (10, true, [1,2], "quoted"); any other value is stored as a string.
// Later settings of a key replace earlier ones and base's. A setting
// without '=' or with an empty key, and a result that breaks the rules of
// [CanonicalMetadata], are errors wrapping [ErrInvalid] naming the setting.
func MergeMetadata(base json.RawMessage, kv []string) (json.RawMessage, error) {
	members := map[string][]byte{}
	if len(bytes.TrimSpace(base)) > 0 {
		canon, err := CanonicalMetadata(base)
		if err != nil {
			return nil, err
		}
		if err := splitCanonicalObject(canon, members); err != nil {
			return nil, err
		}
	}
	for _, s := range kv {
		k, v, ok := strings.Cut(s, "=")
		switch {
		case !ok:
			return nil, invalidf("metadata setting %q has no '=': write key=value", s)
		case k == "":
			return nil, invalidf("metadata setting %q has an empty key", s)
		case !utf8.ValidString(s):
			return nil, invalidf("metadata setting %q is not valid UTF-8", s)
		}
		var val []byte
		if json.Valid([]byte(v)) {
			prefix := append(jsonquote.Canonical([]byte{'{'}, k), ':')
			one, err := CanonicalMetadata(append(append(prefix, v...), '}'))
			if err != nil {
				return nil, invalidf("metadata setting %q: %s", s, strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "))
			}
			val = one[len(prefix) : len(one)-1]
		} else {
			val = jsonquote.Canonical(nil, v)
		}
		members[k] = val
	}
	keys := make([]string, 0, len(members))
	for k := range members {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b := []byte{'{'}
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonquote.Canonical(b, k)
		b = append(b, ':')
		b = append(b, members[k]...)
	}
	b = append(b, '}')
	// Check the limits on the whole (key count, size).
	return CanonicalMetadata(b)
}

// splitCanonicalObject fills members with the top-level members of a
// canonical object, values in canonical form.
func splitCanonicalObject(canon []byte, members map[string][]byte) error {
	var m map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(canon))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return fmt.Errorf("manifest: metadata: %w", err)
	}
	for k, v := range m {
		// A RawMessage of a canonical object is canonical itself.
		members[k] = v
	}
	return nil
}
