package faulty_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/faulty"
	"github.com/trove-ml/trove/remote/file"
)

func newBucket(t *testing.T, faults ...faulty.Fault) (*faulty.Bucket, *file.Bucket) {
	t.Helper()
	inner, err := file.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return faulty.New(inner, faults...), inner
}

// Faults hit the calls they name, counted per method, and no others.
func TestWhichCallsFail(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		fault faulty.Fault
		want  string // per call of Stat: x fails, . passes
	}{
		{faulty.Fault{Op: faulty.Stat, Call: 2}, ".x...."},
		{faulty.Fault{Op: faulty.Stat, Call: 2, Times: 3}, ".xxx.."},
		{faulty.Fault{Op: faulty.Stat, Call: 4, Times: -1}, "...xxx"},
		{faulty.Fault{Op: faulty.Put, Call: 1, Times: -1}, "......"},
	}
	for _, tc := range tests {
		b, inner := newBucket(t, tc.fault)
		if _, err := inner.Put(ctx, "k", strings.NewReader("v"), 1, remote.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		var got strings.Builder
		for range len(tc.want) {
			_, err := b.Stat(ctx, "k")
			switch {
			case err == nil:
				got.WriteByte('.')
			case errors.Is(err, faulty.ErrInjected) && remote.IsTransient(err):
				got.WriteByte('x')
			default:
				t.Fatalf("unexpected error %v", err)
			}
		}
		if got.String() != tc.want || b.Calls(faulty.Stat) != len(tc.want) {
			t.Errorf("%+v: calls went %s, want %s", tc.fault, got.String(), tc.want)
		}
	}
}

// Before fails without touching the bucket; After makes the change and
// loses the answer; a custom error is returned as it is.
func TestModes(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("boom")
	for _, tc := range []struct {
		mode    faulty.Mode
		applied bool
	}{{faulty.Before, false}, {faulty.After, true}} {
		b, inner := newBucket(t, faulty.Fault{Op: faulty.Put, Call: 1, Mode: tc.mode, Err: boom})
		_, err := b.Put(ctx, "k", strings.NewReader("v"), 1, remote.PutOptions{})
		if err != boom { //nolint:errorlint // returned as it is
			t.Errorf("mode %v: %v, want boom", tc.mode, err)
		}
		_, err = inner.Stat(ctx, "k")
		if applied := err == nil; applied != tc.applied {
			t.Errorf("mode %v: applied=%v, want %v", tc.mode, applied, tc.applied)
		}
	}
}

// Midway breaks a Get's body after some bytes and a List after some objects.
func TestMidway(t *testing.T) {
	ctx := context.Background()
	b, inner := newBucket(t,
		faulty.Fault{Op: faulty.Get, Call: 1, Mode: faulty.Midway, Midway: 3},
		faulty.Fault{Op: faulty.List, Call: 1, Mode: faulty.Midway, Midway: 2})
	for _, k := range []string{"a", "b", "c"} {
		if _, err := inner.Put(ctx, k, strings.NewReader("0123456789"), 10, remote.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	rc, err := b.Get(ctx, "a", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if string(got) != "012" || !errors.Is(err, faulty.ErrInjected) {
		t.Errorf("get: %q, %v; want 3 bytes and the fault", got, err)
	}
	var keys []string
	err = b.List(ctx, "", func(oi remote.ObjectInfo) error { keys = append(keys, oi.Key); return nil })
	if strings.Join(keys, ",") != "a,b" || !errors.Is(err, faulty.ErrInjected) {
		t.Errorf("list: %q, %v; want a,b and the fault", keys, err)
	}
	// The faults are spent.
	if err := b.List(ctx, "", func(remote.ObjectInfo) error { return nil }); err != nil {
		t.Error(err)
	}
}
