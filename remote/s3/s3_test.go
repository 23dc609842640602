package s3_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trove-ml/trove/internal/s3test"
	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/remotetest"
	"github.com/trove-ml/trove/remote/s3"
)

var s3srv s3test.Shared

func TestMain(m *testing.M) { s3test.Main(m, &s3srv) }

// config returns a configuration for a fresh bucket on the test server.
func config(t testing.TB, srv *s3test.Server) s3.Config {
	return s3.Config{
		Bucket:      srv.NewBucket(t),
		Prefix:      "team/project",
		Endpoint:    srv.Endpoint,
		Region:      srv.Region,
		PartSize:    s3.MinPartSize,
		Credentials: credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
	}
}

func open(t testing.TB, cfg s3.Config) *s3.Bucket {
	t.Helper()
	b, err := s3.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConformance(t *testing.T) {
	srv := s3srv.Server(t)
	remotetest.Run(t, func(t *testing.T) remote.Bucket { return open(t, config(t, srv)) })
}

// Objects land at prefix/key in the bucket, where other S3 tools find them.
func TestPrefixLayout(t *testing.T) {
	srv := s3srv.Server(t)
	ctx := context.Background()
	for _, prefix := range []string{"", "team/project", "/slashes/"} {
		cfg := config(t, srv)
		cfg.Prefix = prefix
		b := open(t, cfg)
		if _, err := b.Put(ctx, "refs/x", strings.NewReader("x"), 1, remote.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		want := strings.Trim(prefix, "/")
		if want != "" {
			want += "/"
		}
		want += "refs/x"
		out, err := srv.Client().ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: &cfg.Bucket})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != want {
			t.Errorf("prefix %q: bucket holds %v, want %s", prefix, out.Contents, want)
		}
		if loc := strings.TrimSuffix("s3://"+cfg.Bucket+"/"+strings.Trim(prefix, "/"), "/"); b.Location() != loc {
			t.Errorf("Location() = %q, want %q", b.Location(), loc)
		}
		if strings.Contains(b.Location(), srv.SecretKey) {
			t.Error("Location() shows the secret")
		}
	}
}

