package s3

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/trove-ml/trove/remote"
)

// CredentialsHelp says where trove's S3 clients take credentials from, for
// messages that tell a user how to give them.
const CredentialsHelp = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN with temporary keys) in the environment, or AWS_PROFILE naming a profile in ~/.aws/credentials or ~/.aws/config"

// explainedError says in a sentence of its own what went wrong and what to
// do, while its chain keeps a sentinel and the SDK's error for errors.Is
// and errors.As. The SDK's text is left out of the message: it names the
// step that failed ("HeadBucket, get identity: get credentials: failed to
// refresh cached credentials, no EC2 IMDS role found, ...", "StatusCode:
// 0"), not the cause.
type explainedError struct {
	msg  string
	errs []error
}

func (e *explainedError) Error() string   { return e.msg }
func (e *explainedError) Unwrap() []error { return e.errs }

// explain returns an [explainedError] with the message format and args,
// wrapping sentinel and err.
func explain(sentinel, err error, format string, args ...any) error {
	return &explainedError{msg: fmt.Sprintf(format, args...), errs: []error{sentinel, err}}
}

// cond says which condition a request carried, which decides what 404 and
// 412 mean.
type cond int

const (
	condNone          cond = iota
	condIfAbsent           // PUT with If-None-Match: *
	condIfMatch            // PUT with If-Match
	condDeleteIfMatch      // DELETE with If-Match
)

// errorInfo returns the HTTP status (0 without a response) and S3 error
// code ("" without one) of an SDK error.
func errorInfo(err error) (status int, code string) {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	return status, code
}

func isInvalidRange(err error) bool {
	status, code := errorInfo(err)
	return status == http.StatusRequestedRangeNotSatisfiable || code == "InvalidRange"
}

// fail maps an SDK error of op on key to the remote package's classes, with
// a message that names the object and, where it helps, what to do. The
// failures a user meets first, setting a remote up (no credentials, an
// endpoint that does not answer, no such bucket, access denied), get a
// sentence of their own ([explainedError]).
func (b *Bucket) fail(op, key string, c cond, err error) error {
	where := b.where(key)
	if op == "open" {
		where = b.Location()
	}
	if e := b.failEarly(op, where, err); e != nil {
		return e
	}
	status, code := errorInfo(err)
	switch {
	case code == "NoSuchBucket" || (op == "open" && status == http.StatusNotFound):
		return explain(remote.ErrBucketNotFound, err, "remote/s3: bucket %q does not exist at %s: create it, or fix the bucket name, region or endpoint", b.bucket, b.server())

	case status == http.StatusNotFound || code == "NoSuchKey" || code == "NotFound":
		if c == condIfMatch {
			// S3 answers 404 to If-Match on a missing key; the contract
			// calls that a failed precondition like any other mismatch.
			return fmt.Errorf("remote/s3: %s %s: no object to match: %w", op, where, remote.ErrPreconditionFailed)
		}
		return fmt.Errorf("remote/s3: %s %s: %w", op, where, remote.ErrNotFound)

	case status == http.StatusPreconditionFailed || code == "PreconditionFailed":
		if c == condIfAbsent {
			return fmt.Errorf("remote/s3: %s %s: %w", op, where, remote.ErrExists)
		}
		return fmt.Errorf("remote/s3: %s %s: ETag does not match: %w", op, where, remote.ErrPreconditionFailed)

	case code == "ConditionalRequestConflict":
		// A concurrent conditional write of the key was in flight. For a
		// compare-and-swap the caller must re-read either way; a
		// create-if-absent may still win, so it is worth repeating.
		if c == condIfAbsent {
			return remote.Transient(fmt.Errorf("remote/s3: %s %s: concurrent conditional write: %w", op, where, err))
		}
		return fmt.Errorf("remote/s3: %s %s: concurrent conditional write: %w", op, where, remote.ErrPreconditionFailed)

	case status == http.StatusForbidden || code == "AccessDenied" || code == "InvalidAccessKeyId" ||
		code == "SignatureDoesNotMatch" || code == "ExpiredToken" || code == "InvalidToken":
		why := ""
		if code != "" && code != "AccessDenied" {
			why = " (" + code + ")"
		}
		return explain(remote.ErrPermission, err, "remote/s3: %s %s: access denied%s: check the credentials (%s) and the bucket's policy",
			op, where, why, CredentialsHelp)

	case isInvalidRange(err):
		return fmt.Errorf("remote/s3: %s %s: %w", op, where, remote.ErrInvalidRange)

	case status == http.StatusNotImplemented || code == "NotImplemented":
		return fmt.Errorf("remote/s3: %s %s: the server does not implement this request (conditional writes?): %w: %w", op, where, remote.ErrNotSupported, err)

	case status == http.StatusMovedPermanently || code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed":
		region := ""
		var re *awshttp.ResponseError
		if errors.As(err, &re) && re.Response != nil {
			region = re.Response.Header.Get("X-Amz-Bucket-Region")
		}
		if region != "" {
			return fmt.Errorf("remote/s3: %s %s: the bucket is in region %s; set the region to it: %w", op, where, region, err)
		}
		return fmt.Errorf("remote/s3: %s %s: wrong region or endpoint for this bucket: %w", op, where, err)

	case Transient(err):
		return remote.Transient(fmt.Errorf("remote/s3: %s %s: %w", op, where, err))
	}
	return fmt.Errorf("remote/s3: %s %s: %w", op, where, err)
}

