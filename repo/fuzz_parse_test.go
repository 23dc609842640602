package repo

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/trove-ml/trove/objects"
)

// Fuzz targets for the decoders of values this package keeps in the
// repository database. Their seeds run as unit tests with `go test`;
// crashers found by `go test -fuzz` go to testdata/fuzz/ and run as unit
// tests too.

// FuzzDecodeStatEntry checks that decodeStatEntry accepts exactly the
// entries of format 2 (statEntrySize bytes) and format 1 (statEntrySizeV1
// bytes) whose reserved bytes are zero, fails otherwise with errStatEntry, and that what it accepts
// re-encodes canonically: a format 2 entry to itself byte for byte, a
// format 1 entry to what withEpoch makes of it (the same fields, epoch 0).
func FuzzDecodeStatEntry(f *testing.F) {
	s := fileStat{size: 5, mtime: 6, ctime: 7, ino: 8, dev: 9}
	enc := encodeStatEntry(s, time.Unix(100, 5), objects.Sum([]byte("x")), 42)
	f.Add(enc)
	f.Add(append([]byte{1}, enc[1:statEntrySizeV1]...)) // format 1
	f.Add(encodeStatEntry(fileStat{}, time.Unix(0, 0), objects.ID{}, 0))
	f.Add(encodeStatEntry(fileStat{size: -1, mtime: -1 << 63, ctime: 1<<63 - 1, ino: 1<<64 - 1, dev: 1<<64 - 1},
		time.Unix(0, -1), objects.Sum(nil), 1<<64-1)) // extreme field values
	f.Add([]byte{})
	f.Add([]byte{1, 2})
	f.Add([]byte{statEntryFormat + 1, 0})
	f.Add(append([]byte{2}, enc[1:statEntrySizeV1]...)) // format 2 without its epoch
	f.Add(append([]byte{1}, enc[1:]...))                // format 1 with an epoch
	f.Add(append([]byte{3}, enc[1:]...))                // unknown format
	f.Add(append(bytes.Clone(enc), 0))                  // one byte too many
	reserved := bytes.Clone(enc)
	reserved[statEntryReserved] = 1 // a reserved byte set: once accepted, and re-encoded as 0
	f.Add(reserved)
	f.Fuzz(func(t *testing.T, b []byte) {
		st, statTime, digest, epoch, err := decodeStatEntry(b)
		v2 := len(b) == statEntrySize && b[0] == statEntryFormat
		v1 := len(b) == statEntrySizeV1 && b[0] == 1
		reservedZero := (v1 || v2) && bytes.Count(b[statEntryReserved:statEntrySizeV1], []byte{0}) == statEntrySizeV1-statEntryReserved
		if (err == nil) != reservedZero {
			t.Fatalf("decodeStatEntry(%x) error %v; format 1 %v, format 2 %v, reserved bytes zero %v", b, err, v1, v2, reservedZero)
		}
		if err != nil {
			if !errors.Is(err, errStatEntry) {
				t.Fatalf("decodeStatEntry(%x): error of unknown class: %v", b, err)
			}
			return
		}
		if v1 && epoch != 0 {
			t.Fatalf("format 1 entry %x decodes with epoch %d, want 0", b, epoch)
		}
		again := encodeStatEntry(st, time.Unix(0, statTime), digest, epoch)
		want := b
		if v1 {
			want = withEpoch(nil, b, 0)
		}
		if !bytes.Equal(again, want) {
			t.Fatalf("decodeStatEntry(%x) re-encodes as\n%x, want\n%x", b, again, want)
		}
	})
}

// FuzzDecodeRemoteBlob checks that decodeRemoteBlob accepts exactly the
// values of remoteBlobSize bytes, fails otherwise with objects.ErrCorrupt,
// and that what it accepts re-encodes to the same bytes but for the
// compressed flag, which it reads as "byte 49 is 1" and encode writes as 0
// or 1; decoding that re-encoding gives the same remoteBlob back.
//
// The decoder checks nothing else (offset sign, blob type): the values are
// a cache of indexes the remote's packindex decoder has already checked.
func FuzzDecodeRemoteBlob(f *testing.F) {
	for _, rb := range []remoteBlob{
		{},
		{pack: objects.Sum([]byte("pack")), offset: 8, stored: 10, raw: 10, typ: objects.TypeChunk},
		{pack: objects.Sum([]byte("p2")), offset: 1 << 40, stored: 10, raw: 99, typ: objects.TypeTree, compressed: true},
		{pack: objects.ID{0xff}, offset: 1<<63 - 1, stored: 1<<32 - 1, raw: 1<<32 - 1, typ: objects.TypeRun, compressed: true},
	} {
		v := rb.encode()
		if got, err := decodeRemoteBlob(v); err != nil || got != rb {
			f.Fatalf("decodeRemoteBlob(encode(%+v)) = %+v, %v", rb, got, err)
		}
		f.Add(v)
	}
	v := remoteBlob{stored: 1, raw: 1}.encode()
	v[49] = 2 // a compressed flag neither 0 nor 1
	f.Add(v)
	f.Add([]byte{})
	f.Add(make([]byte, remoteBlobSize-1))
	f.Add(make([]byte, remoteBlobSize+1))
	f.Fuzz(func(t *testing.T, b []byte) {
		rb, err := decodeRemoteBlob(b)
		if (err == nil) != (len(b) == remoteBlobSize) {
			t.Fatalf("decodeRemoteBlob of %d bytes: %v", len(b), err)
		}
		if err != nil {
			if !errors.Is(err, objects.ErrCorrupt) {
				t.Fatalf("decodeRemoteBlob(%x): error of unknown class: %v", b, err)
			}
			return
		}
		again := rb.encode()
		want := bytes.Clone(b)
		if want[49] != 1 {
			want[49] = 0
		}
		if !bytes.Equal(again, want) {
			t.Fatalf("decodeRemoteBlob(%x) = %+v, which encodes to %x", b, rb, again)
		}
		if back, err := decodeRemoteBlob(again); err != nil || back != rb {
			t.Fatalf("decodeRemoteBlob(encode(%+v)) = %+v, %v", rb, back, err)
		}
	})
}
