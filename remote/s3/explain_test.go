package s3_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/s3"
)

// sdkNoise is text of the SDK's that names a step rather than a cause; the
// failures a user meets setting a remote up are explained without it.
var sdkNoise = []string{"operation error", "StatusCode", "get identity", "RequestID", "EC2 IMDS", "https response error"}

// closedEndpoint returns the URL of a port on 127.0.0.1 that nothing
// listens on.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// fakeIMDS stands in for the EC2 instance metadata service on 127.0.0.1,
// so a test of the credential chain never reaches 169.254.169.254; it
// answers 404 (no role) and counts what it was asked.
func fakeIMDS(t *testing.T) *atomic.Int64 {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", srv.URL)
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "")
	return &hits
}

// noCredentials empties the credential chain for the rest of the test:
// no keys, no profile, no files; the instance metadata service is
// fakeIMDS's.
func noCredentials(t *testing.T) *atomic.Int64 {
	t.Helper()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_EC2_METADATA_DISABLED", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_REGION", "us-east-1")
	return fakeIMDS(t)
}

// Open explains, in a sentence naming the cause and the fix, the failures
// met when setting a remote up, and keeps the class for errors.Is.
func TestOpenExplains(t *testing.T) {
	srv := s3srv.Server(t)
	closed := closedEndpoint(t)
	tests := []struct {
		name      string
		cfg       func() s3.Config
		noCreds   bool
		class     error
		transient bool
		want      []string
	}{
		{
			name:    "no credentials",
			cfg:     func() s3.Config { return s3.Config{Bucket: "bkt", Prefix: "p", Endpoint: closed} },
			noCreds: true,
			class:   remote.ErrPermission,
			want:    []string{"s3://bkt/p", "no AWS credentials found", "AWS_ACCESS_KEY_ID", "AWS_PROFILE"},
		},
		{
			name: "endpoint unreachable",
			cfg: func() s3.Config {
				return s3.Config{Bucket: "bkt", Prefix: "p", Endpoint: closed, Credentials: credentials.NewStaticCredentialsProvider("id", "secret", "")}
			},
			class:     remote.ErrUnreachable,
			transient: true,
			want:      []string{"cannot reach " + closed + " (connection refused)", "check the endpoint"},
		},
		{
			name: "bucket missing",
			cfg: func() s3.Config {
				c := config(t, srv)
				c.Bucket = "no-such-bucket"
				return c
			},
			class: remote.ErrBucketNotFound,
			want:  []string{`bucket "no-such-bucket" does not exist at ` + srv.Endpoint, "create it"},
		},
		{
			name: "access denied",
			cfg: func() s3.Config {
				c := config(t, srv)
				c.Credentials = credentials.NewStaticCredentialsProvider(srv.AccessKey, "wrong-secret", "")
				return c
			},
			class: remote.ErrPermission,
			want:  []string{"access denied", "AWS_ACCESS_KEY_ID", "bucket's policy"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var imds *atomic.Int64
			if tc.noCreds {
				imds = noCredentials(t)
			}
			_, err := s3.Open(context.Background(), tc.cfg())
			if !errors.Is(err, tc.class) {
				t.Fatalf("Open: %v, want %v", err, tc.class)
			}
			if remote.IsTransient(err) != tc.transient {
				t.Errorf("IsTransient = %v, want %v", !tc.transient, tc.transient)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
			for _, n := range append(sdkNoise, "wrong-secret") {
				if strings.Contains(msg, n) {
					t.Errorf("message %q shows %q", msg, n)
				}
			}
			if strings.Count(msg, "\n") > 0 {
				t.Errorf("message spans lines: %q", msg)
			}
			if imds != nil && imds.Load() != 0 {
				t.Errorf("the instance metadata service was asked %d times for a non-AWS endpoint", imds.Load())
			}
		})
	}
}

// The instance metadata service is asked for credentials only where AWS
// would honour an instance role: not for an S3-compatible endpoint, from
// the configuration or the environment, unless told to.
func TestIMDSOnlyForAWS(t *testing.T) {
	closed := closedEndpoint(t)
	tests := []struct {
		name     string
		endpoint string
		env      map[string]string
		asked    bool
	}{
		{"custom endpoint", closed, nil, false},
		{"endpoint from AWS_ENDPOINT_URL", "", map[string]string{"AWS_ENDPOINT_URL": closed}, false},
		{"endpoint from AWS_ENDPOINT_URL_S3", "", map[string]string{"AWS_ENDPOINT_URL_S3": closed}, false},
		{"custom endpoint, IMDS asked for", closed, map[string]string{"AWS_EC2_METADATA_DISABLED": "false"}, true},
		{"AWS", "", nil, true},
		{"AWS regional endpoint", "https://s3.eu-west-1.amazonaws.com", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			imds := noCredentials(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			client, _, err := s3.NewClient(context.Background(), s3.ClientOptions{Endpoint: tc.endpoint})
			if err != nil {
				t.Fatal(err)
			}
			// Only the credentials are asked for: no request goes to the
			// endpoint, which for AWS would leave the machine.
			_, err = client.Options().Credentials.Retrieve(context.Background())
			if err == nil {
				t.Fatal("credentials found in an empty chain")
			}
			if asked := imds.Load() > 0; asked != tc.asked {
				t.Errorf("instance metadata service asked: %v, want %v", asked, tc.asked)
			}
		})
	}
}

// Credentials never go in an endpoint URL, and the error does not repeat
// them.
func TestEndpointCredentialsRefused(t *testing.T) {
	for _, ep := range []string{"http://user:s3cr3t@127.0.0.1:9000", "https://AKIAXXX:wJal/s3cr3t@minio.example.com"} {
		_, err := s3.Open(context.Background(), s3.Config{Bucket: "b", Endpoint: ep,
			Credentials: aws.AnonymousCredentials{}})
		if err == nil || !strings.Contains(err.Error(), "credentials never go in the endpoint URL") || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") {
			t.Errorf("endpoint %s: %v, want a refusal naming where credentials go", ep, err)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("endpoint %s: the error shows the secret: %v", ep, err)
		}
	}
}
