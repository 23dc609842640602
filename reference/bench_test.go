package reference

import (
	"context"
	"os"
	"testing"

	"github.com/trove-ml/trove/manifest"
)

// Benchmarks of listing large references. They need data made outside
// the test (scripts/bench-references.sh makes it):
//
//	TROVE_BENCH_S3_URI=s3://bench/objs    with AWS_ENDPOINT_URL and credentials
//	TROVE_BENCH_FILE_URI=file:///tmp/tree
//
// and are skipped without. Each reports objects listed per second.

func benchList(b *testing.B, env string, st Store) {
	uri := os.Getenv(env)
	if uri == "" {
		b.Skipf("set %s to run this benchmark", env)
	}
	scheme, _ := Parse(uri)
	r := NewResolver(map[string]Store{scheme.Scheme: st})
	src, err := r.Source(uri, SourceOptions{TempDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	b.ResetTimer()
	for b.Loop() {
		err := src.List(context.Background(), func(string, manifest.Entry) error {
			n++
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "objects/s")
}

func BenchmarkListS3(b *testing.B) { benchList(b, "TROVE_BENCH_S3_URI", NewS3(S3Options{})) }

func BenchmarkListFiles(b *testing.B) {
	benchList(b, "TROVE_BENCH_FILE_URI", NewFiles(FilesOptions{}))
}
