package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/repo"
)

func TestWebPages(t *testing.T) {
	f := serve(t, demoRepo(t), Options{})
	cnn1 := f.recs["cnn:v1"].String()
	tests := []struct {
		path   string
		status int
		want   []string // in the HTML
		json   []string // keys or values in the JSON
	}{
		{"/", 200, []string{">mnist<", ">cnn<", ">eval<", "dataset", `href="/artifacts/mnist/v1"`}, []string{`"name": "cnn"`, `"types"`}},
		{"/artifacts?type=model", 200, []string{">cnn<"}, []string{`"type": "model"`}},
		{"/artifacts?q=MNI", 200, []string{">mnist<"}, []string{`"q": "MNI"`}},
		{"/artifacts/mnist", 200, []string{"v0", "v1", ">best<", ">raw<", ">clean<", ">clean</a>", "29d 23h"}, []string{`"ttlSource": "record"`, `"remaining": "29d 23h"`}},
		{"/artifacts/mnist/v1", 200, []string{"MNIST, cleaned", "<strong>MNIST</strong>", "<table>", "normalised", "&#34;train&#34;:60000", "stats.json", "train/</a>", "Lineage graph"}, []string{`"description"`, `"metadata"`, `"root"`}},
		{"/artifacts/mnist/best", 200, []string{"mnist</span>:v1"}, []string{`"version": "v1"`}},
		{"/artifacts/mnist/latest", 200, []string{"mnist</span>:v1"}, []string{`"version": "v1"`}},
		{"/artifacts/cnn/v1", 200, []string{"registry/model/mnist-classifier:v1", `<span class="lock" aria-hidden="true"></span>production`, "never expires", "linked in a registry"}, []string{`"protected": [`, `"ttlSource": "registry"`, `"link": "v1"`}},
		{"/artifacts/mnist/v1/files?path=train", 200, []string{"images.idx", "labels.idx", "download"}, []string{`"path": "train/images.idx"`}},
		{"/artifacts/mnist/v1/files?path=train/images.idx", 200, []string{"Download", "9,000 bytes"}, []string{`"kind": "file"`}},
		{"/artifacts/mnist/v1/diff", 200, []string{"mnist:v0", "stats.json", "train/images.idx", "modified", "added"}, []string{`"op": "added"`, `"against": "mnist:v0"`, `"version": "v1"`, `"againstVersion": "v0"`}},
		{"/artifacts/mnist/v1/diff?limit=1", 200, []string{"In the first 1 changes:", "only the first 1 changes are shown"}, []string{`"truncated": true`}},
		{"/artifacts/mnist/v0/diff?against=cnn:v0", 200, []string{"cnn:v0", "model.safetensors", "removed"}, []string{`"againstArtifact": "cnn"`}},
		{"/artifacts/cnn/v1/lineage", 200, []string{"<svg", "finetune-cnn", "evaluate", `href="/runs/`, `href="/artifacts/mnist/v1"`, "mnist:v1"}, []string{`"layout"`, `"graph"`, `"kind": "input"`, `"version": "v1"`, `"version": "v0"`}},
		{"/artifacts/cnn/v1/lineage?direction=upstream&depth=1", 200, []string{"finetune-cnn"}, []string{`"direction": "upstream"`, `"depth": 1`}},
		{"/runs", 200, []string{"finetune-cnn", "failed (exit 1)", "train.py --resume --epochs 5"}, []string{`"outcome": "failed (exit 1)"`}},
		{"/runs/" + f.runs["finetune-cnn"], 200, []string{gitCommit, "python train.py --resume --epochs 5", "cnn:v0", "mnist:v1", "cnn:v1", "seed"}, []string{`"inputVersions"`, `"record": "` + cnn1 + `"`, `"then": "v1"`, `"current": "v1"`}},
		{"/registries", 200, []string{">model<", ">dataset<", `<span class="lock" aria-hidden="true"></span>production`, "core"}, []string{`"name": "model"`}},
		{"/registries/model", 200, []string{"mnist-classifier", "v1 →", `alias protected`}, []string{`"collectionList"`}},
		{"/registries/model/mnist-classifier", 200, []string{`class="alias protected"`, "production", "staging", "cnn:v0", "cnn:v1", "protected alias"}, []string{`"protected": true`, `"n": "v1"`, `"latest": "v1"`}},
		{"/artifacts/mnist/v7", 404, []string{"no version v7"}, []string{`"status": 404`}},
		{"/artifacts/nope", 404, []string{"no such artifact"}, []string{`"error"`}},
		{"/artifacts/..%2f..%2fetc", 404, nil, []string{`"status": 404`}},
		{"/artifacts/mnist/v1/files?path=nothing/here", 404, []string{"nothing"}, nil},
		{"/artifacts/mnist/v1/files?path=../../etc", 400, nil, nil},
		{"/runs/01ZZZZZZZZZZZZZZZZZZZZZZZZ", 404, nil, nil},
		{"/runs/not-a-run", 404, nil, nil},
		{"/registries/nope", 404, []string{"no such registry"}, nil},
		{"/registries/model/nope", 404, nil, nil},
		{"/artifacts/mnist/v1/lineage?depth=99", 400, []string{"depth"}, nil},
		{"/nowhere", 404, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := f.get(t, tt.path)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tt.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type %q", ct)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("HTML lacks %q", w)
				}
			}
			for _, variant := range []struct {
				path   string
				header []string
			}{{withQuery(tt.path, "format=json"), nil}, {tt.path, []string{"Accept", "application/json"}}} {
				resp, body := f.get(t, variant.path, variant.header...)
				if resp.StatusCode != tt.status {
					t.Fatalf("JSON %v: status %d, want %d", variant, resp.StatusCode, tt.status)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
					t.Fatalf("JSON %v: Content-Type %q", variant, ct)
				}
				if !json.Valid([]byte(body)) {
					t.Fatalf("JSON %v: invalid JSON\n%s", variant, body)
				}
				for _, w := range tt.json {
					if !strings.Contains(body, w) {
						t.Errorf("JSON %v lacks %q\n%s", variant, w, body)
					}
				}
			}
		})
	}
}