// Objects that other tools put next to the remote's (folder markers, keys
// with empty elements) are not listed.
func TestListSkipsForeignKeys(t *testing.T) {
	srv := s3srv.Server(t)
	ctx := context.Background()
	cfg := config(t, srv)
	b := open(t, cfg)
	for _, k := range []string{"team/project/good", "team/project/dir/", "team/projectile", "elsewhere"} {
		if _, err := srv.Client().PutObject(ctx, &awss3.PutObjectInput{Bucket: &cfg.Bucket, Key: aws.String(k), Body: strings.NewReader("")}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	if err := b.List(ctx, "", func(oi remote.ObjectInfo) error { got = append(got, oi.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "good" {
		t.Errorf("list: %q, want only good", got)
	}
}

func TestConfigValidation(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		cfg  s3.Config
		want string
	}{
		{"no bucket", s3.Config{}, "no bucket"},
		{"bad prefix", s3.Config{Bucket: "b", Prefix: "a/../b"}, "prefix"},
		{"bad SSE", s3.Config{Bucket: "b", SSE: "rot13"}, "SSE"},
		{"KMS key without KMS", s3.Config{Bucket: "b", SSE: "AES256", SSEKMSKeyID: "k"}, "KMS"},
		{"small parts", s3.Config{Bucket: "b", PartSize: 1 << 20}, "part size"},
		{"huge parts", s3.Config{Bucket: "b", PartSize: 6 << 30}, "part size"},
		{"negative concurrency", s3.Config{Bucket: "b", Concurrency: -1}, "concurrency"},
		{"negative timeout", s3.Config{Bucket: "b", Timeout: -1}, "timeout"},
		{"endpoint without scheme", s3.Config{Bucket: "b", Endpoint: "minio:9000"}, "endpoint"},
	}
	for _, tc := range tests {
		_, err := s3.Open(ctx, tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error about %s", tc.name, err, tc.want)
		}
	}
}

// Open names what is wrong: a missing bucket, refused credentials.
func TestOpenErrors(t *testing.T) {
	srv := s3srv.Server(t)
	ctx := context.Background()

	cfg := config(t, srv)
	cfg.Bucket = "no-such-bucket"
	_, err := s3.Open(ctx, cfg)
	if !errors.Is(err, remote.ErrBucketNotFound) || !strings.Contains(err.Error(), "no-such-bucket") {
		t.Errorf("missing bucket: %v", err)
	}
	if remote.IsTransient(err) {
		t.Error("a missing bucket counts as transient")
	}

	cfg = config(t, srv)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(srv.AccessKey, "wrong-secret", "")
	_, err = s3.Open(ctx, cfg)
	if !errors.Is(err, remote.ErrPermission) || !strings.Contains(err.Error(), "credentials") || !strings.Contains(err.Error(), cfg.Bucket) {
		t.Errorf("wrong secret: %v", err)
	}
	if strings.Contains(err.Error(), "wrong-secret") {
		t.Error("the error shows the secret")
	}
}

// The standard environment variables configure the client: the endpoint
// from AWS_ENDPOINT_URL (path style chosen for an IP address) and
// credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
func TestEnvironment(t *testing.T) {
	srv := s3srv.Server(t)
	bucket := srv.NewBucket(t)
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	b, err := s3.Open(context.Background(), s3.Config{Bucket: bucket})
	if err != nil {
		t.Fatalf("open from the environment: %v", err)
	}
	if _, err := b.Put(context.Background(), "k", strings.NewReader("v"), 1, remote.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	// An explicit endpoint wins over the environment's.
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	if _, err := s3.Open(context.Background(), s3.Config{Bucket: bucket, Endpoint: srv.Endpoint}); err != nil {
		t.Fatalf("explicit endpoint: %v", err)
	}
}

// Every write asks for the configured server-side encryption: single puts
// and multipart uploads (whose parts inherit it from the create).
func TestSSEOnEveryWrite(t *testing.T) {
	srv := s3srv.Server(t)
	ctx := context.Background()
	for _, sse := range []string{"AES256", "aws:kms"} {
		proxy := s3test.NewProxy(t, srv.Endpoint)
		cfg := config(t, srv)
		cfg.Endpoint = proxy.URL
		cfg.SSE = sse
		if sse == "aws:kms" {
			cfg.SSEKMSKeyID = "trove-test-key"
		}
		b := open(t, cfg)
		big := bytes.Repeat([]byte("p"), int(cfg.PartSize)+1)
		for _, data := range [][]byte{[]byte("small"), big} {
			// versitygw accepts the headers (and does not encrypt: the
			// request is what this test can check).
			if _, err := b.Put(ctx, "obj", bytes.NewReader(data), int64(len(data)), remote.PutOptions{}); err != nil {
				t.Errorf("%s put of %d bytes: %v", sse, len(data), err)
			}
		}
		writes := 0
		for _, r := range proxy.Requests() {
			create := r.Method == http.MethodPost && r.Query.Has("uploads")
			if r.Method != http.MethodPut && !create || r.Query.Has("partNumber") {
				continue
			}
			writes++
			if got := r.Header.Get("X-Amz-Server-Side-Encryption"); got != sse {
				t.Errorf("%s %s: SSE header %q, want %q", r.Method, r.Path, got, sse)
			}
			if got := r.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"); got != cfg.SSEKMSKeyID {
				t.Errorf("%s %s: KMS key %q, want %q", r.Method, r.Path, got, cfg.SSEKMSKeyID)
			}
		}
		if writes != 2 {
			t.Errorf("%s: saw %d writes, want a put and a multipart create", sse, writes)
		}
	}
}

// versitygw honours conditional writes; a server that ignores
// If-None-Match, or does not implement it, is detected.
func TestProbeConditionalWrites(t *testing.T) {
	srv := s3srv.Server(t)
	ctx := context.Background()
	conditional := func(r *http.Request) bool {
		return r.Method == http.MethodPut && r.Header.Get("If-None-Match") != ""
	}
	tests := []struct {
		name  string
		rules []s3test.Rule
		want  bool
	}{
		{"versitygw", nil, true},
		// The second If-None-Match put "succeeds": the server ignored it.
		{"ignores If-None-Match", []s3test.Rule{{Every: 2, Match: conditional, Fault: s3test.Respond, Status: 200}}, false},
		{"not implemented", []s3test.Rule{{Every: 1, Match: conditional, Fault: s3test.Respond, Status: 501, Code: "NotImplemented"}}, false},
	}
	for _, tc := range tests {
		proxy := s3test.NewProxy(t, srv.Endpoint, tc.rules...)
		cfg := config(t, srv)
		cfg.Endpoint = proxy.URL
		b := open(t, cfg)
		got, err := s3.ProbeConditionalWrites(ctx, b)
		if err != nil || got != tc.want {
			t.Errorf("%s: got %v, %v; want %v", tc.name, got, err, tc.want)
		}
		var left []string
		_ = b.List(ctx, "", func(oi remote.ObjectInfo) error { left = append(left, oi.Key); return nil })
		out, _ := srv.Client().ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: &cfg.Bucket})
		if len(left) != 0 || len(out.Contents) != 0 {
			t.Errorf("%s: the probe left objects behind: %v", tc.name, out.Contents)
		}
	}
}

// The server, not only the client's pre-check, decides the condition of a
// multipart upload: a key created while the parts go up makes the
// completion fail, and the upload is aborted.
func TestMultipartConditionAtCompletion(t *testing.T) {
	srv := s3srv.Server(t)
	ctx := context.Background()
	cfg := config(t, srv)
	var created atomic.Bool
	complete := func(r *http.Request) bool { return r.Method == http.MethodPost && r.URL.Query().Has("uploadId") }
	proxy := s3test.NewProxy(t, srv.Endpoint, s3test.Rule{Every: 1, Match: complete, Fault: s3test.Pass, Hook: func(*http.Request) {
		if created.CompareAndSwap(false, true) {
			_, err := srv.Client().PutObject(ctx, &awss3.PutObjectInput{Bucket: &cfg.Bucket, Key: aws.String("team/project/big"), Body: strings.NewReader("first")})
			if err != nil {
				t.Error(err)
			}
		}
	}})
	cfg.Endpoint = proxy.URL
	b := open(t, cfg)
	data := bytes.Repeat([]byte("m"), int(cfg.PartSize)*2+1)
	_, err := b.Put(ctx, "big", bytes.NewReader(data), int64(len(data)), remote.PutOptions{IfAbsent: true})
	if !errors.Is(err, remote.ErrExists) {
		t.Fatalf("multipart put if absent over a key created meanwhile: %v", err)
	}
	got := read(t, b, "big")
	if string(got) != "first" {
		t.Errorf("object holds %d bytes, want the other writer's", len(got))
	}
	ups, err := srv.Client().ListMultipartUploads(ctx, &awss3.ListMultipartUploadsInput{Bucket: &cfg.Bucket})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups.Uploads) != 0 {
		t.Errorf("the refused upload was not aborted: %d uploads", len(ups.Uploads))
	}
}

func read(t testing.TB, b remote.Bucket, key string) []byte {
	t.Helper()
	rc, err := b.Get(context.Background(), key, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func BenchmarkBucket(b *testing.B) {
	srv := s3srv.Server(b)
	cfg := config(b, srv)
	cfg.PartSize = s3.DefaultPartSize
	remotetest.Bench(b, open(b, cfg))
}
