package remote

import (
	"context"
	"io"
	"time"
)

// ObjectInfo describes one object in a bucket.
type ObjectInfo struct {
	// Key is the object's key, relative to the bucket's root or prefix.
	Key string
	// Size is the object's length in bytes.
	Size int64
	// ETag identifies one write of the object: it changes whenever the
	// object's content changes. It is opaque: compare it for equality and
	// pass it back in [PutOptions.IfMatch] or [Bucket.Delete]; never parse
	// it. It carries no quotes.
	ETag string
	// ModTime is when the object was written, by the store's clock.
	ModTime time.Time
}

// PutOptions are the conditions and metadata of one [Bucket.Put].
type PutOptions struct {
	// IfAbsent makes the put succeed only if no object has the key
	// (create-if-absent, S3's If-None-Match: *). When one exists, Put
	// fails with [ErrExists] and leaves it alone.
	IfAbsent bool
	// IfMatch, when not empty, makes the put succeed only if the object
	// exists and its ETag equals IfMatch (compare-and-swap, S3's If-Match).
	// Otherwise Put fails with [ErrPreconditionFailed], also when the object
	// does not exist. IfAbsent and IfMatch together are an error.
	IfMatch string
	// ContentType is stored where the backend keeps one (S3); others
	// ignore it. Empty means application/octet-stream.
	ContentType string
}

// Bucket is a flat store of objects named by keys: the one wide interface
// between trove and the places it shares data (docs/ARCHITECTURE.md,
// "Remotes"). It is deliberately dumb: packing, verification, retries and
// compare-and-swap loops are built once, above it, and a backend only moves
// bytes and keeps the guarantees listed here.
//
// A store must guarantee:
//
//   - Atomic put: a reader sees the object's old bytes or its new bytes,
//     never a part, a mix or an empty object in between; a failed or
//     cancelled Put publishes nothing.
//   - Read-after-write: once Put or Delete returns nil, every later Stat,
//     Get and List, from any client, sees the change.
//   - Create-if-absent: of any number of concurrent Puts with
//     [PutOptions.IfAbsent] on one key, at most one succeeds.
//   - If-match: a Put with [PutOptions.IfMatch] or a Delete with ifMatch
//     succeeds only if the object's current ETag equals the given one at
//     the moment the change is applied, so concurrent compare-and-swaps
//     never lose an update.
//   - ETags change on every write that changes content. (A backend may give
//     equal content equal ETags, as S3 does; trove's mutable objects carry
//     a counter so that their bytes always change.)
//
// Keys are '/'-separated paths checked by [CheckKey]; every method rejects an
// invalid key with [ErrInvalidKey] before doing any I/O. Errors wrap the
// sentinels of this package where they apply; [IsTransient] tells whether
// repeating the call may help.
//
// To change an object by compare-and-swap, call Stat first and Get second:
// the ETag from Stat is then never newer than the bytes read, so a Put with
// that ETag fails rather than overwrite a change it did not see.
//
// A Bucket is safe for concurrent use by multiple goroutines.
type Bucket interface {
	// List calls fn once for every object whose key starts with prefix
	// (a plain string prefix, not a folder: "packs/a" matches
	// "packs/ab/…"), in lexical (bytewise) order of keys. fn runs on the
	// calling goroutine, one call at a time; the ObjectInfo is fn's to keep.
	// If fn returns an error, List stops and returns that error unchanged.
	// Objects put or deleted while List runs may or may not be seen. A
	// prefix that no valid key can start with lists nothing.
	List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error

	// Stat returns the object's info, or an error wrapping [ErrNotFound] if
	// there is no object with the key.
	Stat(ctx context.Context, key string) (ObjectInfo, error)

	// Get returns a reader of length bytes of the object starting at byte
	// off. A negative length reads to the end; a range running past the end
	// is cut at the end; off equal to the size reads nothing; off beyond the
	// size fails with [ErrInvalidRange]. A missing object fails with
	// [ErrNotFound]. The caller closes the reader. The reader returns the
	// bytes of one write of the object even if it is replaced meanwhile.
	Get(ctx context.Context, key string, off, length int64) (io.ReadCloser, error)

	// Put stores exactly size bytes read from r under key, atomically, and
	// returns the new object's info. The caller keeps r; its position after
	// Put is unspecified. A reader that ends before size bytes is an error
	// and nothing is published. Conditions in opts fail with [ErrExists]
	// (IfAbsent) or [ErrPreconditionFailed] (IfMatch) and change nothing.
	// The returned ModTime may be the client's clock where the store does
	// not report its own; Stat and List report the store's.
	Put(ctx context.Context, key string, r io.Reader, size int64, opts PutOptions) (ObjectInfo, error)

	// Delete removes the object. With ifMatch set, an existing object is
	// removed only if its ETag equals ifMatch, and otherwise Delete fails
	// with [ErrPreconditionFailed]. Deleting a missing object is not an
	// error, with or without ifMatch (S3 answers both with success, and
	// either way the version the caller meant is gone).
	Delete(ctx context.Context, key string, ifMatch string) error

	// Location names the bucket for messages: "s3://bucket/prefix",
	// "file:///path". It never contains credentials.
	Location() string
}

// Unfinished is storage that a Put left behind when its process died
// before publishing the object: a file remote's temp file, an S3 multipart
// upload neither completed nor aborted. No reader can reach it and List
// does not show it; it only takes space until removed. Backends whose Puts
// can leave such storage list it with a ListUnfinished method and remove
// it with RemoveUnfinished (garbage collection does, once it is older than
// its grace period: a Put in progress keeps writing, so it stays young).
type Unfinished struct {
	// Key is the key the Put was writing where the store records it (S3),
	// or the folder it was writing in, ending in '/' (a file remote).
	Key string
	// ID is the store's handle on it: an upload id, a temp file's path.
	ID string
	// Size is the number of bytes it holds.
	Size int64
	// Started is, by the store's clock, when the Put last wrote to it
	// (a temp file's modification time; an S3 upload's last part, or its
	// initiation if it has none): a Put in progress keeps it recent.
	Started time.Time
}

// Unwrapper is implemented by wrappers (retry, fault injection) that add
// behaviour around another Bucket.
type Unwrapper interface {
	// Unwrap returns the wrapped Bucket.
	Unwrap() Bucket
}

// As returns the first Bucket of type T found by following [Unwrapper]s from
// b, for example the *s3.Bucket under a retry wrapper.
func As[T Bucket](b Bucket) (T, bool) {
	for b != nil {
		if t, ok := b.(T); ok {
			return t, true
		}
		u, ok := b.(Unwrapper)
		if !ok {
			break
		}
		b = u.Unwrap()
	}
	var zero T
	return zero, false
}
