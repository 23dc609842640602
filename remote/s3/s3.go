package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/retry"
)

// Limits and defaults of [Config].
const (
	// DefaultPartSize is the default [Config.PartSize]: a 64 MiB pack goes
	// up as four parts in parallel.
	DefaultPartSize = 16 << 20
	// MinPartSize is S3's smallest part (all but the last).
	MinPartSize = 5 << 20
	// MaxPartSize is S3's largest part.
	MaxPartSize = 5 << 30
	// maxParts is S3's limit on the parts of one upload; larger objects get
	// larger parts.
	maxParts = 10000
	// DefaultConcurrency is the default [Config.Concurrency].
	DefaultConcurrency = 4
	// DefaultTimeout is the default [Config.Timeout].
	DefaultTimeout = time.Minute
	// defaultRegion signs requests when neither the configuration nor the
	// environment names a region: the region of S3's global endpoint, and
	// what most S3-compatible servers expect.
	defaultRegion = "us-east-1"
	// maxIdleConns keeps connections for concurrent puts, gets and lists
	// (the SDK's default of 10 per host would close and redial them).
	maxIdleConns = 100
)

// Config says which bucket to open and how to write to it. Credentials are
// deliberately absent from anything persisted: they come from the standard
// AWS chain (environment, shared files, SSO, and IMDS for AWS endpoints)
// unless a program passes a provider in Credentials.
type Config struct {
	// Bucket is the bucket's name. Required.
	Bucket string
	// Prefix is the folder inside the bucket that holds the remote, such as
	// "team/project"; leading and trailing '/' are ignored and empty means
	// the bucket's root. It must itself be a valid key ([remote.CheckKey]).
	Prefix string
	// Region signs the requests. Empty means AWS_REGION or the profile's
	// region, and us-east-1 if neither is set.
	Region string
	// Endpoint is the base URL of an S3-compatible server, such as
	// "https://minio.example.com:9000". It wins over AWS_ENDPOINT_URL and
	// AWS_ENDPOINT_URL_S3, which the SDK honours when it is empty; with none
	// of them, AWS S3 is used. HTTPS endpoints are verified against the
	// system's certificate store. User info (credentials) in it is refused.
	Endpoint string
	// PathStyle addresses the bucket in the path (host/bucket/key) rather
	// than the host name (bucket.host/key). It is turned on automatically
	// for endpoints whose host is an IP address or "localhost".
	PathStyle bool
	// SSE is the server-side encryption requested on every object written:
	// "" (the bucket's default), "AES256" (SSE-S3) or "aws:kms" (SSE-KMS).
	SSE string
	// SSEKMSKeyID is the KMS key for SSE "aws:kms"; empty means the
	// account's default key. It is an error with any other SSE.
	SSEKMSKeyID string
	// PartSize is the size of the parts of a multipart upload, and the
	// threshold above which Put uses one: smaller objects go up in a single
	// request. It must be between 5 MiB and 5 GiB; 0 means 16 MiB. Each
	// part in flight buffers up to PartSize bytes unless the body is an
	// io.ReaderAt (a file), which is read in place.
	PartSize int64
	// Concurrency is the number of parts of one Put in flight at once.
	// 0 means 4.
	Concurrency int
	// Timeout is how long a request may go without hearing from the
	// server: from the end of the request to the response headers, and
	// between bytes of a body that Get returns. It is not a limit on the
	// whole transfer. 0 means one minute.
	Timeout time.Duration
	// Credentials, when not nil, replaces the standard credential chain.
	// It is for programs and tests that hold credentials in memory.
	Credentials aws.CredentialsProvider
}

// Bucket is a remote in an S3 bucket, under a prefix. It is safe for
// concurrent use.
type Bucket struct {
	client      *awss3.Client
	bucket      string
	prefix      string // "" or ends with '/'
	endpoint    string // for messages: "" means AWS
	sse         types.ServerSideEncryption
	sseKMSKeyID string
	partSize    int64
	concurrency int
	timeout     time.Duration
}

var _ remote.Bucket = (*Bucket)(nil)

