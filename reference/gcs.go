package reference

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"

	"github.com/trove-ml/trove/manifest"
)

// GCSOptions configure [NewGCS].
type GCSOptions struct {
	// ClientOptions are passed to storage.NewClient after the defaults:
	// application-default credentials, or the emulator named by
	// STORAGE_EMULATOR_HOST without credentials.
	ClientOptions []option.ClientOption
}

// GCS is the [Store] of gs:// references. Objects are recorded by ETag
// and generation ([KindETagGeneration]); a pull reads the recorded
// generation, which is immutable, and the client checks its CRC32C. The
// client is made on first use, so that a program that never meets a gs://
// reference needs no Google credentials.
type GCS struct {
	o GCSOptions

	once   sync.Once
	client *storage.Client
	err    error // from making the client, returned by every call
}

var _ Store = (*GCS)(nil)

// NewGCS returns the gs:// store.
func NewGCS(o GCSOptions) *GCS { return &GCS{o: o} }

func (g *GCS) conn(ctx context.Context) (*storage.Client, error) {
	g.once.Do(func() {
		c, err := storage.NewClient(ctx, g.o.ClientOptions...)
		if err != nil {
			if strings.Contains(err.Error(), "credentials") {
				g.err = fmt.Errorf("%w for gs:// references: run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS (%v)", ErrNoCredentials, err)
				return
			}
			g.err = fmt.Errorf("reference: GCS client: %w", err)
			return
		}
		g.client = c
	})
	return g.client, g.err
}

// Close releases the client, if one was made.
func (g *GCS) Close() error {
	if g.client == nil {
		return nil
	}
	return g.client.Close()
}

func gcsEntry(uri string, a *storage.ObjectAttrs) (manifest.Entry, error) {
	if a.Etag == "" {
		return manifest.Entry{}, fmt.Errorf("reference: %s: the server sent no ETag; record the location alone with --no-checksum", clip(uri))
	}
	return manifest.Entry{Kind: manifest.KindRef, Size: a.Size, Ref: &manifest.Reference{
		URI: uri, ChecksumKind: KindETagGeneration, Checksum: a.Etag, VersionID: strconv.FormatInt(a.Generation, 10),
	}}, nil
}

