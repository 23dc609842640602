package s3_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/trove-ml/trove/internal/s3test"
	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/retry"
)

// events counts the retries a wrapper reports.
type events struct {
	mu  sync.Mutex
	all []retry.Event
}

func (e *events) add(ev retry.Event) {
	e.mu.Lock()
	e.all = append(e.all, ev)
	e.mu.Unlock()
}

func (e *events) list() []retry.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]retry.Event(nil), e.all...)
}

// fastRetries retries quickly: the faults here are injected, not load.
func fastRetries(ev *events) retry.Options {
	return retry.Options{MaxAttempts: 12, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond, OnRetry: ev.add}
}

// With 503s, 500s, resets before and after the server acts, and slow
// answers on a share of requests, every upload, compare-and-swap and read
// through the retry wrapper succeeds, and what lands is exactly what was
// sent.
func TestRetryThroughFaults(t *testing.T) {
	srv := s3srv.Server(t)
	ctx := context.Background()
	obj := s3test.ObjectRequest
	proxy := s3test.NewProxy(t, srv.Endpoint,
		s3test.Rule{Every: 13, Match: obj, Fault: s3test.Respond, Status: 503, Code: "SlowDown"},
		s3test.Rule{Every: 17, Match: obj, Fault: s3test.ResetBefore},
		s3test.Rule{Every: 19, Match: obj, Fault: s3test.ResetAfter},
		s3test.Rule{Every: 23, Match: obj, Fault: s3test.Slow, Delay: 20 * time.Millisecond},
		s3test.Rule{Every: 29, Match: obj, Fault: s3test.Respond, Status: 500, Code: "InternalError"},
	)
	cfg := config(t, srv)
	direct := open(t, cfg)
	cfg.Endpoint = proxy.URL
	var ev events
	b := retry.New(open(t, cfg), fastRetries(&ev))

	want := map[string][]byte{}
	for i := range 30 {
		key := fmt.Sprintf("packs/%02x/%d", i, i)
		want[key] = bytes.Repeat([]byte{byte(i)}, 1000+i)
		if _, err := b.Put(ctx, key, bytes.NewReader(want[key]), int64(len(want[key])), remote.PutOptions{}); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
	for i := range 5 {
		key := fmt.Sprintf("refs/artifacts/a%d", i)
		want[key] = []byte("created " + strconv.Itoa(i))
		if _, err := b.Put(ctx, key, bytes.NewReader(want[key]), int64(len(want[key])), remote.PutOptions{IfAbsent: true}); err != nil {
			t.Fatalf("put if absent %s: %v", key, err)
		}
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), int(cfg.PartSize)/16*2+100)
	want["packs/ff/big"] = big
	if _, err := b.Put(ctx, "packs/ff/big", bytes.NewReader(big), int64(len(big)), remote.PutOptions{IfAbsent: true}); err != nil {
		t.Fatalf("multipart put: %v", err)
	}
	// One writer's compare-and-swap increments: a lost answer must neither
	// fail an increment nor apply it twice.
	const increments = 25
	want["refs/counter"] = []byte(strconv.Itoa(increments))
	if _, err := b.Put(ctx, "refs/counter", strings.NewReader("0"), 1, remote.PutOptions{IfAbsent: true}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= increments; i++ {
		st, err := b.Stat(ctx, "refs/counter")
		if err != nil {
			t.Fatal(err)
		}
		next := strconv.Itoa(i)
		if _, err := b.Put(ctx, "refs/counter", strings.NewReader(next), int64(len(next)), remote.PutOptions{IfMatch: st.ETag}); err != nil {
			t.Fatalf("increment to %d: %v", i, err)
		}
	}

	// Read everything back through the faults, and directly.
	var listed []string
	if err := b.List(ctx, "", func(oi remote.ObjectInfo) error { listed = append(listed, oi.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(listed) != len(want) {
		t.Errorf("listed %d objects, want %d", len(listed), len(want))
	}
	for key, data := range want {
		if got := read(t, b, key); !bytes.Equal(got, data) {
			t.Errorf("%s through the proxy: %d bytes differ from the %d put", key, len(got), len(data))
		}
		if got := read(t, direct, key); !bytes.Equal(got, data) {
			t.Errorf("%s on the server: %d bytes differ from the %d put", key, len(got), len(data))
		}
	}
	for _, f := range []s3test.Fault{s3test.Respond, s3test.ResetBefore, s3test.ResetAfter, s3test.Slow} {
		if proxy.Count(f) == 0 {
			t.Errorf("no request got fault %v: the test proves nothing about it", f)
		}
	}
	if len(ev.list()) == 0 {
		t.Error("no retries were reported")
	}
	t.Logf("%d requests, %d retries", len(proxy.Requests()), len(ev.list()))
}

// Answers a repeat cannot change cost one request each.
func TestPermanentErrorsNotRetried(t *testing.T) {
	srv := s3srv.Server(t)
	ctx := context.Background()
	// The proxy lets a client with a wrong secret past Open's bucket check,
	// so that its object requests meet the server's 403.
	bucketHead := func(r *http.Request) bool { return r.Method == http.MethodHead && !s3test.ObjectRequest(r) }
	proxy := s3test.NewProxy(t, srv.Endpoint, s3test.Rule{Every: 1, Match: bucketHead, Fault: s3test.Respond, Status: 200})
	cfg := config(t, srv)
	cfg.Endpoint = proxy.URL
	var ev events
	b := retry.New(open(t, cfg), fastRetries(&ev))
	first, err := b.Put(ctx, "exists", strings.NewReader("x"), 1, remote.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Credentials = credentials.NewStaticCredentialsProvider(srv.AccessKey, "wrong-secret", "")
	denied := retry.New(open(t, cfg), fastRetries(&ev))
	tests := []struct {
		name string
		do   func() error
		want error
	}{
		{"404 stat", func() error { _, err := b.Stat(ctx, "missing"); return err }, remote.ErrNotFound},
		{"404 get", func() error { _, err := b.Get(ctx, "missing", 0, -1); return err }, remote.ErrNotFound},
		{"412 if absent", func() error {
			_, err := b.Put(ctx, "exists", strings.NewReader("y"), 1, remote.PutOptions{IfAbsent: true})
			return err
		}, remote.ErrExists},
		{"412 if match", func() error {
			_, err := b.Put(ctx, "exists", strings.NewReader("y"), 1, remote.PutOptions{IfMatch: "0" + first.ETag})
			return err
		}, remote.ErrPreconditionFailed},
		{"403 put", func() error {
			_, err := denied.Put(ctx, "other", strings.NewReader("z"), 1, remote.PutOptions{})
			return err
		}, remote.ErrPermission},
		{"403 stat", func() error { _, err := denied.Stat(ctx, "exists"); return err }, remote.ErrPermission},
		{"403 list", func() error {
			return denied.List(ctx, "", func(remote.ObjectInfo) error { return nil })
		}, remote.ErrPermission},
	}
	for _, tc := range tests {
		before := len(proxy.Requests())
		err := tc.do()
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if n := len(proxy.Requests()) - before; n != 1 {
			t.Errorf("%s: %d requests, want 1", tc.name, n)
		}
	}
	if n := len(ev.list()); n != 0 {
		t.Errorf("%d retries of permanent errors", n)
	}
}

// A server that keeps failing is given up on after the attempts run out,
// with the last error.
func TestGivesUp(t *testing.T) {
	srv := s3srv.Server(t)
	proxy := s3test.NewProxy(t, srv.Endpoint, s3test.Rule{Every: 1, Match: s3test.ObjectRequest, Fault: s3test.Respond, Status: 503, Code: "SlowDown"})
	cfg := config(t, srv)
	cfg.Endpoint = proxy.URL
	var ev events
	opts := fastRetries(&ev)
	opts.MaxAttempts = 4
	_, err := retry.New(open(t, cfg), opts).Stat(context.Background(), "k")
	if err == nil || !remote.IsTransient(err) || !strings.Contains(err.Error(), "gave up after 4 attempts") {
		t.Fatalf("got %v", err)
	}
	if n := proxy.Count(s3test.Respond); n != 4 {
		t.Errorf("%d requests failed, want 4", n)
	}
}

// A response that does not come within Config.Timeout, or a body that goes
// silent for as long, fails transiently, and the retry wrapper gets the
// object (the body from where it stopped).
func TestSlowAndStalledResponses(t *testing.T) {
	srv := s3srv.Server(t)
	ctx := context.Background()
	for _, f := range []s3test.Fault{s3test.Slow, s3test.Stall} {
		t.Run(f.String(), func(t *testing.T) {
			var once atomic.Bool
			firstGet := func(r *http.Request) bool {
				return r.Method == http.MethodGet && s3test.ObjectRequest(r) && once.CompareAndSwap(false, true)
			}
			proxy := s3test.NewProxy(t, srv.Endpoint, s3test.Rule{Every: 1, Match: firstGet, Fault: f, Delay: 5 * time.Second})
			cfg := config(t, srv)
			cfg.Endpoint = proxy.URL
			cfg.Timeout = 200 * time.Millisecond
			var ev events
			b := retry.New(open(t, cfg), fastRetries(&ev))
			data := bytes.Repeat([]byte("slow"), 16<<10)
			if _, err := b.Put(ctx, "obj", bytes.NewReader(data), int64(len(data)), remote.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			if got := read(t, b, "obj"); !bytes.Equal(got, data) {
				t.Fatalf("read %d bytes, want the %d put", len(got), len(data))
			}
			evs := ev.list()
			if len(evs) != 1 || !remote.IsTransient(evs[0].Err) {
				t.Fatalf("retries: %+v, want one after a timeout", evs)
			}
			wantOp := map[s3test.Fault]string{s3test.Slow: "get", s3test.Stall: "read"}[f]
			if evs[0].Op != wantOp {
				t.Errorf("retried %q, want %q (%v)", evs[0].Op, wantOp, evs[0].Err)
			}
		})
	}
}
