package remotetest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/trove-ml/trove/remote"
)

// Bench runs throughput benchmarks against a bucket: puts and whole gets of
// objects of each size (16 MiB is a remote pack's lower target), and ranged
// gets of 64 KiB (a chunk) out of a 16 MiB object, as a pull does.
func Bench(b *testing.B, bucket remote.Bucket) {
	ctx := context.Background()
	for _, size := range []int{64 << 10, 16 << 20} {
		data := payload(uint64(size), size)
		b.Run(fmt.Sprintf("Put/%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(size))
			for i := 0; b.Loop(); i++ {
				if _, err := bucket.Put(ctx, fmt.Sprintf("bench/put/%d", i), bytes.NewReader(data), int64(size), remote.PutOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		key := fmt.Sprintf("bench/get/%d", size)
		if _, err := bucket.Put(ctx, key, bytes.NewReader(data), int64(size), remote.PutOptions{}); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("Get/%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				benchRead(b, bucket, key, 0, -1)
			}
		})
	}
	const chunk = 64 << 10
	key := fmt.Sprintf("bench/get/%d", 16<<20)
	b.Run("GetRange/64KiB", func(b *testing.B) {
		b.SetBytes(chunk)
		for i := 0; b.Loop(); i++ {
			benchRead(b, bucket, key, int64(i*7919*chunk)%(16<<20-chunk), chunk)
		}
	})
}

func benchRead(b *testing.B, bucket remote.Bucket, key string, off, length int64) {
	rc, err := bucket.Get(context.Background(), key, off, length)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, rc); err != nil {
		b.Fatal(err)
	}
	if err := rc.Close(); err != nil {
		b.Fatal(err)
	}
}
