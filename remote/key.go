package remote

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Key limits. Every backend enforces the same rules so that a remote's layout
// can be copied between stores (a folder to a bucket and back) unchanged.
const (
	// MaxKeyLen is the longest key in bytes: S3's limit on object keys.
	// (An S3 remote's prefix counts against it too.)
	MaxKeyLen = 1024
	// MaxKeyElemLen is the longest path element in bytes: NAME_MAX on
	// Linux and macOS file systems.
	MaxKeyElemLen = 255
	// ReservedPrefix starts the names backends use for their own files
	// (temp files, lock files, probes); no element of a key may start with
	// it, and List never returns such names.
	ReservedPrefix = ".trove-"
)

// CheckKey returns an error wrapping [ErrInvalidKey] unless key is a valid
// object key: valid UTF-8 of at most [MaxKeyLen] bytes, without NUL or '\',
// made of '/'-separated elements that are not empty, ".", "..", longer than
// [MaxKeyElemLen] or starting with [ReservedPrefix]. So a key never starts or
// ends with '/', never holds "//", and never escapes a file remote's root.
func CheckKey(key string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w %q: %s", ErrInvalidKey, key, why)
	}
	switch {
	case key == "":
		return bad("empty")
	case len(key) > MaxKeyLen:
		return bad(fmt.Sprintf("longer than %d bytes", MaxKeyLen))
	case !utf8.ValidString(key):
		return bad("not valid UTF-8")
	case strings.IndexByte(key, 0) >= 0:
		return bad("contains NUL")
	case strings.IndexByte(key, '\\') >= 0:
		return bad("contains '\\' (a path separator on Windows)")
	}
	for elem := range strings.SplitSeq(key, "/") {
		switch {
		case elem == "":
			return bad("empty path element (leading, trailing or double '/')")
		case elem == "." || elem == "..":
			return bad("'.' and '..' are not allowed")
		case len(elem) > MaxKeyElemLen:
			return bad(fmt.Sprintf("path element longer than %d bytes", MaxKeyElemLen))
		case strings.HasPrefix(elem, ReservedPrefix):
			return bad(fmt.Sprintf("names starting with %q are reserved", ReservedPrefix))
		}
	}
	return nil
}

// CheckPut checks the arguments of a [Bucket.Put]: the key, a size that is
// not negative, and options that ask for at most one condition. Backends call
// it before any I/O.
func CheckPut(key string, size int64, opts PutOptions) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("remote: put %q: negative size %d", key, size)
	}
	if opts.IfAbsent && opts.IfMatch != "" {
		return fmt.Errorf("remote: put %q: IfAbsent and IfMatch are mutually exclusive", key)
	}
	return nil
}
