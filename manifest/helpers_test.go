package manifest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/trove-ml/trove/objects"
)

func fileEntry(name, content string) Entry {
	return Entry{Name: name, Kind: KindFile, Mode: ModeFile, Size: int64(len(content)), Digest: objects.Sum([]byte(content))}
}

func execEntry(name, content string) Entry {
	e := fileEntry(name, content)
	e.Mode = ModeExec
	return e
}

func dirEntry(name string, id objects.ID, size, files int64) Entry {
	return Entry{Name: name, Kind: KindDir, Size: size, Digest: id, Files: files}
}

func symlinkEntry(name, target string) Entry {
	return Entry{Name: name, Kind: KindSymlink, Target: target, Digest: objects.Sum([]byte(target))}
}

func refEntry(name, uri, etag string, size int64) Entry {
	return Entry{Name: name, Kind: KindRef, Size: size, Ref: &Reference{URI: uri, ChecksumKind: "etag", Checksum: etag}}
}

func locEntry(name, uri string) Entry {
	return Entry{Name: name, Kind: KindRefLocation, Ref: &Reference{URI: uri}}
}

// emptyDirID is the id of the empty directory: one leaf with no entries.
var emptyDirID = objects.Sum([]byte("TRT\x01\x01\x00"))

// writeDir builds a directory from entries (already sorted) in s.
func writeDir(t testing.TB, s *memStore, entries ...Entry) (objects.ID, int64, int64) {
	t.Helper()
	w := NewDirWriter(context.Background(), s)
	for _, e := range entries {
		if err := w.Add(e); err != nil {
			t.Fatalf("Add(%q): %v", e.Name, err)
		}
	}
	id, size, files, err := w.Finish()
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	return id, size, files
}

// readAll returns the entries of directory id.
func readAll(t testing.TB, g BlobGetter, id objects.ID) []Entry {
	t.Helper()
	var out []Entry
	if err := ReadDir(context.Background(), g, id, func(e Entry) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatalf("ReadDir: %v", err)
	}
	return out
}

// wantErr fails unless err matches target (nil target: no error) and, if
// substr is not empty, its message contains substr.
func wantErr(t testing.TB, err, target error, substr string) {
	t.Helper()
	switch {
	case target == nil && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case target != nil && !errors.Is(err, target):
		t.Fatalf("error %v, want one matching %v", err, target)
	case substr != "" && (err == nil || !bytes.Contains([]byte(err.Error()), []byte(substr))):
		t.Fatalf("error %v, want one mentioning %q", err, substr)
	}
}

// firstDifference returns the index of the first difference between a and b,
// or -1. It is reflect.DeepEqual for entry lists, fast enough for 200,000
// entries under the race detector.
func firstDifference(a, b []Entry) int {
	for i := range min(len(a), len(b)) {
		x, y := &a[i], &b[i]
		if x.Name != y.Name || x.Kind != y.Kind || x.Files != y.Files || !sameEntry(x, y) {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}
