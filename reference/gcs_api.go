package reference

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/retry"
)

// The Cloud Storage JSON API, as far as gs:// references use it: reads
// only, by plain GET requests, which are all safe to repeat.
const (
	gcsDefaultEndpoint = "https://storage.googleapis.com"
	gcsEmulatorEnv     = "STORAGE_EMULATOR_HOST"
	gcsScope           = "https://www.googleapis.com/auth/devstorage.read_only"

	// gcsListFields is the partial response a listing asks for: all that
	// an entry records, which keeps a page of 1,000 objects near 150 KB.
	gcsListFields = "items(name,size,etag,generation),nextPageToken"
	gcsStatFields = "name,size,etag,generation"

	// gcsMaxJSON bounds a metadata answer or listing page read into
	// memory: a page of 1,000 objects with names of 1,024 bytes (the
	// longest GCS allows) is a few MB even with every field, which
	// fake-gcs-server sends.
	gcsMaxJSON = 64 << 20
	// gcsMaxErrorBody bounds the error answer kept for its message.
	gcsMaxErrorBody = 64 << 10
	// gcsMaxIdleConns keeps connections for concurrent downloads.
	gcsMaxIdleConns = 100
)

// Operations, as named in errors and in [retry.Event.Op].
const (
	gcsOpStat = "stat" // an object's metadata
	gcsOpList = "list" // a listing page
	gcsOpGet  = "get"  // a download's first answer, or its re-open
	gcsOpRead = "read" // a download cut short and resumed; also begins its reads' errors
)

// gcsAPI makes the requests of a [GCS] store. It is safe for concurrent
// use.
type gcsAPI struct {
	client   *http.Client    // adds the Authorization header, except for an emulator
	endpoint string          // scheme://host[/path], no trailing '/'
	retry    retry.Options   // zero fields take their defaults in retry.Do and retry.NewReader
	timeout  time.Duration   // of a read of a download's body that sends nothing
	own      *http.Transport // made here, so closed here; nil for GCSOptions.Client
}

// gcsObject is the part of an object resource that references record.
// The API sends 64-bit numbers as strings.
type gcsObject struct {
	Name       string `json:"name"`
	Size       int64  `json:"size,string"`
	ETag       string `json:"etag"`
	Generation int64  `json:"generation,string"`
}

// gcsStatusError is an answer of the API other than 2xx.
type gcsStatusError struct {
	op, name string
	code     int
	status   string // "404 Not Found"
	message  string // from the answer's body, if any
}

func (e *gcsStatusError) Error() string {
	if e.message == "" {
		return fmt.Sprintf("GCS %s %q: %s", e.op, e.name, e.status)
	}
	return fmt.Sprintf("GCS %s %q: %s: %s", e.op, e.name, e.status, e.message)
}

// newGCSAPI resolves the endpoint and the credentials of o.
func newGCSAPI(ctx context.Context, o GCSOptions) (*gcsAPI, error) {
	endpoint, emulator, err := gcsEndpoint(o.Endpoint, os.Getenv(gcsEmulatorEnv))
	if err != nil {
		return nil, err
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Minute
	}
	a := &gcsAPI{endpoint: endpoint, retry: o.Retry, timeout: o.Timeout, client: o.Client}
	if a.client == nil {
		a.own = http.DefaultTransport.(*http.Transport).Clone()
		a.own.ResponseHeaderTimeout = o.Timeout
		a.own.MaxIdleConns, a.own.MaxIdleConnsPerHost = gcsMaxIdleConns, gcsMaxIdleConns
		a.client = &http.Client{Transport: a.own}
	}
	ts := o.TokenSource
	if ts == nil && !emulator {
		// The credentials keep this context to fetch tokens for the
		// store's life, past the call that happens to make them: it must
		// not be cancelled with that call. Token requests go through the
		// same client, for its timeouts.
		tctx := context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, a.client)
		creds, err := google.FindDefaultCredentials(tctx, gcsScope)
		if err != nil {
			return nil, fmt.Errorf("%w for gs:// references: run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS (%v)", ErrNoCredentials, err)
		}
		ts = creds.TokenSource
	}
	if ts != nil {
		authed := *a.client
		authed.Transport = &oauth2.Transport{Source: oauth2.ReuseTokenSource(nil, ts), Base: a.client.Transport}
		a.client = &authed
	}
	return a, nil
}

// gcsEndpoint returns the API's base URL: explicit if set, else the
// emulator host env names, as the Google client libraries read it (a
// host:port over plain HTTP, or a URL whose scheme and host are taken),
// else Google's.
func gcsEndpoint(explicit, env string) (endpoint string, emulator bool, err error) {
	raw, what := explicit, "GCS endpoint"
	switch {
	case explicit != "":
	case env == "":
		return gcsDefaultEndpoint, false, nil
	case strings.Contains(env, "://"):
		raw, what, emulator = env, gcsEmulatorEnv, true
	default:
		raw, what, emulator = "http://"+env, gcsEmulatorEnv, true
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false, fmt.Errorf("reference: %s %q: want host:port or an http(s) URL", what, raw)
	}
	if emulator {
		u.Path, u.RawPath = "", ""
	}
	u.RawQuery, u.Fragment = "", ""
	return strings.TrimSuffix(u.String(), "/"), emulator, nil
}

