package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trove-ml/trove/remote"
)

// defaultContentType is stored when PutOptions has none.
const defaultContentType = "application/octet-stream"

// Put stores the object; see [remote.Bucket]. Up to [Config.PartSize] bytes
// go up as one PutObject, larger objects as a multipart upload whose
// CompleteMultipartUpload carries the condition, so in both cases the server
// decides it atomically. Every write requests the configured server-side
// encryption.
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader, size int64, opts remote.PutOptions) (remote.ObjectInfo, error) {
	if err := remote.CheckPut(key, size, opts); err != nil {
		return remote.ObjectInfo{}, err
	}
	ok, err := b.objectKey(key)
	if err != nil {
		return remote.ObjectInfo{}, err
	}
	return b.put(ctx, ok, key, r, size, opts)
}

// put stores size bytes of r under the S3 key ok (key is for messages).
func (b *Bucket) put(ctx context.Context, ok, key string, r io.Reader, size int64, opts remote.PutOptions) (remote.ObjectInfo, error) {
	bd, err := newBody(r, size)
	if err != nil {
		return remote.ObjectInfo{}, fmt.Errorf("remote/s3: put %s: %w", b.where(key), err)
	}
	c := condNone
	switch {
	case opts.IfAbsent:
		c = condIfAbsent
	case opts.IfMatch != "":
		c = condIfMatch
	}
	ct := opts.ContentType
	if ct == "" {
		ct = defaultContentType
	}
	var etag string
	if size <= b.partSize {
		etag, err = b.putSingle(ctx, ok, key, bd, size, ct, c, opts.IfMatch)
	} else {
		etag, err = b.putMultipart(ctx, ok, key, bd, size, ct, c, opts.IfMatch)
	}
	if err != nil {
		return remote.ObjectInfo{}, err
	}
	// S3 does not return the new object's time; a HEAD to learn it would
	// cost a round trip and could already see a later write.
	return remote.ObjectInfo{Key: key, Size: size, ETag: unquote(etag), ModTime: time.Now()}, nil
}

func (b *Bucket) putSingle(ctx context.Context, ok, key string, bd *body, size int64, ct string, c cond, ifMatch string) (string, error) {
	var buf []byte
	if bd.ra == nil {
		buf = make([]byte, size)
	}
	sec, err := bd.section(0, size, buf)
	if err != nil {
		return "", fmt.Errorf("remote/s3: put %s: %w", b.where(key), err)
	}
	in := &awss3.PutObjectInput{
		Bucket:        &b.bucket,
		Key:           &ok,
		Body:          sec,
		ContentLength: aws.Int64(size),
		ContentType:   &ct,
	}
	if b.sse != "" {
		in.ServerSideEncryption = b.sse
	}
	if b.sseKMSKeyID != "" {
		in.SSEKMSKeyId = &b.sseKMSKeyID
	}
	switch c {
	case condIfAbsent:
		in.IfNoneMatch = aws.String("*")
	case condIfMatch:
		in.IfMatch = aws.String(quote(ifMatch))
	}
	out, err := b.client.PutObject(ctx, in)
	if err != nil {
		return "", b.fail("put", key, c, err)
	}
	return aws.ToString(out.ETag), nil
}

