package reference

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/retry"
)

// HTTPOptions configure [NewHTTP].
type HTTPOptions struct {
	// Client makes the requests. nil means a client whose requests time
	// out after HTTPOptions.Timeout without an answer.
	Client *http.Client
	// Timeout bounds the wait for response headers when Client is nil,
	// and always each read of a download's body: a body silent for longer
	// fails transiently, and the download resumes (see Retry). 0 means
	// one minute.
	Timeout time.Duration
	// Retry tunes the repeats of requests that fail transiently (429 and
	// 5xx answers, reset connections, timeouts) with remote/retry's
	// policy and defaults: at most 10 attempts within five minutes, full
	// jitter from 200 ms to 20 s. No other 4xx answer is repeated. A pull
	// cut short resumes from its first unread byte with a Range request
	// and If-Range on the recorded ETag (an object recorded by its BLAKE3
	// has none: its bytes are checked at the end), at most MaxAttempts-1
	// times; a download hashed at commit starts again from its first byte
	// instead. OnRetry sees Ops "stat", "get" and "read". BufferLimit is
	// unused: no request has a body. Client's CheckRedirect, when nil, is
	// net/http's default policy (at most 10 redirects) with errors that
	// name the whole URL and tell a redirect loop.
	Retry retry.Options
}

// HTTP is the [Store] of http:// and https:// references. A URL is one
// object. It is recorded by its ETag and Content-Length ([KindETag]), and
// without them by the BLAKE3 of its content, downloaded once at commit
// ([KindBLAKE3]), with the Last-Modified date it was served with, if any,
// as information (in VersionID): a date has a grain of a second and says
// nothing of a file replaced by another of the same size and date, so it
// pins nothing, and the bytes are checked on every pull.
type HTTP struct {
	client  *http.Client
	retry   retry.Options
	timeout time.Duration // of a read of a body that sends nothing
}

var _ Store = (*HTTP)(nil)

// NewHTTP returns the http(s):// store.
func NewHTTP(o HTTPOptions) *HTTP {
	if o.Timeout <= 0 {
		o.Timeout = time.Minute
	}
	c := o.Client
	if c == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.ResponseHeaderTimeout = o.Timeout
		c = &http.Client{Transport: tr}
	}
	if c.CheckRedirect == nil {
		cc := *c // the caller's client stays as it is
		cc.CheckRedirect = checkRedirect
		c = &cc
	}
	return &HTTP{client: c, retry: o.Retry, timeout: o.Timeout}
}

// maxRedirects is the most redirects a request follows, as net/http's
// default policy.
const maxRedirects = 10

// checkRedirect is net/http's default redirect policy with messages that
// name whole URLs (net/http's name the Location as sent, often a bare
// path) and tell a loop from a long chain.
func checkRedirect(req *http.Request, via []*http.Request) error {
	to := req.URL.String()
	for _, r := range via {
		if r.URL.String() == to {
			n := "1 redirect"
			if len(via) > 1 {
				n = fmt.Sprintf("%d redirects", len(via))
			}
			return fmt.Errorf("a redirect loop: redirected back to %s after %s (check the URL, or the server)", clip(to), n)
		}
	}
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects, the last to %s (a redirect loop?)", len(via), clip(to))
	}
	return nil
}

// Operations, as named in [retry.Event.Op].
const (
	httpOpStat = "stat" // the object's headers
	httpOpGet  = "get"  // a download's first answer, or its re-open
)

// httpStatusError is an answer of a class this package has no sentinel
// for: a server error, throttling, anything unexpected.
type httpStatusError struct {
	uri    string
	code   int
	status string // "503 Service Unavailable"
}

func (e *httpStatusError) Error() string {
	return fmt.Sprintf("reference: %s: %s", clip(e.uri), e.status)
}

// httpTransient reports whether repeating a request that failed with err
// may succeed: throttling (429) and server errors (5xx), and no answer at
// all or a body cut short (refused or reset connections, timeouts, a
// connection closed before any answer). No other 4xx answer is.
func httpTransient(err error) bool {
	var se *httpStatusError
	if errors.As(err, &se) {
		return se.code == http.StatusTooManyRequests || se.code >= 500
	}
	return remote.IsTransient(err) || errors.Is(err, io.EOF)
}