func (a *gcsAPI) close() {
	if a.own != nil {
		a.own.CloseIdleConnections()
	}
}

// url returns the address of an object (name not empty) or of the
// bucket's objects, under base ("/storage/v1" for metadata,
// "/download/storage/v1" for content, as in an object's mediaLink). Each
// name is escaped as one path element, '/' included.
func (a *gcsAPI) url(base, bucket, name string, q url.Values) string {
	u := a.endpoint + base + "/b/" + url.PathEscape(bucket) + "/o"
	if name != "" {
		u += "/" + url.PathEscape(name)
	}
	return u + "?" + q.Encode()
}

// gcsTransient reports whether repeating a request that failed with err
// may succeed: throttling and server errors, and the network failures
// remote/retry repeats. A connection closed before any answer (io.EOF)
// is one: net/http repeats it by itself only on reused connections.
func gcsTransient(err error) bool {
	var se *gcsStatusError
	if errors.As(err, &se) {
		return se.code == http.StatusTooManyRequests || se.code == http.StatusRequestTimeout || se.code >= 500
	}
	return remote.IsTransient(err) || errors.Is(err, io.EOF)
}

// do runs attempt with remote/retry's loop until it succeeds, fails for
// good, or the attempts or time of a.retry run out.
func (a *gcsAPI) do(ctx context.Context, op, name string, attempt func() error) error {
	return retry.Do(ctx, a.retry, op, name, gcsTransient, func(int) error { return attempt() })
}

// send makes one GET request and returns its 2xx answer; any other
// answer is a [gcsStatusError].
func (a *gcsAPI) send(ctx context.Context, op, name, u string, h http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	maps.Copy(req.Header, h)
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	se := &gcsStatusError{op: op, name: name, code: resp.StatusCode, status: resp.Status}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, gcsMaxErrorBody)) // the status is the error; the body only explains it
	var apiErr struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &apiErr) == nil && apiErr.Error.Message != "" {
		se.message = apiErr.Error.Message
	} else {
		se.message = clip(strings.TrimSpace(string(body)))
	}
	return nil, se
}

// getJSON decodes the answer to a GET of u into v, with retries.
func (a *gcsAPI) getJSON(ctx context.Context, op, name, u string, v any) error {
	return a.do(ctx, op, name, func() error {
		resp, err := a.send(ctx, op, name, u, nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		// A body cut short fails with io.ErrUnexpectedEOF, which is
		// transient: the request is made again. One too long is not.
		body, err := io.ReadAll(io.LimitReader(resp.Body, gcsMaxJSON+1))
		switch {
		case err != nil:
			return fmt.Errorf("GCS %s %q: %w", op, name, err)
		case len(body) > gcsMaxJSON:
			return fmt.Errorf("GCS %s %q: answer longer than %d bytes", op, name, gcsMaxJSON)
		}
		if err := json.Unmarshal(body, v); err != nil {
			return fmt.Errorf("GCS %s %q: %w", op, name, err)
		}
		return nil
	})
}

// stat returns the metadata of the object's live generation.
func (a *gcsAPI) stat(ctx context.Context, bucket, name string) (gcsObject, error) {
	var o gcsObject
	err := a.getJSON(ctx, gcsOpStat, name, a.url("/storage/v1", bucket, name, url.Values{"fields": {gcsStatFields}}), &o)
	return o, err
}

// objects lists the live objects whose names start with prefix, in the
// API's order (bytewise by name), pageSize to a request (0: the
// server's default). A failed request ends the sequence with its error.
func (a *gcsAPI) objects(ctx context.Context, bucket, prefix string, pageSize int) iter.Seq2[gcsObject, error] {
	return func(yield func(gcsObject, error) bool) {
		q := url.Values{"prefix": {prefix}, "fields": {gcsListFields}}
		if pageSize > 0 {
			q.Set("maxResults", strconv.Itoa(pageSize))
		}
		for {
			var page struct {
				Items         []gcsObject `json:"items"`
				NextPageToken string      `json:"nextPageToken"`
			}
			if err := a.getJSON(ctx, gcsOpList, prefix, a.url("/storage/v1", bucket, "", q), &page); err != nil {
				yield(gcsObject{}, err)
				return
			}
			for _, o := range page.Items {
				if !yield(o, nil) {
					return
				}
			}
			switch {
			case page.NextPageToken == "":
				return
			case page.NextPageToken == q.Get("pageToken"):
				yield(gcsObject{}, fmt.Errorf("GCS %s %q: the server sent page token %q twice", gcsOpList, prefix, clip(page.NextPageToken)))
				return
			}
			q.Set("pageToken", page.NextPageToken)
		}
	}
}