// putMultipart uploads parts with up to [Config.Concurrency] in flight and
// completes the upload with the condition. A failed upload is aborted, so
// its parts stop costing storage. (An abort that fails too leaves them until
// the bucket's lifecycle rule for incomplete uploads removes them.)
func (b *Bucket) putMultipart(ctx context.Context, ok, key string, bd *body, size int64, ct string, c cond, ifMatch string) (etag string, err error) {
	// Fail fast before uploading what the server would refuse at the end.
	// The condition on CompleteMultipartUpload still decides.
	if c != condNone {
		if err := b.precheck(ctx, ok, key, c, ifMatch); err != nil {
			return "", err
		}
	}
	partSize := max(b.partSize, (size+maxParts-1)/maxParts)
	nparts := int((size + partSize - 1) / partSize)

	// Every part carries a CRC32 that the server checks, and the completed
	// object a checksum of those: a part damaged on its way is refused,
	// not assembled. (This is also what the SDK's upload manager does.)
	create := &awss3.CreateMultipartUploadInput{
		Bucket:            &b.bucket,
		Key:               &ok,
		ContentType:       &ct,
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
	}
	if b.sse != "" {
		create.ServerSideEncryption = b.sse
	}
	if b.sseKMSKeyID != "" {
		create.SSEKMSKeyId = &b.sseKMSKeyID
	}
	cout, err := b.client.CreateMultipartUpload(ctx, create)
	if err != nil {
		return "", b.fail("put", key, condNone, err)
	}
	uploadID := cout.UploadId
	defer func() {
		if err != nil {
			b.abort(ctx, ok, uploadID)
		}
	}()

	parts := make([]types.CompletedPart, nparts)
	pctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		partErr error // the first failure; later ones are its echoes
	)
	setErr := func(err error) {
		mu.Lock()
		if partErr == nil {
			partErr = err
			cancel(err)
		}
		mu.Unlock()
	}
	// A slot is a part in flight; in buffered mode it owns a buffer.
	slots := make(chan []byte, b.concurrency)
	for range b.concurrency {
		slots <- nil
	}
	for i := range nparts {
		var buf []byte
		select {
		case buf = <-slots:
		case <-pctx.Done():
		}
		if pctx.Err() != nil {
			break
		}
		if bd.ra == nil && buf == nil {
			buf = make([]byte, partSize)
		}
		off := int64(i) * partSize
		n := min(partSize, size-off)
		// Sequential bodies are read here, in order, by this goroutine.
		sec, err := bd.section(off, n, buf)
		if err != nil {
			setErr(fmt.Errorf("remote/s3: put %s: %w", b.where(key), err))
			break
		}
		wg.Go(func() {
			defer func() { slots <- buf }()
			out, err := b.client.UploadPart(pctx, &awss3.UploadPartInput{
				Bucket:            &b.bucket,
				Key:               &ok,
				UploadId:          uploadID,
				PartNumber:        aws.Int32(int32(i + 1)),
				Body:              sec,
				ContentLength:     aws.Int64(n),
				ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
			})
			if err != nil {
				setErr(b.fail(fmt.Sprintf("put (part %d of %d)", i+1, nparts), key, condNone, err))
				return
			}
			parts[i] = types.CompletedPart{
				PartNumber:        aws.Int32(int32(i + 1)),
				ETag:              out.ETag,
				ChecksumCRC32:     out.ChecksumCRC32,
				ChecksumCRC32C:    out.ChecksumCRC32C,
				ChecksumCRC64NVME: out.ChecksumCRC64NVME,
				ChecksumSHA1:      out.ChecksumSHA1,
				ChecksumSHA256:    out.ChecksumSHA256,
			}
		})
	}
	wg.Wait()
	if partErr != nil {
		return "", partErr
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("remote/s3: put %s: %w", b.where(key), err)
	}

	complete := &awss3.CompleteMultipartUploadInput{
		Bucket:          &b.bucket,
		Key:             &ok,
		UploadId:        uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	}
	switch c {
	case condIfAbsent:
		complete.IfNoneMatch = aws.String("*")
	case condIfMatch:
		complete.IfMatch = aws.String(quote(ifMatch))
	}
	out, err := b.client.CompleteMultipartUpload(ctx, complete)
	if err != nil {
		return "", b.fail("put", key, c, err)
	}
	return aws.ToString(out.ETag), nil
}

// precheck fails a conditional put whose condition already does not hold.
func (b *Bucket) precheck(ctx context.Context, ok, key string, c cond, ifMatch string) error {
	out, err := b.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: &b.bucket, Key: &ok})
	status, _ := errorInfo(err)
	switch {
	case err != nil && status == 404 && c == condIfAbsent:
		return nil
	case err != nil:
		return b.fail("put", key, c, err)
	case c == condIfAbsent:
		return fmt.Errorf("remote/s3: put %s: %w", b.where(key), remote.ErrExists)
	case unquote(aws.ToString(out.ETag)) != ifMatch:
		return fmt.Errorf("remote/s3: put %s: ETag does not match: %w", b.where(key), remote.ErrPreconditionFailed)
	}
	return nil
}

// abort cancels a multipart upload, even when ctx is done (which is often
// why it failed). Its error is dropped: the put has failed already, and the
// parts are only storage that a lifecycle rule also reclaims.
func (b *Bucket) abort(ctx context.Context, ok string, uploadID *string) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.timeout)
	defer cancel()
	_, _ = b.client.AbortMultipartUpload(actx, &awss3.AbortMultipartUploadInput{
		Bucket: &b.bucket, Key: &ok, UploadId: uploadID,
	})
}

// body hands out the bytes of one Put as seekable sections, which the SDK
// needs to sign and checksum a request and to send it: read in place from
// an io.ReaderAt (a file, a bytes.Reader), else read in order into buffers.
type body struct {
	ra   io.ReaderAt // nil: sequential
	base int64       // where the body starts in ra
	r    io.Reader
}

// errShortBody is a body that ends before its declared size.
var errShortBody = errors.New("body shorter than its size")

func newBody(r io.Reader, size int64) (*body, error) {
	ra, isRA := r.(io.ReaderAt)
	s, isSeeker := r.(io.Seeker)
	if !isRA || !isSeeker {
		return &body{r: r}, nil
	}
	pos, err := s.Seek(0, io.SeekCurrent)
	if err != nil {
		return &body{r: r}, nil //nolint:nilerr // not really seekable: read it in order
	}
	end, err := s.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	if _, err := s.Seek(pos, io.SeekStart); err != nil {
		return nil, err
	}
	if end-pos < size {
		return nil, fmt.Errorf("%w: %d bytes left for a size of %d", errShortBody, end-pos, size)
	}
	return &body{ra: ra, base: pos}, nil
}

// section returns bytes [off, off+n) of the body. Sequential bodies must be
// asked for their sections in order, and fill buf.
func (bd *body) section(off, n int64, buf []byte) (io.ReadSeeker, error) {
	if bd.ra != nil {
		return io.NewSectionReader(bd.ra, bd.base+off, n), nil
	}
	m, err := io.ReadFull(bd.r, buf[:n])
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("%w: it ended after %d bytes", errShortBody, off+int64(m))
	}
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(buf[:n]), nil
}
