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

	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/faulty"
	"github.com/trove-ml/trove/remote/retry"
)

// A conditional put whose answer was lost is recognised on the retry by its
// bytes: the caller learns that it won.
func TestConditionalPutLostAnswer(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"IfAbsent", "IfMatch"} {
		t.Run(name, func(t *testing.T) {
			inner := newFile(t)
			var opts remote.PutOptions
			if name == "IfAbsent" {
				opts.IfAbsent = true
			} else {
				old, err := inner.Put(ctx, "ref", strings.NewReader("old"), 3, remote.PutOptions{})
				if err != nil {
					t.Fatal(err)
				}
				opts.IfMatch = old.ETag
			}
			fb := faulty.New(inner, faulty.Fault{Op: faulty.Put, Call: 1, Mode: faulty.After})
			c := &clock{}
			b := retry.New(fb, c.options())
			info, err := b.Put(ctx, "ref", strings.NewReader("mine"), 4, opts)
			if err != nil {
				t.Fatalf("put whose first answer was lost: %v", err)
			}
			st, err := inner.Stat(ctx, "ref")
			if err != nil || st.ETag != info.ETag {
				t.Errorf("returned ETag %s, stored %s (%v)", info.ETag, st.ETag, err)
			}
		})
	}
}

// When the object holds someone else's bytes, the refusal stands.
func TestConditionalPutLostToAnother(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"IfAbsent", "IfMatch"} {
		t.Run(name, func(t *testing.T) {
			inner := newFile(t)
			var opts remote.PutOptions
			want := remote.ErrExists
			if name == "IfAbsent" {
				opts.IfAbsent = true
			} else {
				old, err := inner.Put(ctx, "ref", strings.NewReader("old"), 3, remote.PutOptions{})
				if err != nil {
					t.Fatal(err)
				}
				opts.IfMatch = old.ETag
				want = remote.ErrPreconditionFailed
			}
			// The first attempt fails before it is applied; while the wrapper
			// waits, another writer gets in with bytes of the same size.
			fb := faulty.New(inner, faulty.Fault{Op: faulty.Put, Call: 1})
			c := &clock{}
			o := c.options()
			o.OnRetry = func(retry.Event) {
				if _, err := inner.Put(ctx, "ref", strings.NewReader("them"), 4, remote.PutOptions{}); err != nil {
					t.Error(err)
				}
			}
			_, err := retry.New(fb, o).Put(ctx, "ref", strings.NewReader("mine"), 4, opts)
			if !errors.Is(err, want) {
				t.Fatalf("got %v, want %v", err, want)
			}
			if got := readAll(t, inner, "ref"); string(got) != "them" {
				t.Errorf("object holds %q", got)
			}
		})
	}
}

// A List that fails midway is listed again, and fn still sees every object
// once, in order.
func TestListResumes(t *testing.T) {
	ctx := context.Background()
	inner := newFile(t)
	var want []string
	for i := range 10 {
		k := fmt.Sprintf("k/%02d", i)
		want = append(want, k)
		if _, err := inner.Put(ctx, k, strings.NewReader("x"), 1, remote.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	fb := faulty.New(inner,
		faulty.Fault{Op: faulty.List, Call: 1, Mode: faulty.Midway, Midway: 3},
		faulty.Fault{Op: faulty.List, Call: 2, Mode: faulty.Midway, Midway: 7})
	c := &clock{}
	var got []string
	err := retry.New(fb, c.options()).List(ctx, "k/", func(oi remote.ObjectInfo) error {
		got = append(got, oi.Key)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("fn saw %q, want %q", got, want)
	}
	if fb.Calls(faulty.List) != 3 {
		t.Errorf("%d lists, want 3", fb.Calls(faulty.List))
	}
}

// fn's errors come back unchanged and are never retried, even when they
// look transient.
func TestListCallbackErrorNotRetried(t *testing.T) {
	ctx := context.Background()
	inner := newFile(t)
	if _, err := inner.Put(ctx, "k", strings.NewReader("x"), 1, remote.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	fb := faulty.New(inner)
	c := &clock{}
	mine := remote.Transient(errors.New("my own network trouble"))
	err := retry.New(fb, c.options()).List(ctx, "", func(remote.ObjectInfo) error { return mine })
	if err != mine { //nolint:errorlint // the contract is "unchanged"
		t.Errorf("got %v, want fn's error unchanged", err)
	}
	if fb.Calls(faulty.List) != 1 {
		t.Errorf("%d lists, want 1", fb.Calls(faulty.List))
	}
}

// A Get's reader resumes after transient read errors from the first byte it
// has not returned, for whole objects and for ranges.
func TestGetResumes(t *testing.T) {
	ctx := context.Background()
	data := make([]byte, 100000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	inner := newFile(t)
	if _, err := inner.Put(ctx, "pack", bytes.NewReader(data), int64(len(data)), remote.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		off, length int64
	}{
		{0, -1},
		{12345, 50000},
		{99000, -1},
	}
	for _, tc := range tests {
		fb := faulty.New(inner,
			faulty.Fault{Op: faulty.Get, Call: 1, Mode: faulty.Midway, Midway: 100},
			faulty.Fault{Op: faulty.Get, Call: 2, Mode: faulty.Midway, Midway: 500})
		c := &clock{}
		b := retry.New(fb, c.options())
		rc, err := b.Get(ctx, "pack", tc.off, tc.length)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("range %d+%d: %v", tc.off, tc.length, err)
		}
		end := int64(len(data))
		if tc.length >= 0 {
			end = tc.off + tc.length
		}
		if !bytes.Equal(got, data[tc.off:end]) {
			t.Errorf("range %d+%d: %d bytes differ from the %d stored", tc.off, tc.length, len(got), end-tc.off)
		}
		if fb.Calls(faulty.Get) != 3 {
			t.Errorf("range %d+%d: %d gets, want 3", tc.off, tc.length, fb.Calls(faulty.Get))
		}
	}
}

// A permanent read error ends the reader, and it stays failed.
func TestGetPermanentReadError(t *testing.T) {
	ctx := context.Background()
	inner := newFile(t)
	if _, err := inner.Put(ctx, "pack", strings.NewReader("0123456789"), 10, remote.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("bad sector")
	fb := faulty.New(inner, faulty.Fault{Op: faulty.Get, Call: 1, Mode: faulty.Midway, Midway: 4, Err: boom})
	c := &clock{}
	rc, err := retry.New(fb, c.options()).Get(ctx, "pack", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if !errors.Is(err, boom) || string(got) != "0123" {
		t.Fatalf("read %q, %v; want %q and the error", got, err, "0123")
	}
	if _, err := rc.Read(make([]byte, 1)); !errors.Is(err, boom) {
		t.Errorf("read after failure: %v", err)
	}
	if fb.Calls(faulty.Get) != 1 {
		t.Errorf("%d gets, want 1", fb.Calls(faulty.Get))
	}
}

// remote.As finds the bucket under the wrappers.
func TestUnwrap(t *testing.T) {
	inner := newFile(t)
	b := retry.New(faulty.New(inner), retry.Options{})
	if b.Unwrap() == nil || b.Location() != inner.Location() {
		t.Fatal("Unwrap or Location lost the wrapped bucket")
	}
	fb, ok := remote.As[*faulty.Bucket](b)
	if !ok || fb.Unwrap() != remote.Bucket(inner) {
		t.Fatal("remote.As did not find the faulty bucket")
	}
	if _, ok := remote.As[*retry.Bucket](inner); ok {
		t.Fatal("remote.As found a wrapper that is not there")
	}
}
