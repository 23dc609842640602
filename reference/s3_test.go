package reference

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trove-ml/trove/internal/s3test"
)

var s3srv s3test.Shared

func TestMain(m *testing.M) { s3test.Main(m, &s3srv) }

// s3Target is an S3 server the tests talk to.
type s3Target struct {
	endpoint, access, secret, region string
	client                           *awss3.Client
}

func sharedS3(t *testing.T) s3Target {
	srv := s3srv.Server(t)
	return s3Target{srv.Endpoint, srv.AccessKey, srv.SecretKey, srv.Region, srv.Client()}
}

func (s s3Target) store(secret string) *S3 {
	return NewS3(S3Options{Endpoint: s.endpoint, Region: s.region,
		Credentials: credentials.NewStaticCredentialsProvider(s.access, secret, "")})
}

func (s s3Target) resolver() *Resolver {
	return NewResolver(map[string]Store{SchemeS3: s.store(s.secret)})
}

func (s s3Target) put(t *testing.T, bucket, key, content string) {
	t.Helper()
	_, err := s.client.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader(content)})
	if err != nil {
		t.Fatalf("put s3://%s/%s: %v", bucket, key, err)
	}
}

// TestS3 lists a prefix into walk order, records ETags, and fetches with
// the ETag checked.
func TestS3(t *testing.T) {
	s := sharedS3(t)
	b := s3srv.Server(t).NewBucket(t)
	for k, v := range map[string]string{
		"ds/a.txt": "A", "ds/a/b": "B", "ds/a-b": "AB", "ds/sub/c": "C", "ds/sub/d/e": "E", "dsx/nope": "N",
	} {
		s.put(t, b, k, v)
	}
	r := s.resolver()
	got, ents := mustList(t, r, "s3://"+b+"/ds", SourceOptions{})
	want := []string{"a/b", "a-b", "a.txt", "sub/c", "sub/d/e"}
	if !slices.Equal(paths(got), want) {
		t.Fatalf("paths %q, want %q", paths(got), want)
	}
	for i, l := range got {
		if l.Kind != KindETag || len(l.Checksum) != 32 || l.VersionID != "" || l.URI != "s3://"+b+"/ds/"+want[i] {
			t.Fatalf("entry %+v: want an MD5 ETag and no version id", l)
		}
	}
	// The same with a trailing slash, and sorted through spilled runs.
	again, _ := mustList(t, r, "s3://"+b+"/ds/", SourceOptions{SortMemory: 1, TempDir: t.TempDir()})
	if !slices.Equal(again, got) {
		t.Fatalf("spilled listing differs:\n%+v\n%+v", again, got)
	}

	body, err := fetch(r, ents[1])
	if err != nil || string(body) != "AB" {
		t.Fatalf("fetch = %q, %v", body, err)
	}
	s.put(t, b, "ds/a-b", "changed")
	_, err = fetch(r, ents[1])
	wantErr(t, err, ErrChanged)
	if _, err := s.client.DeleteObject(context.Background(), &awss3.DeleteObjectInput{Bucket: &b, Key: aws.String("ds/a.txt")}); err != nil {
		t.Fatal(err)
	}
	_, err = fetch(r, ents[2])
	wantErr(t, err, ErrNotFound)

	single, _ := mustList(t, r, "s3://"+b+"/ds/sub/c", SourceOptions{})
	if len(single) != 1 || single[0].Path != "c" || single[0].Name != "c" || single[0].Size != 1 {
		t.Fatalf("single object: %+v", single)
	}
}

// TestS3BadInput: each kind of bad input is its own error.
func TestS3BadInput(t *testing.T) {
	s := sharedS3(t)
	b := s3srv.Server(t).NewBucket(t)
	s.put(t, b, "p/x", "x")
	s.put(t, b, "p/y", "y")
	r := s.resolver()
	wantErr(t, listErr(t, r, "s3://"+b+"/empty/", SourceOptions{}), ErrEmpty)
	wantErr(t, listErr(t, r, "s3://no-such-bucket-"+b+"/p", SourceOptions{}), ErrBucketNotFound)
	err := listErr(t, r, "s3://"+b+"/p", SourceOptions{MaxObjects: 1})
	wantErr(t, err, ErrTooMany)
	if !strings.Contains(err.Error(), "--max-objects") || !strings.Contains(err.Error(), "1 objects") {
		t.Fatalf("error %q names neither the cap nor the flag", err)
	}
	denied := NewResolver(map[string]Store{SchemeS3: s.store("wrong-secret")})
	wantErr(t, listErr(t, denied, "s3://"+b+"/p", SourceOptions{}), ErrPermission)
	if loc, _ := mustList(t, r, "s3://"+b+"/p", SourceOptions{NoChecksum: true, MaxObjects: 1}); len(loc) != 1 || loc[0].URI != "s3://"+b+"/p" {
		t.Fatalf("location-only listing %+v", loc)
	}
	wantErr(t, listErr(t, r, "s3://"+b+"/q", SourceOptions{NoChecksum: true}), ErrEmpty)
}