func withQuery(path, q string) string {
	if strings.Contains(path, "?") {
		return path + "&" + q
	}
	return path + "?" + q
}

// TestWebPaging walks every page of a list and checks nothing is missed
// or repeated.
func TestWebPaging(t *testing.T) {
	b := newBuilder(t)
	files := map[string]string{}
	for i := range 25 {
		files[fmt.Sprintf("f%03d.txt", i)] = fmt.Sprint(i)
	}
	dir := b.files(files)
	for i := range 7 {
		b.commit(repo.CommitOptions{Name: fmt.Sprintf("a%02d", i), Type: []string{"dataset", "model"}[i%2], Paths: []string{dir}})
	}
	for i := range 5 {
		b.commit(repo.CommitOptions{Name: "many", Type: "dataset", Paths: []string{b.files(map[string]string{"x": fmt.Sprint(i)})}})
	}
	f := serve(t, b.done(), Options{})

	var names []string
	for after := ""; ; {
		var v artifactsView
		f.getJSON(t, "/artifacts?limit=3&type=dataset&after="+after, &v)
		for _, a := range v.Artifacts {
			names = append(names, a.Name)
		}
		if v.Next == "" {
			break
		}
		after = v.Next
	}
	if got := strings.Join(names, ","); got != "a00,a02,a04,a06,many" {
		t.Errorf("artifacts of type dataset, paged: %s", got)
	}

	// The cursor is a version, "vN" like every version in the JSON.
	var vs []versionNumber
	var cursors []string
	for before := ""; ; {
		var v versionsView
		f.getJSON(t, "/artifacts/many?limit=2&before="+before, &v)
		for _, r := range v.Versions {
			vs = append(vs, r.Version)
		}
		if v.More == 0 {
			break
		}
		before = v.More.String()
		cursors = append(cursors, before)
	}
	if fmt.Sprint(vs) != "[v4 v3 v2 v1 v0]" || fmt.Sprint(cursors) != "[v3 v1]" {
		t.Errorf("versions, paged: %v, cursors %v", vs, cursors)
	}
	// The page's own link to the next page names the cursor the same way.
	if _, body := f.get(t, "/artifacts/many?limit=2"); !strings.Contains(body, `id="next-page" href="/artifacts/many?before=v3&amp;limit=2"`) {
		t.Errorf("versions page: no link to the page before v3\n%s", body)
	}
	// A bare number, as older pages wrote it, still pages; anything else
	// is refused.
	var old versionsView
	f.getJSON(t, "/artifacts/many?limit=2&before=3", &old)
	if len(old.Versions) != 2 || old.Versions[0].Version != 2 || old.Before == nil || *old.Before != 3 {
		t.Errorf("before=3: %+v", old)
	}
	for _, bad := range []string{"x", "v", "v-1", "-1", "v01"} {
		if resp, body := f.get(t, "/artifacts/many?before="+bad); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("before=%s: %s, want 400\n%s", bad, resp.Status, body)
		}
	}

	var fs []string
	for after := ""; ; {
		var v filesView
		f.getJSON(t, "/artifacts/a00/v0/files?limit=10&after="+after, &v)
		for _, e := range v.Entries {
			fs = append(fs, e.Name)
		}
		if v.Next == "" {
			break
		}
		after = v.Next
	}
	if len(fs) != 25 || fs[0] != "f000.txt" || fs[24] != "f024.txt" {
		t.Errorf("files, paged: %d names %v", len(fs), fs)
	}
}

