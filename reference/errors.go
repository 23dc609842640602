package reference

import (
	"errors"
	"io/fs"

	"github.com/trove-ml/trove/objects"
)

// Errors that callers branch on; test for them with [errors.Is]. Returned
// errors wrap them with the reference's URI and, where it helps, what to do.
var (
	// ErrInvalid means a reference cannot be recorded as given: a malformed
	// URI, an unknown scheme, or an object whose name trove cannot store
	// (an empty path element, ".", "..", invalid UTF-8).
	ErrInvalid = errors.New("reference: invalid reference")

	// ErrNotFound means the object, the recorded object version, or the
	// local file is not there. It matches [fs.ErrNotExist].
	ErrNotFound error = &classError{msg: "reference: not found", also: fs.ErrNotExist}

	// ErrBucketNotFound means the bucket named by an s3:// or gs:// URI
	// does not exist (or the endpoint or region is wrong).
	ErrBucketNotFound = errors.New("reference: bucket does not exist")

	// ErrEmpty means a location holds no objects: with checksums on there
	// would be nothing to record, which is almost always a typo.
	ErrEmpty = errors.New("reference: no objects at the location")

	// ErrTooMany means a location holds more objects than the cap
	// ([SourceOptions.MaxObjects]). Listing stops there: references are
	// never truncated silently.
	ErrTooMany = errors.New("reference: too many objects")

	// ErrPermission means the server refused the credentials. It matches
	// [fs.ErrPermission].
	ErrPermission error = &classError{msg: "reference: access denied", also: fs.ErrPermission}

	// ErrNoCredentials means no credentials were found for a scheme that
	// needs them.
	ErrNoCredentials = errors.New("reference: no credentials")

	// ErrChanged means an object's content or checksum at its source is
	// not what the reference records. It matches [objects.ErrCorrupt]: it
	// is a failed check of bytes read back.
	ErrChanged error = &classError{msg: "reference: object changed at its source", also: objects.ErrCorrupt}
)

// errEmptyNow means a location-only reference's location holds nothing
// at pull time ([Resolver.Expand]). It matches [ErrEmpty] and, as what the
// version names is missing, [ErrNotFound] and [fs.ErrNotExist].
var errEmptyNow error = &classError{msg: ErrEmpty.Error(), also: fs.ErrNotExist, more: []error{ErrEmpty, ErrNotFound}}

// classError is a sentinel that also matches wider classes of errors
// without repeating their messages.
type classError struct {
	msg  string
	also error
	more []error
}

func (e *classError) Error() string { return e.msg }

func (e *classError) Is(target error) bool {
	if target == e.also {
		return true
	}
	for _, c := range e.more {
		if target == c {
			return true
		}
	}
	return false
}