// List implements [Store]. A key that names an object is that object;
// any other key, and one ending in '/', is a folder. Zero-length names
// ending in '/' are folder markers and are skipped.
func (g *GCS) List(ctx context.Context, loc Location, fn func(path string, e manifest.Entry) error) error {
	c, err := g.conn(ctx)
	if err != nil {
		return err
	}
	b := c.Bucket(loc.Bucket)
	if loc.Key != "" && !strings.HasSuffix(loc.Key, "/") {
		a, err := b.Object(loc.Key).Attrs(ctx)
		if err == nil {
			e, err := gcsEntry(loc.String(), a)
			if err != nil {
				return err
			}
			return fn("", e)
		}
		if err := g.fail(loc, loc.Key, err); !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	prefix := folderPrefix(loc.Key)
	q := &storage.Query{Prefix: prefix}
	if err := q.SetAttrSelection([]string{"Name", "Size", "Etag", "Generation"}); err != nil {
		return fmt.Errorf("reference: %s: %w", clip(loc.String()), err)
	}
	it := b.Objects(ctx, q)
	for {
		a, err := it.Next()
		if err == iterator.Done {
			return nil
		}
		if err != nil {
			return g.fail(loc, prefix, err)
		}
		rel, ok := strings.CutPrefix(a.Name, prefix)
		if !ok {
			return fmt.Errorf("reference: %s: listing returned %q outside the prefix", clip(loc.String()), a.Name)
		}
		if strings.HasSuffix(a.Name, "/") && a.Size == 0 {
			continue // a folder marker
		}
		e, err := gcsEntry(loc.objectURI(a.Name), a)
		if err != nil {
			return err
		}
		if err := fn(rel, e); err != nil {
			return err
		}
	}
}

// Probe implements [Store].
func (g *GCS) Probe(ctx context.Context, loc Location) error {
	c, err := g.conn(ctx)
	if err != nil {
		return err
	}
	b := c.Bucket(loc.Bucket)
	if loc.Key != "" && !strings.HasSuffix(loc.Key, "/") {
		_, err := b.Object(loc.Key).Attrs(ctx)
		if err == nil {
			return nil
		}
		if err := g.fail(loc, loc.Key, err); !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	prefix := folderPrefix(loc.Key)
	q := &storage.Query{Prefix: prefix}
	if err := q.SetAttrSelection([]string{"Name"}); err != nil {
		return fmt.Errorf("reference: %s: %w", clip(loc.String()), err)
	}
	_, err = b.Objects(ctx, q).Next()
	switch {
	case err == iterator.Done:
		return fmt.Errorf("%w: nothing at %s (check the prefix)", ErrEmpty, clip(loc.String()))
	case err != nil:
		return g.fail(loc, prefix, err)
	}
	return nil
}

// Open implements [Store]: a read of the recorded generation, as stored
// (no decompressive transcoding), of the recorded length.
func (g *GCS) Open(ctx context.Context, e manifest.Entry) (io.ReadCloser, error) {
	loc, err := Parse(e.Ref.URI)
	if err != nil {
		return nil, err
	}
	if loc.Scheme != SchemeGCS || loc.Key == "" {
		return nil, fmt.Errorf("%w: %q does not name a GCS object", ErrInvalid, clip(e.Ref.URI))
	}
	if e.Ref.ChecksumKind != KindETagGeneration {
		return nil, fmt.Errorf("%w: %s: unknown checksum kind %q for a GCS reference", ErrInvalid, clip(e.Ref.URI), e.Ref.ChecksumKind)
	}
	gen, err := strconv.ParseInt(e.Ref.VersionID, 10, 64)
	if err != nil || gen <= 0 {
		return nil, fmt.Errorf("%w: %s: generation %q is not a positive number", ErrInvalid, clip(e.Ref.URI), e.Ref.VersionID)
	}
	c, err := g.conn(ctx)
	if err != nil {
		return nil, err
	}
	r, err := c.Bucket(loc.Bucket).Object(loc.Key).Generation(gen).ReadCompressed(true).NewReader(ctx)
	if err != nil {
		err = g.fail(loc, loc.Key, err)
		if errors.Is(err, ErrNotFound) {
			err = fmt.Errorf("%w (generation %d)", err, gen)
		}
		return nil, err
	}
	if r.Attrs.Size != e.Size {
		r.Close()
		return nil, fmt.Errorf("%w: %s: %d bytes, the reference records %d", ErrChanged, clip(e.Ref.URI), r.Attrs.Size, e.Size)
	}
	return newCheckReader(crcReader{r, e.Ref.URI}, e), nil
}

// crcReader marks the client's failed CRC32C check as a changed object.
type crcReader struct {
	r   *storage.Reader
	uri string
}

func (c crcReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF && strings.Contains(err.Error(), "bad CRC") {
		err = fmt.Errorf("%w: %s: %v", ErrChanged, clip(c.uri), err)
	}
	return n, err
}

func (c crcReader) Close() error { return c.r.Close() }

// fail maps a client error about key in loc's bucket to this package's
// classes.
func (g *GCS) fail(loc Location, key string, err error) error {
	where := loc.objectURI(key)
	var ge *googleapi.Error
	code := 0
	if errors.As(err, &ge) {
		code = ge.Code
	}
	switch {
	case errors.Is(err, storage.ErrBucketNotExist) || code == http.StatusNotFound && strings.Contains(strings.ToLower(ge.Message), "bucket"):
		return fmt.Errorf("%w: %q (check the name, and STORAGE_EMULATOR_HOST if you use an emulator)", ErrBucketNotFound, loc.Bucket)
	case errors.Is(err, storage.ErrObjectNotExist) || code == http.StatusNotFound:
		return fmt.Errorf("%w: %s", ErrNotFound, clip(where))
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return fmt.Errorf("%w: %s; check the credentials (gcloud auth application-default login, GOOGLE_APPLICATION_CREDENTIALS) and the bucket's permissions", ErrPermission, clip(where))
	case code == http.StatusPreconditionFailed:
		return fmt.Errorf("%w: %s", ErrChanged, clip(where))
	}
	return fmt.Errorf("reference: %s: %w", clip(where), err)
}
