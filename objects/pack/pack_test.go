package pack

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/zeebo/blake3"
)

type testBlob struct {
	e      Entry
	stored []byte
}

func blob(typ, comp uint8, stored string, raw uint32) testBlob {
	e := Entry{Type: typ, Compression: comp, StoredLen: uint32(len(stored)), RawLen: raw}
	e.ID = blake3.Sum256([]byte(stored)) // ids are opaque here
	return testBlob{e, []byte(stored)}
}

// encode writes a pack of blobs and returns its bytes.
func encode(t testing.TB, blobs ...testBlob) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, b := range blobs {
		if err := w.Add(b.e, b.stored); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	if w.Size() != int64(buf.Len()) {
		t.Fatalf("Size() = %d, wrote %d bytes", w.Size(), buf.Len())
	}
	return buf.Bytes()
}

func sampleBlobs() []testBlob {
	return []testBlob{
		blob(1, CompressionNone, "hello, world", 12),
		blob(1, CompressionZstd, "pretend-zstd", 4096),
		blob(2, CompressionNone, "", 0),
		blob(5, CompressionNone, strings.Repeat("x", 1000), 1000),
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		blobs []testBlob
	}{
		{"empty", nil},
		{"one", sampleBlobs()[:1]},
		{"several", sampleBlobs()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := encode(t, tt.blobs...)
			got, err := ReadTable(bytes.NewReader(p), int64(len(p)))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.blobs) {
				t.Fatalf("read %d entries, wrote %d", len(got), len(tt.blobs))
			}
			for i, e := range got {
				want := tt.blobs[i].e
				want.Offset = e.Offset
				if e != want {
					t.Errorf("entry %d = %+v, want %+v", i, e, want)
				}
				if s := p[e.Offset:e.End()]; !bytes.Equal(s, tt.blobs[i].stored) {
					t.Errorf("entry %d: bytes at offset %d are %q, want %q", i, e.Offset, s, tt.blobs[i].stored)
				}
			}
			// The remote path: footer first, then exactly the tail.
			f, err := DecodeFooter(p[len(p)-FooterSize:], int64(len(p)))
			if err != nil {
				t.Fatal(err)
			}
			tail, err := DecodeTail(p[int64(len(p))-f.TailSize():], int64(len(p)))
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(tail) != fmt.Sprint(got) {
				t.Errorf("DecodeTail = %v, ReadTable = %v", tail, got)
			}
			if _, err := DecodeTail(p[int64(len(p))-f.TailSize()+1:], int64(len(p))); !errors.Is(err, ErrCorrupt) {
				t.Errorf("DecodeTail of a short tail = %v, want ErrCorrupt", err)
			}
		})
	}
}

// TestLayout pins the byte layout of format 2 and its name.
func TestLayout(t *testing.T) {
	e := Entry{Type: 1, Compression: 0, StoredLen: 3, RawLen: 3, ID: [32]byte{0xAA}}
	p := encode(t, testBlob{e, []byte("abc")})
	if string(p[:8]) != "TRVPACK\x02" || string(p[8:11]) != "abc" {
		t.Fatalf("header and blob: %q", p[:11])
	}
	entry := p[11 : 11+EntrySize]
	wantEntry := append([]byte{1, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 0xAA}, make([]byte, 31)...)
	if !bytes.Equal(entry, wantEntry) {
		t.Fatalf("entry %x, want %x", entry, wantEntry)
	}
	foot := p[11+EntrySize:]
	sum := blake3.Sum256(entry)
	if len(foot) != FooterSize || !bytes.Equal(foot[:32], sum[:]) ||
		binary.LittleEndian.Uint32(foot[32:]) != 1 || binary.LittleEndian.Uint32(foot[36:]) != EntrySize ||
		string(foot[40:]) != "TRVPKEND" {
		t.Fatalf("footer %x", foot)
	}
}