// TestS3NoCredentials: without any credentials the error says so.
func TestS3NoCredentials(t *testing.T) {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	r := NewResolver(map[string]Store{SchemeS3: NewS3(S3Options{Endpoint: "http://127.0.0.1:9", Region: "us-east-1"})})
	wantErr(t, listErr(t, r, "s3://bucket/p", SourceOptions{}), ErrNoCredentials)
}

// TestS3Versioned records version ids in a versioned bucket and fetches
// the recorded version after the object was overwritten. It starts its own
// versitygw with --versioning-dir (the shared server has no versioning).
func TestS3Versioned(t *testing.T) {
	s := startVersioned(t)
	ctx := context.Background()
	b := "versioned"
	if _, err := s.client.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.client.PutBucketVersioning(ctx, &awss3.PutBucketVersioningInput{Bucket: &b,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	s.put(t, b, "m/w.bin", "one")
	s.put(t, b, "m/gone", "g")
	r := s.resolver()
	got, ents := mustList(t, r, "s3://"+b+"/m", SourceOptions{})
	if len(got) != 2 || got[1].Kind != KindETagVersionID || got[1].VersionID == "" {
		t.Fatalf("listing %+v: want ETags with version ids", got)
	}
	s.put(t, b, "m/w.bin", "two, longer")
	body, err := fetch(r, ents[1])
	if err != nil || string(body) != "one" {
		t.Fatalf("fetch of the recorded version = %q, %v", body, err)
	}
	after, _ := mustList(t, r, "s3://"+b+"/m", SourceOptions{})
	if after[1].VersionID == got[1].VersionID || after[1].Size != 11 {
		t.Fatalf("after overwrite: %+v", after[1])
	}
	// A deleted object (a delete marker on top) is no longer listed.
	if _, err := s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: &b, Key: aws.String("m/gone")}); err != nil {
		t.Fatal(err)
	}
	after, _ = mustList(t, r, "s3://"+b+"/m", SourceOptions{})
	if !slices.Equal(paths(after), []string{"w.bin"}) {
		t.Fatalf("after delete: %q", paths(after))
	}
	// Its recorded version is still there to pull.
	if body, err := fetch(r, ents[0]); err != nil || string(body) != "g" {
		t.Fatalf("fetch of a deleted object's version = %q, %v", body, err)
	}
}

// startVersioned runs versitygw with versioning on a fresh folder.
func startVersioned(t *testing.T) s3Target {
	t.Helper()
	bin, err := s3test.Binary()
	if err != nil {
		msg := fmt.Sprintf("S3 test server unavailable: %v; run scripts/install-test-tools.sh", err)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := s3Target{endpoint: "http://" + addr, access: "versionedaccess", secret: "versionedsecret", region: "us-east-1"}
	dir := t.TempDir()
	var logs strings.Builder
	cmd := exec.Command(bin, "--access", s.access, "--secret", s.secret, "--region", s.region, "--port", addr, "--quiet",
		"posix", "--versioning-dir", dir+"/versions", dir+"/data")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := os.MkdirAll(dir+"/versions", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir+"/data", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(s.endpoint + "/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw with versioning did not start:\n%s", logs.String())
		}
	}
	s.client = awss3.New(awss3.Options{Region: s.region, BaseEndpoint: aws.String(s.endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(s.access, s.secret, "")})
	return s
}

// TestS3Split: a folder listed in parallel, subfolder by subfolder, and
// past the split limit flat; every object exactly once, in walk order.
func TestS3Split(t *testing.T) {
	s := sharedS3(t)
	b := s3srv.Server(t).NewBucket(t)
	var want []string
	for _, k := range []string{"top", "a-x", "a/1", "a/2", "b/1", "b.txt", "c/d/1", "d/1", "e", "f/1", "f/g/h", "z/1"} {
		s.put(t, b, "root/"+k, k)
		want = append(want, k)
	}
	slices.SortFunc(want, walkCompare)
	for _, tc := range []struct {
		name        string
		concurrency int
		maxSplit    int
	}{
		{"flat", 1, 0}, {"split", 4, 0}, {"past the limit", 3, 2}, {"limit one", 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := NewS3(S3Options{Endpoint: s.endpoint, Region: s.region, ListConcurrency: tc.concurrency,
				Credentials: credentials.NewStaticCredentialsProvider(s.access, s.secret, "")})
			st.maxSplit = tc.maxSplit
			got, _ := mustList(t, NewResolver(map[string]Store{SchemeS3: st}), "s3://"+b+"/root", SourceOptions{})
			if !slices.Equal(paths(got), want) {
				t.Fatalf("paths %q, want %q", paths(got), want)
			}
		})
	}
}

