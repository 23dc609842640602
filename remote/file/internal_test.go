package file

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trove-ml/trove/remote"
)

// A compare-and-swap waiting for a key's lock gives up when its context is
// done, and publishes nothing.
func TestLockWaitHonoursContext(t *testing.T) {
	b, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	info, err := b.Put(ctx, "ref", strings.NewReader("v1"), 2, remote.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := b.lock(ctx, "ref")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = b.Put(tctx, "ref", strings.NewReader("v2"), 2, remote.PutOptions{IfMatch: info.ETag})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("put while the lock is held: %v, want a deadline error", err)
	}
	if st, err := b.Stat(ctx, "ref"); err != nil || st.ETag != info.ETag {
		t.Fatalf("the object changed: %+v, %v", st, err)
	}
	// Other keys' locks are free.
	other, err := b.Put(ctx, "other", strings.NewReader("x"), 1, remote.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	octx, ocancel := context.WithTimeout(ctx, 10*time.Second)
	defer ocancel()
	if _, err := b.Put(octx, "other", strings.NewReader("y"), 1, remote.PutOptions{IfMatch: other.ETag}); err != nil {
		t.Fatalf("compare-and-swap of another key: %v", err)
	}
}

// On file systems without hard links, create-if-absent takes the key's lock:
// of racing creators exactly one wins there too.
func TestIfAbsentLockedRace(t *testing.T) {
	b, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const racers = 8
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for range racers {
		wg.Go(func() {
			f, tmp, err := createTemp(b.Root())
			if err != nil {
				t.Error(err)
				return
			}
			defer f.Close()
			defer os.Remove(tmp)
			err = b.publishIfAbsentLocked(ctx, "key", f, tmp, b.path("key"))
			switch {
			case err == nil:
				mu.Lock()
				wins++
				mu.Unlock()
			case !errors.Is(err, remote.ErrExists):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d creators won, want 1", wins)
	}
}
