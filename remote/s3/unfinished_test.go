package s3_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trove-ml/trove/remote"
)

// A multipart upload that a killed process left (created, one part sent,
// never completed) is listed with its bytes and aborted; uploads outside
// the remote's prefix are not its to list or abort.
func TestUnfinishedUploads(t *testing.T) {
	srv := s3srv.Server(t)
	ctx := context.Background()
	cfg := config(t, srv)
	b := open(t, cfg)
	c := srv.Client()
	start := func(key string, part []byte) string {
		t.Helper()
		up, err := c.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: &cfg.Bucket, Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.UploadPart(ctx, &awss3.UploadPartInput{
			Bucket: &cfg.Bucket, Key: aws.String(key), UploadId: up.UploadId,
			PartNumber: aws.Int32(1), Body: bytes.NewReader(part),
		})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(up.UploadId)
	}
	part := bytes.Repeat([]byte("p"), int(cfg.PartSize))
	ours := start("team/project/packs/ab/killed", part)
	foreign := start("elsewhere/packs/ab/killed", part[:10])

	var got []remote.Unfinished
	if err := b.ListUnfinished(ctx, func(u remote.Unfinished) error { got = append(got, u); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("ListUnfinished: %+v, want the one upload under the prefix", got)
	}
	u := got[0]
	if u.Key != "packs/ab/killed" || u.ID != ours || u.Size != int64(len(part)) || time.Since(u.Started) > time.Hour {
		t.Errorf("unfinished upload: %+v, want packs/ab/killed, id %s, %d bytes, started just now", u, ours, len(part))
	}
	if err := b.RemoveUnfinished(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := b.RemoveUnfinished(ctx, u); err != nil {
		t.Errorf("aborting it again: %v", err)
	}
	out, err := c.ListMultipartUploads(ctx, &awss3.ListMultipartUploadsInput{Bucket: &cfg.Bucket})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Uploads) != 1 || aws.ToString(out.Uploads[0].UploadId) != foreign {
		t.Errorf("uploads left: %+v, want only the one outside the prefix", out.Uploads)
	}
}
