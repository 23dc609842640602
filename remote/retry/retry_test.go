package retry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/faulty"
	"github.com/trove-ml/trove/remote/file"
	"github.com/trove-ml/trove/remote/remotetest"
	"github.com/trove-ml/trove/remote/retry"
)

// clock is a fake clock that sleeping advances, and a record of the sleeps.
type clock struct {
	now    time.Time
	sleeps []time.Duration
	events []retry.Event
}

func (c *clock) options() retry.Options {
	return retry.Options{
		MaxAttempts: 5,
		BaseDelay:   100 * time.Millisecond,
		MaxDelay:    time.Second,
		Rand:        func() float64 { return 0.5 },
		Now:         func() time.Time { return c.now },
		Sleep: func(ctx context.Context, d time.Duration) error {
			c.sleeps = append(c.sleeps, d)
			c.now = c.now.Add(d)
			return ctx.Err()
		},
		OnRetry: func(e retry.Event) { c.events = append(c.events, e) },
	}
}

func newFile(t *testing.T) *file.Bucket {
	t.Helper()
	b, err := file.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The wrapper keeps every guarantee of the bucket it wraps.
func TestConformance(t *testing.T) {
	remotetest.Run(t, func(t *testing.T) remote.Bucket {
		return retry.New(newFile(t), retry.Options{})
	})
}

// Transient failures of every method are repeated until they pass, with
// full-jitter exponential backoff.
func TestRetriesTransientFailures(t *testing.T) {
	ctx := context.Background()
	for _, op := range []faulty.Op{faulty.Stat, faulty.Get, faulty.Put, faulty.Delete, faulty.List} {
		t.Run(string(op), func(t *testing.T) {
			inner := newFile(t)
			if _, err := inner.Put(ctx, "k", strings.NewReader("data"), 4, remote.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			fb := faulty.New(inner, faulty.Fault{Op: op, Call: 1, Times: 3})
			c := &clock{}
			b := retry.New(fb, c.options())
			var err error
			switch op {
			case faulty.Stat:
				_, err = b.Stat(ctx, "k")
			case faulty.Get:
				var rc io.ReadCloser
				if rc, err = b.Get(ctx, "k", 0, -1); err == nil {
					rc.Close()
				}
			case faulty.Put:
				_, err = b.Put(ctx, "k", strings.NewReader("new!"), 4, remote.PutOptions{})
			case faulty.Delete:
				err = b.Delete(ctx, "k", "")
			case faulty.List:
				err = b.List(ctx, "", func(remote.ObjectInfo) error { return nil })
			}
			if err != nil {
				t.Fatalf("%s after 3 transient failures: %v", op, err)
			}
			if got := fb.Calls(op); got != 4 {
				t.Errorf("%d calls, want 4", got)
			}
			// Rand is 0.5: half of 100 ms, 200 ms, 400 ms.
			want := []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}
			if !slices.Equal(c.sleeps, want) {
				t.Errorf("sleeps %v, want %v", c.sleeps, want)
			}
			if len(c.events) != 3 || c.events[0].Op != string(op) || c.events[2].Attempt != 3 || !errors.Is(c.events[0].Err, faulty.ErrInjected) {
				t.Errorf("events %+v", c.events)
			}
		})
	}
}

// Answers a repeat cannot change are returned at once.
func TestNeverRetriesPermanentErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		err  error
	}{
		{"permission", fmt.Errorf("403: %w", remote.ErrPermission)},
		{"not found", remote.ErrNotFound},
		{"exists", remote.ErrExists},
		{"precondition", remote.ErrPreconditionFailed},
		{"bad request", errors.New("400 InvalidArgument")},
		{"marked transient but not found", remote.Transient(remote.ErrNotFound)},
		{"cancelled", context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fb := faulty.New(newFile(t), faulty.Fault{Op: faulty.Put, Call: 1, Times: -1, Err: tc.err})
			c := &clock{}
			_, err := retry.New(fb, c.options()).Put(ctx, "k", strings.NewReader("x"), 1, remote.PutOptions{})
			if !errors.Is(err, tc.err) {
				t.Errorf("got %v, want %v", err, tc.err)
			}
			if fb.Calls(faulty.Put) != 1 || len(c.sleeps) != 0 {
				t.Errorf("%d calls and %d sleeps, want 1 and 0", fb.Calls(faulty.Put), len(c.sleeps))
			}
		})
	}
}

