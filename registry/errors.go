package registry

import (
	"errors"
	"fmt"
	"strings"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// Sentinel errors. Test for them with [errors.Is]; the errors returned wrap
// them with the registry, collection or alias involved and what to do.
var (
	// ErrNotFound means no registry of that name exists. The core
	// registries "model" and "dataset" always exist.
	ErrNotFound = errors.New("registry: no such registry")
	// ErrNoCollection means the registry has no collection of that name.
	ErrNoCollection = errors.New("registry: no such collection")
	// ErrNoLink means a selector names no link of the collection.
	ErrNoLink = errors.New("registry: no such link")
	// ErrUnlinked means the selected link was unlinked.
	ErrUnlinked = errors.New("registry: link was unlinked")
	// ErrDangling means a link names a version that its artifact's log no
	// longer holds (or holds as deleted: then refs.ErrDeleted matches too).
	ErrDangling = errors.New("registry: link names a missing version")
	// ErrExists means a registry of that name exists already.
	ErrExists = errors.New("registry: registry exists")
	// ErrTypeMismatch means the registry or the collection does not accept
	// the version's artifact type.
	ErrTypeMismatch = errors.New("registry: artifact type not accepted")
	// ErrProtected means the change moves or removes a protected alias and
	// the caller did not say it acts as an admin (--admin).
	ErrProtected = errors.New("registry: protected alias")
	// ErrNotAdmin means the change needs a registry admin and the caller's
	// identity is not one.
	ErrNotAdmin = errors.New("registry: not a registry admin")
	// ErrInvalid means the caller's input breaks a rule: a name, alias,
	// type, user name or description. The message names the value and the
	// rule.
	ErrInvalid = errors.New("registry: invalid input")
	// ErrUnsupportedFormat means a registry ref was written in a format
	// this build does not read (most likely by a newer trove).
	ErrUnsupportedFormat = errors.New("registry: unsupported format")
	// ErrCorrupt marks a registry ref that is not a valid encoding. It also
	// matches [objects.ErrCorrupt], so corruption is one class wherever it
	// is found. It is never returned for bad caller input.
	ErrCorrupt error = corruptError{}
)

// corruptError is the type of [ErrCorrupt].
type corruptError struct{}

func (corruptError) Error() string        { return "registry: corrupt ref" }
func (corruptError) Is(target error) bool { return target == objects.ErrCorrupt }

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// invalid wraps a validation error from another package (manifest's name
// rules, refs' reserved aliases) as [ErrInvalid], keeping its chain but not
// repeating manifest's prefix in the message.
func invalid(err error) error {
	if err == nil || errors.Is(err, ErrInvalid) {
		return err
	}
	msg := strings.TrimPrefix(err.Error(), manifest.ErrInvalid.Error()+": ")
	return &invalidError{msg: msg, err: err}
}

// invalidError is [ErrInvalid] around another package's validation error.
type invalidError struct {
	msg string
	err error
}

func (e *invalidError) Error() string   { return ErrInvalid.Error() + ": " + e.msg }
func (e *invalidError) Unwrap() []error { return []error{ErrInvalid, e.err} }
