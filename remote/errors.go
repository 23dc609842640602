package remote

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
)

// Errors a caller branches on. Backends wrap them with the operation and the
// object, so test them with errors.Is.
var (
	// ErrNotFound: no object has the key.
	ErrNotFound = errors.New("remote: not found")
	// ErrExists: a Put with IfAbsent found an object under the key.
	ErrExists = errors.New("remote: object exists")
	// ErrPreconditionFailed: the ETag given to a Put or Delete no longer
	// names the object (someone else changed it, or it is gone).
	ErrPreconditionFailed = errors.New("remote: precondition failed")
	// ErrPermission: the store refused access (wrong credentials, bucket
	// policy, file permissions), or no credentials could be found to ask
	// it with.
	ErrPermission = errors.New("remote: permission denied")
	// ErrInvalidKey: a key that [CheckKey] rejects.
	ErrInvalidKey = errors.New("remote: invalid key")
	// ErrInvalidRange: a Get starting beyond the end of the object.
	ErrInvalidRange = errors.New("remote: invalid range")
	// ErrBucketNotFound: the bucket (or the folder of a file remote) does
	// not exist.
	ErrBucketNotFound = errors.New("remote: bucket not found")
	// ErrNotSupported: the store does not implement a requested feature,
	// for example conditional writes.
	ErrNotSupported = errors.New("remote: not supported")
	// ErrUnreachable: no answer came from the store at all: its host name
	// does not resolve, the connection is refused, or TLS fails. Errors
	// wrapping it may still be transient (a server restarting refuses
	// connections for a while); [IsTransient] says.
	ErrUnreachable = errors.New("remote: unreachable")
)

// transientError marks its cause as worth retrying.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// Transient marks err as transient: the same call may succeed if repeated
// (a 5xx, throttling, a reset connection). Backends mark what they know to
// be transient; [IsTransient] reports it. Transient(nil) is nil.
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return &transientError{err: err}
}

// IsTransient reports whether repeating the call that returned err may
// succeed. It is false for nil, for every error wrapping one of this
// package's sentinels or context.Canceled (even if also marked transient),
// and true for errors marked by [Transient], timeouts (network timeouts,
// deadlines: more time may help), reset or refused connections and
// connections cut short (io.ErrUnexpectedEOF). Anything else is permanent:
// retrying an error nobody understood only hides it for longer. (A retry
// loop must also stop when its own context is done, whatever the error.)
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	// These classes are facts about the bucket or the request, not about
	// the network: repeating the call can never change the answer.
	permanent := [...]error{
		ErrNotFound, ErrExists, ErrPreconditionFailed, ErrPermission,
		ErrInvalidKey, ErrInvalidRange, ErrBucketNotFound, ErrNotSupported,
		context.Canceled,
	}
	for _, p := range permanent {
		if errors.Is(err, p) {
			return false
		}
	}
	var te *transientError
	if errors.As(err, &te) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}