// TestName checks how packs are named: format 2 by the BLAKE3 of the table
// (pinned here), format 1 by the hash of the whole file, which Read cannot
// check and says so.
func TestName(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if w.Name() != ([32]byte{}) {
		t.Fatal("Name before Finish is not zero")
	}
	e := Entry{Type: 1, Compression: 0, StoredLen: 3, RawLen: 3, ID: [32]byte{0xAA}}
	if err := w.Add(e, []byte("abc")); err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	const want = "dcf8c0cf8a9154cb0768aafd20f22d43de2fcda6cd0fb663bf9f570b959d7b27"
	if name := w.Name(); hex.EncodeToString(name[:]) != want {
		t.Fatalf("Name = %x, want %s", name, want)
	}
	p := buf.Bytes()
	tab, err := Read(bytes.NewReader(p), int64(len(p)))
	if err != nil {
		t.Fatal(err)
	}
	if tab.Version != 2 || tab.Sum != w.Name() || !tab.NamedBySum() || len(tab.Entries) != 1 {
		t.Fatalf("Read = version %d, sum %x, named by sum %v, %d entries", tab.Version, tab.Sum[:4], tab.NamedBySum(), len(tab.Entries))
	}
	old := asVersion1(bytes.Clone(p))
	tab, err = Read(bytes.NewReader(old), int64(len(old)))
	if err != nil {
		t.Fatal(err)
	}
	if tab.Version != 1 || tab.NamedBySum() {
		t.Fatalf("format 1 pack read as version %d, named by sum %v", tab.Version, tab.NamedBySum())
	}
}

// asVersion1 turns an encoded pack into the format 1 pack with the same
// blobs: the layout is the same, only the version byte differs.
func asVersion1(p []byte) []byte {
	p[7] = 1
	return p
}

// rehash recomputes the table hash of p after a test edited the table, so
// that the check under test is the one that fires.
func rehash(p []byte) []byte {
	n := len(p)
	tl := int(binary.LittleEndian.Uint32(p[n-12:]))
	if tl > n-FooterSize {
		return p
	}
	sum := blake3.Sum256(p[n-FooterSize-tl : n-FooterSize])
	copy(p[n-FooterSize:], sum[:])
	return p
}

func TestReadTableHostile(t *testing.T) {
	good := encode(t, sampleBlobs()...)
	n := len(good)
	tableStart := n - FooterSize - 4*EntrySize
	edit := func(f func(p []byte) []byte) []byte {
		return f(bytes.Clone(good))
	}
	tests := []struct {
		name    string
		pack    []byte
		size    int64 // if 0, len(pack)
		wantErr error
		wantMsg string
	}{
		{"empty file", nil, 0, ErrCorrupt, "too short"},
		{"truncated to header", good[:8], 0, ErrCorrupt, "too short"},
		{"truncated tail", good[:n-1], 0, ErrCorrupt, "footer magic"},
		{"truncated front", good[1:], 0, ErrCorrupt, "bad magic"},
		{"size beyond file", good, int64(n + 10), ErrCorrupt, "truncated"},
		{"bad magic", edit(func(p []byte) []byte { p[0] = 'X'; return p }), 0, ErrCorrupt, "bad magic"},
		{"future version", edit(func(p []byte) []byte { p[7] = 3; return p }), 0, ErrFormat, "pack format 3 (reads 1..2)"},
		{"version 0", edit(func(p []byte) []byte { p[7] = 0; return p }), 0, ErrFormat, "pack format 0"},
		{"flipped table byte", edit(func(p []byte) []byte { p[tableStart+20] ^= 1; return p }), 0, ErrCorrupt, "table hash"},
		{"flipped table hash", edit(func(p []byte) []byte { p[n-FooterSize] ^= 1; return p }), 0, ErrCorrupt, "table hash"},
		{"count too large", edit(func(p []byte) []byte {
			binary.LittleEndian.PutUint32(p[n-16:], MaxCount+1)
			return p
		}), 0, ErrCorrupt, "more than the limit"},
		{"count disagrees with table length", edit(func(p []byte) []byte {
			binary.LittleEndian.PutUint32(p[n-16:], 3)
			return p
		}), 0, ErrCorrupt, "table of 176 bytes for 3 blobs"},
		{"huge table length", edit(func(p []byte) []byte {
			binary.LittleEndian.PutUint32(p[n-16:], MaxCount)
			binary.LittleEndian.PutUint32(p[n-12:], MaxCount*EntrySize)
			return p
		}), 0, ErrCorrupt, "does not fit"},
		{"reserved bytes", edit(func(p []byte) []byte { p[tableStart+2] = 1; return rehash(p) }), 0, ErrCorrupt, "reserved"},
		{"unknown compression", edit(func(p []byte) []byte { p[tableStart+1] = 7; return rehash(p) }), 0, ErrCorrupt, "unknown compression 7"},
		{"type zero", edit(func(p []byte) []byte { p[tableStart] = 0; return rehash(p) }), 0, ErrCorrupt, "blob type 0"},
		{"raw length of uncompressed blob", edit(func(p []byte) []byte { p[tableStart+8]++; return rehash(p) }), 0, ErrCorrupt, "raw length"},
		{"blob runs past table", edit(func(p []byte) []byte {
			binary.LittleEndian.PutUint32(p[tableStart+3*EntrySize+4:], 2000)
			binary.LittleEndian.PutUint32(p[tableStart+3*EntrySize+8:], 2000)
			return rehash(p)
		}), 0, ErrCorrupt, "runs 1000 bytes past"},
		{"gap before table", edit(func(p []byte) []byte {
			binary.LittleEndian.PutUint32(p[tableStart+3*EntrySize+4:], 999)
			binary.LittleEndian.PutUint32(p[tableStart+3*EntrySize+8:], 999)
			return rehash(p)
		}), 0, ErrCorrupt, "blobs end at offset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size := tt.size
			if size == 0 {
				size = int64(len(tt.pack))
			}
			_, err := ReadTable(bytes.NewReader(tt.pack), size)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("ReadTable = %v, want %v containing %q", err, tt.wantErr, tt.wantMsg)
			}
		})
	}
}

