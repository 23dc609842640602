package reference

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/trove-ml/trove/internal/gcstest"
	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/remote/retry"
)

func gcsResolver() *Resolver { return gcsResolverOf(NewGCS(GCSOptions{})) }

func gcsResolverOf(g *GCS) *Resolver {
	return NewResolver(map[string]Store{SchemeGCS: g})
}

// staticToken authorizes requests to test servers that check nothing
// but the header.
func staticToken(tok string) oauth2.TokenSource {
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok})
}

// noWait makes retries immediate and records the events.
type noWait struct {
	mu     sync.Mutex
	events []retry.Event
}

func (w *noWait) options() retry.Options {
	return retry.Options{
		Sleep: func(context.Context, time.Duration) error { return nil },
		OnRetry: func(e retry.Event) {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.events = append(w.events, e)
		},
	}
}

// attempts is options with at most n attempts.
func (w *noWait) attempts(n int) retry.Options {
	o := w.options()
	o.MaxAttempts = n
	return o
}

// failing starts a server that answers every request with code and body
// and counts them; it returns its URL and the count.
func failing(t *testing.T, code int, body string) (string, *atomic.Int64) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, body, code)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &calls
}

// ops returns the operations retried, in order.
func (w *noWait) ops() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var ops []string
	for _, e := range w.events {
		ops = append(ops, e.Op)
	}
	return ops
}