// send makes one request of the object as stored: compressed transfer
// would hide the length and bytes the record is about.
func (h *HTTP) send(ctx context.Context, method, uri string, hdr http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, uri, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, clip(uri), err)
	}
	maps.Copy(req.Header, hdr)
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := h.client.Do(req)
	if err != nil {
		// A *url.Error repeats the method and a URL, which after a
		// redirect is the Location as sent: uri names the object better.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return nil, fmt.Errorf("reference: %s: %w", clip(uri), err)
	}
	return resp, nil
}

// head asks for the object's headers, with retries: HEAD, or a GET whose
// body is not read where the server refuses HEAD.
func (h *HTTP) head(ctx context.Context, uri string) (*http.Response, error) {
	var out *http.Response
	err := retry.Do(ctx, h.retry, httpOpStat, uri, httpTransient, func(int) error {
		for _, method := range []string{http.MethodHead, http.MethodGet} {
			resp, err := h.send(ctx, method, uri, nil)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if method == http.MethodHead && (resp.StatusCode == http.StatusMethodNotAllowed || resp.StatusCode == http.StatusNotImplemented) {
				continue
			}
			if err := httpStatus(uri, resp); err != nil {
				return err
			}
			out = resp
			return nil
		}
		return errors.New("unreachable")
	})
	return out, err
}

// httpStatus maps an unsuccessful answer to this package's classes.
func httpStatus(uri string, resp *http.Response) error {
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c == http.StatusNotFound || c == http.StatusGone:
		return fmt.Errorf("%w: %s: %s", ErrNotFound, clip(uri), resp.Status)
	case c == http.StatusUnauthorized || c == http.StatusForbidden:
		return fmt.Errorf("%w: %s: %s", ErrPermission, clip(uri), resp.Status)
	}
	return &httpStatusError{uri: uri, code: resp.StatusCode, status: resp.Status}
}

// List implements [Store]: one object, with path "". An object served
// without an ETag or a length is downloaded and hashed.
func (h *HTTP) List(ctx context.Context, loc Location, fn func(path string, e manifest.Entry) error) error {
	resp, err := h.head(ctx, loc.URL)
	if err != nil {
		return err
	}
	if etag := resp.Header.Get("ETag"); etag != "" && resp.ContentLength >= 0 {
		return fn("", manifest.Entry{Kind: manifest.KindRef, Size: resp.ContentLength, Ref: &manifest.Reference{
			URI: loc.URL, ChecksumKind: KindETag, Checksum: etag,
		}})
	}
	// Nothing in the headers would tell a change (a Last-Modified date
	// would not tell a file replaced by one of the same size within its
	// second, or with its date kept): record the content.
	e, err := h.hash(ctx, loc.URL)
	if err != nil {
		return err
	}
	return fn("", e)
}

// hash downloads the object and records its BLAKE3, and the Last-Modified
// date it came with as information. A download that fails transiently
// starts again from the first byte: nothing would tell that pieces
// fetched apart are of one object.
func (h *HTTP) hash(ctx context.Context, uri string) (manifest.Entry, error) {
	var e manifest.Entry
	err := retry.Do(ctx, h.retry, httpOpGet, uri, httpTransient, func(int) error {
		resp, err := h.send(ctx, http.MethodGet, uri, nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if err := httpStatus(uri, resp); err != nil {
			return err
		}
		hs := objects.NewHasher()
		n, err := io.CopyBuffer(hs, resp.Body, make([]byte, 256<<10))
		if err != nil {
			return fmt.Errorf("reference: %s: %w", clip(uri), err)
		}
		d := hs.Sum()
		e = manifest.Entry{Kind: manifest.KindRef, Size: n, Digest: d, Ref: &manifest.Reference{
			URI: uri, ChecksumKind: KindBLAKE3, Checksum: d.String(),
		}}
		if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
			e.Ref.VersionID = t.UTC().Format(http.TimeFormat)
		}
		return nil
	})
	return e, err
}

