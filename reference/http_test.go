package reference

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// webObject is content a test HTTP server serves and a test changes.
type webObject struct {
	mu      sync.Mutex
	content []byte
	etag    string
	mod     time.Time
}

func (o *webObject) set(content, etag string, mod time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.content, o.etag, o.mod = []byte(content), etag, mod
}

// serve serves the object with an ETag, a Last-Modified date, or neither
// (then streamed without a length).
func (o *webObject) serve(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	content, etag, mod := o.content, o.etag, o.mod
	o.mu.Unlock()
	if content == nil {
		http.NotFound(w, r)
		return
	}
	if etag == "" && mod.IsZero() {
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		w.Write(content[:1])
		w.(http.Flusher).Flush() // no Content-Length
		w.Write(content[1:])
		return
	}
	if etag != "" {
		w.Header().Set("ETag", etag)
	}
	http.ServeContent(w, r, "", mod, bytes.NewReader(content))
}

func httpResolver() *Resolver {
	h := NewHTTP(HTTPOptions{})
	return NewResolver(map[string]Store{SchemeHTTP: h, SchemeHTTPS: h})
}

// TestHTTP records an object by ETag, and without one by its content (a
// Last-Modified date it came with kept as information), and notices each
// kind of change: an object without an ETag replaced by one of the same
// size and date (python3 -m http.server serves such) too.
func TestHTTP(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		etag    string
		mod     time.Time
		kind    string
		version string // VersionID recorded
		change  func(o *webObject)
	}{
		{"etag", `"v1"`, t0, KindETag, "", func(o *webObject) { o.set("hello", `"v2"`, t0) }},
		{"last-modified", "", t0, KindBLAKE3, t0.Format(http.TimeFormat), func(o *webObject) { o.set("hellO", "", t0) }},
		{"content", "", time.Time{}, KindBLAKE3, "", func(o *webObject) { o.set("hellO", "", time.Time{}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &webObject{}
			o.set("hello", tc.etag, tc.mod)
			srv := httptest.NewServer(http.HandlerFunc(o.serve))
			defer srv.Close()
			r := httpResolver()
			got, ents := mustList(t, r, srv.URL+"/files/model.bin?rev=1", SourceOptions{})
			if len(got) != 1 || got[0].Name != "model.bin" || got[0].Kind != tc.kind || got[0].Size != 5 || got[0].VersionID != tc.version {
				t.Fatalf("listing %+v", got)
			}
			if tc.kind == KindBLAKE3 && ents[0].Digest.IsZero() {
				t.Fatalf("entry %+v: no content digest", ents[0])
			}
			if body, err := fetch(r, ents[0]); err != nil || string(body) != "hello" {
				t.Fatalf("fetch = %q, %v", body, err)
			}
			tc.change(o)
			_, err := fetch(r, ents[0])
			wantErr(t, err, ErrChanged)
			o.set("", "", time.Time{})
			o.content = nil
			_, err = fetch(r, ents[0])
			wantErr(t, err, ErrNotFound)
		})
	}
}

// TestHTTPErrors: missing objects and refused requests.
func TestHTTPErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/secret":
			w.WriteHeader(http.StatusForbidden)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	r := httpResolver()
	wantErr(t, listErr(t, r, srv.URL+"/missing", SourceOptions{}), ErrNotFound)
	wantErr(t, listErr(t, r, srv.URL+"/secret", SourceOptions{}), ErrPermission)
	wantErr(t, listErr(t, r, srv.URL+"/secret", SourceOptions{NoChecksum: true}), ErrPermission)
	wantErr(t, listErr(t, r, srv.URL, SourceOptions{NoChecksum: true}), ErrNotFound)
}

// flakyWeb serves o through faults, taken per method in order of arrival,
// and records the Range and If-Range headers of every GET.
type flakyWeb struct {
	t      *testing.T
	o      *webObject
	mu     sync.Mutex
	faults map[string][]fault
	ranges []string // guarded by mu
}

func (f *flakyWeb) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	ft := passThrough
	if q := f.faults[r.Method]; len(q) > 0 {
		ft, f.faults[r.Method] = q[0], q[1:]
	}
	if r.Method == http.MethodGet {
		f.ranges = append(f.ranges, strings.TrimSpace(r.Header.Get("Range")+" "+r.Header.Get("If-Range")))
	}
	f.mu.Unlock()
	serveFault(f.t, w, r, ft, http.HandlerFunc(f.o.serve))
}