// TestGCS lists, pins and fetches objects on fake-gcs-server.
func TestGCS(t *testing.T) {
	srv := gcstest.Start(t)
	b := srv.NewBucket(t)
	for name, content := range map[string]string{
		"data/a.txt": "A", "data/a/b": "B", "data/a-b": "AB", "data/sub/": "", "data/sub/c": "C", "other/x": "X",
	} {
		srv.Put(t, b, name, content)
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
	srv.Put(t, b, "data/a/b", "B2")
	_, err = fetch(r, ents[0])
	wantErr(t, err, ErrNotFound)

	single, _ := mustList(t, r, "gs://"+b+"/data/a-b", SourceOptions{})
	if len(single) != 1 || single[0].Path != "a-b" || single[0].Name != "a-b" || single[0].Size != 2 {
		t.Fatalf("single object: %+v", single)
	}

	wantErr(t, listErr(t, r, "gs://"+b+"/nothing", SourceOptions{}), ErrEmpty)
	wantErr(t, listErr(t, r, "gs://no-such-bucket-here/x", SourceOptions{}), ErrBucketNotFound)
	wantErr(t, listErr(t, r, "gs://"+b+"/data", SourceOptions{MaxObjects: 3}), ErrTooMany)

	g := NewGCS(GCSOptions{})
	probe := func(uri string) error {
		loc, err := Parse(uri)
		if err != nil {
			t.Fatal(err)
		}
		return g.Probe(context.Background(), loc)
	}
	for _, uri := range []string{"gs://" + b + "/data", "gs://" + b + "/data/", "gs://" + b + "/data/a-b", "gs://" + b} {
		if err := probe(uri); err != nil {
			t.Errorf("probe %s: %v", uri, err)
		}
	}
	wantErr(t, probe("gs://"+b+"/nothing"), ErrEmpty)
	wantErr(t, probe("gs://no-such-bucket-here/x"), ErrBucketNotFound)
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestGCSNames: names that need escaping in a URL path or query are
// listed, recorded and fetched as they are.
func TestGCSNames(t *testing.T) {
	srv := gcstest.Start(t)
	b := srv.NewBucket(t)
	names := []string{"a b", "c#d", "e?f&g=h", "ünï/çödé", "p+q", "pct%41", "semi;colon", "dir/x"}
	for _, n := range names {
		srv.Put(t, b, "x y/"+n, "content of "+n)
	}
	r := gcsResolver()
	got, ents := mustList(t, r, "gs://"+b+"/x y", SourceOptions{})
	want := slices.Clone(names)
	slices.SortFunc(want, walkCompare)
	if !slices.Equal(paths(got), want) {
		t.Fatalf("paths %q, want %q", paths(got), want)
	}
	for i, e := range ents {
		if e.Ref.URI != "gs://"+b+"/x y/"+got[i].Path {
			t.Errorf("URI %q for %q", e.Ref.URI, got[i].Path)
		}
		body, err := fetch(r, e)
		if err != nil || string(body) != "content of "+got[i].Path {
			t.Errorf("fetch %s = %q, %v", e.Ref.URI, body, err)
		}
	}
	single, _ := mustList(t, r, "gs://"+b+"/x y/e?f&g=h", SourceOptions{})
	if len(single) != 1 || single[0].Name != "e?f&g=h" || single[0].Size != int64(len("content of e?f&g=h")) {
		t.Fatalf("single object: %+v", single)
	}
}

// TestGCSPages: a listing of several pages is listed whole.
func TestGCSPages(t *testing.T) {
	srv := gcstest.Start(t)
	b := srv.NewBucket(t)
	var want []string
	for i := range 7 {
		name := fmt.Sprintf("%02d", i)
		want = append(want, name)
		srv.Put(t, b, "p/"+name, name)
	}
	srv.Put(t, b, "p/sub/", "") // a marker inside a page
	srv.Put(t, b, "p/sub/x", "x")
	want = append(want, "sub/x")
	var lists atomic.Int64
	g := NewGCS(GCSOptions{Client: &http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if strings.HasSuffix(req.URL.Path, "/o") {
			lists.Add(1)
		}
		return http.DefaultTransport.RoundTrip(req)
	})}})
	g.pageSize = 2
	got, _ := mustList(t, gcsResolverOf(g), "gs://"+b+"/p", SourceOptions{})
	if !slices.Equal(paths(got), want) {
		t.Fatalf("paths %q, want %q", paths(got), want)
	}
	if n := lists.Load(); n < 5 {
		t.Fatalf("%d listing requests for 9 objects 2 to a page", n)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestGCSGzip: an object stored gzip-compressed is recorded and fetched
// as stored, not decompressed on the way.
func TestGCSGzip(t *testing.T) {
	srv := gcstest.Start(t)
	b := srv.NewBucket(t)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(bytes.Repeat([]byte("hello "), 100))
	zw.Close()
	srv.PutEncoded(t, b, "logs/a.txt", "gzip", gz.String())
	r := gcsResolver()
	got, ents := mustList(t, r, "gs://"+b+"/logs/a.txt", SourceOptions{})
	if got[0].Size != int64(gz.Len()) {
		t.Fatalf("size %d, want the stored %d", got[0].Size, gz.Len())
	}
	body, err := fetch(r, ents[0])
	if err != nil || !bytes.Equal(body, gz.Bytes()) {
		t.Fatalf("fetch = %d bytes, %v; want the %d stored", len(body), err, gz.Len())
	}
}

// gcsProxy serves fake-gcs-server's answers through handle, which may
// change them, and points STORAGE_EMULATOR_HOST at itself, as a URL.
func gcsProxy(t *testing.T, srv *gcstest.Server, handle func(w http.ResponseWriter, r *http.Request, upstream http.Handler)) {
	target, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	upstream := httputil.NewSingleHostReverseProxy(target)
	p := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handle(w, r, upstream) }))
	t.Cleanup(p.Close)
	t.Setenv("STORAGE_EMULATOR_HOST", p.URL)
}

// recorded returns upstream's answer to r.
func recorded(r *http.Request, upstream http.Handler) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	upstream.ServeHTTP(rec, r)
	return rec
}

// replay sends a recorded answer with body in place of its own.
func replay(w http.ResponseWriter, rec *httptest.ResponseRecorder, body []byte) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.Code)
	w.Write(body)
}

// sendHalf sends upstream's answer to r with its full headers (its length
// too) and the first half of its body, and flushes it: the caller then
// breaks the connection or leaves it silent.
func sendHalf(w http.ResponseWriter, r *http.Request, upstream http.Handler) {
	rec := recorded(r, upstream)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes()[:rec.Body.Len()/2])
	http.NewResponseController(w).Flush()
}

func isMedia(r *http.Request) bool { return r.URL.Query().Get("alt") == "media" }