func TestWebReadOnly(t *testing.T) {
	f := serve(t, demoRepo(t), Options{})
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, "PROPFIND"} {
		for _, p := range []string{"/", "/artifacts/mnist/v1", "/artifacts/mnist/v1/file?path=README.md", "/static/style.css"} {
			resp, _ := f.do(t, m, p)
			if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("%s %s: %s, Allow %q", m, p, resp.Status, resp.Header.Get("Allow"))
			}
		}
	}
	resp, body := f.do(t, http.MethodHead, "/artifacts/mnist/v1")
	if resp.StatusCode != 200 || body != "" {
		t.Errorf("HEAD: %s, %d bytes", resp.Status, len(body))
	}
	resp, _ = f.get(t, "/artifacts")
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q allows too much", csp)
	}
}

func TestWebToken(t *testing.T) {
	const token = "s3cret-token"
	f := serve(t, demoRepo(t), Options{Token: token})
	tests := []struct {
		name   string
		path   string
		header []string
		status int
	}{
		{"none", "/artifacts", nil, 401},
		{"static too", "/static/style.css", nil, 401},
		{"wrong query", "/artifacts?token=nope", nil, 401},
		{"wrong header", "/artifacts", []string{"Authorization", "Bearer nope"}, 401},
		{"wrong scheme", "/artifacts", []string{"Authorization", "Basic " + token}, 401},
		{"header", "/artifacts", []string{"Authorization", "Bearer " + token}, 200},
		{"cookie", "/artifacts", []string{"Cookie", TokenCookie + "=" + token}, 200},
		{"wrong cookie", "/artifacts", []string{"Cookie", TokenCookie + "=x"}, 401},
		// A proxy's Basic auth beside the cookie is not ours to judge.
		{"cookie and Basic", "/artifacts", []string{"Authorization", "Basic eHg=", "Cookie", TokenCookie + "=" + token}, 200},
		{"query", "/artifacts?type=model&token=" + token, nil, 303},
		{"any host with a token", "/artifacts", []string{"Authorization", "Bearer " + token, "Host", "example.com"}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := f.get(t, tt.path, tt.header...)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tt.status, body)
			}
			if strings.Contains(body, "mnist") && tt.status != 200 {
				t.Errorf("an unauthorised answer shows repository content")
			}
		})
	}
	resp, _ := f.get(t, "/artifacts?type=model&token="+token)
	if loc := resp.Header.Get("Location"); loc != "/artifacts?type=model" {
		t.Errorf("redirect to %q, want the URL without the token", loc)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == TokenCookie {
			cookie = c
		}
	}
	if cookie == nil || cookie.Value != token || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Errorf("cookie %+v", cookie)
	}
	resp, _ = f.get(t, "//evil.example/?token="+token)
	if loc := resp.Header.Get("Location"); strings.HasPrefix(loc, "//") {
		t.Errorf("redirect to %q leaves the site", loc)
	}
	resp, _ = f.get(t, "/%2F%2Fevil.example/x?token="+token)
	if loc := resp.Header.Get("Location"); loc != "/%2F%2Fevil.example/x" {
		t.Errorf("redirect to %q, want the path as it was asked for, escapes and all", loc)
	}
}

