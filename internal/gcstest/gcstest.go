// Package gcstest runs a Google Cloud Storage emulator for tests:
// fake-gcs-server with its memory backend, over plain HTTP on a free port
// of 127.0.0.1.
//
// A test that needs GCS calls [Start], which points GCS clients at the
// server through STORAGE_EMULATOR_HOST (so the test must not run in
// parallel with others that set the environment) and stops the server when
// the test ends. Buckets and objects are made through the server's JSON
// API:
//
//	srv := gcstest.Start(t)
//	bucket := srv.NewBucket(t)
//	srv.Put(t, bucket, "data/a.txt", "A")
//
// The server binary is looked up on PATH, then in $GOBIN and $GOPATH/bin.
// When it is missing, tests are skipped with a message saying to run
// scripts/install-test-tools.sh; when the environment variable CI is set,
// they fail instead, so a CI run never passes by skipping.
package gcstest

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"go/build"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Version is the fake-gcs-server release the tests are written against,
// the one scripts/install-test-tools.sh installs.
const Version = "v1.56.1"

// Timeouts of the server's lifecycle.
const (
	startTimeout = 15 * time.Second // from exec to the first HTTP answer
	stopTimeout  = time.Second      // from SIGTERM to SIGKILL
	startTries   = 3                // another process may take the free port first
)

// Server is a running fake-gcs-server. Its fields are read-only.
type Server struct {
	// Host is the server's address, 127.0.0.1:PORT, as STORAGE_EMULATOR_HOST
	// takes it.
	Host string
	// Version is the server binary's module version, from its build info.
	Version string

	cmd     *exec.Cmd
	logs    *syncBuffer
	exited  chan struct{}
	buckets atomic.Int64
}

// Binary returns the path of the fake-gcs-server binary: on PATH, else in
// $GOBIN, else in $GOPATH/bin.
func Binary() (string, error) {
	const name = "fake-gcs-server"
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		gopath = build.Default.GOPATH
	}
	if gp := filepath.SplitList(gopath); len(gp) > 0 {
		dirs = append(dirs, filepath.Join(gp[0], "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("fake-gcs-server %s not found on PATH or in %q", Version, dirs)
}

// Start starts a server for the test t, sets STORAGE_EMULATOR_HOST to it
// for the rest of the test, and stops it when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		msg := fmt.Sprintf("GCS test server unavailable: %v; run scripts/install-test-tools.sh", err)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	version := "unknown version"
	if info, err := buildinfo.ReadFile(bin); err == nil {
		version = info.Main.Version
	}
	var s *Server
	var errs []error
	for range startTries {
		if s, err = startOnce(bin); err == nil {
			break
		}
		errs = append(errs, err)
	}
	if s == nil {
		t.Fatalf("gcstest: cannot start %s (%s; tests expect %s): %v", bin, version, Version, errors.Join(errs...))
	}
	s.Version = version
	if version != Version {
		t.Logf("gcstest: fake-gcs-server is %s; tests are written against %s", version, Version)
	}
	t.Cleanup(s.stop)
	t.Setenv("STORAGE_EMULATOR_HOST", s.Host)
	return s
}

func startOnce(bin string) (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &Server{Host: fmt.Sprintf("127.0.0.1:%d", port), logs: &syncBuffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(bin, "-scheme", "http", "-host", "127.0.0.1", "-port", fmt.Sprint(port),
		"-backend", "memory", "-public-host", s.Host, "-external-url", "http://"+s.Host, "-log-level", "error")
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	setParentDeathSignal(s.cmd)
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		_ = s.cmd.Wait() // the exit status is in the logs
		close(s.exited)
	}()
	deadline := time.Now().Add(startTimeout)
	client := &http.Client{Timeout: time.Second}
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 200*time.Millisecond) {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("server exited during startup:\n%s", s.logs.String())
		default:
		}
		resp, err := client.Get("http://" + s.Host + "/storage/v1/b")
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("server did not answer within %v:\n%s", startTimeout, s.logs.String())
		}
		time.Sleep(delay)
	}
}

func (s *Server) stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// URL returns the server's base URL, http://HOST.
func (s *Server) URL() string { return "http://" + s.Host }

// requestTimeout bounds a request of the helpers below.
const requestTimeout = 30 * time.Second

// NewBucket creates a bucket no other test uses and returns its name.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("trove-test-%05d", s.buckets.Add(1))
	body := fmt.Sprintf(`{"name":%q}`, name)
	if err := s.post(context.Background(), "/storage/v1/b?project=test-project", "application/json", body); err != nil {
		t.Fatalf("gcstest: create bucket %s: %v\nserver output:\n%s", name, err, s.logs.String())
	}
	return name
}

// Put stores content as the object name of bucket, replacing any object
// of that name with a new generation.
func (s *Server) Put(t testing.TB, bucket, name, content string) {
	t.Helper()
	s.PutEncoded(t, bucket, name, "", content)
}

// PutEncoded is [Server.Put] with the object's Content-Encoding metadata
// set (to "gzip", say, for content that is gzip-compressed), which makes
// the server decompress it for clients that do not accept gzip.
func (s *Server) PutEncoded(t testing.TB, bucket, name, contentEncoding, content string) {
	t.Helper()
	if err := s.upload(context.Background(), bucket, name, contentEncoding, content); err != nil {
		t.Fatalf("gcstest: put gs://%s/%s: %v\nserver output:\n%s", bucket, name, err, s.logs.String())
	}
}

// upload stores an object through the JSON API's simple upload.
func (s *Server) upload(ctx context.Context, bucket, name, contentEncoding, content string) error {
	q := url.Values{"uploadType": {"media"}, "name": {name}}
	if contentEncoding != "" {
		q.Set("contentEncoding", contentEncoding)
	}
	return s.post(ctx, "/upload/storage/v1/b/"+url.PathEscape(bucket)+"/o?"+q.Encode(), "application/octet-stream", content)
}

// post sends a POST to the server and checks that it succeeded.
func (s *Server) post(ctx context.Context, path, contentType, body string) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10)) // for the message only
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(answer))
	}
	return nil
}

// Logs returns what the server printed so far.
func (s *Server) Logs() string { return s.logs.String() }

// syncBuffer collects a process's output from two pipes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
