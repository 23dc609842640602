// Package remotetest is the conformance suite of [remote.Bucket]: every
// backend runs it, and every sentence of the interface's contract has a test
// here. A backend's own tests cover only what is particular to it.
//
//	func TestConformance(t *testing.T) {
//		remotetest.Run(t, func(t *testing.T) remote.Bucket {
//			b, err := file.Open(t.TempDir())
//			if err != nil {
//				t.Fatal(err)
//			}
//			return b
//		})
//	}
//
// newBucket must return an empty bucket that no other test uses; the suite
// runs its subtests in parallel.
//
// A backend that switches to another upload method above some size (S3's
// multipart upload) reports the size with a MultipartThreshold() int64
// method, and the suite then also puts objects above it.
package remotetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/trove-ml/trove/remote"
)

// multiparter is implemented by backends with a second upload path for
// large objects.
type multiparter interface {
	MultipartThreshold() int64
}

// Run runs the conformance suite against buckets made by newBucket.
func Run(t *testing.T, newBucket func(t *testing.T) remote.Bucket) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b remote.Bucket)
	}{
		{"PutGet", testPutGet},
		{"GetRange", testGetRange},
		{"Missing", testMissing},
		{"ListOrderAndPrefix", testListOrderAndPrefix},
		{"ListCallback", testListCallback},
		{"Overwrite", testOverwrite},
		{"AtomicPut", testAtomicPut},
		{"ReaderKeepsOneWrite", testReaderKeepsOneWrite},
		{"ShortBody", testShortBody},
		{"CancelledPut", testCancelledPut},
		{"IfAbsent", testIfAbsent},
		{"IfAbsentRace", testIfAbsentRace},
		{"IfMatch", testIfMatch},
		{"IfMatchCASLoop", testIfMatchCASLoop},
		{"Delete", testDelete},
		{"DeleteIfMatch", testDeleteIfMatch},
		{"InvalidKeys", testInvalidKeys},
		{"Multipart", testMultipart},
		{"Location", testLocation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newBucket(t))
		})
	}
}

// payload returns n deterministic pseudo-random bytes for seed.
func payload(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 0x7472_6f76_65))
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

func put(t testing.TB, b remote.Bucket, key string, data []byte, opts remote.PutOptions) remote.ObjectInfo {
	t.Helper()
	info, err := b.Put(context.Background(), key, bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		t.Fatalf("put %s (%d bytes, %+v): %v", key, len(data), opts, err)
	}
	return info
}

func get(t testing.TB, b remote.Bucket, key string, off, length int64) []byte {
	t.Helper()
	data, err := read(b, key, off, length)
	if err != nil {
		t.Fatalf("get %s [%d, %d): %v", key, off, length, err)
	}
	return data
}

func read(b remote.Bucket, key string, off, length int64) ([]byte, error) {
	rc, err := b.Get(context.Background(), key, off, length)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	return data, err
}

func stat(t testing.TB, b remote.Bucket, key string) remote.ObjectInfo {
	t.Helper()
	info, err := b.Stat(context.Background(), key)
	if err != nil {
		t.Fatalf("stat %s: %v", key, err)
	}
	return info
}

func list(t testing.TB, b remote.Bucket, prefix string) []remote.ObjectInfo {
	t.Helper()
	var got []remote.ObjectInfo
	if err := b.List(context.Background(), prefix, func(oi remote.ObjectInfo) error {
		got = append(got, oi)
		return nil
	}); err != nil {
		t.Fatalf("list %q: %v", prefix, err)
	}
	return got
}

func keys(infos []remote.ObjectInfo) []string {
	out := make([]string, len(infos))
	for i, oi := range infos {
		out[i] = oi.Key
	}
	return out
}

func wantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want one wrapping %v", what, err, want)
	}
}

// goroutineID returns the running goroutine's number, to check that a
// callback runs on its caller's goroutine.
func goroutineID() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	id, _, _ := strings.Cut(strings.TrimPrefix(string(buf), "goroutine "), " ")
	return id
}

// checkModTime fails unless mt is within a generous clock skew of now:
// backends report the store's clock, which need not be ours.
func checkModTime(t testing.TB, what string, mt time.Time) {
	t.Helper()
	const skew = time.Hour
	if d := time.Since(mt); d > skew || d < -skew {
		t.Errorf("%s: ModTime %v is %v away from now", what, mt, d)
	}
}

func sameInfo(a, b remote.ObjectInfo) error {
	if a.Key != b.Key || a.Size != b.Size || a.ETag != b.ETag {
		return fmt.Errorf("{%s %d %s} != {%s %d %s}", a.Key, a.Size, a.ETag, b.Key, b.Size, b.ETag)
	}
	return nil
}