// Retries stop after MaxAttempts, and after MaxElapsed, whichever is first.
func TestBounds(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		maxElapsed time.Duration
		wantCalls  int
	}{
		{"attempts", time.Hour, 5},
		// Sleeps of 50, 100, 200 ms: the third would end at 350 ms > 300 ms.
		{"elapsed", 300 * time.Millisecond, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fb := faulty.New(newFile(t), faulty.Fault{Op: faulty.Stat, Call: 1, Times: -1})
			c := &clock{}
			opts := c.options()
			opts.MaxElapsed = tc.maxElapsed
			_, err := retry.New(fb, opts).Stat(ctx, "k")
			if !errors.Is(err, faulty.ErrInjected) || !strings.Contains(err.Error(), "gave up") {
				t.Errorf("got %v, want the last failure, given up", err)
			}
			if got := fb.Calls(faulty.Stat); got != tc.wantCalls {
				t.Errorf("%d calls, want %d", got, tc.wantCalls)
			}
		})
	}
}

// A cancelled context ends the wait for the next attempt.
func TestCancelDuringBackoff(t *testing.T) {
	fb := faulty.New(newFile(t), faulty.Fault{Op: faulty.Stat, Call: 1, Times: -1})
	ctx, cancel := context.WithCancel(context.Background())
	b := retry.New(fb, retry.Options{BaseDelay: time.Hour, MaxDelay: time.Hour, MaxElapsed: 2 * time.Hour, Rand: func() float64 { return 1 }, OnRetry: func(retry.Event) { cancel() }})
	_, err := b.Stat(ctx, "k")
	if !errors.Is(err, context.Canceled) || !errors.Is(err, faulty.ErrInjected) {
		t.Fatalf("got %v, want the cancellation and the failure", err)
	}
}

// The backoff ceiling doubles up to MaxDelay and the jitter spans [0, ceiling).
func TestBackoffShape(t *testing.T) {
	for _, tc := range []struct {
		rand float64
		want []time.Duration
	}{
		{0, []time.Duration{0, 0, 0, 0, 0, 0}},
		{0.999, []time.Duration{99900 * time.Microsecond, 199800 * time.Microsecond, 399600 * time.Microsecond, 799200 * time.Microsecond, 999 * time.Millisecond, 999 * time.Millisecond}},
	} {
		fb := faulty.New(newFile(t), faulty.Fault{Op: faulty.Stat, Call: 1, Times: -1})
		c := &clock{}
		opts := c.options()
		opts.MaxAttempts = 7
		opts.Rand = func() float64 { return tc.rand }
		_, _ = retry.New(fb, opts).Stat(context.Background(), "k")
		if !slices.Equal(c.sleeps, tc.want) {
			t.Errorf("rand %v: sleeps %v, want %v", tc.rand, c.sleeps, tc.want)
		}
	}
}

// A retried Put sends the whole body again, whether it is seekable or not,
// and an unseekable body above BufferLimit gets one attempt.
func TestPutRewindsBody(t *testing.T) {
	ctx := context.Background()
	data := bytes.Repeat([]byte("0123456789"), 1000)
	bodies := map[string]func() io.Reader{
		"seeker":   func() io.Reader { return bytes.NewReader(data) },
		"buffered": func() io.Reader { return io.MultiReader(bytes.NewReader(data)) },
		"seeker at an offset": func() io.Reader {
			r := bytes.NewReader(append([]byte("skip"), data...))
			_, _ = r.Seek(4, io.SeekStart)
			return r
		},
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			// After: the first attempt consumes the body and its answer is lost.
			fb := faulty.New(newFile(t), faulty.Fault{Op: faulty.Put, Call: 1, Times: 2, Mode: faulty.After})
			c := &clock{}
			b := retry.New(fb, c.options())
			info, err := b.Put(ctx, "k", body(), int64(len(data)), remote.PutOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if fb.Calls(faulty.Put) != 3 || info.Size != int64(len(data)) {
				t.Errorf("%d calls, size %d", fb.Calls(faulty.Put), info.Size)
			}
			got := readAll(t, b, "k")
			if !bytes.Equal(got, data) {
				t.Errorf("stored %d bytes, want the %d sent", len(got), len(data))
			}
		})
	}
	t.Run("unseekable above the limit", func(t *testing.T) {
		fb := faulty.New(newFile(t), faulty.Fault{Op: faulty.Put, Call: 1})
		c := &clock{}
		opts := c.options()
		opts.BufferLimit = 100
		_, err := retry.New(fb, opts).Put(ctx, "k", io.MultiReader(bytes.NewReader(data)), int64(len(data)), remote.PutOptions{})
		if !errors.Is(err, faulty.ErrInjected) || fb.Calls(faulty.Put) != 1 {
			t.Errorf("got %v after %d calls, want the failure after 1", err, fb.Calls(faulty.Put))
		}
	})
}

func readAll(t *testing.T, b remote.Bucket, key string) []byte {
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
