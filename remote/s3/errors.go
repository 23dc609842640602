package s3

import (
	"errors"
	"fmt"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/trove-ml/trove/remote"
)

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
// a message that names the object and, where it helps, what to do.
func (b *Bucket) fail(op, key string, c cond, err error) error {
	where := b.where(key)
	status, code := errorInfo(err)
	switch {
	case code == "NoSuchBucket" || (op == "open" && status == http.StatusNotFound):
		at := "AWS S3"
		if b.endpoint != "" {
			at = b.endpoint
		}
		return fmt.Errorf("remote/s3: bucket %q does not exist at %s (create it, or fix the name, region or endpoint): %w", b.bucket, at, remote.ErrBucketNotFound)

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
		return fmt.Errorf("remote/s3: %s %s: access denied%s; check the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE) and the bucket's policy: %w: %w",
			op, where, why, remote.ErrPermission, err)

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
