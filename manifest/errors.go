package manifest

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/trove-ml/trove/objects"
)

// Sentinel errors. Test for them with [errors.Is]; the messages of the
// errors that wrap them name the object and what is wrong with it.
var (
	// ErrCorrupt marks bytes that are not a valid, canonical encoding: a
	// tree node, a file map node or a version record that this package
	// would never have written, or nodes that contradict each other. It
	// also matches [objects.ErrCorrupt], so corruption is one class
	// wherever it is found. It is never returned for bad caller input.
	ErrCorrupt error = corruptError{}

	// ErrUnsupportedFormat marks an object written in a format version this
	// build does not read (most likely by a newer trove). The message names
	// the version found and the range read.
	ErrUnsupportedFormat = errors.New("manifest: unsupported format")

	// ErrInvalid marks bad input from a caller: an invalid name, entry,
	// path or metadata object. The message names the value and the rule.
	ErrInvalid = errors.New("manifest: invalid")

	// ErrNotExist is returned by [Lookup] and [ListDir] when a path does not
	// name an entry. It also matches [fs.ErrNotExist].
	ErrNotExist error = notExistError{}

	// ErrNotDir is returned by [ListDir] for a path that names an entry
	// other than a directory.
	ErrNotDir = errors.New("manifest: not a directory")
)

// SkipDir and SkipAll may be returned by a [Walk] callback; they mean what
// they mean for [fs.WalkDir].
var (
	SkipDir = fs.SkipDir
	SkipAll = fs.SkipAll
)

// corruptError is the type of [ErrCorrupt].
type corruptError struct{}

func (corruptError) Error() string        { return "manifest: corrupt" }
func (corruptError) Is(target error) bool { return target == objects.ErrCorrupt }

// corruptf returns an error wrapping [ErrCorrupt]. Every decode failure goes
// through it, so corruption stays one class whoever detects it.
func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

// invalidf returns an error wrapping [ErrInvalid].
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// notExistError is the type of [ErrNotExist]; it matches [fs.ErrNotExist]
// too, so callers that handle file-system errors need no special case.
type notExistError struct{}

func (notExistError) Error() string        { return "manifest: no such file or directory" }
func (notExistError) Is(target error) bool { return target == fs.ErrNotExist }
