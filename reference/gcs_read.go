package reference

import (
	"context"
	"encoding/base64"
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

// media makes one request for the content of generation gen of an
// object, from byte off on, and returns its answer, whose body starts at
// byte off: a 206 must say it starts there, and any other answer (the
// Range ignored) is skipped to it. A generation never changes, so pieces
// asked for apart are of one object. No retries: see [gcsAPI.do].
func (a *gcsAPI) media(ctx context.Context, bucket, name string, gen, off int64) (*http.Response, error) {
	g := strconv.FormatInt(gen, 10)
	u := a.url("/download/storage/v1", bucket, name, url.Values{"alt": {"media"}, "generation": {g}})
	// Accepting gzip turns decompressive transcoding off: an object stored
	// gzip-compressed comes as stored, the bytes the metadata's size and
	// the CRC32C describe. net/http leaves a body alone when the caller
	// set Accept-Encoding.
	h := http.Header{"Accept-Encoding": {"gzip"}}
	if off > 0 {
		h.Set("Range", fmt.Sprintf("bytes=%d-", off))
	}
	resp, err := a.send(ctx, gcsOpGet, name, u, h)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*http.Response, error) {
		resp.Body.Close()
		return nil, err
	}
	if got := resp.Header.Get("X-Goog-Generation"); got != "" && got != g {
		return fail(fmt.Errorf("%w: %s: the server sent generation %s for %s", ErrChanged, clip("gs://"+bucket+"/"+name), got, g))
	}
	switch {
	case off == 0:
	case resp.StatusCode == http.StatusPartialContent:
		if want := fmt.Sprintf("bytes %d-", off); !strings.HasPrefix(resp.Header.Get("Content-Range"), want) {
			return fail(fmt.Errorf("GCS %s %q: asked for bytes from %d, the server sent %q", gcsOpRead, name, off, resp.Header.Get("Content-Range")))
		}
	default: // the Range was ignored: skip what was returned already
		if _, err := io.CopyN(io.Discard, resp.Body, off); err != nil {
			return fail(fmt.Errorf("GCS %s %q: skip to byte %d: %w", gcsOpRead, name, off, err))
		}
	}
	return resp, nil
}

// watchedMedia is media with its body watched: a body silent for longer
// than a.timeout fails transiently, as a cut one does.
func (a *gcsAPI) watchedMedia(ctx context.Context, bucket, name string, gen, off int64) (*http.Response, error) {
	rctx, cancel := context.WithCancelCause(ctx)
	resp, err := a.media(rctx, bucket, name, gen, off)
	if err != nil {
		cancel(nil)
		return nil, err
	}
	// The errors of a read begin as they always have for GCS: GCS read "NAME".
	resp.Body = retry.Watch(resp.Body, a.timeout, cancel, fmt.Sprintf("GCS %s %q", gcsOpRead, name))
	return resp, nil
}

// gcsCRC32C returns the CRC32C in the x-goog-hash headers of an answer
// ("crc32c=BASE64,md5=BASE64", as one header or several), as its 4
// big-endian bytes, or nil if there is none.
func gcsCRC32C(h http.Header) []byte {
	for _, v := range h.Values("X-Goog-Hash") {
		for part := range strings.SplitSeq(v, ",") {
			k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
			if k != "crc32c" {
				continue
			}
			if b, err := base64.StdEncoding.DecodeString(val); err == nil && len(b) == crc32.Size {
				return b
			}
		}
	}
	return nil
}