// normalize checks cfg and fills in its defaults.
func (cfg Config) normalize() (Config, error) {
	if cfg.Bucket == "" {
		return cfg, errors.New("remote/s3: no bucket name")
	}
	cfg.Prefix = strings.Trim(cfg.Prefix, "/")
	if cfg.Prefix != "" {
		if err := remote.CheckKey(cfg.Prefix); err != nil {
			return cfg, fmt.Errorf("remote/s3: prefix: %w", err)
		}
	}
	switch cfg.SSE {
	case "", string(types.ServerSideEncryptionAes256), string(types.ServerSideEncryptionAwsKms):
	default:
		return cfg, fmt.Errorf("remote/s3: SSE %q: want \"\", \"AES256\" or \"aws:kms\"", cfg.SSE)
	}
	if cfg.SSEKMSKeyID != "" && cfg.SSE != string(types.ServerSideEncryptionAwsKms) {
		return cfg, errors.New("remote/s3: a KMS key id needs SSE \"aws:kms\"")
	}
	switch {
	case cfg.PartSize == 0:
		cfg.PartSize = DefaultPartSize
	case cfg.PartSize < MinPartSize || cfg.PartSize > MaxPartSize:
		return cfg, fmt.Errorf("remote/s3: part size %d outside [%d, %d]", cfg.PartSize, MinPartSize, MaxPartSize)
	}
	switch {
	case cfg.Concurrency == 0:
		cfg.Concurrency = DefaultConcurrency
	case cfg.Concurrency < 0:
		return cfg, fmt.Errorf("remote/s3: negative concurrency %d", cfg.Concurrency)
	}
	switch {
	case cfg.Timeout == 0:
		cfg.Timeout = DefaultTimeout
	case cfg.Timeout < 0:
		return cfg, fmt.Errorf("remote/s3: negative timeout %v", cfg.Timeout)
	}
	if cfg.Endpoint != "" {
		if _, found := remote.URLCredentials(cfg.Endpoint); found {
			return cfg, fmt.Errorf("remote/s3: endpoint %q: credentials never go in the endpoint URL; give them as %s", remote.RedactURL(cfg.Endpoint), CredentialsHelp)
		}
		if u, err := url.Parse(cfg.Endpoint); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return cfg, fmt.Errorf("remote/s3: endpoint %q: want http(s)://host[:port]", cfg.Endpoint)
		}
	}
	return cfg, nil
}

// Open checks cfg, builds a client from it and the environment, and checks
// that the bucket exists and the credentials may use it (one HeadBucket), so
// that a wrong name, region or key fails here with a clear message rather
// than in the middle of a push. A missing bucket wraps
// [remote.ErrBucketNotFound]; missing or refused credentials wrap
// [remote.ErrPermission]; a server that does not answer wraps
// [remote.ErrUnreachable].
//
// The SDK's own retries are off: a request is made once, and failures that
// may pass are marked [remote.IsTransient] for the retry wrapper
// (remote/retry) to repeat. Two retry layers would multiply (the SDK's three
// attempts inside each of the wrapper's) into retry storms against a server
// that is already struggling, and only the wrapper can rewind a body and
// resolve a conditional write whose answer was lost.
func Open(ctx context.Context, cfg Config) (*Bucket, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	client, endpoint, err := NewClient(ctx, ClientOptions{Region: cfg.Region, Endpoint: cfg.Endpoint,
		PathStyle: cfg.PathStyle, Credentials: cfg.Credentials, Timeout: cfg.Timeout})
	if err != nil {
		return nil, fmt.Errorf("remote/s3: %w", err)
	}
	b := &Bucket{
		client:      client,
		bucket:      cfg.Bucket,
		endpoint:    endpoint,
		sse:         types.ServerSideEncryption(cfg.SSE),
		sseKMSKeyID: cfg.SSEKMSKeyID,
		partSize:    cfg.PartSize,
		concurrency: cfg.Concurrency,
		timeout:     cfg.Timeout,
	}
	if cfg.Prefix != "" {
		b.prefix = cfg.Prefix + "/"
	}
	if _, err := client.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: aws.String(b.bucket)}); err != nil {
		return nil, b.fail("open", "", condNone, err)
	}
	return b, nil
}

// Location returns "s3://bucket/prefix", or "s3://bucket" without a prefix.
func (b *Bucket) Location() string {
	if b.prefix == "" {
		return "s3://" + b.bucket
	}
	return "s3://" + b.bucket + "/" + strings.TrimSuffix(b.prefix, "/")
}

// MultipartThreshold returns the size above which Put uploads in parts.
func (b *Bucket) MultipartThreshold() int64 { return b.partSize }

// objectKey checks key and returns the S3 key that holds it.
func (b *Bucket) objectKey(key string) (string, error) {
	if err := remote.CheckKey(key); err != nil {
		return "", err
	}
	if len(b.prefix)+len(key) > remote.MaxKeyLen {
		return "", fmt.Errorf("%w %q: longer than %d bytes with the prefix %q", remote.ErrInvalidKey, key, remote.MaxKeyLen, b.prefix)
	}
	return b.prefix + key, nil
}

