package manifest

import (
	"fmt"
	"io/fs"
	"strings"
	"unicode/utf8"
)

// Limits on names. They bound what a decoder allocates and keep one entry
// well inside a node (see [MaxNodeSize]).
const (
	// MaxNameLen is the longest path element in bytes. It is four times
	// NAME_MAX (255) of Linux, macOS and Windows, so any file a filesystem
	// can hold fits, and equal to S3's key limit, so any object-store key
	// element does too.
	MaxNameLen = 1024

	// MaxTargetLen is the longest symlink target in bytes: PATH_MAX on Linux.
	MaxTargetLen = 4096

	// MaxRefFieldLen is the longest field of a [Reference] (URI, checksum
	// kind, checksum, version id) in bytes. URLs in the wild stay far below
	// it; S3 keys are at most 1024 bytes.
	MaxRefFieldLen = 8192

	// MaxArtifactNameLen is the longest artifact name, type or alias
	// accepted by [ValidateName] (W&B's limit).
	MaxArtifactNameLen = 128
)

// ValidPathElement reports whether name may be the name of a tree entry:
// one path element of 1 to [MaxNameLen] bytes, valid UTF-8, containing
// neither '/' nor NUL, and not "." or "..". The error wraps [ErrInvalid].
//
// Names must be UTF-8 because manifests are exported as JSON, whose strings
// cannot carry arbitrary bytes faithfully; a file whose name is not UTF-8 is
// refused at commit with this error rather than renamed silently. Any other
// character is accepted, including '\\' and ':', which Windows cannot store;
// pull reports those where they cannot be created.
func ValidPathElement(name string) error {
	if p := nameProblem(name); p != "" {
		return invalidf("%s", p)
	}
	return nil
}

// nameProblem says what is wrong with name as a path element, or "".
func nameProblem(name string) string {
	switch {
	case name == "":
		return "empty file name"
	case name == "." || name == "..":
		return fmt.Sprintf("file name %q is not allowed", name)
	case len(name) > MaxNameLen:
		return fmt.Sprintf("file name %.40q… is %d bytes long (the limit is %d)", name, len(name), MaxNameLen)
	case strings.IndexByte(name, '/') >= 0:
		return fmt.Sprintf("file name %q contains '/'", name)
	case strings.IndexByte(name, 0) >= 0:
		return fmt.Sprintf("file name %q contains a NUL byte", name)
	case !utf8.ValidString(name):
		return fmt.Sprintf("file name %q is not valid UTF-8 (manifests are JSON; rename the file)", name)
	}
	return ""
}

// ValidateName checks an artifact name, type, alias or tag: 1 to
// [MaxArtifactNameLen] characters from [A-Za-z0-9_.-], and not "." or "..".
// what names the value in the message ("artifact name", "type", "alias").
// The error wraps [ErrInvalid].
func ValidateName(what, s string) error {
	const rule = "letters, digits, '_', '.' and '-'"
	switch {
	case s == "":
		return invalidf("%s is empty; use 1 to %d of %s", what, MaxArtifactNameLen, rule)
	case s == "." || s == "..":
		return invalidf("%s %q is not allowed", what, s)
	case len(s) > MaxArtifactNameLen:
		return invalidf("%s %.40q… is %d characters long (the limit is %d)", what, s, len(s), MaxArtifactNameLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' {
			continue
		}
		r, _ := utf8.DecodeRuneInString(s[i:])
		return invalidf("%s %q: %q at byte %d is not allowed; use only %s", what, s, r, i, rule)
	}
	return nil
}

// File modes stored in tree entries. Only these two are stored for files, so
// a version's digest does not depend on the committer's umask; every other
// kind stores mode 0.
const (
	ModeFile uint32 = 0o644
	ModeExec uint32 = 0o755
)

// FileMode returns the mode to store for a regular file with permissions
// perm: [ModeExec] if any execute bit is set, otherwise [ModeFile].
func FileMode(perm fs.FileMode) uint32 {
	if perm&0o111 != 0 {
		return ModeExec
	}
	return ModeFile
}