// TestWebLoopbackHost checks that without a token only loopback host
// names are served (DNS rebinding).
func TestWebLoopbackHost(t *testing.T) {
	f := serve(t, demoRepo(t), Options{})
	for host, want := range map[string]int{
		"127.0.0.1:80": 200, "localhost:1234": 200, "[::1]:99": 200, "127.0.0.1": 200,
		"evil.example": 403, "evil.example:80": 403, "10.0.0.1:80": 403, "localhost.evil.example": 403,
	} {
		resp, body := f.get(t, "/artifacts", "Host", host)
		if resp.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", host, resp.StatusCode, want)
		}
		if want != 200 && strings.Contains(body, "mnist") {
			t.Errorf("Host %s: content served", host)
		}
	}
}

func TestWebIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:7780": true, "127.1.2.3:1": true, "localhost:80": true, "[::1]:80": true,
		":7780": false, "0.0.0.0:7780": false, "[::]:80": false, "192.168.1.2:80": false, "example.com:80": false, "nonsense": false,
	} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v", addr, got)
		}
	}
}

// TestWebRepositoryPerRequest checks that the UI holds the repository
// lock only while it makes pages: a commit runs between two page loads,
// and the next page shows it. A page asked for while another user holds
// the repository says it is busy.
func TestWebRepositoryPerRequest(t *testing.T) {
	fx := demoRepo(t)
	f := serve(t, fx, Options{Linger: 20 * time.Millisecond, Open: func(ctx context.Context) (*repo.Repo, error) {
		return repo.Open(ctx, fx.root, repo.Options{LockTimeout: 200 * time.Millisecond})
	}})
	if resp, _ := f.get(t, "/artifacts/mnist"); resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	waitClosed(t, f.srv)

	// Another user of the repository: the UI's lock is gone.
	r, err := repo.Open(context.Background(), f.root, repo.Options{LockTimeout: time.Second, User: testUser})
	if err != nil {
		t.Fatalf("open while the UI serves: %v", err)
	}
	b := &builder{t: t, ctx: context.Background(), r: r, f: f}
	n := b.commit(repo.CommitOptions{Name: "mnist", Type: "dataset", Paths: []string{b.files(map[string]string{"new.txt": "new"})}})

	// While it holds the repository, pages say so.
	resp, body := f.get(t, "/artifacts/mnist")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "busy") {
		t.Errorf("page while locked: %s %q\n%s", resp.Status, resp.Header.Get("Retry-After"), body)
	}
	var ev errorView
	resp, body = f.get(t, "/artifacts/mnist?format=json")
	if json.Unmarshal([]byte(body), &ev); !ev.Busy || resp.StatusCode != 503 {
		t.Errorf("JSON while locked: %s %s", resp.Status, body)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	var v versionsView
	f.getJSON(t, "/artifacts/mnist", &v)
	if len(v.Versions) == 0 || v.Versions[0].Version != versionNumber(n) {
		t.Errorf("after the commit, the newest version is %+v, want v%d", v.Versions, n)
	}
}

func waitClosed(t *testing.T, s *Server) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.repo.isOpen() {
		if time.Now().After(deadline) {
			t.Fatal("the repository stays open after the requests ended")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestWebConcurrentRequests checks that requests in flight together share
// one opening of the repository.
func TestWebConcurrentRequests(t *testing.T) {
	fx := demoRepo(t)
	gate := make(chan struct{})
	f := serve(t, fx, Options{Linger: -1, Open: func(ctx context.Context) (*repo.Repo, error) {
		<-gate // hold the first opening until every request waits for it
		return repo.Open(ctx, fx.root, repo.Options{LockTimeout: time.Second})
	}})
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(f.hs.URL + []string{"/artifacts", "/runs", "/artifacts/cnn/v1/lineage", "/registries/model"}[i%4])
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				errs <- errors.New(resp.Status)
			}
		}()
	}
	// One request opens the repository; let the other 19 wait for it.
	for deadline := time.Now().Add(10 * time.Second); f.srv.repo.waiting() < 19 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := f.srv.repo.openCount(); n != 1 {
		t.Errorf("20 concurrent requests opened the repository %d times, want once", n)
	}
	waitClosed(t, f.srv)
}

