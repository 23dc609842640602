// Package retry wraps a [remote.Bucket] so that failures that may pass
// (5xx answers, throttling, reset connections, timeouts) are repeated with
// exponential backoff and full jitter, within a bound on attempts and on
// time.
//
// # What is retried
//
// Exactly the errors [remote.IsTransient] accepts. Backends mark them; the
// classes a repeat cannot change (not found, exists, precondition failed,
// permission, invalid key or range, bucket not found, not supported) and a
// done context are never retried. A List callback's error is returned
// unchanged and never retried either.
//
// This is the only retry layer: backends make each request once (remote/s3
// turns the SDK's retryer off). Stacked layers multiply their attempts into
// storms against a server that is already failing, and only this layer can
// rewind a body and settle a conditional write whose answer was lost.
//
// # Other clients
//
// [Do] is the loop itself and [NewReader] the resuming reader, for clients
// that are not buckets: package reference reads s3://, gs:// and http(s)://
// references through them, with the same options and policy, and with
// their own test of what is transient (which, like [remote.IsTransient],
// never accepts an answer a repeat cannot change: no 4xx but 429, and 408
// from GCS and RequestTimeout, a 400, from S3).
//
// # Bodies
//
// A Put is sent again from the start of its body. A body that is an
// io.Seeker is sought back (files and bytes.Readers cost nothing); another
// is copied into memory first if it is at most [Options.BufferLimit] bytes,
// and otherwise gets a single attempt. Callers that upload large objects
// pass files.
//
// # Lost answers
//
// A conditional Put whose attempt failed transiently may have been applied
// even so: the server wrote the object and the answer was lost. The retry
// then fails with ErrExists (IfAbsent) or ErrPreconditionFailed (IfMatch)
// against the writer's own object. Put settles this by reading the object
// back: if it holds exactly the body, the write is ours, or someone else's
// with the same bytes, which leaves the state the caller asked for, and Put
// succeeds. Otherwise the error stands, and that includes a write that did
// land but was overwritten before the retry looked: so a compare-and-swap
// must be safe to compute again from a fresh read (trove's ref updates are:
// the re-read log shows which of a push's versions are in). Deletes need
// no such care: a delete of a missing object succeeds.
//
// # Reads
//
// The reader Get returns resumes a range after a transient read error, from
// the first byte it has not returned yet. See [Bucket.Get] for why that is
// safe for trove's objects, and [NewReader] for what any other download
// must ensure to be resumed.
//
// # Time and randomness
//
// Sleep, randomness and the clock are [Options], so tests run retries
// without waiting and with known delays; the package keeps no state.
package retry