// TestGCSChanged: content that does not match what the server says of it
// (its CRC32C, its length) is a changed object.
func TestGCSChanged(t *testing.T) {
	srv := gcstest.Start(t)
	b := srv.NewBucket(t)
	srv.Put(t, b, "m/w.bin", "weights")
	ents := func() []manifest.Entry {
		_, ents := mustList(t, gcsResolver(), "gs://"+b+"/m/w.bin", SourceOptions{})
		return ents
	}()
	tests := []struct {
		name   string
		tamper func(h http.Header, body []byte) []byte
		msg    string
	}{
		{"crc32c", func(_ http.Header, body []byte) []byte { body[0] ^= 1; return body }, "CRC32C"},
		{"shorter", func(_ http.Header, body []byte) []byte { return body[:3] }, "3 bytes, the reference records 7"},
		{"longer", func(_ http.Header, body []byte) []byte { return append(body, '!') }, "8 bytes, the reference records 7"},
		{"shorter-unchecked", func(h http.Header, body []byte) []byte { h.Del("X-Goog-Hash"); return body[:3] }, "3 bytes"},
		{"generation", func(h http.Header, body []byte) []byte { h.Set("X-Goog-Generation", "1"); return body }, "generation 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gcsProxy(t, srv, func(w http.ResponseWriter, r *http.Request, upstream http.Handler) {
				rec := recorded(r, upstream)
				body := rec.Body.Bytes()
				if isMedia(r) {
					body = tt.tamper(rec.Header(), bytes.Clone(body))
				}
				replay(w, rec, body)
			})
			_, err := fetch(gcsResolver(), ents[0])
			wantErr(t, err, ErrChanged)
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
		})
	}
}

// fault is what a flaky server does to one request.
type fault int

const (
	passThrough fault = iota
	unavailable       // 503
	throttled         // 429
	reset             // the connection is reset before any answer
	cut               // the answer stops halfway through its body
)

// serveFault answers r as f says, with upstream's answer where f lets
// one through. Every answer closes its connection: net/http repeats by
// itself a request whose reused connection fails before any answer.
func serveFault(t *testing.T, w http.ResponseWriter, r *http.Request, f fault, upstream http.Handler) {
	w.Header().Set("Connection", "close")
	switch f {
	case passThrough:
		upstream.ServeHTTP(w, r)
	case unavailable, throttled:
		code := map[fault]int{unavailable: http.StatusServiceUnavailable, throttled: http.StatusTooManyRequests}[f]
		http.Error(w, `{"error":{"code":`+strconv.Itoa(code)+`,"message":"try again"}}`, code)
	case reset:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		conn.(interface{ SetLinger(int) error }).SetLinger(0)
		conn.Close()
	case cut:
		sendHalf(w, r, upstream)
		panic(http.ErrAbortHandler) // the connection goes, short of the body's end
	}
}

// TestGCSRetry: 429 and 503 answers, reset connections and bodies cut
// short are retried (a download resumes), and what arrives is whole.
func TestGCSRetry(t *testing.T) {
	srv := gcstest.Start(t)
	b := srv.NewBucket(t)
	content := strings.Repeat("0123456789", 10000)
	srv.Put(t, b, "r/big", content)
	srv.Put(t, b, "r/small", "s")
	// Faults by kind of request, in order of arrival.
	faults := map[string][]fault{
		gcsOpStat: {unavailable, reset},
		gcsOpList: {throttled, cut, passThrough, unavailable},
		gcsOpGet:  {unavailable, cut, cut},
	}
	var mu sync.Mutex
	gcsProxy(t, srv, func(w http.ResponseWriter, r *http.Request, upstream http.Handler) {
		op := gcsOpStat
		switch {
		case isMedia(r):
			op = gcsOpGet
		case strings.HasSuffix(r.URL.Path, "/o"):
			op = gcsOpList
		}
		mu.Lock()
		f := passThrough
		if len(faults[op]) > 0 {
			f, faults[op] = faults[op][0], faults[op][1:]
		}
		mu.Unlock()
		serveFault(t, w, r, f, upstream)
	})
	var waits noWait
	g := NewGCS(GCSOptions{Retry: waits.options()})
	g.pageSize = 1
	r := gcsResolverOf(g)
	got, ents := mustList(t, r, "gs://"+b+"/r", SourceOptions{})
	if !slices.Equal(paths(got), []string{"big", "small"}) {
		t.Fatalf("paths %q", paths(got))
	}
	single, _ := mustList(t, r, "gs://"+b+"/r/small", SourceOptions{})
	if len(single) != 1 {
		t.Fatalf("single object: %+v", single)
	}
	body, err := fetch(r, ents[0])
	if err != nil || string(body) != content {
		t.Fatalf("fetch = %d bytes, %v; want %d", len(body), err, len(content))
	}
	// The listing's stat fails twice (503, reset) and is retried, not
	// taken for a missing object that makes a prefix; the listing's first
	// page fails twice (429, cut) and its second once (503). The
	// download's first answer fails, its second is cut and resumed, and
	// the resumed one is cut again and resumed again.
	want := []string{gcsOpStat, gcsOpStat, gcsOpList, gcsOpList, gcsOpList, gcsOpGet, gcsOpRead, gcsOpRead}
	if got := waits.ops(); !slices.Equal(got, want) {
		t.Errorf("retried %q, want %q", got, want)
	}
}

