// Package leaselock gives conditional writes to a bucket whose server
// ignores them, with lock objects and leases.
//
// trove moves refs only by compare-and-swap. On a server that does not
// honour If-None-Match and If-Match, trove refuses to share refs unless the
// remote is configured with this fallback (trove remote add --lock-fallback).
// Then every conditional Put and Delete runs inside a lock:
//
//  1. Write a lock object locks/<time>-<nonce> (plain put; the key is
//     unique), holding its expiry.
//  2. After a settle delay, list locks/. Locks whose lease ran out are
//     ignored (and removed). If ours has the smallest key of those left, we
//     hold the lock; otherwise remove ours, back off, and start again.
//  3. Check the condition with Stat, write without conditions, release.
//
// Safety rests on three assumptions, stated so they can be checked: the
// store lists what was written before (read-after-write, as S3 has since
// 2020); clients' clocks agree to well within the lease; and the critical
// section (a stat and a small put) ends well within the lease — it is
// abandoned with an error past half of it. A client that dies holding the
// lock delays others by at most the lease. This is a guard that makes a
// team's concurrent pushes safe on such servers, not a substitute for
// conditional writes; prefer a server that has them.
package leaselock

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/trove-ml/trove/remote"
)

// Prefix holds the lock objects.
const Prefix = "locks/"

// Options tune the locking. The zero value is the default.
type Options struct {
	// Lease is how long a lock is valid. The default is 30 s.
	Lease time.Duration
	// Settle is how long a client waits after writing its lock before
	// listing: time for a lock written at the same moment by another
	// client to become visible. The default is 100 ms.
	Settle time.Duration
	// Now and Sleep are the clock; nil means the real one.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Bucket wraps a bucket whose conditional writes are not to be trusted.
type Bucket struct {
	inner remote.Bucket
	o     Options
}

var _ remote.Bucket = (*Bucket)(nil)

// New returns inner with conditional writes done under lock objects.
func New(inner remote.Bucket, o Options) *Bucket {
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.Settle <= 0 {
		o.Settle = 100 * time.Millisecond
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return &Bucket{inner: inner, o: o}
}

// Unwrap returns the wrapped bucket.
func (b *Bucket) Unwrap() remote.Bucket { return b.inner }

// Location implements remote.Bucket.
func (b *Bucket) Location() string { return b.inner.Location() }

// List implements remote.Bucket.
func (b *Bucket) List(ctx context.Context, prefix string, fn func(remote.ObjectInfo) error) error {
	return b.inner.List(ctx, prefix, fn)
}

// Stat implements remote.Bucket.
func (b *Bucket) Stat(ctx context.Context, key string) (remote.ObjectInfo, error) {
	return b.inner.Stat(ctx, key)
}

// Get implements remote.Bucket.
func (b *Bucket) Get(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	return b.inner.Get(ctx, key, off, length)
}

// Put implements remote.Bucket; conditions are checked under the lock.
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader, size int64, opts remote.PutOptions) (info remote.ObjectInfo, err error) {
	if !opts.IfAbsent && opts.IfMatch == "" {
		return b.inner.Put(ctx, key, r, size, opts)
	}
	if err := remote.CheckPut(key, size, opts); err != nil {
		return info, err
	}
	err = b.locked(ctx, func(ctx context.Context) error {
		cur, err := b.inner.Stat(ctx, key)
		switch {
		case errors.Is(err, remote.ErrNotFound):
			if opts.IfMatch != "" {
				return fmt.Errorf("put %s: %w (it does not exist)", key, remote.ErrPreconditionFailed)
			}
		case err != nil:
			return err
		case opts.IfAbsent:
			return fmt.Errorf("put %s: %w", key, remote.ErrExists)
		case cur.ETag != opts.IfMatch:
			return fmt.Errorf("put %s: %w", key, remote.ErrPreconditionFailed)
		}
		plain := opts
		plain.IfAbsent, plain.IfMatch = false, ""
		info, err = b.inner.Put(ctx, key, r, size, plain)
		return err
	})
	return info, err
}

// Delete implements remote.Bucket; a conditional delete runs under the lock.
func (b *Bucket) Delete(ctx context.Context, key, ifMatch string) error {
	if ifMatch == "" {
		return b.inner.Delete(ctx, key, "")
	}
	return b.locked(ctx, func(ctx context.Context) error {
		cur, err := b.inner.Stat(ctx, key)
		if errors.Is(err, remote.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if cur.ETag != ifMatch {
			return fmt.Errorf("delete %s: %w", key, remote.ErrPreconditionFailed)
		}
		return b.inner.Delete(ctx, key, "")
	})
}

// ErrLeaseLost means the critical section outlasted half the lease, so
// another client may have taken the lock; the write may or may not have
// happened, and the caller must re-read before trying again.
var ErrLeaseLost = errors.New("leaselock: lock held past half its lease")

// locked runs fn holding the bucket's lock.
func (b *Bucket) locked(ctx context.Context, fn func(context.Context) error) error {
	release, deadline, err := b.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	err = fn(ctx)
	if errors.Is(err, context.DeadlineExceeded) || b.o.Now().After(deadline) {
		return fmt.Errorf("%w (%v)", ErrLeaseLost, err)
	}
	return err
}

// lockKey is locks/<unix nanos, 20 digits>-<nonce>: keys sort by time.
func (b *Bucket) lockKey(now time.Time) (string, error) {
	var nonce [8]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s%020d-%s", Prefix, now.UnixNano(), hex.EncodeToString(nonce[:])), nil
}

// lockTime returns when a lock key was made.
func lockTime(key string) (time.Time, bool) {
	s := strings.TrimPrefix(key, Prefix)
	ts, _, ok := strings.Cut(s, "-")
	if !ok {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, n), true
}

func (b *Bucket) acquire(ctx context.Context) (release func(), deadline time.Time, err error) {
	for attempt := 0; ; attempt++ {
		now := b.o.Now()
		key, err := b.lockKey(now)
		if err != nil {
			return nil, deadline, err
		}
		body := []byte(fmt.Sprintf(`{"expires":%q}`+"\n", now.Add(b.o.Lease).UTC().Format(time.RFC3339Nano)))
		if _, err := b.inner.Put(ctx, key, bytes.NewReader(body), int64(len(body)), remote.PutOptions{ContentType: "application/json"}); err != nil {
			return nil, deadline, fmt.Errorf("leaselock: write lock: %w", err)
		}
		drop := func() { _ = b.inner.Delete(context.WithoutCancel(ctx), key, "") } // a leftover expires with its lease
		if err := b.o.Sleep(ctx, b.o.Settle); err != nil {
			drop()
			return nil, deadline, err
		}
		first := ""
		err = b.inner.List(ctx, Prefix, func(oi remote.ObjectInfo) error {
			t, ok := lockTime(oi.Key)
			if !ok {
				return nil
			}
			if b.o.Now().Sub(t) > b.o.Lease {
				_ = b.inner.Delete(ctx, oi.Key, "") // expired: its holder is gone
				return nil
			}
			if first == "" {
				first = oi.Key // keys list in order: the oldest live lock
			}
			return nil
		})
		if err != nil {
			drop()
			return nil, deadline, fmt.Errorf("leaselock: list locks: %w", err)
		}
		if first == key {
			return drop, now.Add(b.o.Lease / 2), nil
		}
		drop()
		// Someone else holds it: back off with jitter and try again.
		d := min(b.o.Settle<<min(attempt, 6), 5*time.Second)
		if err := b.o.Sleep(ctx, d/2+mrand.N(d/2+1)); err != nil {
			return nil, deadline, err
		}
	}
}
