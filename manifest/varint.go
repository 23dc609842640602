package manifest

import (
	"encoding/binary"
	"math"
)

// reader decodes the primitives of the binary formats (tree nodes, file map
// nodes) from a byte slice. Every read checks the remaining length first;
// the first failure sticks in err and later reads return zero values, so
// decoders check err once per entry.
type reader struct {
	b   []byte
	off int
	err error
	// what names the object being decoded, for error messages.
	what string
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		args = append([]any{r.what, r.off}, args...)
		r.err = corruptf("%s: at byte %d: "+format, args...)
	}
}

func (r *reader) remaining() int { return len(r.b) - r.off }

func (r *reader) byte1(field string) byte {
	if r.err != nil {
		return 0
	}
	if r.remaining() < 1 {
		r.fail("%s: unexpected end", field)
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

// uvarint reads a minimally encoded unsigned varint. Non-minimal encodings
// (a redundant trailing 0x00 group) are rejected: each value has one
// spelling, which keeps the encoding canonical.
func (r *reader) uvarint(field string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	switch {
	case n == 0:
		r.fail("%s: unexpected end", field)
		return 0
	case n < 0:
		r.fail("%s: varint overflows 64 bits", field)
		return 0
	case n > 1 && r.b[r.off+n-1] == 0:
		r.fail("%s: non-minimal varint", field)
		return 0
	}
	r.off += n
	return v
}

// int63 reads a uvarint that must fit an int64.
func (r *reader) int63(field string) int64 {
	v := r.uvarint(field)
	if v > math.MaxInt64 {
		r.fail("%s: %d exceeds the int64 range", field, v)
		return 0
	}
	return int64(v)
}

// bytesN reads a length-prefixed byte string of at most max bytes. The
// returned slice aliases the input.
func (r *reader) bytesN(field string, max int) []byte {
	n := r.uvarint(field + " length")
	if r.err != nil {
		return nil
	}
	if n > uint64(max) {
		r.fail("%s: length %d exceeds the limit of %d", field, n, max)
		return nil
	}
	if uint64(r.remaining()) < n {
		r.fail("%s: length %d runs past the end (%d bytes left)", field, n, r.remaining())
		return nil
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return s
}

func (r *reader) id(field string) (id [32]byte) {
	if r.err != nil {
		return id
	}
	if r.remaining() < len(id) {
		r.fail("%s: unexpected end", field)
		return id
	}
	copy(id[:], r.b[r.off:])
	r.off += len(id)
	return id
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// uvarintLen is the encoded length of v.
func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// addSize adds two non-negative sizes, reporting overflow.
func addSize(a, b int64) (int64, bool) {
	if b > math.MaxInt64-a {
		return 0, false
	}
	return a + b, true
}