// TestGCSResumeWhole: a resumed download whose Range the server ignores
// skips what it had returned already.
func TestGCSResumeWhole(t *testing.T) {
	srv := gcstest.Start(t)
	b := srv.NewBucket(t)
	content := strings.Repeat("abcdefghij", 10000)
	srv.Put(t, b, "big", content)
	var media atomic.Int64
	gcsProxy(t, srv, func(w http.ResponseWriter, r *http.Request, upstream http.Handler) {
		if !isMedia(r) {
			upstream.ServeHTTP(w, r)
			return
		}
		if media.Add(1) > 1 {
			r.Header.Del("Range")
			upstream.ServeHTTP(w, r)
			return
		}
		rec := recorded(r, upstream)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Write(rec.Body.Bytes()[:12345])
		http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler)
	})
	var waits noWait
	r := gcsResolverOf(NewGCS(GCSOptions{Retry: waits.options()}))
	_, ents := mustList(t, r, "gs://"+b+"/big", SourceOptions{})
	body, err := fetch(r, ents[0])
	if err != nil || string(body) != content {
		t.Fatalf("fetch = %d bytes, %v; want %d", len(body), err, len(content))
	}
	if got := waits.ops(); !slices.Equal(got, []string{gcsOpRead}) || media.Load() != 2 {
		t.Errorf("retried %q in %d downloads", got, media.Load())
	}
}

// TestGCSGiveUp: a server that keeps failing is given up on after
// MaxAttempts, with its last error.
func TestGCSGiveUp(t *testing.T) {
	api, calls := failing(t, http.StatusBadGateway, "overloaded")
	var waits noWait
	r := gcsResolverOf(NewGCS(GCSOptions{Endpoint: api, TokenSource: staticToken("t"), Retry: waits.attempts(3)}))
	err := listErr(t, r, "gs://b/x", SourceOptions{})
	if !strings.Contains(err.Error(), "gave up after 3 attempts") || !strings.Contains(err.Error(), "502 Bad Gateway: overloaded") {
		t.Errorf("error %v", err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

// TestGCSRefused: answers that no repeat can change are mapped to their
// class at once, and the token is sent.
func TestGCSRefused(t *testing.T) {
	tests := []struct {
		code int
		open bool // Open the recorded object, rather than List
		want error
		msg  string
	}{
		{http.StatusForbidden, false, ErrPermission, "gcloud auth application-default login"},
		{http.StatusUnauthorized, false, ErrPermission, "the bucket's permissions"},
		{http.StatusForbidden, true, ErrPermission, "GOOGLE_APPLICATION_CREDENTIALS"},
		{http.StatusNotFound, true, ErrNotFound, "(generation 42)"},
		{http.StatusPreconditionFailed, true, ErrChanged, "gs://b/x"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.code, tt.open), func(t *testing.T) {
			var calls atomic.Int64
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				if got := r.Header.Get("Authorization"); got != "Bearer tok" {
					t.Errorf("Authorization %q", got)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.code)
				fmt.Fprintf(w, `{"error":{"code":%d,"message":"no, says the server"}}`, tt.code)
			}))
			defer api.Close()
			g := NewGCS(GCSOptions{Endpoint: api.URL, TokenSource: staticToken("tok")})
			var err error
			if tt.open {
				_, err = fetch(gcsResolverOf(g), manifest.Entry{Kind: manifest.KindRef, Size: 1, Ref: &manifest.Reference{
					URI: "gs://b/x", ChecksumKind: KindETagGeneration, Checksum: "e", VersionID: "42",
				}})
			} else {
				err = listErr(t, gcsResolverOf(g), "gs://b/", SourceOptions{})
			}
			wantErr(t, err, tt.want)
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("%d requests, want 1: not retried", n)
			}
		})
	}
}

