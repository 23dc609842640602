package gitpair

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecode: Decode never panics, fails only with its sentinels, and what
// it accepts re-encodes canonically to an equal lock.
func FuzzDecode(f *testing.F) {
	l := &Lock{}
	l.Set(testPin("data/a", "a", 1, "latest"))
	l.Set(testPin("models/m", "m", 12, "registry/model/c:prod"))
	enc, err := l.Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc)
	f.Add([]byte("trove.lock 1\n"))
	f.Add([]byte("trove.lock 1\n<<<<<<< HEAD\n=======\n>>>>>>> x\n"))
	f.Add([]byte("# c\r\ntrove.lock 1\r\n" + pinLine(testPin("x", "x", 0, "v0")) + "\r\n"))
	f.Add([]byte("trove.lock 1\n" + pinLine(testPin("a", "a", 0, "latest")) + "\n" + pinLine(testPin("a/b", "b", 0, "latest")) + "\n"))
	// A pin line whose path starts with '#' is a comment to a reader:
	// writers refuse such paths (CheckPath, Encode), so no pin is lost so.
	f.Add([]byte("trove.lock 1\n" + pinLine(testPin("#c", "c", 0, "latest")) + "\n" + pinLine(testPin("data/#c", "c", 0, "latest")) + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrBadLock) && !errors.Is(err, ErrLockConflict) {
				t.Fatalf("error without a sentinel: %v", err)
			}
			if !strings.Contains(err.Error(), "line ") && !strings.Contains(err.Error(), "the limit is") {
				t.Fatalf("error names no line: %v", err)
			}
			return
		}
		enc, err := l.Encode()
		if err != nil {
			t.Fatalf("a lock Decode accepted does not encode: %v", err)
		}
		back, err := Decode(enc)
		if err != nil {
			t.Fatalf("re-decode of %q: %v", enc, err)
		}
		if len(back.Pins) != len(l.Pins) || len(l.Pins) > 0 && !reflect.DeepEqual(back, l) {
			t.Fatalf("round trip changed the lock:\n%+v\n%+v", l, back)
		}
		if again, err := back.Encode(); err != nil || !bytes.Equal(again, enc) {
			t.Fatal("encoding is not canonical")
		}
		for _, p := range l.Pins {
			if err := CheckPath(p.Path); err != nil {
				t.Fatalf("accepted bad path %q: %v", p.Path, err)
			}
		}
	})
}

// FuzzParsePrePush: the pre-push input parser never panics and keeps
// only well-formed lines.
func FuzzParsePrePush(f *testing.F) {
	h := strings.Repeat("a1", 20)
	z := strings.Repeat("0", 40)
	f.Add([]byte("refs/heads/main " + h + " refs/heads/main " + z + "\n"))
	f.Add([]byte("\n(delete) " + z + " refs/heads/x " + h + "\r\n"))
	f.Add([]byte("a b c d\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ups, err := ParsePrePush(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, ErrBadPrePush) {
				t.Fatalf("error without the sentinel: %v", err)
			}
			return
		}
		for _, u := range ups {
			if !isHash(u.LocalSHA) || !isHash(u.RemoteSHA) || u.LocalRef == "" || u.RemoteRef == "" {
				t.Fatalf("accepted %+v", u)
			}
		}
	})
}
