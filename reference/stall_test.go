package reference

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trove-ml/trove/internal/gcstest"
)

// TestHTTPStalledBodyResumes: a body that goes silent fails after
// HTTPOptions.Timeout instead of hanging, and the download resumes from
// its first unread byte.
func TestHTTPStalledBodyResumes(t *testing.T) {
	content := strings.Repeat("0123456789", 10000)
	half := len(content) / 2
	var stall atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		if rg := r.Header.Get("Range"); rg != "" {
			var from int
			fmt.Sscanf(rg, "bytes=%d-", &from)
			w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, len(content)-1, len(content)))
			w.Header().Set("Content-Length", fmt.Sprint(len(content)-from))
			w.WriteHeader(http.StatusPartialContent)
			fmt.Fprint(w, content[from:])
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(content)))
		if r.Method == http.MethodGet && stall.CompareAndSwap(true, false) {
			fmt.Fprint(w, content[:half])
			w.(http.Flusher).Flush()
			select { // silent, the connection open, for longer than the test allows
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		if r.Method == http.MethodGet {
			fmt.Fprint(w, content)
		}
	}))
	defer srv.Close()
	var waits noWait
	h := NewHTTP(HTTPOptions{Timeout: 200 * time.Millisecond, Retry: waits.options()})
	r := NewResolver(map[string]Store{SchemeHTTP: h})
	_, ents := mustList(t, r, srv.URL+"/model.bin", SourceOptions{})
	stall.Store(true)
	start := time.Now()
	body, err := fetch(r, ents[0])
	if err != nil || body == nil || string(body) != content {
		t.Fatalf("fetch = %d bytes, %v; want %d", len(body), err, len(content))
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("the stalled download took %v", d)
	}
	resumed := false
	for _, op := range waits.ops() {
		resumed = resumed || op == "read"
	}
	if !resumed {
		t.Fatalf("no resumed read among the retries %q", waits.ops())
	}
}

// TestGCSStalledBodyResumes: a GCS download whose body goes silent fails
// after GCSOptions.Timeout instead of hanging, and resumes from its first
// unread byte.
func TestGCSStalledBodyResumes(t *testing.T) {
	srv := gcstest.Start(t)
	b := srv.NewBucket(t)
	content := strings.Repeat("0123456789", 10000)
	srv.Put(t, b, "model.bin", content)
	var stall atomic.Bool
	var ranged atomic.Int64
	gcsProxy(t, srv, func(w http.ResponseWriter, r *http.Request, upstream http.Handler) {
		if !isMedia(r) {
			upstream.ServeHTTP(w, r)
			return
		}
		if r.Header.Get("Range") != "" {
			ranged.Add(1)
		}
		if !stall.CompareAndSwap(true, false) {
			upstream.ServeHTTP(w, r)
			return
		}
		sendHalf(w, r, upstream)
		select { // silent, the connection open, for longer than the test allows
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	var waits noWait
	r := gcsResolverOf(NewGCS(GCSOptions{Timeout: 200 * time.Millisecond, Retry: waits.options()}))
	_, ents := mustList(t, r, "gs://"+b+"/model.bin", SourceOptions{})
	stall.Store(true)
	start := time.Now()
	body, err := fetch(r, ents[0])
	if err != nil || string(body) != content {
		t.Fatalf("fetch = %d bytes, %v; want %d", len(body), err, len(content))
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("the stalled download took %v", d)
	}
	if got := waits.ops(); !slices.Equal(got, []string{gcsOpRead}) || ranged.Load() != 1 {
		t.Fatalf("retried %q with %d ranged requests; want one resumed read", got, ranged.Load())
	}
}
