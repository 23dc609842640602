package s3

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trove-ml/trove/remote"
)

// ListUnfinished calls fn for every multipart upload under the bucket's
// prefix that was neither completed nor aborted: those of Puts in progress,
// and those of Puts whose process died (a Put that fails aborts its own).
// Each upload's size is the sum of its parts, and its time the later of
// its start and its last part's, one ListParts each. Uploads
// of keys that are not remote keys are someone else's and are skipped.
//
// Listing uploads needs the s3:ListBucketMultipartUploads permission and
// their parts s3:ListMultipartUploadParts, which a policy may not grant
// beside the object permissions; the error then wraps
// [remote.ErrPermission]. A bucket lifecycle rule with
// AbortIncompleteMultipartUpload does the same cleaning server-side.
func (b *Bucket) ListUnfinished(ctx context.Context, fn func(remote.Unfinished) error) error {
	p := awss3.NewListMultipartUploadsPaginator(b.client, &awss3.ListMultipartUploadsInput{
		Bucket: &b.bucket,
		Prefix: aws.String(b.prefix),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return b.fail("list unfinished uploads", "*", condNone, err)
		}
		for _, up := range page.Uploads {
			key, ok := strings.CutPrefix(aws.ToString(up.Key), b.prefix)
			if !ok || remote.CheckKey(key) != nil || up.UploadId == nil {
				continue
			}
			size, last, err := b.uploadParts(ctx, key, up.UploadId)
			if errors.Is(err, remote.ErrNotFound) {
				continue // completed or aborted since it was listed
			}
			if err != nil {
				return err
			}
			// An upload still sending parts is as young as its last part,
			// however long ago it started.
			started := aws.ToTime(up.Initiated)
			if last.After(started) {
				started = last
			}
			u := remote.Unfinished{Key: key, ID: *up.UploadId, Size: size, Started: started}
			if err := fn(u); err != nil {
				return err
			}
		}
	}
	return nil
}

// uploadParts sums the sizes of an upload's parts and finds when the last
// one arrived.
func (b *Bucket) uploadParts(ctx context.Context, key string, uploadID *string) (size int64, last time.Time, err error) {
	ok := b.prefix + key
	p := awss3.NewListPartsPaginator(b.client, &awss3.ListPartsInput{Bucket: &b.bucket, Key: &ok, UploadId: uploadID})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if isNoSuchUpload(err) {
				return 0, last, fmt.Errorf("remote/s3: upload %s of %s: %w", *uploadID, b.where(key), remote.ErrNotFound)
			}
			return 0, last, b.fail("list parts of", key, condNone, err)
		}
		for _, part := range page.Parts {
			size += aws.ToInt64(part.Size)
			if t := aws.ToTime(part.LastModified); t.After(last) {
				last = t
			}
		}
	}
	return size, last, nil
}

// RemoveUnfinished aborts a multipart upload that ListUnfinished returned,
// which deletes its parts; a Put still sending it then fails. Aborting an
// upload that is gone is not an error. It needs s3:AbortMultipartUpload.
func (b *Bucket) RemoveUnfinished(ctx context.Context, u remote.Unfinished) error {
	ok, err := b.objectKey(u.Key)
	if err != nil {
		return err
	}
	if u.ID == "" {
		return fmt.Errorf("remote/s3: abort an upload of %s: no upload id: %w", b.where(u.Key), remote.ErrInvalidKey)
	}
	_, err = b.client.AbortMultipartUpload(ctx, &awss3.AbortMultipartUploadInput{Bucket: &b.bucket, Key: &ok, UploadId: aws.String(u.ID)})
	if err != nil && !isNoSuchUpload(err) {
		return b.fail("abort the upload of", u.Key, condNone, err)
	}
	return nil
}

// isNoSuchUpload tells whether S3 answered that the upload id names no
// upload in progress.
func isNoSuchUpload(err error) bool {
	_, code := errorInfo(err)
	return code == "NoSuchUpload"
}
