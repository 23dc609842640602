package workspace

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzDecodeState: the checkout state is read from a file anyone can
// edit. Whatever it holds, decoding never panics, and a state it accepts
// is of this format, has its paths, and survives a write and a read.
func FuzzDecodeState(f *testing.F) {
	f.Add([]byte(`{"format":1,"paths":{}}`))
	f.Add([]byte(`{"format":1,"paths":{"data/train":{"record":"` + hex64('a') + `","root":"` + hex64('b') + `"}}}`))
	f.Add([]byte(`{"format":1,"paths":{"m":{"record":"` + hex64('c') + `","root":"` + hex64('d') + `","pending":"` + hex64('e') + `"}}}`))
	f.Add([]byte(`{"format":2,"paths":{}}`))
	f.Add([]byte(`{"format":1}`))
	f.Add([]byte(`{"format":1,"paths":{"x":{"record":"not hex"}}}`))
	f.Add([]byte(`null`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, ok := decodeState(b)
		if !ok {
			if s != nil {
				t.Fatalf("refused state came with a value: %+v", s)
			}
			return
		}
		if s.Format != stateFormat || s.Paths == nil {
			t.Fatalf("accepted state of format %d, paths %v", s.Format, s.Paths)
		}
		enc, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("accepted state does not encode: %v", err)
		}
		again, ok := decodeState(enc)
		if !ok || !reflect.DeepEqual(again, s) {
			t.Fatalf("state changed through a write and a read:\n%+v\n%+v", s, again)
		}
	})
}

// hex64 is a 64-digit hex id of one repeated digit.
func hex64(c byte) string {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c
	}
	return string(b)
}
