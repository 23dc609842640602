package reference

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/trove-ml/trove/remote/retry"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// gcsReader is the content of one generation of an object, as stored. It
// keeps the CRC32C of the bytes it returns and compares it at the end
// with the one the server sent (x-goog-hash), and it resumes a body cut
// short by a transient error with a ranged request from the first byte
// not yet returned: a generation never changes, so the pieces are of one
// object.
type gcsReader struct {
	api          *gcsAPI
	ctx          context.Context // the Open's: the reads belong to that call
	bucket, name string
	gen          int64
	uri          string
	size         int64 // the first answer's Content-Length; -1 if it sent none

	body    io.ReadCloser
	off     int64  // bytes returned so far
	crc     uint32 // CRC32C of those bytes
	wantCRC uint32
	hasCRC  bool // whether the server sent wantCRC
	resumes int
	err     error // sticky: a reader that failed stays failed
}

// openMedia starts the download of generation gen of an object.
func (a *gcsAPI) openMedia(ctx context.Context, bucket, name string, gen int64) (*gcsReader, error) {
	r := &gcsReader{api: a, ctx: ctx, bucket: bucket, name: name, gen: gen, uri: "gs://" + bucket + "/" + name}
	resp, err := r.request()
	if err != nil {
		return nil, err
	}
	// Accept-Encoding: gzip should have turned transcoding off; were the
	// bytes decompressed all the same, neither length nor CRC32C would
	// match the record, and "changed" would be a lie.
	if resp.Header.Get("X-Goog-Stored-Content-Encoding") == "gzip" && resp.Header.Get("Content-Encoding") != "gzip" {
		resp.Body.Close()
		return nil, fmt.Errorf("reference: %s: the server decompressed an object stored gzip-compressed, though asked not to", clip(r.uri))
	}
	r.size = resp.ContentLength
	r.wantCRC, r.hasCRC = gcsCRC32C(resp.Header)
	r.body = resp.Body
	return r, nil
}

// gcsCRC32C returns the CRC32C in the x-goog-hash headers of an answer
// ("crc32c=BASE64,md5=BASE64", as one header or several).
func gcsCRC32C(h http.Header) (uint32, bool) {
	for _, v := range h.Values("X-Goog-Hash") {
		for part := range strings.SplitSeq(v, ",") {
			k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
			if k != "crc32c" {
				continue
			}
			if b, err := base64.StdEncoding.DecodeString(val); err == nil && len(b) == crc32.Size {
				return binary.BigEndian.Uint32(b), true
			}
		}
	}
	return 0, false
}

// request asks for the content from byte r.off on, with retries.
func (r *gcsReader) request() (*http.Response, error) {
	gen := strconv.FormatInt(r.gen, 10)
	u := r.api.url("/download/storage/v1", r.bucket, r.name, url.Values{"alt": {"media"}, "generation": {gen}})
	// Accepting gzip turns decompressive transcoding off: an object stored
	// gzip-compressed comes as stored, the bytes the metadata's size and
	// the CRC32C describe. net/http leaves a body alone when the caller
	// set Accept-Encoding.
	h := http.Header{"Accept-Encoding": {"gzip"}}
	if r.off > 0 {
		h.Set("Range", fmt.Sprintf("bytes=%d-", r.off))
	}
	var resp *http.Response
	err := r.api.do(r.ctx, gcsOpGet, r.name, func() error {
		var err error
		resp, err = r.api.send(r.ctx, gcsOpGet, r.name, u, h)
		return err
	})
	if err != nil {
		return nil, err
	}
	if got := resp.Header.Get("X-Goog-Generation"); got != "" && got != gen {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s: the server sent generation %s for %s", ErrChanged, clip(r.uri), got, gen)
	}
	return resp, nil
}

// resume replaces a broken body with the rest of the content.
func (r *gcsReader) resume() error {
	resp, err := r.request()
	var se *gcsStatusError
	switch {
	case errors.As(err, &se) && se.code == http.StatusRequestedRangeNotSatisfiable:
		r.body = http.NoBody // every byte had arrived: the end
		return nil
	case err != nil:
		return err
	case resp.StatusCode == http.StatusPartialContent:
		if want := fmt.Sprintf("bytes %d-", r.off); !strings.HasPrefix(resp.Header.Get("Content-Range"), want) {
			resp.Body.Close()
			return fmt.Errorf("GCS %s %q: asked for bytes from %d, the server sent %q", gcsOpRead, r.name, r.off, resp.Header.Get("Content-Range"))
		}
	default: // the Range was ignored: skip what was returned already
		if _, err := io.CopyN(io.Discard, resp.Body, r.off); err != nil {
			resp.Body.Close()
			return fmt.Errorf("GCS %s %q: skip to byte %d: %w", gcsOpRead, r.name, r.off, err)
		}
	}
	r.body = resp.Body
	return nil
}

func (r *gcsReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	for {
		n, err := r.body.Read(p)
		r.crc = crc32.Update(r.crc, castagnoli, p[:n])
		r.off += int64(n)
		switch {
		case err == nil:
			return n, nil
		case err == io.EOF:
			r.err = io.EOF
			if r.hasCRC && r.crc != r.wantCRC {
				r.err = fmt.Errorf("%w: %s: content's CRC32C is %08x, the server's x-goog-hash says %08x", ErrChanged, clip(r.uri), r.crc, r.wantCRC)
			}
			return n, r.err
		case !gcsTransient(err) || r.ctx.Err() != nil || r.resumes+1 >= r.api.retry.MaxAttempts:
			r.err = fmt.Errorf("GCS %s %q: %w", gcsOpRead, r.name, err)
			return n, r.err
		}
		if r.api.retry.OnRetry != nil {
			r.api.retry.OnRetry(retry.Event{Op: gcsOpRead, Key: r.name, Attempt: r.resumes + 1, Err: err})
		}
		_ = r.body.Close() // broken already; its error adds nothing
		r.resumes++
		if err := r.resume(); err != nil {
			r.body, r.err = http.NoBody, err
			return n, err
		}
		if n > 0 {
			return n, nil
		}
	}
}

func (r *gcsReader) Close() error { return r.body.Close() }