// Probe implements [Store].
func (h *HTTP) Probe(ctx context.Context, loc Location) error {
	_, err := h.head(ctx, loc.URL)
	return err
}

// Open implements [Store]: a GET whose headers must match the record
// (the ETag, and the length) and whose length, and BLAKE3 where recorded,
// are checked at the end. A download cut short resumes (see
// HTTPOptions.Retry).
func (h *HTTP) Open(ctx context.Context, e manifest.Entry) (io.ReadCloser, error) {
	switch e.Ref.ChecksumKind {
	case KindETag, KindBLAKE3:
	default:
		return nil, fmt.Errorf("%w: %s: unknown checksum kind %q for an http reference", ErrInvalid, clip(e.Ref.URI), e.Ref.ChecksumKind)
	}
	var body io.ReadCloser
	err := retry.Do(ctx, h.retry, httpOpGet, e.Ref.URI, httpTransient, func(int) error {
		var err error
		body, err = h.getFrom(ctx, e, 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	rc := retry.NewReader(ctx, h.retry, e.Ref.URI, httpTransient, body, e.Size, func(ctx context.Context, done int64) (io.ReadCloser, error) {
		return h.getFrom(ctx, e, done)
	})
	return newCheckReader(rc, e), nil
}

// getFrom makes one GET of the object e records, from byte off on, and
// checks that the answer is that object as far as its headers tell: its
// ETag, and its length. From a byte past the first it asks for a range, under
// If-Range on the recorded validator; an answer with the whole object (a
// server ignoring ranges, or If-Range finding a change the header checks
// then report) is skipped to byte off.
func (h *HTTP) getFrom(ctx context.Context, e manifest.Entry, off int64) (io.ReadCloser, error) {
	rctx, cancel := context.WithCancelCause(ctx)
	body, err := h.open(rctx, e, off)
	if err != nil {
		cancel(nil)
		return nil, err
	}
	return retry.Watch(body, h.timeout, cancel, "reference: "+clip(e.Ref.URI)), nil
}

// open is getFrom without the watch on the body.
func (h *HTTP) open(ctx context.Context, e manifest.Entry, off int64) (io.ReadCloser, error) {
	uri := e.Ref.URI
	var hdr http.Header
	if off > 0 {
		hdr = http.Header{"Range": {fmt.Sprintf("bytes=%d-", off)}}
		if e.Ref.ChecksumKind != KindBLAKE3 {
			hdr.Set("If-Range", e.Ref.Checksum)
		}
	}
	resp, err := h.send(ctx, http.MethodGet, uri, hdr)
	if err != nil {
		return nil, err
	}
	fail := func(format string, args ...any) (io.ReadCloser, error) {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s: "+format, append([]any{ErrChanged, clip(uri)}, args...)...)
	}
	if err := httpStatus(uri, resp); err != nil {
		resp.Body.Close()
		return nil, err
	}
	if e.Ref.ChecksumKind == KindETag {
		if got := resp.Header.Get("ETag"); got != e.Ref.Checksum {
			return fail("ETag %s, the reference records %s", got, e.Ref.Checksum)
		}
	}
	partial := off > 0 && resp.StatusCode == http.StatusPartialContent
	from := int64(0)
	if partial {
		from = off
		if want := fmt.Sprintf("bytes %d-", off); !strings.HasPrefix(resp.Header.Get("Content-Range"), want) {
			resp.Body.Close()
			return nil, fmt.Errorf("reference: %s: asked for bytes from %d, the server sent %q", clip(uri), off, resp.Header.Get("Content-Range"))
		}
	}
	if resp.ContentLength >= 0 && resp.ContentLength != e.Size-from {
		return fail("%d bytes from byte %d, the reference records %d in all", resp.ContentLength, from, e.Size)
	}
	if off > 0 && !partial {
		if _, err := io.CopyN(io.Discard, resp.Body, off); err != nil {
			resp.Body.Close()
			return nil, fmt.Errorf("reference: %s: skip to byte %d: %w", clip(uri), off, err)
		}
	}
	return resp.Body, nil
}
