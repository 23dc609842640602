package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var uiURL = regexp.MustCompile(`at (http://[^ ]+/) `)

// startUI runs `trove ui ARGS` in-process in dir and returns its address
// and a function that stops it (as Ctrl-C does) and returns its result.
func startUI(t *testing.T, dir string, args ...string) (string, *syncBuffer, func() result) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	full := append([]string{"trove", "-C", dir, "--no-progress", "ui", "--addr", "127.0.0.1:0"}, args...)
	go func() {
		done <- run(ctx, full, env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: os.Getenv})
	}()
	var once sync.Once
	var res result
	stop := func() result {
		once.Do(func() {
			cancel()
			select {
			case code := <-done:
				res = result{code, out.String(), errb.String()}
			case <-time.After(30 * time.Second):
				t.Error("trove ui did not stop")
			}
		})
		return res
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := uiURL.FindStringSubmatch(out.String()); m != nil {
			t.Cleanup(func() { stop() })
			return m[1], &out, stop
		}
		select {
		case code := <-done:
			t.Fatalf("trove ui exited %d\nstdout: %s\nstderr: %s", code, out.String(), errb.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("trove ui printed no address: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func httpGet(t *testing.T, url string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	c := &http.Client{Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestUIServesWhileCommitsRun serves a project and commits to it while the
// UI runs: the UI opens the repository per page, so the commit does not
// wait for it, and the next page shows the new version.
func TestUIServesWhileCommitsRun(t *testing.T) {
	dir := newProject(t)
	writeFiles(t, dir, map[string]string{"data/a.txt": "a", "data/sub/b.txt": "b"})
	mustTrove(t, dir, "commit", "mnist", "--type", "dataset", filepath.Join(dir, "data"), "-m", "# Digits\n<script>alert(1)</script>")
	url, out, stop := startUI(t, dir, "--no-token")
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Errorf("serves at %s, want loopback", url)
	}
	if strings.Contains(out.String(), "token") {
		t.Errorf("a UI with --no-token printed a token: %s", out.String())
	}
	code, body := httpGet(t, url+"artifacts/mnist/v0")
	if code != 200 || !strings.Contains(body, "<h1>Digits</h1>") || strings.Contains(body, "<script>alert") {
		t.Fatalf("version page: %d\n%s", code, body)
	}
	code, body = httpGet(t, url+"artifacts/mnist/v0/file?path=sub/b.txt")
	if code != 200 || body != "b" {
		t.Errorf("download: %d %q", code, body)
	}

	start := time.Now()
	writeFiles(t, dir, map[string]string{"data/c.txt": "c"})
	mustTrove(t, dir, "commit", "mnist", "--type", "dataset", filepath.Join(dir, "data"))
	t.Logf("commit while the UI serves took %v", time.Since(start))

	code, body = httpGet(t, url+"artifacts/mnist?format=json")
	if code != 200 || !strings.Contains(body, `"version": "v1"`) {
		t.Errorf("after the commit: %d\n%s", code, body)
	}
	if code, _ := httpGet(t, url+"artifacts", "Host", "evil.example"); code != http.StatusForbidden {
		t.Errorf("a foreign Host header got %d", code)
	}
	if r := stop(); r.code != 0 {
		t.Errorf("trove ui stopped with exit %d: %s", r.code, r.stderr)
	}
}

func TestUIToken(t *testing.T) {
	dir := newProject(t)
	url, out, stop := startUI(t, dir, "--token", "hunter2hunter2")
	if code, _ := httpGet(t, url+"artifacts"); code != http.StatusUnauthorized {
		t.Errorf("no token: %d", code)
	}
	if code, _ := httpGet(t, url+"artifacts", "Authorization", "Bearer hunter2hunter2"); code != 200 {
		t.Errorf("bearer token: %d", code)
	}
	if code, _ := httpGet(t, url+"artifacts", "Authorization", "bearer hunter2hunter2"); code != 200 {
		t.Errorf("bearer token, scheme in lower case: %d", code)
	}
	if !strings.Contains(out.String(), url+"?token=hunter2hunter2") {
		t.Errorf("the address to open is not printed: %s", out.String())
	}
	stop()

	// Without --token or --no-token, even a loopback UI makes a token and
	// refuses requests without it: other users of the machine reach
	// 127.0.0.1 too.
	url, out, stop = startUI(t, dir)
	openLine := regexp.MustCompile(`open (http://\S+\?token=(\S+))`)
	m := openLine.FindStringSubmatch(out.String())
	for deadline := time.Now().Add(10 * time.Second); m == nil && time.Now().Before(deadline); m = openLine.FindStringSubmatch(out.String()) {
		time.Sleep(10 * time.Millisecond) // printed just after the address
	}
	if m == nil || len(m[2]) < 40 {
		t.Fatalf("a loopback UI printed no generated token to open with: %s", out.String())
	}
	if code, _ := httpGet(t, url+"artifacts"); code != http.StatusUnauthorized {
		t.Errorf("a loopback UI without --no-token served a request without its token: %d", code)
	}
	if code, _ := httpGet(t, url+"artifacts", "Authorization", "Bearer "+m[2]); code != 200 {
		t.Errorf("the printed token: %d", code)
	}
	stop()
	_, again, stopAgain := startUI(t, dir)
	if r := stopAgain(); strings.Contains(r.stdout, m[2]) || !strings.Contains(r.stdout, "?token=") {
		t.Errorf("a second UI did not make a token of its own: %s", again.String())
	}
}

func TestUIBadInput(t *testing.T) {
	dir := newProject(t)
	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"ui", "--addr", "nonsense"}, exitUsage, "--addr"},
		{[]string{"ui", "extra"}, exitUsage, "argument"},
		{[]string{"ui", "--lock-wait", "0s"}, exitUsage, "--lock-wait"},
		{[]string{"ui", "--no-token", "--addr", "0.0.0.0:0"}, exitUsage, "--no-token with --addr 0.0.0.0:0"},
		{[]string{"ui", "--no-token", "--token", "t0ken"}, exitUsage, "--no-token and --token"},
		{[]string{"ui", "--token", " "}, exitUsage, "white space"},
	} {
		r := trove(t, dir, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.msg) {
			t.Errorf("trove %s: exit %d, stderr %q", strings.Join(tt.args, " "), r.code, r.stderr)
		}
	}
	r := trove(t, t.TempDir(), "ui", "--addr", "127.0.0.1:0")
	if r.code == 0 || !strings.Contains(r.stderr, "not a trove repository") {
		t.Errorf("outside a repository: exit %d, %q", r.code, r.stderr)
	}
	// A port in use is named.
	url, _, stop := startUI(t, dir, "--no-token")
	defer stop()
	addr := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")
	r = trove(t, dir, "ui", "--addr", addr)
	if r.code == 0 || !strings.Contains(r.stderr, addr) {
		t.Errorf("port in use: exit %d, %q", r.code, r.stderr)
	}
}

