package manifest

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/trove-ml/trove/objects"
)

// Kind says what a tree entry is. The values are persisted in tree nodes:
// never renumber them; retired values stay reserved.
type Kind uint8

const (
	KindFile        Kind = 1 // a regular file stored in trove
	KindDir         Kind = 2 // a directory: Digest is its tree id
	KindSymlink     Kind = 3 // a symbolic link: Target is its target
	KindRef         Kind = 4 // a reference to external data, with a checksum
	KindRefLocation Kind = 5 // a reference that records its location only
)

// String returns the kind's name as it appears in exported manifests.
func (k Kind) String() string {
	switch k {
	case KindFile:
		return "file"
	case KindDir:
		return "dir"
	case KindSymlink:
		return "symlink"
	case KindRef:
		return "ref"
	case KindRefLocation:
		return "ref-location"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k >= KindFile && k <= KindRefLocation }

// Entry is one entry of a directory. Which fields are set depends on Kind:
//
//	kind          Mode          Size             Digest                  Files  Target  Ref
//	file          0644 or 0755  file size        BLAKE3 of the content   0      ""      nil
//	dir           0             subtree size     tree id                 count  ""      nil
//	symlink       0             0                BLAKE3 of Target        0      target  nil
//	ref           0             object size      BLAKE3 if known, else 0 0      ""      all fields
//	ref-location  0             0                zero                    0      ""      URI only
//
// A directory's Size is the sum of the sizes of everything below it and its
// Files the number of non-directory entries below it. [DirWriter.Add]
// rejects an entry that breaks this table, and the tree decoder rejects
// stored bytes that do.
type Entry struct {
	Name   string
	Kind   Kind
	Mode   uint32
	Size   int64
	Digest objects.ID
	Files  int64
	Target string
	Ref    *Reference
}

// Reference locates data kept outside trove (ARCHITECTURE.md, "References
// to external data").
type Reference struct {
	// URI is where the data lives: s3://, gs://, http(s)://, file://.
	URI string
	// ChecksumKind says what Checksum is: "etag", "etag+versionid",
	// "etag+generation" or "b3". Empty for location-only references.
	ChecksumKind string
	// Checksum is the recorded checksum, checked again on pull.
	Checksum string
	// VersionID pins an object version (S3 version id, GCS generation),
	// when the source has one. With a "b3" checksum it is information
	// only (an HTTP object's Last-Modified date), pinning nothing.
	VersionID string
}

// ChecksumBLAKE3 is the ChecksumKind of content trove hashed itself: the
// checksum is the BLAKE3 of the content, in hex, as is the entry's Digest.
// The other kinds are the sources' own (package reference).
const ChecksumBLAKE3 = "b3"

// IsDir reports whether e is a directory.
func (e Entry) IsDir() bool { return e.Kind == KindDir }

// fileCount is what e contributes to its directory's file count.
func (e *Entry) fileCount() int64 {
	if e.Kind == KindDir {
		return e.Files
	}
	return 1
}

// entryProblem says what is wrong with e, or returns "". It enforces the
// table on [Entry], so that every Entry value has exactly one encoding and
// every accepted encoding decodes to an Entry that passes.
func entryProblem(e *Entry) string {
	if p := nameProblem(e.Name); p != "" {
		return p
	}
	if e.Size < 0 {
		return fmt.Sprintf("negative size %d", e.Size)
	}
	if e.Files != 0 && e.Kind != KindDir {
		return fmt.Sprintf("a %s has no file count (have %d)", e.Kind, e.Files)
	}
	if e.Target != "" && e.Kind != KindSymlink {
		return fmt.Sprintf("a %s has no symlink target", e.Kind)
	}
	if e.Ref != nil && e.Kind != KindRef && e.Kind != KindRefLocation {
		return fmt.Sprintf("a %s has no reference", e.Kind)
	}
	if e.Mode != 0 && e.Kind != KindFile {
		return fmt.Sprintf("a %s stores mode 0 (have %#o)", e.Kind, e.Mode)
	}
	switch e.Kind {
	case KindFile:
		if e.Mode != ModeFile && e.Mode != ModeExec {
			return fmt.Sprintf("file mode %#o: want %#o or %#o (see FileMode)", e.Mode, ModeFile, ModeExec)
		}
		if e.Digest.IsZero() {
			return "file has no digest"
		}
	case KindDir:
		if e.Digest.IsZero() {
			return "directory has no tree id"
		}
		if e.Files < 0 {
			return fmt.Sprintf("negative file count %d", e.Files)
		}
	case KindSymlink:
		if e.Size != 0 {
			return fmt.Sprintf("a symlink stores size 0 (have %d)", e.Size)
		}
		if p := stringProblem("symlink target", e.Target, MaxTargetLen); p != "" {
			return p
		}
		if strings.IndexByte(e.Target, 0) >= 0 {
			return "symlink target contains a NUL byte"
		}
		if e.Digest != objects.Sum([]byte(e.Target)) {
			return "symlink digest is not the BLAKE3 of its target"
		}
	case KindRef:
		if e.Ref == nil {
			return "reference has no URI"
		}
		for _, f := range [...]struct {
			what, s  string
			optional bool
		}{
			{"reference URI", e.Ref.URI, false},
			{"reference checksum kind", e.Ref.ChecksumKind, false},
			{"reference checksum", e.Ref.Checksum, false},
			{"reference version id", e.Ref.VersionID, true},
		} {
			if f.optional && f.s == "" {
				continue
			}
			if p := stringProblem(f.what, f.s, MaxRefFieldLen); p != "" {
				return p
			}
		}
	case KindRefLocation:
		if e.Ref == nil {
			return "reference has no URI"
		}
		if p := stringProblem("reference URI", e.Ref.URI, MaxRefFieldLen); p != "" {
			return p
		}
		if e.Ref.ChecksumKind != "" || e.Ref.Checksum != "" || e.Ref.VersionID != "" {
			return "a location-only reference records its URI alone"
		}
		if e.Size != 0 {
			return fmt.Sprintf("a location-only reference stores size 0 (have %d)", e.Size)
		}
		if !e.Digest.IsZero() {
			return "a location-only reference has no digest"
		}
	default:
		return fmt.Sprintf("unknown entry kind %d", uint8(e.Kind))
	}
	return ""
}

// stringProblem checks a non-empty, bounded, UTF-8 string field.
func stringProblem(what, s string, max int) string {
	switch {
	case s == "":
		return what + " is empty"
	case len(s) > max:
		return fmt.Sprintf("%s is %d bytes long (the limit is %d)", what, len(s), max)
	case !utf8.ValidString(s):
		return fmt.Sprintf("%s %q is not valid UTF-8", what, s)
	}
	return ""
}