// failEarly explains the failures of a request that got no answer from
// S3: there were no credentials to sign it with, or the server could not
// be reached. It returns nil for other errors.
func (b *Bucket) failEarly(op, where string, err error) error {
	var ce *credentialsError
	if errors.As(err, &ce) {
		var oe *smithy.OperationError
		if errors.As(ce, &oe) && oe.ServiceID == imds.ServiceID {
			// The chain found nothing configured and fell through to the
			// instance metadata service, which had no role either (or
			// was skipped: see NewClient).
			return explain(remote.ErrPermission, err, "remote/s3: %s %s: no AWS credentials found: set %s", op, where, CredentialsHelp)
		}
		return explain(remote.ErrPermission, err, "remote/s3: %s %s: cannot get AWS credentials (%v): check AWS_PROFILE and that profile's settings, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", op, where, ce.err)
	}
	var se *smithyhttp.RequestSendError
	if !errors.As(err, &se) {
		return nil
	}
	why := unreachable(err)
	if why == "" {
		return nil
	}
	// A server that is starting or restarting refuses connections for a
	// while, so this stays transient: the retry wrapper tries again, and
	// the message is what the user sees when it gives up.
	return remote.Transient(explain(remote.ErrUnreachable, err,
		"remote/s3: %s %s: cannot reach %s (%s): check the endpoint and that the server is running", op, where, b.server(), why))
}

// server names the server for messages: its endpoint, or AWS S3.
func (b *Bucket) server() string {
	if b.endpoint == "" {
		return "AWS S3"
	}
	return remote.RedactURL(b.endpoint)
}

// unreachable returns why a request that was never answered failed to
// reach its server (no such host, connection refused, a TLS failure), or
// "" when err is none of those (a connection cut short, say).
func unreachable(err error) string {
	var dns *net.DNSError
	var cert *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var host x509.HostnameError
	var rec tls.RecordHeaderError
	var op *net.OpError
	var errno syscall.Errno
	switch {
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return "no such host " + dns.Name
		}
		return "cannot resolve " + dns.Name + ": " + dns.Err
	case errors.As(err, &cert), errors.As(err, &unknownCA), errors.As(err, &host):
		return "its TLS certificate is not trusted"
	case errors.As(err, &rec):
		return "it does not speak TLS: use http:// for it"
	case !errors.As(err, &op) || op.Op != "dial":
		return ""
	case op.Timeout():
		return "connection timed out"
	case errors.As(err, &errno):
		return errno.Error()
	}
	return op.Err.Error()
}

// Transient reports whether repeating an S3 request that failed with err,
// an error of the AWS SDK (wrapped or not), may succeed: server errors
// (5xx), throttling (429, SlowDown and the like), a request the server
// timed out (RequestTimeout, which comes with 400), and no answer at all
// (the connection failed, was reset or timed out, or anything else
// [remote.IsTransient] accepts). Any other 4xx answer is not: a repeat
// gets the same.
//
// The Bucket's own errors are classified already; Transient is for other
// clients of S3 (package reference) that repeat requests with
// remote/retry.
func Transient(err error) bool {
	status, code := errorInfo(err)
	if status >= 500 || status == http.StatusTooManyRequests || code == "SlowDown" ||
		code == "Throttling" || code == "ThrottlingException" || code == "RequestTimeout" ||
		code == "InternalError" || code == "ServiceUnavailable" {
		return true
	}
	var send *smithyhttp.RequestSendError
	var rt *awshttp.ResponseTimeoutError
	return errors.As(err, &send) || errors.As(err, &rt) || remote.IsTransient(err)
}
