// Package s3 is the [remote.Bucket] in an S3 bucket, on AWS or any
// S3-compatible server (MinIO, Ceph RGW, versitygw, R2, ...), built on
// aws-sdk-go-v2.
//
// # Layout
//
// Objects live at <prefix>/<key> in the bucket, so one bucket can hold
// several remotes and the objects can be listed and copied with any S3 tool.
// Keys that are not valid remote keys (such as the "folder/" markers some
// consoles create) are left out of List. The probe of
// [ProbeConditionalWrites] briefly writes a key starting with
// [remote.ReservedPrefix], which List never shows.
//
// # Configuration and credentials
//
// [Config] names the bucket, prefix, region, endpoint and encryption.
// Credentials never pass through it (except, for programs and tests, as an
// in-memory provider): they come from the SDK's standard chain, so
// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO, web identity
// and instance roles all work, and AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_S3)
// points the client at another server unless Config.Endpoint is set. The
// instance metadata service that supplies instance roles is asked only for
// AWS's own endpoints (see [NewClient]); an endpoint carrying user info is
// refused. Failures to get credentials, to reach the server, to find the
// bucket or to be let in are told in a sentence naming the cause and the
// fix, the SDK's error kept in the chain but not in the message. HTTPS
// endpoints are verified against the system's certificate store. Endpoints
// on an IP address or localhost use path-style addressing.
//
// # Guarantees
//
// S3 gives atomic puts and strong read-after-write consistency (AWS since
// December 2020; compatible servers generally). The conditions are the
// server's to check:
//
//   - Objects up to [Config.PartSize] go up as one PutObject with
//     If-None-Match: * (IfAbsent) or If-Match: "<etag>" (IfMatch).
//   - Larger objects go up as a multipart upload whose
//     CompleteMultipartUpload carries the condition; a HEAD first fails
//     early, without uploading, when the condition already does not hold.
//     Parts are uploaded [Config.Concurrency] at a time, each with a CRC32
//     the server checks. A failed upload is aborted; set a lifecycle rule
//     that removes incomplete uploads after a day to catch those whose abort
//     failed too.
//   - Deletes with ifMatch send If-Match.
//
// A server that ignores the conditional headers would silently break
// compare-and-swap; [ProbeConditionalWrites] detects it, and `trove remote
// add` runs it. Every write requests the configured server-side encryption
// (SSE-S3 or SSE-KMS with a key id): the PUT or the CreateMultipartUpload,
// whose parts inherit it.
//
// ETags are S3's: MD5 of the content for single puts, an MD5 of part MD5s
// with a part count for multipart uploads. Equal content may therefore have
// equal ETags; trove's mutable objects carry a counter, so their content,
// and their ETag, change on every write.
//
// # Errors and retries
//
// HTTP answers map onto the remote sentinels: 404 (NoSuchKey) is
// [remote.ErrNotFound], except after If-Match, where it is a failed
// precondition; 412 is [remote.ErrExists] for IfAbsent and
// [remote.ErrPreconditionFailed] for IfMatch; 409 ConditionalRequestConflict
// is a failed precondition for IfMatch and transient for IfAbsent (the other
// writer may yet fail); 403 is [remote.ErrPermission], with a message naming
// the object and the credential variables to check; NoSuchBucket is
// [remote.ErrBucketNotFound]; 501 is [remote.ErrNotSupported]. 5xx, 429,
// SlowDown and friends, RequestTimeout (a 400), connection failures and
// timeouts are transient: [Transient] is that test, for other clients of
// S3 that retry with remote/retry.
//
// The SDK's own retryer is off: each request is made once. Retries belong to
// remote/retry, which wraps this bucket. Two layers would multiply their
// attempts (the SDK's three inside each of the wrapper's) into retry storms
// against a server that is already failing, and only the wrapper can rewind
// a caller's body and settle a conditional write whose answer was lost. The
// cost is that a multipart upload is retried whole, which for trove's packs
// (at most 64 MiB) is a few parts.
//
// # Timeouts
//
// [Config.Timeout] bounds silence, not transfers: the wait for response
// headers after a request is sent, and the wait for the next bytes of a body
// Get returns. A GET whose body stalls fails with a transient error, and the
// retry wrapper resumes it where it stopped.
package s3
