package lineage

import (
	"bytes"
	"testing"
	"time"

	"github.com/trove-ml/trove/objects"
)

// Fuzz targets for every decoder of this package. Their seeds run as unit
// tests with `go test`; crashers found by `go test -fuzz` stay in
// testdata/fuzz/ and run as unit tests too.

func FuzzDecodeRecord(f *testing.F) {
	b, err := EncodeRecord(sampleRun())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	min := &Run{ID: "01JD3Q0000AAAAAAAAAAAAAAAA", Started: time.Unix(1, 0), Ended: time.Unix(2, 0), State: StateKilled, Signal: "SIGKILL"}
	if b, err = EncodeRecord(min); err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"format":1}`))
	f.Add([]byte(`{"format":99,"id":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRecord(b)
		if err != nil {
			return
		}
		again, err := EncodeRecord(r)
		if err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("decoded record re-encodes differently:\n%s\n%s", b, again)
		}
	})
}

func FuzzDecodeRef(f *testing.F) {
	r := sampleRun()
	b, err := (&runRef{Record: objects.Sum([]byte("r")), Run: r}).encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	r.State, r.Ended, r.ExitCode = StateRunning, time.Time{}, 0
	if b, err = (&runRef{Run: r}).encode(); err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"format":1,"run":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rr, err := decodeRef(b)
		if err != nil {
			return
		}
		again, err := rr.encode()
		if err != nil {
			t.Fatalf("decoded ref does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("decoded ref re-encodes differently:\n%s\n%s", b, again)
		}
	})
}

func FuzzDecodeEdge(f *testing.F) {
	rec := objects.Sum([]byte("v"))
	keys := edgeKeys(Input, "01JD3Q0000AAAAAAAAAAAAAAAA", rec)
	val := encodeEdgeValue(VersionRef{Record: rec, Artifact: "mnist", Version: 3})
	f.Add(keys[0], val)
	f.Add(keys[1], val)
	f.Add([]byte("r/x/i/y"), []byte{1, 0x80})
	f.Fuzz(func(t *testing.T, key, val []byte) {
		if k, run, rec, err := parseEdgeKey(key); err == nil {
			keys := edgeKeys(k, run, rec)
			if !bytes.Equal(keys[0], key) && !bytes.Equal(keys[1], key) {
				t.Fatalf("key %q parses to %s %s %s, which encodes as %q", key, k, run, rec, keys)
			}
		}
		if v, err := decodeEdgeValue(rec, val); err == nil {
			if again := encodeEdgeValue(v); !bytes.Equal(again, val) {
				t.Fatalf("value %q decodes to %+v, which encodes as %q", val, v, again)
			}
		}
	})
}
