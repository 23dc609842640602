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
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trove-ml/trove/internal/testserver"
)

// Version is the fake-gcs-server release the tests are written against,
// the one scripts/install-test-tools.sh installs.
const Version = "v1.56.1"

// Server is a running fake-gcs-server. Its fields are read-only.
type Server struct {
	// Host is the server's address, 127.0.0.1:PORT, as STORAGE_EMULATOR_HOST
	// takes it.
	Host string
	// Version is the server binary's module version, from its build info.
	Version string

	proc    *testserver.Proc
	buckets atomic.Int64
}

// Binary returns the path of the fake-gcs-server binary: on PATH, else in
// $GOBIN, else in $GOPATH/bin.
func Binary() (string, error) { return testserver.Binary("fake-gcs-server", Version) }

// Start starts a server for the test t, sets STORAGE_EMULATOR_HOST to it
// for the rest of the test, and stops it when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		testserver.Unavailable(t, "GCS test server", err)
	}
	host := func(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }
	proc, err := testserver.Start(bin, testserver.Spec{
		Args: func(port int) []string {
			return []string{"-scheme", "http", "-host", "127.0.0.1", "-port", fmt.Sprint(port),
				"-backend", "memory", "-public-host", host(port), "-external-url", "http://" + host(port), "-log-level", "error"}
		},
		Ready: func(port int) string { return "http://" + host(port) + "/storage/v1/b" },
	})
	if err != nil {
		t.Fatalf("gcstest: %v (tests expect %s)", err, Version)
	}
	s := &Server{Host: host(proc.Port), Version: proc.Version, proc: proc}
	if s.Version != Version {
		t.Logf("gcstest: fake-gcs-server is %s; tests are written against %s", s.Version, Version)
	}
	t.Cleanup(proc.Stop)
	t.Setenv("STORAGE_EMULATOR_HOST", s.Host)
	return s
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
		t.Fatalf("gcstest: create bucket %s: %v\nserver output:\n%s", name, err, s.Logs())
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
		t.Fatalf("gcstest: put gs://%s/%s: %v\nserver output:\n%s", bucket, name, err, s.Logs())
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
func (s *Server) Logs() string { return s.proc.Logs() }
