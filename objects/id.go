package objects

import (
	"encoding/hex"
	"fmt"

	"github.com/zeebo/blake3"
)

// IDSize is the length of an ID in bytes: a BLAKE3-256 digest.
const IDSize = 32

// ID names an object by the BLAKE3-256 digest of its bytes. IDs are
// comparable values; the zero ID names nothing.
type ID [IDSize]byte

// Sum returns the ID of b.
func Sum(b []byte) ID {
	return ID(blake3.Sum256(b))
}

// Hasher computes an ID over bytes written to it in pieces.
type Hasher struct{ h *blake3.Hasher }

// NewHasher returns a Hasher ready for writing.
func NewHasher() *Hasher { return &Hasher{h: blake3.New()} }

// Write adds p to the hashed bytes. It never returns an error.
func (h *Hasher) Write(p []byte) (int, error) { return h.h.Write(p) }

// Sum returns the ID of the bytes written so far.
func (h *Hasher) Sum() ID {
	var id ID
	h.h.Sum(id[:0])
	return id
}

// Reset forgets the bytes written so far.
func (h *Hasher) Reset() { h.h.Reset() }

// ParseID parses the 64-hex-digit text form of an ID.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 2*IDSize {
		return id, fmt.Errorf("objects: id %q: want %d hex digits, have %d", s, 2*IDSize, len(s))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return ID{}, fmt.Errorf("objects: id %q: not hex: %w", s, err)
	}
	return id, nil
}

// ParseCanonicalID is ParseID for canonical encodings, which write ids
// one way: it accepts only the 64 lower-case hex digits String writes.
func ParseCanonicalID(s string) (ID, error) {
	if len(s) != 2*IDSize {
		return ID{}, fmt.Errorf("objects: id %.70q: want %d lower-case hex digits, have %d", s, 2*IDSize, len(s))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return ID{}, fmt.Errorf("objects: id %.70q: want %d lower-case hex digits, have %q at %d", s, 2*IDSize, c, i)
		}
	}
	return ParseID(s)
}

// String returns the 64-hex-digit form of id.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// Short returns the first 12 hex digits of id, for display.
func (id ID) Short() string { return hex.EncodeToString(id[:6]) }

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool { return id == ID{} }

// MarshalText implements encoding.TextMarshaler.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}
