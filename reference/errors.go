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
	ErrNotFound error = &classError{"reference: not found", fs.ErrNotExist}

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
	ErrPermission error = &classError{"reference: access denied", fs.ErrPermission}

	// ErrNoCredentials means no credentials were found for a scheme that
	// needs them.
	ErrNoCredentials = errors.New("reference: no credentials")

	// ErrChanged means an object's content or checksum at its source is
	// not what the reference records. It matches [objects.ErrCorrupt]: it
	// is a failed check of bytes read back.
	ErrChanged error = &classError{"reference: object changed at its source", objects.ErrCorrupt}
)

// classError is a sentinel that also matches a wider class of errors
// without repeating its message.
type classError struct {
	msg  string
	also error
}

func (e *classError) Error() string        { return e.msg }
func (e *classError) Is(target error) bool { return target == e.also }
