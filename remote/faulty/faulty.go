// Package faulty wraps a [remote.Bucket] and makes chosen calls fail, for
// testing what sits above a bucket: the retry wrapper, push and fetch. A
// fault names a method and which of its calls fail, counted from 1 across
// the bucket's life, and how: before the call reaches the wrapped bucket,
// after it (the change is made and the answer lost), or midway through a
// Get's body or a List.
//
// Faults are deterministic: the same calls in the same order fail the same
// way. Concurrent calls are numbered in the order they enter the wrapper.
package faulty

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/trove-ml/trove/remote"
)

// Op names a Bucket method.
type Op string

// The methods a fault can target.
const (
	List   Op = "list"
	Stat   Op = "stat"
	Get    Op = "get"
	Put    Op = "put"
	Delete Op = "delete"
)

// Mode says how a faulty call fails.
type Mode int

const (
	// Before fails the call without calling the wrapped bucket.
	Before Mode = iota
	// After calls the wrapped bucket, then fails: the change was made but
	// the caller does not know (a lost answer).
	After
	// Midway lets a Get succeed and fails its reader after Fault.Midway
	// bytes, or fails a List after Fault.Midway objects have gone to fn.
	// For the other methods it is After.
	Midway
)

// ErrInjected is the cause of the default fault error, which is transient.
var ErrInjected = errors.New("faulty: injected fault")

// Fault makes calls of one method fail.
type Fault struct {
	Op Op
	// Call is the first call of Op to fail, counting from 1.
	Call int
	// Times is how many consecutive calls fail from Call on: 0 means one,
	// negative means all.
	Times int
	// Mode is how the calls fail.
	Mode Mode
	// Midway is where a Midway fault strikes: bytes of a Get, objects of a
	// List.
	Midway int64
	// Err is the error the calls return. nil means ErrInjected marked
	// transient.
	Err error
}

// Bucket injects faults into the calls of another bucket. It is safe for
// concurrent use.
type Bucket struct {
	inner  remote.Bucket
	faults []Fault

	mu    sync.Mutex
	calls map[Op]int // guarded by mu
}

var _ remote.Bucket = (*Bucket)(nil)

// New returns inner with faults injected. The faults are copied.
func New(inner remote.Bucket, faults ...Fault) *Bucket {
	return &Bucket{inner: inner, faults: append([]Fault(nil), faults...), calls: map[Op]int{}}
}

// Unwrap returns the wrapped bucket.
func (b *Bucket) Unwrap() remote.Bucket { return b.inner }

// Location returns the wrapped bucket's location.
func (b *Bucket) Location() string { return b.inner.Location() }

// Calls returns how many calls of op the bucket has seen.
func (b *Bucket) Calls(op Op) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls[op]
}

// next counts a call of op and returns the fault that applies to it, if any.
func (b *Bucket) next(op Op) (Fault, bool) {
	b.mu.Lock()
	b.calls[op]++
	n := b.calls[op]
	b.mu.Unlock()
	for _, f := range b.faults {
		if f.Op != op || n < f.Call {
			continue
		}
		times := f.Times
		if times == 0 {
			times = 1
		}
		if times < 0 || n < f.Call+times {
			return f, true
		}
	}
	return Fault{}, false
}

func (f Fault) err(op Op, key string) error {
	if f.Err != nil {
		return f.Err
	}
	return remote.Transient(fmt.Errorf("%s %s: %w", op, key, ErrInjected))
}

// Stat fails or passes on the wrapped Stat.
func (b *Bucket) Stat(ctx context.Context, key string) (remote.ObjectInfo, error) {
	f, ok := b.next(Stat)
	if ok && f.Mode == Before {
		return remote.ObjectInfo{}, f.err(Stat, key)
	}
	info, err := b.inner.Stat(ctx, key)
	if ok && err == nil {
		return remote.ObjectInfo{}, f.err(Stat, key)
	}
	return info, err
}

// Get fails or passes on the wrapped Get.
func (b *Bucket) Get(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	f, ok := b.next(Get)
	if ok && f.Mode == Before {
		return nil, f.err(Get, key)
	}
	rc, err := b.inner.Get(ctx, key, off, length)
	switch {
	case !ok || err != nil:
		return rc, err
	case f.Mode == Midway:
		return &brokenReader{rc: rc, left: f.Midway, err: f.err(Get, key)}, nil
	}
	_ = rc.Close()
	return nil, f.err(Get, key)
}

// brokenReader fails after some bytes.
type brokenReader struct {
	rc   io.ReadCloser
	left int64
	err  error
}

func (r *brokenReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, r.err
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.rc.Read(p)
	r.left -= int64(n)
	return n, err
}

func (r *brokenReader) Close() error { return r.rc.Close() }

// Put fails or passes on the wrapped Put.
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader, size int64, opts remote.PutOptions) (remote.ObjectInfo, error) {
	f, ok := b.next(Put)
	if ok && f.Mode == Before {
		return remote.ObjectInfo{}, f.err(Put, key)
	}
	info, err := b.inner.Put(ctx, key, r, size, opts)
	if ok && err == nil {
		return remote.ObjectInfo{}, f.err(Put, key)
	}
	return info, err
}

// Delete fails or passes on the wrapped Delete.
func (b *Bucket) Delete(ctx context.Context, key string, ifMatch string) error {
	f, ok := b.next(Delete)
	if ok && f.Mode == Before {
		return f.err(Delete, key)
	}
	err := b.inner.Delete(ctx, key, ifMatch)
	if ok && err == nil {
		return f.err(Delete, key)
	}
	return err
}

// List fails or passes on the wrapped List.
func (b *Bucket) List(ctx context.Context, prefix string, fn func(remote.ObjectInfo) error) error {
	f, ok := b.next(List)
	if ok && f.Mode == Before {
		return f.err(List, prefix)
	}
	var sent int64
	err := b.inner.List(ctx, prefix, func(oi remote.ObjectInfo) error {
		if ok && f.Mode == Midway && sent >= f.Midway {
			return errMidway
		}
		sent++
		return fn(oi)
	})
	if errors.Is(err, errMidway) || ok && err == nil {
		return f.err(List, prefix)
	}
	return err
}

// errMidway stops a List where a Midway fault strikes.
var errMidway = errors.New("faulty: midway")
