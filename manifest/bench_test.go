package manifest

import (
	"context"
	"io"
	"testing"

	"github.com/trove-ml/trove/objects"
)

// hashPutter stores nothing: it only computes ids, as a store must.
type hashPutter struct{}

func (hashPutter) PutBlob(_ context.Context, _ objects.BlobType, b []byte) (objects.ID, error) {
	return objects.Sum(b), nil
}

func BenchmarkDirWriter(b *testing.B) {
	entries := filesNamed(names(100_000))
	b.ReportAllocs()
	for b.Loop() {
		w := NewDirWriter(context.Background(), hashPutter{})
		for _, e := range entries {
			if err := w.Add(e); err != nil {
				b.Fatal(err)
			}
		}
		if _, _, _, err := w.Finish(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(entries))/b.Elapsed().Seconds(), "entries/s")
}

func bigDir(b *testing.B, n int) (*memStore, objects.ID, []Entry) {
	entries := filesNamed(names(n))
	s := newMemStore()
	id, _, _ := writeDir(b, s, entries...)
	return s, id, entries
}

func BenchmarkReadDir(b *testing.B) {
	s, id, entries := bigDir(b, 100_000)
	b.ReportAllocs()
	for b.Loop() {
		if err := ReadDir(context.Background(), s, id, func(Entry) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(entries))/b.Elapsed().Seconds(), "entries/s")
}

func BenchmarkLookup(b *testing.B) {
	s, id, entries := bigDir(b, 200_000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := Lookup(context.Background(), s, id, entries[i%len(entries)].Name); err != nil {
			b.Fatal(err)
		}
		i += 7919
	}
}

// BenchmarkDiffOneChange diffs two 200,000-entry directories that differ
// in one file: the cost follows the change, not the directory.
func BenchmarkDiffOneChange(b *testing.B) {
	s, id, entries := bigDir(b, 200_000)
	entries[123_456].Digest = objects.Sum([]byte("changed"))
	id2, _, _ := writeDir(b, s, entries...)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if err := Diff(context.Background(), s, id, id2, func(Change) error { n++; return nil }); err != nil || n != 1 {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkFileMapWriter maps a 1 GiB file of 64 KiB chunks.
func BenchmarkFileMapWriter(b *testing.B) {
	cs := testChunks(16_384)
	b.ReportAllocs()
	for b.Loop() {
		w := NewFileMapWriter(context.Background(), hashPutter{})
		for _, c := range cs {
			if err := w.Add(c.id, c.n); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := w.Finish(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(cs))/b.Elapsed().Seconds(), "chunks/s")
}

func BenchmarkDecodeNode(b *testing.B) {
	entries := filesNamed(names(MaxNodeEntries))
	enc, err := EncodeNode(&Node{Entries: entries})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeNode(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRecord(b *testing.B) {
	r := testRecord()
	enc, err := r.Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Encode(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeRecord(enc); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkWriteJSON(b *testing.B) {
	s, id, entries := bigDir(b, 100_000)
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteJSON(context.Background(), io.Discard, s, id); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(entries))/b.Elapsed().Seconds(), "entries/s")
}
