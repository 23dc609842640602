package reference

import (
	"bytes"
	"net/http"
	"net/http/httptest"
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

// TestHTTP records an object by ETag, by Last-Modified and length, and by
// content, and notices each kind of change.
func TestHTTP(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		etag       string
		mod        time.Time
		kind       string
		change     func(o *webObject)
		sameLength bool
	}{
		{"etag", `"v1"`, t0, KindETag, func(o *webObject) { o.set("hello", `"v2"`, t0) }, true},
		{"last-modified", "", t0, KindHTTPLastModified, func(o *webObject) { o.set("hello", "", t0.Add(time.Hour)) }, true},
		{"content", "", time.Time{}, KindBLAKE3, func(o *webObject) { o.set("hellO", "", time.Time{}) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &webObject{}
			o.set("hello", tc.etag, tc.mod)
			srv := httptest.NewServer(http.HandlerFunc(o.serve))
			defer srv.Close()
			r := httpResolver()
			got, ents := mustList(t, r, srv.URL+"/files/model.bin?rev=1", SourceOptions{})
			if len(got) != 1 || got[0].Name != "model.bin" || got[0].Kind != tc.kind || got[0].Size != 5 {
				t.Fatalf("listing %+v", got)
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