func TestWebClosed(t *testing.T) {
	f := serve(t, demoRepo(t), Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := f.srv.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if resp, _ := f.get(t, "/artifacts"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("after Close: %s", resp.Status)
	}
}

func TestWebStatusOf(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want int
	}{
		{objects.ErrLocked, 503},
		{fmt.Errorf("x: %w", objects.ErrCorrupt), 500},
		{errNotFound("x"), 404},
		{errBadRequest("x"), 400},
		{errors.New("other"), 500},
		{context.Canceled, 503},
	} {
		if got := statusOf(tt.err); got != tt.want {
			t.Errorf("statusOf(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// TestWebWaiterGivesUp: a request that gives up while another opens the
// repository is not left counted as a user, so the repository still
// closes when the request that opened it is done.
func TestWebWaiterGivesUp(t *testing.T) {
	fx := demoRepo(t)
	gate := make(chan struct{})
	s := &shared{linger: -1, open: func(ctx context.Context) (*repo.Repo, error) {
		<-gate
		return repo.Open(ctx, fx.root, repo.Options{LockTimeout: time.Second})
	}}
	opened := make(chan func())
	go func() {
		_, release, err := s.acquire(context.Background())
		if err != nil {
			t.Error(err)
			release = func() {}
		}
		opened <- release
	}()
	started := func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.opening != nil
	}
	for !started() {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error)
	go func() {
		_, _, err := s.acquire(ctx)
		gaveUp <- err
	}()
	for s.waiting() < 1 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Fatalf("the request that gave up: %v, want context.Canceled", err)
	}
	close(gate)
	release := <-opened
	if !s.isOpen() {
		t.Fatal("the repository is not open for the request that opened it")
	}
	release()
	if s.isOpen() {
		t.Error("the repository stayed open after its only user was done: the request that gave up is still counted")
	}
}

// TestWebYieldsToWaitingCommand: pages asked for without pause keep the
// repository open, so the UI lets go of it after maxHold for yieldGap,
// and a command waiting for the lock gets it (here within a second).
func TestWebYieldsToWaitingCommand(t *testing.T) {
	fx := demoRepo(t)
	s := &shared{linger: DefaultLinger, maxHold: 100 * time.Millisecond, yieldGap: 600 * time.Millisecond,
		open: func(ctx context.Context) (*repo.Repo, error) {
			return repo.Open(ctx, fx.root, repo.Options{LockTimeout: 5 * time.Second})
		}}
	defer func() { _ = s.close(context.Background()) }()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 { // two tabs polling
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, release, err := s.acquire(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				time.Sleep(5 * time.Millisecond)
				release()
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	r, err := repo.Open(context.Background(), fx.root, repo.Options{LockTimeout: time.Second})
	close(stop)
	if err != nil {
		wg.Wait()
		t.Fatalf("a command waiting while the UI was polled: %v", err)
	}
	r.Close()
	wg.Wait()
}

// TestWebDownloadLetsGoOfRepository: a download whose client stops
// reading does not keep the repository: the file is spooled, verified,
// before its first byte goes out, and a command waiting for the lock gets
// it; the download still completes with the right bytes.
func TestWebDownloadLetsGoOfRepository(t *testing.T) {
	ctx := context.Background()
	f := demoRepo(t)
	data := make([]byte, 16<<20) // far more than the connection's buffers hold
	for i := range data {
		data[i] = byte(i*7 + i>>11)
	}
	src := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := repo.Open(ctx, f.root, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Commit(ctx, repo.CommitOptions{Name: "big", Type: "model", Paths: []string{src}}); err != nil {
		t.Fatal(err)
	}
	r.Close()
	serve(t, f, Options{})

	resp, err := http.Get(f.hs.URL + "/artifacts/big/v0/file?path=big.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	time.Sleep(DefaultLinger + 200*time.Millisecond) // the body unread meanwhile
	w, err := repo.Open(ctx, f.root, repo.Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatalf("a command while a download waits for its client: %v", err)
	}
	w.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(got, data) {
		t.Fatalf("download: status %d, %d bytes (want %d), %v", resp.StatusCode, len(got), len(data), err)
	}
}