// TestS3Retry: through a proxy in front of the server that answers 503
// SlowDown and 500, resets connections before and after the server acts,
// and cuts downloads short, a listing in parallel and a pull succeed: the
// requests are repeated, and a download resumes from its first missing
// byte with a ranged GET of the same object (If-Match, or the version).
func TestS3Retry(t *testing.T) {
	s := sharedS3(t)
	b := s3srv.Server(t).NewBucket(t)
	content := strings.Repeat("0123456789", 10000)
	want := []string{"a", "big", "sub/c", "sub/d/e", "z"}
	for _, k := range want {
		v := k
		if k == "big" {
			v = content
		}
		s.put(t, b, "r/"+k, v)
	}
	get := func(r *http.Request) bool { return r.Method == http.MethodGet && s3test.ObjectRequest(r) }
	proxy := s3test.NewProxy(t, s.endpoint,
		s3test.Rule{Every: 2, Match: get, Fault: s3test.Cut},
		s3test.Rule{Every: 3, Fault: s3test.Respond, Status: 503, Code: "SlowDown"},
		s3test.Rule{Every: 4, Fault: s3test.ResetBefore},
		s3test.Rule{Every: 5, Fault: s3test.ResetAfter},
		s3test.Rule{Every: 7, Fault: s3test.Respond, Status: 500, Code: "InternalError"},
	)
	var waits noWait
	st := NewS3(S3Options{Endpoint: proxy.URL, Region: s.region, Retry: waits.attempts(12),
		Credentials: credentials.NewStaticCredentialsProvider(s.access, s.secret, "")})
	r := NewResolver(map[string]Store{SchemeS3: st})
	got, ents := mustList(t, r, "s3://"+b+"/r", SourceOptions{})
	if !slices.Equal(paths(got), want) {
		t.Fatalf("paths %q, want %q", paths(got), want)
	}
	for i, e := range ents {
		body, err := fetch(r, e)
		if wantBody := map[string]string{"big": content}[want[i]]; err != nil || (wantBody != "" && string(body) != wantBody) {
			t.Fatalf("fetch %s = %d bytes, %v", want[i], len(body), err)
		}
	}
	for _, f := range []s3test.Fault{s3test.Cut, s3test.Respond, s3test.ResetBefore, s3test.ResetAfter} {
		if proxy.Count(f) == 0 {
			t.Errorf("no request got fault %v: the test proves nothing about it", f)
		}
	}
	t.Logf("%d requests, retried %q", len(proxy.Requests()), waits.ops())
	resumed := false
	for _, req := range proxy.Requests() {
		if rg := req.Header.Get("Range"); rg != "" {
			resumed = true
			if !strings.HasPrefix(rg, "bytes=") || req.Header.Get("If-Match") == "" || !strings.HasSuffix(req.Path, "/r/big") {
				t.Errorf("resumed GET %s with Range %q, If-Match %q", req.Path, rg, req.Header.Get("If-Match"))
			}
		}
	}
	if !resumed || !slices.Contains(waits.ops(), "read") {
		t.Errorf("no download was resumed (retried %q)", waits.ops())
	}
}

// TestS3NotRetried: answers a repeat cannot change (4xx but 429 and
// RequestTimeout) cost one request each and keep their class, and a
// server that keeps answering 503, 429 or RequestTimeout is given up on
// after MaxAttempts.
func TestS3NotRetried(t *testing.T) {
	s := sharedS3(t)
	b := s3srv.Server(t).NewBucket(t)
	s.put(t, b, "p/x", "x")
	object := func(r *http.Request) bool { return s3test.ObjectRequest(r) }
	for _, tc := range []struct {
		name     string
		rule     s3test.Rule
		secret   string
		want     error
		requests int
	}{
		{"403 signature", s3test.Rule{}, "wrong-secret", ErrPermission, 1},
		{"404 key", s3test.Rule{Every: 1, Match: object, Fault: s3test.Respond, Status: 404, Code: "NoSuchKey"}, "", ErrNotFound, 1},
		// RequestTimeout comes with 400 but is transient, as in remote/s3.
		{"400 request timeout", s3test.Rule{Every: 1, Match: object, Fault: s3test.Respond, Status: 400, Code: "RequestTimeout"}, "", nil, 3},
		{"412", s3test.Rule{Every: 1, Match: object, Fault: s3test.Respond, Status: 412, Code: "PreconditionFailed"}, "", ErrChanged, 1},
		{"429", s3test.Rule{Every: 1, Match: object, Fault: s3test.Respond, Status: 429, Code: "TooManyRequests"}, "", nil, 3},
		{"503", s3test.Rule{Every: 1, Match: object, Fault: s3test.Respond, Status: 503, Code: "SlowDown"}, "", nil, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ents := mustList(t, s.resolver(), "s3://"+b+"/p/x", SourceOptions{})
			proxy := s3test.NewProxy(t, s.endpoint, tc.rule)
			var waits noWait
			o := waits.attempts(3)
			secret := s.secret
			if tc.secret != "" {
				secret = tc.secret
			}
			st := NewS3(S3Options{Endpoint: proxy.URL, Region: s.region, Retry: o,
				Credentials: credentials.NewStaticCredentialsProvider(s.access, secret, "")})
			_, err := fetch(NewResolver(map[string]Store{SchemeS3: st}), ents[0])
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if n := len(proxy.Requests()); n != tc.requests {
				t.Errorf("%d requests, want %d (%v)", n, tc.requests, err)
			}
			if tc.requests > 1 && !strings.Contains(err.Error(), "gave up after 3 attempts") {
				t.Errorf("error %q does not say it gave up", err)
			}
		})
	}
}
