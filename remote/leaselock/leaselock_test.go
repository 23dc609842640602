package leaselock

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/file"
	"github.com/trove-ml/trove/remote/remotetest"
)

// ignoring is a bucket whose server ignores conditions: the fault this
// package exists for, which no real server of ours can be made to show.
type ignoring struct{ remote.Bucket }

func (b ignoring) Put(ctx context.Context, key string, r io.Reader, size int64, opts remote.PutOptions) (remote.ObjectInfo, error) {
	opts.IfAbsent, opts.IfMatch = false, ""
	return b.Bucket.Put(ctx, key, r, size, opts)
}

func (b ignoring) Delete(ctx context.Context, key, _ string) error {
	return b.Bucket.Delete(ctx, key, "")
}

// TestConformance: over a bucket that ignores conditions, the lease lock
// restores every guarantee of remote.Bucket, including exactly one winner
// among concurrent creators and no lost compare-and-swap update.
func TestConformance(t *testing.T) {
	remotetest.Run(t, func(t *testing.T) remote.Bucket {
		fb, err := file.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return New(ignoring{fb}, Options{Settle: 5e6}) // 5 ms: a local folder is consistent at once
	})
}

// TestIgnoringLosesUpdates shows why the fallback exists: without it, the
// conditions are silently dropped.
func TestIgnoringLosesUpdates(t *testing.T) {
	ctx := context.Background()
	fb, err := file.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b := ignoring{fb}
	put := func(bk remote.Bucket) error {
		_, err := bk.Put(ctx, "k", strings.NewReader("x"), 1, remote.PutOptions{IfAbsent: true})
		return err
	}
	if err := put(b); err != nil {
		t.Fatal(err)
	}
	if err := put(b); err != nil {
		t.Fatalf("the ignoring bucket was expected to accept a second create: %v", err)
	}
	l := New(b, Options{Settle: 5e6})
	if err := put(l); err == nil {
		t.Fatal("with the lease lock, a second create-if-absent must fail")
	}
}
