package reference

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/trove-ml/trove/internal/gcstest"
	"github.com/trove-ml/trove/manifest"
)

// TestSplitPath: PATH=URI splits at the last '=' before the scheme's
// "://", which a URI never holds an '=' before.
func TestSplitPath(t *testing.T) {
	for _, tc := range []struct {
		arg, path, uri string
		found          bool
	}{
		{"s3://b/ds", "", "s3://b/ds", false},
		{"data=s3://b/ds", "data", "s3://b/ds", true},
		{"a/b/=gs://b/k=v", "a/b/", "gs://b/k=v", true},
		{"https://h/x?a=b&c=d", "", "https://h/x?a=b&c=d", false},
		{"p=https://h/x?a=b", "p", "https://h/x?a=b", true},
		{"x=y=file:///d", "x=y", "file:///d", true},
		{"c:d=s3://b/k", "c:d", "s3://b/k", true},
		{"data=s3:/b", "data", "s3:/b", true},
		{"=s3://b", "", "s3://b", true},
		{"/data/x", "", "/data/x", false},
	} {
		path, uri, found := SplitPath(tc.arg)
		if path != tc.path || uri != tc.uri || found != tc.found {
			t.Errorf("SplitPath(%q) = %q, %q, %v; want %q, %q, %v", tc.arg, path, uri, found, tc.path, tc.uri, tc.found)
		}
	}
	for _, p := range []string{"", "/abs", "a//b", "a/../b", ".", "a/\x00", strings.Repeat("x/", manifest.MaxDepth+1)} {
		if err := ValidPath(p); !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidPath(%q) = %v, want ErrInvalid", p, err)
		}
	}
	for _, p := range []string{"a", "a/b", "a/b/", "a b/c=d"} {
		if err := ValidPath(p); err != nil {
			t.Errorf("ValidPath(%q): %v", p, err)
		}
	}
}

// TestLayout: where a reference's entries land in a version. A prefix's
// objects land relative to it, at the root or below PATH; one object
// under its base name or at PATH; a location-only reference at its key
// (s3, gs) or base name (http, file), or at PATH. As W&B's add_reference.
func TestLayout(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"ds/train/1.txt": "1", "ds/test/1.txt": "t", "ds/w.bin": "w"})
	r := fileResolver(nil, 2)
	uri := "file://" + dir + "/ds"
	for _, tc := range []struct {
		uri  string
		o    SourceOptions
		want []string // path:name
	}{
		{uri, SourceOptions{}, []string{"test/1.txt:1.txt", "train/1.txt:1.txt", "w.bin:w.bin"}},
		{uri + "/", SourceOptions{Path: "data/v1"}, []string{"data/v1/test/1.txt:1.txt", "data/v1/train/1.txt:1.txt", "data/v1/w.bin:w.bin"}},
		{uri, SourceOptions{Path: "data/"}, []string{"data/test/1.txt:1.txt", "data/train/1.txt:1.txt", "data/w.bin:w.bin"}},
		{uri + "/w.bin", SourceOptions{}, []string{"w.bin:w.bin"}},
		{uri + "/w.bin", SourceOptions{Path: "model/weights.bin"}, []string{"model/weights.bin:weights.bin"}},
		{uri, SourceOptions{NoChecksum: true}, []string{"ds:ds"}},
		{uri, SourceOptions{NoChecksum: true, Path: "raw/"}, []string{"raw:raw"}},
	} {
		got, _ := mustList(t, r, tc.uri, tc.o)
		var ps []string
		for _, l := range got {
			ps = append(ps, l.Path+":"+l.Name)
		}
		if !slices.Equal(ps, tc.want) {
			t.Errorf("%s %+v: %q, want %q", tc.uri, tc.o, ps, tc.want)
		}
	}
	err := listErr(t, r, uri+"/w.bin", SourceOptions{Path: "model/"})
	wantErr(t, err, ErrInvalid)
	if !strings.Contains(err.Error(), "model/w.bin="+uri+"/w.bin") {
		t.Errorf("error %q does not say what to write", err)
	}
	_, err = r.Source(uri, SourceOptions{Path: "/abs"})
	wantErr(t, err, ErrInvalid)

	// Location-only S3 and GCS references land at their whole key, as
	// W&B records them; a whole bucket at its name.
	for _, tc := range []struct{ uri, want string }{
		{"s3://b/datasets/mnist", "datasets/mnist"},
		{"s3://b/datasets/mnist/", "datasets/mnist"},
		{"gs://b", "b"},
		{"https://h/files/model.bin?x=1", "model.bin"},
	} {
		loc, err := Parse(tc.uri)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := loc.locationPath(); err != nil || got != tc.want {
			t.Errorf("%s lands at %q, %v; want %q", tc.uri, got, err, tc.want)
		}
	}
	loc, _ := Parse("s3://b/a//b")
	if _, err := loc.locationPath(); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "PATH=URI") {
		t.Errorf("a key with an empty element: %v", err)
	}
}

