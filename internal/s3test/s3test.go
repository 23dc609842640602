// Package s3test runs a real S3 server for tests: versitygw with its POSIX
// backend, on a free port of 127.0.0.1, serving a temporary folder.
//
// A test that needs S3 calls [Start], which stops the server when the test
// ends. A package with many such tests shares one server per test binary:
//
//	var s3srv s3test.Shared
//
//	func TestMain(m *testing.M) { s3test.Main(m, &s3srv) }
//
//	func TestSomething(t *testing.T) {
//		srv := s3srv.Server(t) // started on first use
//		bucket := srv.NewBucket(t)
//		…
//	}
//
// [NewProxy] puts an HTTP proxy in front of a server that injects faults
// (5xx answers, connection resets before or after the server acts, slow and
// stalled responses) into a deterministic share of requests, and records
// the requests it saw.
//
// The server binary is looked up on PATH, then in $GOBIN and $GOPATH/bin.
// When it is missing, tests are skipped with a message saying to run
// scripts/install-test-tools.sh; when the environment variable CI is set,
// they fail instead, so a CI run never passes by skipping.
package s3test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trove-ml/trove/internal/testserver"
)

// Version is the versitygw release the tests are written against, the one
// scripts/install-test-tools.sh installs.
const Version = "v1.8.0"

// Server is a running versitygw. Its fields are read-only.
type Server struct {
	// Endpoint is the server's base URL, http://127.0.0.1:PORT.
	Endpoint string
	// AccessKey and SecretKey are the root user's credentials.
	AccessKey, SecretKey string
	// Region is the region the server signs for.
	Region string
	// Dir is the folder the POSIX backend serves: Dir/<bucket>/<key>.
	Dir string
	// Version is the server binary's module version, from its build info.
	Version string

	proc    *testserver.Proc
	buckets atomic.Int64
	client  *s3.Client
	tmpDir  string // removed by Close when the server made Dir itself
}

// missing reports a missing binary the way the package documentation says.
func missing(t testing.TB, err error) {
	t.Helper()
	testserver.Unavailable(t, "S3 test server", err)
}

// Start starts a server on a fresh folder for the test t and stops it, and
// removes the folder, when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		missing(t, err)
	}
	s, err := start(bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != Version {
		t.Logf("s3test: versitygw is %s; tests are written against %s", s.Version, Version)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("s3test: %v", err)
		}
	})
	return s
}

// Binary returns the path of the versitygw binary: on PATH, else in $GOBIN,
// else in $GOPATH/bin.
func Binary() (string, error) { return testserver.Binary("versitygw", Version) }

// start runs bin on dir.
func start(bin, dir string) (*Server, error) {
	s := &Server{
		AccessKey: "trovetestaccess",
		SecretKey: "trovetestsecret",
		Region:    "us-east-1",
		Dir:       dir,
	}
	proc, err := testserver.Start(bin, testserver.Spec{
		Args: func(port int) []string {
			return []string{"--access", s.AccessKey, "--secret", s.SecretKey, "--region", s.Region,
				"--port", fmt.Sprintf("127.0.0.1:%d", port), "--keep-alive", "--quiet", "posix", dir}
		},
		// Any answer will do: an unsigned request gets 403.
		Ready: func(port int) string { return fmt.Sprintf("http://127.0.0.1:%d/", port) },
	})
	if err != nil {
		return nil, fmt.Errorf("s3test: %w (tests expect %s)", err, Version)
	}
	s.proc, s.Version = proc, proc.Version
	s.Endpoint = fmt.Sprintf("http://127.0.0.1:%d", proc.Port)
	s.client = s3.New(s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
	})
	return s, nil
}

// NewBucket creates a bucket no other test uses and returns its name.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("trove-test-%05d", s.buckets.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("s3test: create bucket %s: %v\nserver output:\n%s", name, err, s.Logs())
	}
	return name
}

// Client returns an S3 client signed as the root user, for setting up and
// inspecting buckets behind the code under test.
func (s *Server) Client() *s3.Client { return s.client }

// Env returns environment variables that point AWS SDKs and CLIs at the
// server as its root user, for subprocess tests:
//
//	cmd.Env = append(os.Environ(), srv.Env()...)
//
// It also blanks the variables and files that could point them elsewhere
// (a profile, a session token, the shared config), since the last value of
// a duplicated variable wins. The S3 client must use path-style addressing
// (an IP address has no bucket subdomains).
func (s *Server) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + s.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s.SecretKey,
		"AWS_SESSION_TOKEN=",
		"AWS_PROFILE=",
		"AWS_REGION=" + s.Region,
		"AWS_DEFAULT_REGION=" + s.Region,
		"AWS_ENDPOINT_URL=" + s.Endpoint,
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// Logs returns what the server printed so far.
func (s *Server) Logs() string { return s.proc.Logs() }

// Close stops the server and removes its folder if it made it.
func (s *Server) Close() error {
	s.proc.Stop()
	if s.tmpDir != "" {
		return os.RemoveAll(s.tmpDir)
	}
	return nil
}

// Shared is one server for a whole test binary, started on first use and
// stopped by [Main]. The zero value is ready to use.
type Shared struct {
	once sync.Once
	srv  *Server
	err  error // startup failure, repeated to every test
	bin  error // missing binary: skip (or fail in CI)
}

// Server returns the shared server, starting it on the first call.
func (sh *Shared) Server(t testing.TB) *Server {
	t.Helper()
	sh.once.Do(func() {
		bin, err := Binary()
		if err != nil {
			sh.bin = err
			return
		}
		dir, err := os.MkdirTemp("", "trove-s3test-")
		if err != nil {
			sh.err = err
			return
		}
		sh.srv, sh.err = start(bin, dir)
		if sh.err != nil {
			_ = os.RemoveAll(dir)
			return
		}
		sh.srv.tmpDir = dir
	})
	if sh.bin != nil {
		missing(t, sh.bin)
	}
	if sh.err != nil {
		t.Fatal(sh.err)
	}
	return sh.srv
}

// Close stops the shared server if it was started.
func (sh *Shared) Close() error {
	if sh.srv == nil {
		return nil
	}
	return sh.srv.Close()
}

// Main runs the tests of m and then stops the shared server; it does not
// return. Call it from TestMain.
func Main(m *testing.M, sh *Shared) {
	code := m.Run()
	if err := sh.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "s3test:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}