// Stat returns the object's info; see [remote.Bucket].
func (b *Bucket) Stat(ctx context.Context, key string) (remote.ObjectInfo, error) {
	ok, err := b.objectKey(key)
	if err != nil {
		return remote.ObjectInfo{}, err
	}
	out, err := b.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: &b.bucket, Key: &ok})
	if err != nil {
		return remote.ObjectInfo{}, b.fail("stat", key, condNone, err)
	}
	return remote.ObjectInfo{
		Key:     key,
		Size:    aws.ToInt64(out.ContentLength),
		ETag:    unquote(aws.ToString(out.ETag)),
		ModTime: aws.ToTime(out.LastModified),
	}, nil
}

// Get returns a reader of the object's range; see [remote.Bucket]. It sends
// one GET with a Range header. A body that stalls for longer than
// [Config.Timeout] fails with a transient error.
func (b *Bucket) Get(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	ok, err := b.objectKey(key)
	if err != nil {
		return nil, err
	}
	if off < 0 {
		return nil, fmt.Errorf("remote/s3: get %s: negative offset %d: %w", b.where(key), off, remote.ErrInvalidRange)
	}
	if length == 0 {
		// HTTP cannot ask for zero bytes; check the object and the offset.
		return b.emptyRange(ctx, key, off)
	}
	in := &awss3.GetObjectInput{Bucket: &b.bucket, Key: &ok}
	switch {
	case length > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", off, off+length-1))
	case off > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", off))
	}
	rctx, cancel := context.WithCancelCause(ctx)
	out, err := b.client.GetObject(rctx, in)
	if err != nil {
		cancel(nil)
		if isInvalidRange(err) {
			// S3 answers 416 to a range starting at the end, which the
			// contract reads as empty.
			return b.emptyRange(ctx, key, off)
		}
		return nil, b.fail("get", key, condNone, err)
	}
	return retry.Watch(out.Body, b.timeout, cancel, "remote/s3: get "+b.where(key)), nil
}

// emptyRange returns an empty reader if off is within the object.
func (b *Bucket) emptyRange(ctx context.Context, key string, off int64) (io.ReadCloser, error) {
	info, err := b.Stat(ctx, key)
	if err != nil {
		return nil, err
	}
	if off > info.Size {
		return nil, fmt.Errorf("remote/s3: get %s: offset %d beyond the object's %d bytes: %w", b.where(key), off, info.Size, remote.ErrInvalidRange)
	}
	return io.NopCloser(bytes.NewReader(nil)), nil
}

// List calls fn for the objects under prefix in lexical order; see
// [remote.Bucket]. It pages through ListObjectsV2 (1,000 keys a request)
// and skips keys that are not valid remote keys, such as the "folder/"
// markers some consoles create.
func (b *Bucket) List(ctx context.Context, prefix string, fn func(remote.ObjectInfo) error) error {
	p := awss3.NewListObjectsV2Paginator(b.client, &awss3.ListObjectsV2Input{
		Bucket: &b.bucket,
		Prefix: aws.String(b.prefix + prefix),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return b.fail("list", prefix+"*", condNone, err)
		}
		for _, o := range page.Contents {
			key, ok := strings.CutPrefix(aws.ToString(o.Key), b.prefix)
			if !ok || remote.CheckKey(key) != nil {
				continue
			}
			err := fn(remote.ObjectInfo{
				Key:     key,
				Size:    aws.ToInt64(o.Size),
				ETag:    unquote(aws.ToString(o.ETag)),
				ModTime: aws.ToTime(o.LastModified),
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// Delete removes the object; see [remote.Bucket]. With ifMatch it sends
// If-Match, which the server checks.
func (b *Bucket) Delete(ctx context.Context, key string, ifMatch string) error {
	ok, err := b.objectKey(key)
	if err != nil {
		return err
	}
	return b.deleteObject(ctx, ok, key, ifMatch)
}

// deleteObject deletes the S3 key ok (key is for messages).
func (b *Bucket) deleteObject(ctx context.Context, ok, key, ifMatch string) error {
	in := &awss3.DeleteObjectInput{Bucket: &b.bucket, Key: &ok}
	c := condNone
	if ifMatch != "" {
		in.IfMatch = aws.String(quote(ifMatch))
		c = condDeleteIfMatch
	}
	if _, err := b.client.DeleteObject(ctx, in); err != nil {
		err = b.fail("delete", key, c, err)
		if errors.Is(err, remote.ErrNotFound) {
			// AWS answers a conditional delete of a missing key with 204,
			// as the contract does; some servers say 404.
			return nil
		}
		return err
	}
	return nil
}

// where names an object for messages.
func (b *Bucket) where(key string) string {
	return "s3://" + b.bucket + "/" + b.prefix + key
}

// quote and unquote convert between remote ETags, which carry no quotes,
// and HTTP entity tags, which do.
func quote(etag string) string { return `"` + etag + `"` }

func unquote(etag string) string { return strings.Trim(etag, `"`) }
