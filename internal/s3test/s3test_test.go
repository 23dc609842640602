package s3test_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trove-ml/trove/internal/s3test"
)

// A started server answers S3 requests and hands out distinct buckets.
func TestStart(t *testing.T) {
	srv := s3test.Start(t)
	a, b := srv.NewBucket(t), srv.NewBucket(t)
	if a == b {
		t.Fatalf("NewBucket returned %s twice", a)
	}
	out, err := srv.Client().ListBuckets(context.Background(), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Buckets) != 2 {
		t.Errorf("server has %d buckets, want 2", len(out.Buckets))
	}
	if _, err := os.Stat(filepath.Join(srv.Dir, a)); err != nil {
		t.Errorf("bucket folder: %v", err)
	}
	if srv.Version != s3test.Version {
		t.Logf("server version %s, tests expect %s", srv.Version, s3test.Version)
	}
}

// Env points a subprocess's AWS SDK at the server, whatever the parent's
// AWS configuration.
func TestEnv(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.NewBucket(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperListBuckets$")
	cmd.Env = append(os.Environ(), "AWS_PROFILE=somewhere-else", "AWS_ACCESS_KEY_ID=wrong")
	cmd.Env = append(cmd.Env, srv.Env()...)
	cmd.Env = append(cmd.Env, "TROVE_S3TEST_HELPER=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "bucket "+bucket) {
		t.Errorf("helper did not list %s:\n%s", bucket, out)
	}
}

func TestHelperListBuckets(t *testing.T) {
	if os.Getenv("TROVE_S3TEST_HELPER") == "" {
		t.Skip("helper process for TestEnv")
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	out, err := client.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range out.Buckets {
		fmt.Println("bucket", aws.ToString(b.Name))
	}
}

// Without the server binary, tests skip with the fix in the message, and
// fail in CI.
func TestMissingBinary(t *testing.T) {
	empty := t.TempDir()
	for _, tc := range []struct {
		ci   string
		want string
	}{{"", "--- SKIP"}, {"true", "--- FAIL"}} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperStart$", "-test.v")
		cmd.Env = append(os.Environ(), "PATH="+empty, "GOBIN="+empty, "GOPATH="+empty, "CI="+tc.ci, "TROVE_S3TEST_HELPER=1")
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), tc.want) || !strings.Contains(string(out), "scripts/install-test-tools.sh") {
			t.Errorf("CI=%q: want %s and the install hint, got:\n%s", tc.ci, tc.want, out)
		}
	}
}

func TestHelperStart(t *testing.T) {
	if os.Getenv("TROVE_S3TEST_HELPER") == "" {
		t.Skip("helper process for TestMissingBinary")
	}
	s3test.Start(t)
}
