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
	"time"

	"golang.org/x/oauth2"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/remote/retry"
)

// GCSOptions configure [NewGCS]. Credentials never come from a reference:
// they are application-default credentials unless TokenSource is set.
type GCSOptions struct {
	// Endpoint is the base URL of the JSON API, scheme and host. Empty
	// means the emulator named by STORAGE_EMULATOR_HOST (host:port, spoken
	// to over plain HTTP, or a URL), and https://storage.googleapis.com
	// without it.
	Endpoint string
	// TokenSource authorizes the requests. nil means application-default
	// credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's
	// application_default_credentials.json, the GCE metadata server),
	// looked up on first use and failing with [ErrNoCredentials] when
	// there are none; with the emulator of STORAGE_EMULATOR_HOST, nil means
	// no credentials.
	TokenSource oauth2.TokenSource
	// Client makes the requests, under TokenSource's Authorization header.
	// nil means a client whose requests time out after Timeout without an
	// answer.
	Client *http.Client
	// Timeout bounds the wait for response headers when Client is nil,
	// and always each read of a download's body: a body silent for longer
	// fails transiently, and the download resumes (see Retry). 0 means
	// one minute.
	Timeout time.Duration
	// Retry tunes the repeats of requests that fail transiently (408, 429
	// and 5xx answers, reset connections, timeouts) with remote/retry's
	// policy and defaults: at most 10 attempts within five minutes, full
	// jitter from 200 ms to 20 s. A download cut short resumes from its
	// first unread byte, at most MaxAttempts-1 times. OnRetry sees Ops
	// "stat", "list", "get" and "read". BufferLimit is unused: no request
	// has a body.
	Retry retry.Options
}

// GCS is the [Store] of gs:// references, a client of the Cloud Storage
// JSON API. Objects are recorded by ETag and generation
// ([KindETagGeneration]); a pull reads the recorded generation, which is
// immutable, as stored, and checks its length and the CRC32C the server
// sends. The client is made on first use, so that a program that never
// meets a gs:// reference needs no Google credentials.
type GCS struct {
	o GCSOptions

	once sync.Once
	api  *gcsAPI
	err  error // from making the client, returned by every call

	pageSize int // tests: objects per listing page; 0 leaves it to the server (1,000)
}

var _ Store = (*GCS)(nil)

// NewGCS returns the gs:// store.
func NewGCS(o GCSOptions) *GCS { return &GCS{o: o} }

func (g *GCS) conn(ctx context.Context) (*gcsAPI, error) {
	g.once.Do(func() { g.api, g.err = newGCSAPI(ctx, g.o) })
	return g.api, g.err
}

// Close releases the idle connections of the client, if one was made.
func (g *GCS) Close() error {
	if g.api != nil {
		g.api.close()
	}
	return nil
}

func gcsEntry(uri string, o gcsObject) (manifest.Entry, error) {
	if o.ETag == "" {
		return manifest.Entry{}, fmt.Errorf("reference: %s: the server sent no ETag; record the location alone with --no-checksum", clip(uri))
	}
	return manifest.Entry{Kind: manifest.KindRef, Size: o.Size, Ref: &manifest.Reference{
		URI: uri, ChecksumKind: KindETagGeneration, Checksum: o.ETag, VersionID: strconv.FormatInt(o.Generation, 10),
	}}, nil
}