// TestS3KeysPullRefuses: keys whose URI pull and verify refuse (control
// characters) are refused when listed, naming the key escaped.
func TestS3KeysPullRefuses(t *testing.T) {
	s := sharedS3(t)
	b := s3srv.Server(t).NewBucket(t)
	s.put(t, b, "tab/ok.txt", "ok")
	s.put(t, b, "tab/a\tb.txt", "tab")
	s.put(t, b, "nl/a\nb.txt", "newline")
	r := s.resolver()
	for _, tc := range []struct{ uri, key string }{{"s3://" + b + "/tab", `tab/a\tb.txt`}, {"s3://" + b + "/nl/", `nl/a\nb.txt`}} {
		err := listErr(t, r, tc.uri, SourceOptions{})
		wantErr(t, err, ErrInvalid)
		if msg := err.Error(); !strings.Contains(msg, tc.key) || !strings.Contains(msg, "control character") || !strings.Contains(msg, "rename") || strings.ContainsAny(msg, "\t\n") {
			t.Errorf("error %q: want the key %s escaped, the problem and what to do", msg, tc.key)
		}
	}
}

// TestGCSKeysPullRefuses: as TestS3KeysPullRefuses, on GCS.
func TestGCSKeysPullRefuses(t *testing.T) {
	srv := gcstest.Start(t)
	b := srv.NewBucket(t)
	srv.Put(t, b, "tab/ok.txt", "ok")
	srv.Put(t, b, "tab/a\tb.txt", "tab")
	srv.Put(t, b, "del/a\x7fb", "delete")
	r := gcsResolver()
	for _, tc := range []struct{ uri, key string }{{"gs://" + b + "/tab", `tab/a\tb.txt`}, {"gs://" + b + "/del", `del/a\x7fb`}} {
		err := listErr(t, r, tc.uri, SourceOptions{})
		wantErr(t, err, ErrInvalid)
		if msg := err.Error(); !strings.Contains(msg, tc.key) || !strings.Contains(msg, "control character") || strings.ContainsAny(msg, "\t\x7f") {
			t.Errorf("error %q: want the key %s escaped", msg, tc.key)
		}
	}
}

// TestFilesControlCharacters: file:// URIs percent-encode what a name
// holds, so a name with a tab is recorded and fetched.
func TestFilesControlCharacters(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a\tb.txt": "tab"})
	r := fileResolver(nil, 1)
	got, ents := mustList(t, r, "file://"+dir, SourceOptions{})
	if len(got) != 1 || got[0].Path != "a\tb.txt" || strings.Contains(got[0].URI, "\t") {
		t.Fatalf("listing %+v", got)
	}
	if body, err := fetch(r, ents[0]); err != nil || string(body) != "tab" {
		t.Fatalf("fetch = %q, %v", body, err)
	}
}

