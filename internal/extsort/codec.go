package extsort

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Strings is a codec of strings in bytewise order, each of at most maxLen
// bytes.
func Strings(maxLen int) Codec[string] {
	return Codec[string]{
		Compare: cmp.Compare[string],
		Size:    func(s string) int { return stringOverhead + len(s) },
		Append:  AppendString,
		Read:    func(r *bufio.Reader) (string, error) { return ReadString(r, maxLen) },
	}
}

// stringOverhead is a string's header in a buffer, plus the rounding of its
// bytes to an allocation size class, about.
const stringOverhead = 16 + 8

// AppendString appends s to b as its length (uvarint) and its bytes, for
// codecs made of strings.
func AppendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// ReadString reads a string AppendString wrote, of at most maxLen bytes.
// It returns io.EOF, and only then, when r ends before the string starts.
func ReadString(r *bufio.Reader, maxLen int) (string, error) {
	n, err := binary.ReadUvarint(r)
	if err == io.EOF {
		return "", io.EOF
	}
	if err != nil {
		return "", err
	}
	if n > uint64(maxLen) {
		return "", fmt.Errorf("string of %d bytes, more than %d", n, maxLen)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return "", err
	}
	return string(b), nil
}
