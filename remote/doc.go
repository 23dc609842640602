// Package remote defines [Bucket], the storage interface under trove's
// remotes: a flat store of objects named by keys, with ranged reads,
// create-if-absent and compare-and-swap writes, listing by prefix and
// deletion. A remote (docs/ARCHITECTURE.md, "Remotes") is a Bucket plus a
// layout: immutable packs, pack indexes and records, and refs that move
// only by compare-and-swap. The layout and push and fetch are built on
// Bucket; no backend knows anything of them.
//
// # Why the bucket is dumb
//
// A backend only moves bytes and keeps the guarantees listed on [Bucket].
// Everything else is built once, above it: packing and verification (every
// byte read back is checked against its BLAKE3 id), the compare-and-swap
// loops that merge concurrent pushes, and retries. Each backend therefore
// stays small enough to be obviously right, and a new one (GCS, Azure, SFTP)
// is a few hundred lines that pass the conformance suite in
// remote/remotetest. Optional capabilities a backend may add are separate
// interfaces found by type assertion, never stubs on Bucket.
//
// # The contract
//
// The method comments on [Bucket] are the contract and remote/remotetest has
// a test for each sentence. The guarantees that make a shared remote safe:
//
//   - Atomic put: an object is its old bytes or its new bytes, never a part.
//   - Read-after-write: a change is visible to everyone once Put or Delete
//     returns.
//   - Create-if-absent ([PutOptions.IfAbsent], S3's If-None-Match: *): one
//     creator wins.
//   - If-match ([PutOptions.IfMatch], S3's If-Match): an update applies
//     only to the version it was computed from, so concurrent writers never
//     lose an update; the loser gets [ErrPreconditionFailed], re-reads and
//     tries again.
//   - ETags change on every write that changes content.
//
// Keys are checked by [CheckKey] in every backend alike ('/'-separated,
// no empty, "." or ".." elements, no names starting with [ReservedPrefix]),
// so that a remote's layout is the same in a folder and in a bucket, and a
// key can never escape a folder's root.
//
// # Errors
//
// Errors wrap the sentinels of this package where they apply ([ErrNotFound],
// [ErrExists], [ErrPreconditionFailed], [ErrPermission], ...) and name the
// operation and the object. Whether an error is worth repeating is part of
// it: backends mark transient failures with [Transient], and [IsTransient]
// decides; the sentinels are never transient.
//
// # Backends and wrappers
//
//   - remote/file: a folder on a local or NFS file system. Atomic rename,
//     link(2) for create-if-absent, flock(2) for compare-and-swap, fsync of
//     files and folders; NFS caveats are in its package documentation.
//   - remote/s3: any S3-compatible server. Atomicity and conditions are the
//     server's: conditional PutObject and CompleteMultipartUpload, whose
//     support remote/s3.ProbeConditionalWrites checks. A server without
//     conditional writes cannot hold shared refs safely.
//   - remote/retry: repeats transient failures with backoff and jitter, and
//     settles conditional writes whose answer was lost. It is the only
//     retry layer.
//   - remote/faulty: injects failures into chosen calls, for tests.
//
// Wrappers implement [Unwrapper]; [As] finds a backend under them.
package remote
