package reference

import (
	"context"
	"slices"
	"testing"

	"cloud.google.com/go/storage"

	"github.com/trove-ml/trove/internal/gcstest"
)

func putGCS(t *testing.T, c *storage.Client, bucket, name, content string) {
	t.Helper()
	w := c.Bucket(bucket).Object(name).NewWriter(context.Background())
	if _, err := w.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("put gs://%s/%s: %v", bucket, name, err)
	}
}

func gcsResolver() *Resolver {
	return NewResolver(map[string]Store{SchemeGCS: NewGCS(GCSOptions{})})
}

// TestGCS lists, pins and fetches objects on fake-gcs-server.
func TestGCS(t *testing.T) {
	srv := gcstest.Start(t)
	c := srv.Client(t)
	b := srv.NewBucket(t)
	for name, content := range map[string]string{
		"data/a.txt": "A", "data/a/b": "B", "data/a-b": "AB", "data/sub/": "", "data/sub/c": "C", "other/x": "X",
	} {
		putGCS(t, c, b, name, content)
	}
	r := gcsResolver()
	got, ents := mustList(t, r, "gs://"+b+"/data", SourceOptions{})
	if want := []string{"a/b", "a-b", "a.txt", "sub/c"}; !slices.Equal(paths(got), want) {
		t.Fatalf("paths %q, want %q", paths(got), want)
	}
	for _, l := range got {
		if l.Kind != KindETagGeneration || l.Checksum == "" || l.VersionID == "" {
			t.Fatalf("entry %+v: want an ETag and a generation", l)
		}
	}
	body, err := fetch(r, ents[0])
	if err != nil || string(body) != "B" {
		t.Fatalf("fetch %s = %q, %v", ents[0].Ref.URI, body, err)
	}

	// Overwritten: the recorded generation is gone (no versioning here).
	putGCS(t, c, b, "data/a/b", "B2")
	_, err = fetch(r, ents[0])
	wantErr(t, err, ErrNotFound)

	single, _ := mustList(t, r, "gs://"+b+"/data/a-b", SourceOptions{})
	if len(single) != 1 || single[0].Path != "" || single[0].Name != "a-b" || single[0].Size != 2 {
		t.Fatalf("single object: %+v", single)
	}

	wantErr(t, listErr(t, r, "gs://"+b+"/nothing", SourceOptions{}), ErrEmpty)
	wantErr(t, listErr(t, r, "gs://no-such-bucket-here/x", SourceOptions{}), ErrBucketNotFound)
	wantErr(t, listErr(t, r, "gs://"+b+"/data", SourceOptions{MaxObjects: 3}), ErrTooMany)
}
