package reference

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/remote/retry"
	"github.com/trove-ml/trove/remote/s3"
)

// S3Options configure [NewS3]. Credentials never come from a reference:
// they come from the standard AWS chain (environment, shared files, SSO,
// instance roles) unless Credentials is set.
type S3Options struct {
	// Endpoint is the base URL of an S3-compatible server. Empty means
	// AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, and AWS S3 without them.
	Endpoint string
	// Region signs the requests. Empty means AWS_REGION or the profile's,
	// and us-east-1 without either.
	Region string
	// PathStyle addresses buckets in the path. It is on automatically for
	// endpoints whose host is an IP address or "localhost".
	PathStyle bool
	// Credentials, when set, replace the standard chain (for tests and
	// programs holding credentials in memory).
	Credentials aws.CredentialsProvider
	// Timeout bounds the wait for response headers and each read of a
	// download's body: a body silent for longer fails transiently, and the
	// download resumes (see Retry). 0 means one minute.
	Timeout time.Duration
	// ListConcurrency is the number of listing requests in flight for one
	// folder (see [S3.List]). 0 means 8; 1 lists in one flat sequence.
	ListConcurrency int
	// Retry tunes the repeats of requests that fail transiently (429 and
	// 5xx answers, throttling, RequestTimeout, reset connections,
	// timeouts: what remote/s3's [s3.Transient] accepts) with
	// remote/retry's policy and defaults: at most 10 attempts within five
	// minutes, full jitter from 200 ms to 20 s. No other 4xx answer is
	// repeated. The SDK's own retries are off, as in remote/s3: two layers
	// would multiply their attempts. A download cut short resumes from its
	// first unread byte, of the same object version or ETag, at most
	// MaxAttempts-1 times. OnRetry sees Ops "stat", "list", "get" and
	// "read". BufferLimit is unused: no request has a body.
	Retry retry.Options
}

// S3 is the [Store] of s3:// references, on AWS or any S3-compatible
// server. Objects are recorded by ETag ([KindETag]), and in buckets with
// versioning enabled (or suspended) by ETag and version id
// ([KindETagVersionID]), taken from ListObjectVersions so that listing
// costs one request per 1,000 objects either way. The client is made on
// first use, so that a program that never meets an s3:// reference needs
// no AWS configuration.
type S3 struct {
	o S3Options

	once     sync.Once
	client   *awss3.Client
	endpoint string // for messages; "" means AWS
	err      error  // from making the client, returned by every call

	maxSplit int // tests: overrides the constant maxSplit
}

var _ Store = (*S3)(nil)

// NewS3 returns the s3:// store.
func NewS3(o S3Options) *S3 {
	if o.Timeout <= 0 {
		o.Timeout = time.Minute
	}
	if o.ListConcurrency <= 0 {
		o.ListConcurrency = 8
	}
	return &S3{o: o}
}

// conn returns the client, making it on first use, and checks that
// credentials can be had, so that their absence is one clear error.
func (s *S3) conn(ctx context.Context) (*awss3.Client, error) {
	s.once.Do(func() {
		client, endpoint, err := s3.NewClient(ctx, s3.ClientOptions{Region: s.o.Region, Endpoint: s.o.Endpoint,
			PathStyle: s.o.PathStyle, Credentials: s.o.Credentials, Timeout: s.o.Timeout})
		if err != nil {
			s.err = fmt.Errorf("reference: %w", err)
			return
		}
		creds := client.Options().Credentials
		if creds == nil {
			s.err = fmt.Errorf("%w for s3:// references: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE", ErrNoCredentials)
			return
		}
		if _, err := creds.Retrieve(ctx); err != nil {
			s.err = fmt.Errorf("%w for s3:// references: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (%v)", ErrNoCredentials, err)
			return
		}
		s.client, s.endpoint = client, endpoint
	})
	return s.client, s.err
}

// s3Entry makes the entry of one object.
func s3Entry(uri string, size int64, etag, versionID *string) (manifest.Entry, error) {
	tag := strings.Trim(aws.ToString(etag), `"`)
	if tag == "" {
		return manifest.Entry{}, fmt.Errorf("reference: %s: the server sent no ETag; record the location alone with --no-checksum", clip(uri))
	}
	r := &manifest.Reference{URI: uri, ChecksumKind: KindETag, Checksum: tag}
	if v := aws.ToString(versionID); v != "" {
		r.ChecksumKind, r.VersionID = KindETagVersionID, v
	}
	return manifest.Entry{Kind: manifest.KindRef, Size: size, Ref: r}, nil
}

