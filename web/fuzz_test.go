package web

import (
	"encoding/json"
	"testing"
)

// FuzzMetadataRows: a version's metadata comes from records that any
// remote's writer made. Splitting it into rows never panics; rows it
// gives are one per top-level key, sorted, and a string value is shown
// as the string itself.
func FuzzMetadataRows(f *testing.F) {
	f.Add([]byte(`{"lr":0.001,"name":"resnet","layers":[1,2,3],"opt":{"b":1}}`))
	f.Add([]byte(`{"a":"x","a":"y"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(` `))
	f.Add([]byte(`[1,2]`))
	f.Add([]byte(`{"k":"\u003cscript\u003e"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := metadataRows(b)
		if err != nil {
			return
		}
		var m map[string]json.RawMessage
		if len(rows) > 0 {
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("rows %v from metadata that is not an object: %v", rows, err)
			}
		}
		if len(rows) != len(m) {
			t.Fatalf("%d rows for %d keys", len(rows), len(m))
		}
		for i, r := range rows {
			if i > 0 && rows[i-1].Key >= r.Key {
				t.Fatalf("rows out of order: %q before %q", rows[i-1].Key, r.Key)
			}
			var s string
			if json.Unmarshal(m[r.Key], &s) == nil && r.Value != s {
				t.Fatalf("string value of %q shown as %q", r.Key, r.Value)
			}
		}
	})
}
