package main

import (
	"strconv"

	"github.com/trove-ml/trove/internal/jsonquote"
)

// appendFileJSON appends f as json.MarshalIndent(f, "  ", "  ") writes it,
// byte for byte (TestFileListerJSON; jsonquote.FuzzEncodingJSON): `trove ls
// --json` of a million files spent most of its time in encoding/json's
// reflection and in re-scanning its output to indent it.
func appendFileJSON(b []byte, f *fileJSON) []byte {
	b = append(b, '{')
	field := func(key string) {
		if b[len(b)-1] != '{' {
			b = append(b, ',')
		}
		b = append(b, "\n    \""...)
		b = append(b, key...)
		b = append(b, "\": "...)
	}
	str := func(key, v string, omitEmpty bool) {
		if omitEmpty && v == "" {
			return
		}
		field(key)
		b = jsonquote.EncodingJSON(b, v)
	}
	str("path", f.Path, false)
	str("kind", f.Kind, false)
	str("mode", f.Mode, false)
	field("size")
	b = strconv.AppendInt(b, f.Size, 10)
	str("digest", f.Digest, true)
	str("target", f.Target, true)
	str("url", f.URL, true)
	str("checksumKind", f.ChecksumKind, true)
	str("versionId", f.VersionID, true)
	return append(b, "\n  }"...)
}