// TestGCSNoCredentials: without credentials, a gs:// reference is one
// clear error, met on first use only.
func TestGCSNoCredentials(t *testing.T) {
	t.Setenv("STORAGE_EMULATOR_HOST", "")
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(t.TempDir(), "missing.json"))
	t.Setenv("HOME", t.TempDir())
	g := NewGCS(GCSOptions{})
	for range 2 {
		err := listErr(t, gcsResolverOf(g), "gs://b/x", SourceOptions{})
		wantErr(t, err, ErrNoCredentials)
		if !strings.Contains(err.Error(), "run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS") {
			t.Errorf("error %q gives no help", err)
		}
	}
}

// TestGCSServiceAccount: application-default credentials from a service
// account's key file: a token is had by the JWT grant, renewed when it
// expires, also after the context of the call that made the client is
// done; a refused grant is a permission error.
func TestGCSServiceAccount(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	var grants atomic.Int64
	var refuse atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		grants.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if r.FormValue("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" || r.FormValue("assertion") == "" || refuse.Load() {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_grant"}`)
			return
		}
		// Expiring within oauth2's 10 s margin: every request renews it.
		fmt.Fprintf(w, `{"access_token":"sa-%d","token_type":"Bearer","expires_in":5}`, grants.Load())
	})
	mux.HandleFunc("GET /storage/v1/b/b/o/obj", func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer sa-") {
			http.Error(w, `{"error":{"code":401,"message":"no token"}}`, http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"name":"obj","size":"3","etag":"CAE=","generation":"7"}`)
	})
	api := httptest.NewServer(mux)
	defer api.Close()
	file, _ := json.Marshal(map[string]string{
		"type": "service_account", "client_email": "trove-test@example.iam.gserviceaccount.com",
		"private_key_id": "k1", "private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"token_uri": api.URL + "/token",
	})
	path := filepath.Join(t.TempDir(), "sa.json")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("STORAGE_EMULATOR_HOST", "")
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", path)

	g := NewGCS(GCSOptions{Endpoint: api.URL})
	loc, err := Parse("gs://b/obj")
	if err != nil {
		t.Fatal(err)
	}
	list := func(ctx context.Context) error {
		return g.List(ctx, loc, func(p string, e manifest.Entry) error {
			if e.Size != 3 || e.Ref.VersionID != "7" {
				t.Errorf("entry %+v", e.Ref)
			}
			return nil
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := list(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := list(context.Background()); err != nil {
		t.Fatalf("after the first call's context is done: %v", err)
	}
	if n := grants.Load(); n != 2 {
		t.Errorf("%d token grants, want 2", n)
	}
	refuse.Store(true)
	err = list(context.Background())
	wantErr(t, err, ErrPermission)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Errorf("error %v does not carry the token endpoint's answer", err)
	}
}

// TestGCSEndpoint: STORAGE_EMULATOR_HOST as the Google libraries read it.
func TestGCSEndpoint(t *testing.T) {
	tests := []struct {
		explicit, env, want string
		emulator            bool
	}{
		{"", "", "https://storage.googleapis.com", false},
		{"", "localhost:4443", "http://localhost:4443", true},
		{"", "https://gcs.internal:4443/storage/v1/", "https://gcs.internal:4443", true},
		{"http://proxy:8080/gcs/", "localhost:4443", "http://proxy:8080/gcs", false},
	}
	for _, tt := range tests {
		got, emulator, err := gcsEndpoint(tt.explicit, tt.env)
		if err != nil || got != tt.want || emulator != tt.emulator {
			t.Errorf("gcsEndpoint(%q, %q) = %q, %v, %v; want %q, %v", tt.explicit, tt.env, got, emulator, err, tt.want, tt.emulator)
		}
	}
	for _, env := range []string{"ftp://host", "http://", "a b:1"} {
		if _, _, err := gcsEndpoint("", env); err == nil || !strings.Contains(err.Error(), "STORAGE_EMULATOR_HOST") {
			t.Errorf("gcsEndpoint(%q): %v", env, err)
		}
	}
}