func TestReadTableIOError(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := ReadTable(failingReaderAt{boom}, 1000)
	if !errors.Is(err, boom) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("ReadTable = %v, want the I/O error and not ErrCorrupt", err)
	}
}

type failingReaderAt struct{ err error }

func (f failingReaderAt) ReadAt([]byte, int64) (int, error) { return 0, f.err }

func TestWriterErrors(t *testing.T) {
	t.Run("length mismatch", func(t *testing.T) {
		w := NewWriter(io.Discard)
		e := Entry{Type: 1, StoredLen: 4, RawLen: 4}
		if err := w.Add(e, []byte("abc")); err == nil {
			t.Fatal("Add accepted 3 bytes for StoredLen 4")
		}
	})
	t.Run("bad entry", func(t *testing.T) {
		w := NewWriter(io.Discard)
		if err := w.Add(Entry{Type: 0}, nil); err == nil {
			t.Fatal("Add accepted type 0")
		}
		if err := w.Add(Entry{Type: 1, Compression: 9}, nil); err == nil {
			t.Fatal("Add accepted compression 9")
		}
	})
	t.Run("stays failed", func(t *testing.T) {
		boom := errors.New("disk full")
		fw := &failAfter{n: 10, err: boom}
		w := NewWriter(fw)
		b := blob(1, CompressionNone, "0123456789abcdef", 16)
		if err := w.Add(b.e, b.stored); !errors.Is(err, boom) {
			t.Fatalf("Add = %v, want %v", err, boom)
		}
		fw.n = 1 << 30 // the disk has room again; the writer must not care
		if err := w.Add(b.e, b.stored); !errors.Is(err, ErrBroken) || !errors.Is(err, boom) {
			t.Fatalf("Add after failure = %v, want ErrBroken and the cause", err)
		}
		if err := w.Finish(); !errors.Is(err, ErrBroken) {
			t.Fatalf("Finish after failure = %v, want ErrBroken", err)
		}
	})
	t.Run("after finish", func(t *testing.T) {
		w := NewWriter(io.Discard)
		if err := w.Finish(); err != nil {
			t.Fatal(err)
		}
		b := blob(1, CompressionNone, "x", 1)
		if err := w.Add(b.e, b.stored); err == nil {
			t.Fatal("Add after Finish succeeded")
		}
	})
	t.Run("full", func(t *testing.T) {
		if testing.Short() {
			t.Skip("adds a million blobs")
		}
		w := NewWriter(io.Discard)
		e := Entry{Type: 1}
		for i := range MaxCount {
			if err := w.Add(e, nil); err != nil {
				t.Fatalf("Add %d: %v", i, err)
			}
		}
		if err := w.Add(e, nil); err == nil || !strings.Contains(err.Error(), "pack full") {
			t.Fatalf("Add beyond MaxCount = %v, want pack full", err)
		}
		if w.Count() != MaxCount {
			t.Fatalf("Count = %d", w.Count())
		}
	})
}

