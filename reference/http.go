package reference

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// HTTPOptions configure [NewHTTP].
type HTTPOptions struct {
	// Client makes the requests. nil means a client whose requests time
	// out after HTTPOptions.Timeout without an answer.
	Client *http.Client
	// Timeout bounds the wait for response headers when Client is nil.
	// 0 means one minute.
	Timeout time.Duration
}

// HTTP is the [Store] of http:// and https:// references. A URL is one
// object. It is recorded by its ETag ([KindETag]); without one by its
// Last-Modified date and Content-Length ([KindHTTPLastModified]); and
// without those by the BLAKE3 of its content, downloaded once at commit
// ([KindBLAKE3]).
type HTTP struct {
	client *http.Client
}

var _ Store = (*HTTP)(nil)

// NewHTTP returns the http(s):// store.
func NewHTTP(o HTTPOptions) *HTTP {
	c := o.Client
	if c == nil {
		if o.Timeout <= 0 {
			o.Timeout = time.Minute
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.ResponseHeaderTimeout = o.Timeout
		c = &http.Client{Transport: tr}
	}
	return &HTTP{client: c}
}

// head asks for the object's headers: HEAD, or a GET whose body is not
// read where the server refuses HEAD.
func (h *HTTP) head(ctx context.Context, uri string) (*http.Response, error) {
	for _, method := range []string{http.MethodHead, http.MethodGet} {
		req, err := http.NewRequestWithContext(ctx, method, uri, nil)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, clip(uri), err)
		}
		req.Header.Set("Accept-Encoding", "identity") // as get does
		resp, err := h.client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("reference: %s: %w", clip(uri), err)
		}
		resp.Body.Close()
		if method == http.MethodHead && (resp.StatusCode == http.StatusMethodNotAllowed || resp.StatusCode == http.StatusNotImplemented) {
			continue
		}
		if err := httpStatus(uri, resp); err != nil {
			return nil, err
		}
		return resp, nil
	}
	return nil, errors.New("unreachable")
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
	return fmt.Errorf("reference: %s: %s", clip(uri), resp.Status)
}

// List implements [Store]: one object, with path "".
func (h *HTTP) List(ctx context.Context, loc Location, fn func(path string, e manifest.Entry) error) error {
	resp, err := h.head(ctx, loc.URL)
	if err != nil {
		return err
	}
	e := manifest.Entry{Kind: manifest.KindRef, Size: resp.ContentLength, Ref: &manifest.Reference{URI: loc.URL}}
	switch lm := resp.Header.Get("Last-Modified"); {
	case resp.Header.Get("ETag") != "" && resp.ContentLength >= 0:
		e.Ref.ChecksumKind, e.Ref.Checksum = KindETag, resp.Header.Get("ETag")
	case lm != "" && resp.ContentLength >= 0:
		t, err := http.ParseTime(lm)
		if err != nil {
			return fmt.Errorf("reference: %s: bad Last-Modified %q: %v", clip(loc.URL), lm, err)
		}
		e.Ref.ChecksumKind, e.Ref.Checksum = KindHTTPLastModified, t.UTC().Format(http.TimeFormat)
	default:
		// Nothing in the headers would tell a change: record the content.
		if e, err = h.hash(ctx, loc.URL); err != nil {
			return err
		}
	}
	return fn("", e)
}

// hash downloads the object and records its BLAKE3.
func (h *HTTP) hash(ctx context.Context, uri string) (manifest.Entry, error) {
	resp, err := h.get(ctx, uri)
	if err != nil {
		return manifest.Entry{}, err
	}
	defer resp.Body.Close()
	hs := objects.NewHasher()
	n, err := io.CopyBuffer(hs, resp.Body, make([]byte, 256<<10))
	if err != nil {
		return manifest.Entry{}, fmt.Errorf("reference: %s: %w", clip(uri), err)
	}
	d := hs.Sum()
	return manifest.Entry{Kind: manifest.KindRef, Size: n, Digest: d, Ref: &manifest.Reference{
		URI: uri, ChecksumKind: KindBLAKE3, Checksum: d.String(),
	}}, nil
}

func (h *HTTP) get(ctx context.Context, uri string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, clip(uri), err)
	}
	// Compressed transfer would hide the length and bytes the record is
	// about; ask for the object as stored.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reference: %s: %w", clip(uri), err)
	}
	if err := httpStatus(uri, resp); err != nil {
		resp.Body.Close()
		return nil, err
	}
	return resp, nil
}

// Probe implements [Store].
func (h *HTTP) Probe(ctx context.Context, loc Location) error {
	_, err := h.head(ctx, loc.URL)
	return err
}

// Open implements [Store]: a GET whose headers must match the record
// (ETag, or Last-Modified and length) and whose length, and BLAKE3 where
// recorded, are checked at the end.
func (h *HTTP) Open(ctx context.Context, e manifest.Entry) (io.ReadCloser, error) {
	uri := e.Ref.URI
	resp, err := h.get(ctx, uri)
	if err != nil {
		return nil, err
	}
	fail := func(format string, args ...any) (io.ReadCloser, error) {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s: "+format, append([]any{ErrChanged, clip(uri)}, args...)...)
	}
	if resp.ContentLength >= 0 && resp.ContentLength != e.Size {
		return fail("%d bytes, the reference records %d", resp.ContentLength, e.Size)
	}
	switch e.Ref.ChecksumKind {
	case KindETag:
		if got := resp.Header.Get("ETag"); got != e.Ref.Checksum {
			return fail("ETag %s, the reference records %s", got, e.Ref.Checksum)
		}
	case KindHTTPLastModified:
		got := resp.Header.Get("Last-Modified")
		if t, err := http.ParseTime(got); err != nil || t.UTC().Format(http.TimeFormat) != e.Ref.Checksum {
			return fail("Last-Modified %q, the reference records %q", got, e.Ref.Checksum)
		}
	case KindBLAKE3:
	default:
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s: unknown checksum kind %q for an http reference", ErrInvalid, clip(uri), e.Ref.ChecksumKind)
	}
	return newCheckReader(resp.Body, e), nil
}