// List implements [Store]. A key that names an object is that object;
// any other key, and a key ending in '/', is a folder. Zero-length keys
// ending in '/' are the folder markers consoles create and are skipped.
//
// A folder is listed by ListConcurrency requests at once: one listing
// with delimiter '/' yields the objects directly in the folder and its
// subfolders, and each subfolder is then listed flat on its own. Objects
// arrive in no particular order (Source sorts them). A folder of more
// than maxSplit subfolders lists the rest in one flat listing.
func (s *S3) List(ctx context.Context, loc Location, fn func(path string, e manifest.Entry) error) error {
	c, err := s.conn(ctx)
	if err != nil {
		return err
	}
	if loc.Key != "" && !strings.HasSuffix(loc.Key, "/") {
		out, err := s.head(ctx, c, loc)
		if err == nil {
			e, err := s3Entry(loc.String(), aws.ToInt64(out.ContentLength), out.ETag, out.VersionId)
			if err != nil {
				return err
			}
			return fn("", e)
		}
		if err := s.fail(loc, loc.Key, err); !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	prefix := folderPrefix(loc.Key)
	versioned, err := s.versioned(ctx, c, loc)
	if err != nil {
		return err
	}
	l := &s3Lister{s: s, c: c, loc: loc, versioned: versioned, maxSplit: maxSplit}
	if s.maxSplit > 0 {
		l.maxSplit = s.maxSplit
	}
	emit := func(batch []s3Object) error {
		for _, o := range batch {
			rel, ok := strings.CutPrefix(o.key, prefix)
			if !ok {
				return fmt.Errorf("reference: %s: listing returned key %q outside the prefix", clip(loc.String()), o.key)
			}
			if strings.HasSuffix(o.key, "/") && o.size == 0 {
				continue // a folder marker
			}
			e, err := s3Entry(loc.objectURI(o.key), o.size, o.etag, o.versionID)
			if err != nil {
				return err
			}
			if err := fn(rel, e); err != nil {
				return err
			}
		}
		return nil
	}
	if s.o.ListConcurrency <= 1 {
		return l.flat(ctx, s3Task{prefix: prefix}, emit)
	}
	tasks, err := l.split(ctx, prefix, emit)
	if err != nil {
		return err
	}
	return l.parallel(ctx, tasks, emit)
}

// maxSplit bounds the subfolders listed on their own: each costs at least
// one request, so a folder of a million one-object folders is listed flat
// past this many.
const maxSplit = 1024

// s3Object is one listed object.
type s3Object struct {
	key             string
	size            int64
	etag, versionID *string
}

// s3Task is one flat listing: the keys under prefix, after startAfter,
// except those under skip.
type s3Task struct {
	prefix, startAfter, skip string
}

// s3Lister lists one folder of one bucket, with versions or without.
type s3Lister struct {
	s         *S3
	c         *awss3.Client
	loc       Location
	versioned bool
	maxSplit  int
}

// page lists one page: objects and, with a delimiter, subfolders.
// Versions arrive by key, newest first; the current version of a live
// object is the one marked latest, and an object whose latest version is
// a delete marker has none.
func (l *s3Lister) page(ctx context.Context, prefix, after, delim string, token, vmarker *string) (objs []s3Object, subs []string, next, nextV *string, err error) {
	var d *string
	if delim != "" {
		d = &delim
	}
	if !l.versioned {
		in := &awss3.ListObjectsV2Input{Bucket: &l.loc.Bucket, Prefix: &prefix, Delimiter: d, ContinuationToken: token}
		if after != "" && token == nil {
			in.StartAfter = &after
		}
		var out *awss3.ListObjectsV2Output
		err := l.s.call(ctx, s3OpList, prefix, func() (err error) {
			out, err = l.c.ListObjectsV2(ctx, in)
			return err
		})
		if err != nil {
			return nil, nil, nil, nil, l.s.fail(l.loc, prefix, err)
		}
		for _, o := range out.Contents {
			objs = append(objs, s3Object{key: aws.ToString(o.Key), size: aws.ToInt64(o.Size), etag: o.ETag})
		}
		for _, p := range out.CommonPrefixes {
			subs = append(subs, aws.ToString(p.Prefix))
		}
		if aws.ToBool(out.IsTruncated) {
			next = out.NextContinuationToken
			if next == nil {
				return nil, nil, nil, nil, fmt.Errorf("reference: %s: truncated listing without a continuation token", clip(l.loc.String()))
			}
		}
		return objs, subs, next, nil, nil
	}
	in := &awss3.ListObjectVersionsInput{Bucket: &l.loc.Bucket, Prefix: &prefix, Delimiter: d, KeyMarker: token, VersionIdMarker: vmarker}
	if after != "" && token == nil {
		in.KeyMarker = &after
	}
	var out *awss3.ListObjectVersionsOutput
	err = l.s.call(ctx, s3OpList, prefix, func() (err error) {
		out, err = l.c.ListObjectVersions(ctx, in)
		return err
	})
	if err != nil {
		return nil, nil, nil, nil, l.s.fail(l.loc, prefix, err)
	}
	for _, v := range out.Versions {
		if aws.ToBool(v.IsLatest) {
			objs = append(objs, s3Object{key: aws.ToString(v.Key), size: aws.ToInt64(v.Size), etag: v.ETag, versionID: v.VersionId})
		}
	}
	for _, p := range out.CommonPrefixes {
		subs = append(subs, aws.ToString(p.Prefix))
	}
	if aws.ToBool(out.IsTruncated) {
		next, nextV = out.NextKeyMarker, out.NextVersionIdMarker
		if next == nil {
			return nil, nil, nil, nil, fmt.Errorf("reference: %s: truncated listing without a key marker", clip(l.loc.String()))
		}
	}
	return objs, subs, next, nextV, nil
}

// flat lists a task page by page.
func (l *s3Lister) flat(ctx context.Context, t s3Task, fn func([]s3Object) error) error {
	var token, vmarker *string
	for {
		objs, _, next, nextV, err := l.page(ctx, t.prefix, t.startAfter, "", token, vmarker)
		if err != nil {
			return err
		}
		if t.skip != "" {
			kept := objs[:0]
			for _, o := range objs {
				if !strings.HasPrefix(o.key, t.skip) {
					kept = append(kept, o)
				}
			}
			objs = kept
		}
		if err := fn(objs); err != nil {
			return err
		}
		if next == nil {
			return nil
		}
		token, vmarker = next, nextV
	}
}

// split lists prefix with delimiter '/': it passes the objects directly
// in it to fn and returns a task per subfolder, and past maxSplit
// subfolders one task for everything after the last.
func (l *s3Lister) split(ctx context.Context, prefix string, fn func([]s3Object) error) ([]s3Task, error) {
	var tasks []s3Task
	var token, vmarker *string
	for {
		objs, subs, next, nextV, err := l.page(ctx, prefix, "", "/", token, vmarker)
		if err != nil {
			return nil, err
		}
		cut := ""
		for _, sub := range subs {
			if len(tasks) == l.maxSplit {
				cut = tasks[len(tasks)-1].prefix
				break
			}
			tasks = append(tasks, s3Task{prefix: sub})
		}
		if cut != "" {
			// The rest is one flat listing from the end of the last
			// subfolder's keys (all of which are below cut+U+10FFFF),
			// objects directly in the folder included: this page passes
			// on only those before the cut.
			kept := objs[:0]
			for _, o := range objs {
				if o.key < cut {
					kept = append(kept, o)
				}
			}
			if err := fn(kept); err != nil {
				return nil, err
			}
			return append(tasks, s3Task{prefix: prefix, startAfter: cut + "\U0010FFFF", skip: cut}), nil
		}
		if err := fn(objs); err != nil {
			return nil, err
		}
		if next == nil {
			return tasks, nil
		}
		token, vmarker = next, nextV
	}
}

// parallel runs tasks on ListConcurrency goroutines and passes their
// pages to fn on the calling goroutine.
func (l *s3Lister) parallel(ctx context.Context, tasks []s3Task, fn func([]s3Object) error) error {
	if len(tasks) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	todo := make(chan s3Task, len(tasks))
	for _, t := range tasks {
		todo <- t
	}
	close(todo)
	pages := make(chan []s3Object, l.s.o.ListConcurrency)
	var wg sync.WaitGroup
	for range min(l.s.o.ListConcurrency, len(tasks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range todo {
				err := l.flat(ctx, t, func(objs []s3Object) error {
					select {
					case pages <- objs:
						return nil
					case <-ctx.Done():
						return context.Cause(ctx)
					}
				})
				if err != nil {
					cancel(err)
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(pages)
	}()
	var err error
	for objs := range pages {
		if err == nil {
			if err = fn(objs); err != nil {
				cancel(err)
			}
		}
	}
	if err != nil {
		return err
	}
	return context.Cause(ctx) // a worker's error, or the caller's cancellation
}

// versioned reports whether the bucket has (or had) versioning on. A
// reader not allowed to ask, or a server that cannot say, gets the plain
// listing: ETags without version ids. A server still failing after the
// retries is an error: the listing would record no version ids for want
// of an answer.
func (s *S3) versioned(ctx context.Context, c *awss3.Client, loc Location) (bool, error) {
	var out *awss3.GetBucketVersioningOutput
	err := s.call(ctx, s3OpStat, "", func() (err error) {
		out, err = c.GetBucketVersioning(ctx, &awss3.GetBucketVersioningInput{Bucket: &loc.Bucket})
		return err
	})
	if err != nil {
		if err := s.fail(loc, "", err); errors.Is(err, ErrBucketNotFound) || errors.Is(err, ErrNoCredentials) || s3.Transient(err) {
			return false, err
		}
		return false, nil
	}
	return out.Status == types.BucketVersioningStatusEnabled || out.Status == types.BucketVersioningStatusSuspended, nil
}

// Probe implements [Store]: the object exists, or the folder holds one.
func (s *S3) Probe(ctx context.Context, loc Location) error {
	c, err := s.conn(ctx)
	if err != nil {
		return err
	}
	if loc.Key != "" && !strings.HasSuffix(loc.Key, "/") {
		_, err := s.head(ctx, c, loc)
		if err == nil {
			return nil
		}
		if err := s.fail(loc, loc.Key, err); !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	prefix := folderPrefix(loc.Key)
	var out *awss3.ListObjectsV2Output
	err = s.call(ctx, s3OpList, prefix, func() (err error) {
		out, err = c.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: &loc.Bucket, Prefix: &prefix, MaxKeys: aws.Int32(1)})
		return err
	})
	if err != nil {
		return s.fail(loc, prefix, err)
	}
	if len(out.Contents) == 0 {
		return fmt.Errorf("%w: nothing at %s (check the prefix)", ErrEmpty, clip(loc.String()))
	}
	return nil
}

// Open implements [Store]: a GET of the recorded version, or with
// If-Match on the recorded ETag where there is none. The answer's ETag
// and length must match the record, and where the ETag is the content's
// MD5 (a single-part upload without KMS or customer keys) the bytes are
// checked against it. A download cut short resumes with a ranged GET of
// the same version, or with the same If-Match: never of another object.
func (s *S3) Open(ctx context.Context, e manifest.Entry) (io.ReadCloser, error) {
	loc, err := Parse(e.Ref.URI)
	if err != nil {
		return nil, err
	}
	if loc.Scheme != SchemeS3 || loc.Key == "" {
		return nil, fmt.Errorf("%w: %q does not name an S3 object", ErrInvalid, clip(e.Ref.URI))
	}
	c, err := s.conn(ctx)
	if err != nil {
		return nil, err
	}
	in := awss3.GetObjectInput{Bucket: &loc.Bucket, Key: &loc.Key}
	switch e.Ref.ChecksumKind {
	case KindETagVersionID:
		in.VersionId = aws.String(e.Ref.VersionID)
	case KindETag:
		in.IfMatch = aws.String(`"` + e.Ref.Checksum + `"`)
	default:
		return nil, fmt.Errorf("%w: %s: unknown checksum kind %q for an S3 reference", ErrInvalid, clip(e.Ref.URI), e.Ref.ChecksumKind)
	}
	var out *awss3.GetObjectOutput
	err = s.call(ctx, s3OpGet, loc.Key, func() (err error) {
		out, err = s.getFrom(ctx, c, loc, e, in, 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	body := retry.NewReader(ctx, s.o.Retry, loc.Key, s3.Transient, out.Body, e.Size, func(ctx context.Context, done int64) (io.ReadCloser, error) {
		out, err := s.getFrom(ctx, c, loc, e, in, done)
		if err != nil {
			return nil, err
		}
		return out.Body, nil
	})
	cr := newCheckReader(body, e)
	if out.ServerSideEncryption != types.ServerSideEncryptionAwsKms && out.ServerSideEncryption != types.ServerSideEncryptionAwsKmsDsse && out.SSECustomerAlgorithm == nil {
		cr.checkMD5(e.Ref.Checksum)
	}
	return cr, nil
}

// getFrom makes one GET of the object e records, as in asks for it, from
// byte off on, and checks that the answer is that object: its ETag, its
// length, and for a range where it starts. Errors are mapped by fail.
func (s *S3) getFrom(ctx context.Context, c *awss3.Client, loc Location, e manifest.Entry, in awss3.GetObjectInput, off int64) (*awss3.GetObjectOutput, error) {
	rctx, cancel := context.WithCancelCause(ctx)
	out, err := s.open(rctx, c, loc, e, in, off)
	if err != nil {
		cancel(nil)
		return nil, err
	}
	out.Body = retry.Watch(out.Body, s.o.Timeout, cancel, "reference: "+clip(e.Ref.URI))
	return out, nil
}

// open is getFrom without the watch on the body.
func (s *S3) open(ctx context.Context, c *awss3.Client, loc Location, e manifest.Entry, in awss3.GetObjectInput, off int64) (*awss3.GetObjectOutput, error) {
	if off > 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", off))
	}
	out, err := c.GetObject(ctx, &in)
	if err != nil {
		err = s.fail(loc, loc.Key, err)
		if e.Ref.VersionID != "" && errors.Is(err, ErrNotFound) {
			err = fmt.Errorf("%w (version %s)", err, e.Ref.VersionID)
		}
		return nil, err
	}
	fail := func(err error) (*awss3.GetObjectOutput, error) {
		out.Body.Close()
		return nil, err
	}
	if got := strings.Trim(aws.ToString(out.ETag), `"`); got != e.Ref.Checksum {
		return fail(fmt.Errorf("%w: %s: ETag %s, the reference records %s", ErrChanged, clip(e.Ref.URI), got, e.Ref.Checksum))
	}
	if n := aws.ToInt64(out.ContentLength); out.ContentLength != nil && n != e.Size-off {
		return fail(fmt.Errorf("%w: %s: %d bytes from byte %d, the reference records %d in all", ErrChanged, clip(e.Ref.URI), n, off, e.Size))
	}
	if want := fmt.Sprintf("bytes %d-", off); off > 0 && !strings.HasPrefix(aws.ToString(out.ContentRange), want) {
		return fail(fmt.Errorf("reference: %s: asked for bytes from %d, the server sent %q", clip(e.Ref.URI), off, aws.ToString(out.ContentRange)))
	}
	return out, nil
}

// Operations, as named in [retry.Event.Op] and in errors.
const (
	s3OpStat = "stat" // an object's or the bucket's metadata
	s3OpList = "list" // a listing page
	s3OpGet  = "get"  // a download's first answer, or its re-open
)

// call makes one request, req, with the retries of S3Options.Retry: op
// and key name it in events and errors.
func (s *S3) call(ctx context.Context, op, key string, req func() error) error {
	return retry.Do(ctx, s.o.Retry, op, key, s3.Transient, func(int) error { return req() })
}

// head asks for the metadata of the object loc names.
func (s *S3) head(ctx context.Context, c *awss3.Client, loc Location) (*awss3.HeadObjectOutput, error) {
	var out *awss3.HeadObjectOutput
	err := s.call(ctx, s3OpStat, loc.Key, func() (err error) {
		out, err = c.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: &loc.Bucket, Key: &loc.Key})
		return err
	})
	return out, err
}

// s3ErrorInfo returns the HTTP status (0 without a response) and S3 error
// code ("" without one) of an SDK error.
func s3ErrorInfo(err error) (status int, code string) {
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

// fail maps an SDK error about key in loc's bucket to this package's
// classes, with a message that names the object and what to do.
func (s *S3) fail(loc Location, key string, err error) error {
	where := loc.objectURI(key)
	if key == "" {
		where = "s3://" + loc.Bucket
	}
	status, code := s3ErrorInfo(err)
	switch {
	case code == "NoSuchBucket":
		at := "AWS S3"
		if s.endpoint != "" {
			at = s.endpoint
		}
		return fmt.Errorf("%w: %q at %s (check the name, region and endpoint: AWS_ENDPOINT_URL, AWS_REGION)", ErrBucketNotFound, loc.Bucket, at)
	case status == http.StatusNotFound || code == "NoSuchKey" || code == "NotFound" || code == "NoSuchVersion":
		return fmt.Errorf("%w: %s", ErrNotFound, clip(where))
	case status == http.StatusPreconditionFailed || code == "PreconditionFailed":
		return fmt.Errorf("%w: %s: its ETag is no longer the recorded one", ErrChanged, clip(where))
	case status == http.StatusForbidden || code == "AccessDenied" || code == "InvalidAccessKeyId" ||
		code == "SignatureDoesNotMatch" || code == "ExpiredToken" || code == "InvalidToken":
		why := ""
		if code != "" && code != "AccessDenied" {
			why = " (" + code + ")"
		}
		return fmt.Errorf("%w: %s%s; check the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE) and the bucket's policy", ErrPermission, clip(where), why)
	case status == http.StatusMovedPermanently || code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed":
		return fmt.Errorf("reference: %s: wrong region or endpoint for this bucket (set AWS_REGION): %w", clip(where), err)
	}
	return fmt.Errorf("reference: %s: %w", clip(where), err)
}