type failAfter struct {
	n   int
	err error
}

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n := f.n
		f.n = 0
		return n, f.err
	}
	f.n -= len(p)
	return len(p), nil
}

// FuzzReadTable feeds hostile packs to the decoder. Whatever it accepts must
// tile the file exactly and re-encode to the same bytes (the format has one
// spelling per pack); whatever it rejects must be classified.
func FuzzReadTable(f *testing.F) {
	f.Add(encode(f))
	f.Add(encode(f, sampleBlobs()[:1]...))
	f.Add(encode(f, sampleBlobs()...))
	f.Add([]byte("TRVPACK\x03"))
	f.Add(asVersion1(encode(f, sampleBlobs()...)))
	f.Fuzz(func(t *testing.T, p []byte) {
		entries, err := ReadTable(bytes.NewReader(p), int64(len(p)))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrFormat) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		var blobs []testBlob
		for _, e := range entries {
			if e.Offset < HeaderSize || e.End() > int64(len(p)) {
				t.Fatalf("entry %+v outside the file of %d bytes", e, len(p))
			}
			blobs = append(blobs, testBlob{e, p[e.Offset:e.End()]})
		}
		again := encode(t, blobs...)
		again[7] = p[7] // the writer writes the current version only
		if !bytes.Equal(again, p) {
			t.Fatalf("accepted pack does not re-encode to itself")
		}
	})
}

func BenchmarkReadTable(b *testing.B) {
	var blobs []testBlob
	for i := range 1024 { // a 64 MiB pack of 64 KiB chunks
		blobs = append(blobs, blob(1, CompressionNone, fmt.Sprint(i), uint32(len(fmt.Sprint(i)))))
	}
	p := encode(b, blobs...)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadTable(bytes.NewReader(p), int64(len(p))); err != nil {
			b.Fatal(err)
		}
	}
}

// memFile is an in-memory file: WriteAt anywhere, and Write at a position
// the test sets, as a pack file filled with Reserve is used.
type memFile struct {
	b   []byte
	pos int64
}

func (m *memFile) WriteAt(p []byte, off int64) (int, error) {
	if end := off + int64(len(p)); end > int64(len(m.b)) {
		m.b = append(m.b, make([]byte, end-int64(len(m.b)))...)
	}
	return copy(m.b[off:], p), nil
}

func (m *memFile) Write(p []byte) (int, error) {
	n, err := m.WriteAt(p, m.pos)
	m.pos += int64(n)
	return n, err
}

// TestReserve fills a pack with Reserve and WriteAt, in an order other than
// the table's, and checks it equals the pack Add writes.
func TestReserve(t *testing.T) {
	blobs := sampleBlobs()
	want := encode(t, blobs...)

	f := &memFile{}
	w := NewWriter(f)
	offsets := make([]int64, len(blobs))
	for i, b := range blobs {
		off, err := w.Reserve(b.e)
		if err != nil {
			t.Fatal(err)
		}
		offsets[i] = off
		f.pos = w.Size() // Writer's own writes go after the reserved bytes
	}
	for i := len(blobs) - 1; i >= 0; i-- { // back to front
		if _, err := f.WriteAt(blobs[i].stored, offsets[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.b, want) {
		t.Fatalf("reserved pack differs from the added one:\n%x\n%x", f.b, want)
	}
	if w.Size() != int64(len(want)) {
		t.Fatalf("Size = %d, want %d", w.Size(), len(want))
	}
}