// TestHTTPRetry: 429 and 503 answers, reset connections and bodies cut
// short are retried; a pull cut short resumes from its first missing
// byte, under If-Range on the recorded validator, and one the server
// sends whole (no validator, so the Range was ignored) is skipped to it;
// a download hashed at commit starts again. What arrives is whole.
func TestHTTPRetry(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	content := strings.Repeat("0123456789", 10000)
	half := fmt.Sprint(len(content) / 2)
	for _, tc := range []struct {
		name   string
		etag   string
		mod    time.Time
		faults map[string][]fault
		ops    []string // retried, in order
		ranges []string // of the GETs, with If-Range
	}{
		{
			"etag", `"v1"`, t0,
			map[string][]fault{http.MethodHead: {unavailable, reset}, http.MethodGet: {throttled, cut, unavailable}},
			[]string{httpOpStat, httpOpStat, httpOpGet, "read", httpOpGet},
			[]string{"", "", "bytes=" + half + `- "v1"`, "bytes=" + half + `- "v1"`},
		},
		{
			// No ETag: hashed at commit, the download cut and started
			// again; the pull is cut and resumed, checked at the end.
			"last-modified", "", t0,
			map[string][]fault{http.MethodHead: {throttled}, http.MethodGet: {cut, passThrough, cut}},
			[]string{httpOpStat, httpOpGet, "read"},
			[]string{"", "", "", "bytes=" + half + "-"},
		},
		{
			// HEAD is refused (405), so the listing's stat falls back to a
			// GET; hashing downloads the object, which is cut and started
			// again; the pull is cut and resumed by skipping.
			"content", "", time.Time{},
			map[string][]fault{http.MethodGet: {unavailable, passThrough, cut, passThrough, cut}},
			[]string{httpOpStat, httpOpGet, "read"},
			[]string{"", "", "", "", "", "bytes=" + half + "-"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &webObject{}
			o.set(content, tc.etag, tc.mod)
			web := &flakyWeb{t: t, o: o, faults: tc.faults}
			srv := httptest.NewServer(web)
			defer srv.Close()
			var waits noWait
			h := NewHTTP(HTTPOptions{Retry: waits.options()})
			r := NewResolver(map[string]Store{SchemeHTTP: h})
			_, ents := mustList(t, r, srv.URL+"/model.bin", SourceOptions{})
			if body, err := fetch(r, ents[0]); err != nil || string(body) != content {
				t.Fatalf("fetch = %d bytes, %v; want %d", len(body), err, len(content))
			}
			if got := waits.ops(); !slices.Equal(got, tc.ops) {
				t.Errorf("retried %q, want %q", got, tc.ops)
			}
			if !slices.Equal(web.ranges, tc.ranges) {
				t.Errorf("GETs asked for %q, want %q", web.ranges, tc.ranges)
			}
		})
	}
}

// TestHTTPNotRetried: answers a repeat cannot change (4xx but 429) cost
// one request and keep their class; a server that keeps failing is given
// up on after MaxAttempts.
func TestHTTPNotRetried(t *testing.T) {
	for _, tc := range []struct {
		code     int
		want     error
		requests int64
	}{
		{http.StatusBadRequest, nil, 1},
		{http.StatusUnauthorized, ErrPermission, 1},
		{http.StatusForbidden, ErrPermission, 1},
		{http.StatusNotFound, ErrNotFound, 1},
		{http.StatusRequestTimeout, nil, 1},
		{http.StatusGone, ErrNotFound, 1},
		{http.StatusPreconditionFailed, nil, 1},
		{http.StatusTooManyRequests, nil, 3},
		{http.StatusInternalServerError, nil, 3},
		{http.StatusBadGateway, nil, 3},
	} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			srv, calls := failing(t, tc.code, "no")
			var waits noWait
			r := NewResolver(map[string]Store{SchemeHTTP: NewHTTP(HTTPOptions{Retry: waits.attempts(3)})})
			err := listErr(t, r, srv+"/x", SourceOptions{})
			if tc.want != nil {
				wantErr(t, err, tc.want)
			}
			if !strings.Contains(err.Error(), fmt.Sprint(tc.code)) {
				t.Errorf("error %q does not name the status", err)
			}
			if n := calls.Load(); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
			if tc.requests > 1 && !strings.Contains(err.Error(), "gave up after 3 attempts") {
				t.Errorf("error %q does not say it gave up", err)
			}
		})
	}
}