func TestUIOpen(t *testing.T) {
	dir := newProject(t)
	opened := filepath.Join(t.TempDir(), "opened")
	script := filepath.Join(t.TempDir(), "browser.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$1\" > "+opened+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BROWSER", script)
	url, _, stop := startUI(t, dir, "--no-token", "--open")
	defer stop()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(opened)
		if err == nil && strings.TrimSpace(string(b)) == url {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the browser was not opened on %s (got %q, %v)", url, b, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestUIProcess runs trove ui as its own process, as people do, commits
// from another process while it serves, and stops it with SIGINT.
func TestUIProcess(t *testing.T) {
	dir := newProject(t)
	writeFiles(t, dir, map[string]string{"data/a.txt": "a"})
	mustTrove(t, dir, "commit", "ds", "--type", "dataset", filepath.Join(dir, "data"))
	ui := troveProc(t, dir, "ui", "--addr", "127.0.0.1:0", "--no-token")
	stdout, err := ui.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	ui.Stderr = &stderr
	if err := ui.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ui.Process.Kill(); ui.Wait() })
	lines := bufio.NewScanner(stdout)
	var url string
	for lines.Scan() {
		if m := uiURL.FindStringSubmatch(lines.Text()); m != nil {
			url = m[1]
			break
		}
	}
	if url == "" {
		t.Fatalf("no address printed; stderr: %s", stderr.String())
	}
	go io.Copy(io.Discard, stdout)
	if code, body := httpGet(t, url+"artifacts/ds"); code != 200 || !strings.Contains(body, "v0") {
		t.Fatalf("versions page: %d\n%s", code, body)
	}
	writeFiles(t, dir, map[string]string{"data/b.txt": "b"})
	commit := troveProc(t, dir, "--lock-timeout", "20s", "commit", "ds", "--type", "dataset", filepath.Join(dir, "data"))
	start := time.Now()
	if out, err := commit.CombinedOutput(); err != nil {
		t.Fatalf("commit while the UI runs: %v\n%s", err, out)
	}
	t.Logf("commit in another process while the UI serves took %v", time.Since(start))
	if code, body := httpGet(t, url+"artifacts/ds/v1?format=json"); code != 200 || !strings.Contains(body, `"version": "v1"`) {
		t.Errorf("new version: %d\n%s", code, body)
	}
	if err := ui.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := ui.Wait(); err != nil {
		t.Errorf("trove ui after SIGINT: %v\n%s", err, stderr.String())
	}
}

// TestUITokenEscaped: a token with characters that mean something in a
// URL is printed escaped, so the address printed opens the UI.
func TestUITokenEscaped(t *testing.T) {
	dir := newProject(t)
	_, out, stop := startUI(t, dir, "--token", "a&b#c d")
	defer stop()
	openLine := regexp.MustCompile(`open (http://\S+)`)
	m := openLine.FindStringSubmatch(out.String())
	for deadline := time.Now().Add(10 * time.Second); m == nil && time.Now().Before(deadline); m = openLine.FindStringSubmatch(out.String()) {
		time.Sleep(10 * time.Millisecond)
	}
	if m == nil {
		t.Fatalf("no address to open: %s", out.String())
	}
	if code, _ := httpGet(t, m[1]); code != http.StatusSeeOther {
		t.Errorf("the printed address %s: %d, want the redirect that sets the cookie", m[1], code)
	}
}