// TestFilesExclude: a file:// reference leaves out the repository's own
// folder and the project's Git folder (or file) wherever its walk meets
// them, through a symbolic link too, and refuses to name them.
func TestFilesExclude(t *testing.T) {
	proj := t.TempDir()
	writeTree(t, proj, map[string]string{
		"data/x": "x", ".trove/db/LOCK": "", ".trove/db/MANIFEST-000001": "m", ".git/HEAD": "ref",
		"sub/.git/HEAD": "a nested repository is data", "sub/.trove/f": "data too",
	})
	if err := os.Symlink(filepath.Join(proj, ".trove"), filepath.Join(proj, "data", "link")); err != nil {
		t.Fatal(err)
	}
	files := NewFiles(FilesOptions{Exclude: []string{filepath.Join(proj, ".trove"), filepath.Join(proj, ".git"), filepath.Join(proj, "missing")}})
	r := NewResolver(map[string]Store{SchemeFile: files})
	got, _ := mustList(t, r, "file://"+proj, SourceOptions{})
	if want := []string{"data/x", "sub/.git/HEAD", "sub/.trove/f"}; !slices.Equal(paths(got), want) {
		t.Fatalf("paths %q, want %q", paths(got), want)
	}
	for _, uri := range []string{"file://" + proj + "/.trove", "file://" + proj + "/.trove/db/LOCK", "file://" + proj + "/.git/", "file://" + proj + "/data/link"} {
		err := listErr(t, r, uri, SourceOptions{})
		wantErr(t, err, ErrInvalid)
		wantErr(t, listErr(t, r, uri, SourceOptions{NoChecksum: true}), ErrInvalid)
	}
	// In a linked work tree .git is a file.
	wt := t.TempDir()
	writeTree(t, wt, map[string]string{".git": "gitdir: /elsewhere", "f": "f"})
	r = NewResolver(map[string]Store{SchemeFile: NewFiles(FilesOptions{Exclude: []string{filepath.Join(wt, ".git")}})})
	if got, _ := mustList(t, r, "file://"+wt, SourceOptions{}); !slices.Equal(paths(got), []string{"f"}) {
		t.Fatalf("paths %q, want only f", paths(got))
	}
}

// TestHTTPRedirectLoop: a redirect loop is an error naming the whole URL
// and saying what it is, never retried.
func TestHTTPRedirectLoop(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		switch r.URL.Path {
		case "/redirloop":
			http.Redirect(w, r, "/redirloop", http.StatusFound)
		case "/hop":
			http.Redirect(w, r, "/hop?n="+r.URL.Query().Get("n")+"x", http.StatusFound)
		}
	}))
	defer srv.Close()
	var waits noWait
	r := NewResolver(map[string]Store{SchemeHTTP: NewHTTP(HTTPOptions{Retry: waits.attempts(3)})})
	err := listErr(t, r, srv.URL+"/redirloop", SourceOptions{})
	if msg := err.Error(); !strings.Contains(msg, "redirect loop") || !strings.Contains(msg, "redirected back to "+srv.URL+"/redirloop") || strings.Contains(msg, `"/redirloop"`) {
		t.Errorf("error %q: want a redirect loop named with its whole URL", msg)
	}
	if n := calls.Load(); n != 1 || len(waits.ops()) != 0 {
		t.Errorf("%d requests, retried %q: want 1 (it redirects to itself) and none", n, waits.ops())
	}
	err = listErr(t, r, srv.URL+"/hop", SourceOptions{})
	if msg := err.Error(); !strings.Contains(msg, "stopped after 10 redirects, the last to "+srv.URL+"/hop?n=") {
		t.Errorf("error %q: want the redirects counted and the last URL", msg)
	}
	// A caller's client without a policy gets this one; its own stays.
	mine := &http.Client{}
	NewHTTP(HTTPOptions{Client: mine})
	if mine.CheckRedirect != nil {
		t.Error("NewHTTP changed the caller's client")
	}
}

// TestExpandEmptied: a location-only reference whose location holds
// nothing at pull time is a missing object (what --allow-missing-references
// forgives), and the error does not advise --no-checksum, which it has.
func TestExpandEmptied(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"sub/x": "x"})
	r := fileResolver(nil, 1)
	_, ents := mustList(t, r, "file://"+dir, SourceOptions{NoChecksum: true})
	var got []string
	if err := r.Expand(context.Background(), ents[0], func(p string, e manifest.Entry) error {
		got = append(got, p+":"+e.Name)
		return nil
	}); err != nil || !slices.Equal(got, []string{"sub/x:x"}) {
		t.Fatalf("expand = %q, %v", got, err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "sub")); err != nil {
		t.Fatal(err)
	}
	err := r.Expand(context.Background(), ents[0], func(string, manifest.Entry) error { return nil })
	for _, target := range []error{ErrEmpty, ErrNotFound, fs.ErrNotExist} {
		if !errors.Is(err, target) {
			t.Errorf("error %v does not match %v", err, target)
		}
	}
	if err == nil || strings.Contains(err.Error(), "--no-checksum") || !strings.Contains(err.Error(), "recorded without checksums") {
		t.Errorf("error %v: want no advice to use --no-checksum", err)
	}
}