// List implements [Store]. A key that names an object is that object;
// any other key, and one ending in '/', is a folder. Zero-length names
// ending in '/' are folder markers and are skipped.
func (g *GCS) List(ctx context.Context, loc Location, fn func(path string, e manifest.Entry) error) error {
	api, err := g.conn(ctx)
	if err != nil {
		return err
	}
	if loc.Key != "" && !strings.HasSuffix(loc.Key, "/") {
		o, err := api.stat(ctx, loc.Bucket, loc.Key)
		if err == nil {
			e, err := gcsEntry(loc.String(), o)
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
	for o, err := range api.objects(ctx, loc.Bucket, prefix, g.pageSize) {
		if err != nil {
			return g.fail(loc, prefix, err)
		}
		rel, ok := strings.CutPrefix(o.Name, prefix)
		if !ok {
			return fmt.Errorf("reference: %s: listing returned %q outside the prefix", clip(loc.String()), o.Name)
		}
		if strings.HasSuffix(o.Name, "/") && o.Size == 0 {
			continue // a folder marker
		}
		e, err := gcsEntry(loc.objectURI(o.Name), o)
		if err != nil {
			return err
		}
		if err := fn(rel, e); err != nil {
			return err
		}
	}
	return nil
}

// Probe implements [Store].
func (g *GCS) Probe(ctx context.Context, loc Location) error {
	api, err := g.conn(ctx)
	if err != nil {
		return err
	}
	if loc.Key != "" && !strings.HasSuffix(loc.Key, "/") {
		_, err := api.stat(ctx, loc.Bucket, loc.Key)
		if err == nil {
			return nil
		}
		if err := g.fail(loc, loc.Key, err); !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	prefix := folderPrefix(loc.Key)
	for _, err := range api.objects(ctx, loc.Bucket, prefix, 1) {
		if err != nil {
			return g.fail(loc, prefix, err)
		}
		return nil
	}
	return fmt.Errorf("%w: nothing at %s (check the prefix)", ErrEmpty, clip(loc.String()))
}

// Open implements [Store]: a read of the recorded generation, as stored
// (no decompressive transcoding), of the recorded length, whose CRC32C
// is checked at the end against the one the server sends. A download cut
// short, or silent for longer than GCSOptions.Timeout, resumes from its
// first unread byte with a ranged request for the same generation (see
// GCSOptions.Retry).
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
	api, err := g.conn(ctx)
	if err != nil {
		return nil, err
	}
	var resp *http.Response
	err = api.do(ctx, gcsOpGet, loc.Key, func() error {
		var err error
		resp, err = api.watchedMedia(ctx, loc.Bucket, loc.Key, gen, 0)
		return err
	})
	if err != nil {
		err = g.fail(loc, loc.Key, err)
		if errors.Is(err, ErrNotFound) {
			err = fmt.Errorf("%w (generation %d)", err, gen)
		}
		return nil, err
	}
	// Accept-Encoding: gzip should have turned transcoding off; were the
	// bytes decompressed all the same, neither length nor CRC32C would
	// match the record, and "changed" would be a lie.
	if resp.Header.Get("X-Goog-Stored-Content-Encoding") == "gzip" && resp.Header.Get("Content-Encoding") != "gzip" {
		resp.Body.Close()
		return nil, g.fail(loc, loc.Key, errors.New("the server decompressed an object stored gzip-compressed, though asked not to"))
	}
	if resp.ContentLength >= 0 && resp.ContentLength != e.Size {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s: %d bytes, the reference records %d", ErrChanged, clip(e.Ref.URI), resp.ContentLength, e.Size)
	}
	rc := retry.NewReader(ctx, api.retry, loc.Key, gcsTransient, resp.Body, e.Size, func(ctx context.Context, done int64) (io.ReadCloser, error) {
		resp, err := api.watchedMedia(ctx, loc.Bucket, loc.Key, gen, done)
		var se *gcsStatusError
		switch {
		case errors.As(err, &se) && se.code == http.StatusRequestedRangeNotSatisfiable:
			// Nothing from byte done on: the object is shorter than
			// recorded, which the check of its length reports.
			return http.NoBody, nil
		case err != nil:
			return nil, err
		}
		return resp.Body, nil
	})
	cr := newCheckReader(rc, e)
	cr.checkCRC32C(gcsCRC32C(resp.Header))
	return cr, nil
}

// fail maps an error of the API about key in loc's bucket to this
// package's classes. A listing's 404 is the bucket's; a single object's
// is the object's, whatever became of the bucket, as the object is what
// the caller asked for.
func (g *GCS) fail(loc Location, key string, err error) error {
	where := loc.objectURI(key)
	var se *gcsStatusError
	code := 0
	if errors.As(err, &se) {
		code = se.code
	}
	var re *oauth2.RetrieveError
	switch {
	case errors.Is(err, ErrChanged):
		return err
	case code == http.StatusNotFound && se.op == gcsOpList:
		return fmt.Errorf("%w: %q (check the name, and STORAGE_EMULATOR_HOST if you use an emulator)", ErrBucketNotFound, loc.Bucket)
	case code == http.StatusNotFound:
		return fmt.Errorf("%w: %s", ErrNotFound, clip(where))
	case code == http.StatusUnauthorized || code == http.StatusForbidden || errors.As(err, &re):
		return fmt.Errorf("%w: %s; check the credentials (gcloud auth application-default login, GOOGLE_APPLICATION_CREDENTIALS) and the bucket's permissions (%w)", ErrPermission, clip(where), err)
	case code == http.StatusPreconditionFailed:
		return fmt.Errorf("%w: %s", ErrChanged, clip(where))
	}
	return fmt.Errorf("reference: %s: %w", clip(where), err)
}
