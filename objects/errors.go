package objects

import "errors"

// Errors that callers branch on; test for them with [errors.Is]. Returned
// errors wrap them with what was being done and which object, pack file or
// key was involved.
var (
	// ErrNotFound means the store holds no object, file map or metadata key
	// by that name.
	ErrNotFound = errors.New("objects: not found")

	// ErrCorrupt marks every failed digest check and every undecodable
	// index entry, pack or blob. The error names the object id and the pack
	// file (or "inline" for blobs kept in the database).
	ErrCorrupt = errors.New("objects: corrupt")

	// ErrLocked means another trove process holds the repository and did
	// not release it within [Options.LockTimeout].
	ErrLocked = errors.New("objects: repository locked by another process")

	// ErrClosed is returned by a Store after Close, and by a Writer after
	// Abort.
	ErrClosed = errors.New("objects: closed")

	// ErrNotStray is returned by [Store.RemoveStrayPack] for a pack the
	// database names: one that stopped being a stray since it was listed,
	// as when a GC's rewrite of a pack produced the same bytes as a file an
	// interrupted GC left, and adopted that file.
	ErrNotStray = errors.New("objects: not a stray pack: the database names it")

	// ErrTooLarge is returned for a blob or chunk over its size limit
	// ([MaxInlineBlobSize], [MaxChunkSize]).
	ErrTooLarge = errors.New("objects: too large")
)
