package retry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/trove-ml/trove/remote"
)

// Defaults of [Options].
const (
	DefaultMaxAttempts = 10
	DefaultMaxElapsed  = 5 * time.Minute
	DefaultBaseDelay   = 200 * time.Millisecond
	DefaultMaxDelay    = 20 * time.Second
	DefaultBufferLimit = 16 << 20
)

// Options tune the retries. The zero value gives the defaults.
type Options struct {
	// MaxAttempts bounds the attempts of one call, the first included.
	// 0 means 10; 1 turns retries off.
	MaxAttempts int
	// MaxElapsed bounds the time from a call's first attempt after which
	// no further attempt starts. 0 means five minutes.
	MaxElapsed time.Duration
	// BaseDelay and MaxDelay shape the backoff: before attempt n+1 the
	// wrapper sleeps a uniformly random time in [0, min(MaxDelay,
	// BaseDelay·2ⁿ⁻¹)) ("full jitter", so clients that failed together do
	// not retry together). 0 means 200 ms and 20 s.
	BaseDelay, MaxDelay time.Duration
	// BufferLimit is the largest Put body that is copied into memory so it
	// can be sent again when it is not an io.Seeker. A larger unseekable
	// body gets one attempt. 0 means 16 MiB; negative means never buffer.
	BufferLimit int64
	// Sleep waits d or until ctx is done, returning ctx's error then.
	// nil means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a uniform random number in [0, 1). nil means
	// math/rand/v2's Float64.
	Rand func() float64
	// Now returns the current time, for MaxElapsed. nil means time.Now.
	Now func() time.Time
	// OnRetry, if not nil, is told about every retry before its sleep,
	// on the goroutine that made the call (for logs and progress).
	OnRetry func(Event)
}

// Event describes a failed attempt that will be repeated.
type Event struct {
	Op      string        // "list", "stat", "get", "read", "put" or "delete"
	Key     string        // the key, or the prefix for list
	Attempt int           // the attempt that failed, from 1
	Delay   time.Duration // the sleep before the next attempt
	Err     error         // the attempt's error
}

// Bucket repeats the transient failures of another [remote.Bucket]. It is
// safe for concurrent use.
type Bucket struct {
	inner remote.Bucket
	opts  Options
}

var _ remote.Bucket = (*Bucket)(nil)

// New returns inner wrapped with retries tuned by opts.
func New(inner remote.Bucket, opts Options) *Bucket {
	return &Bucket{inner: inner, opts: opts.WithDefaults()}
}

// WithDefaults returns o with the default in place of every field left
// zero (or, for the counts and durations, negative).
func (o Options) WithDefaults() Options {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.MaxElapsed <= 0 {
		o.MaxElapsed = DefaultMaxElapsed
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = DefaultBaseDelay
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = DefaultMaxDelay
	}
	if o.BufferLimit == 0 {
		o.BufferLimit = DefaultBufferLimit
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Unwrap returns the wrapped bucket.
func (b *Bucket) Unwrap() remote.Bucket { return b.inner }

// Location returns the wrapped bucket's location.
func (b *Bucket) Location() string { return b.inner.Location() }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// delay returns the full-jitter backoff after the given failed attempt.
func (o *Options) delay(attempt int) time.Duration {
	ceiling := o.MaxDelay
	if shift := attempt - 1; shift < 62 && o.BaseDelay<<shift > 0 && o.BaseDelay<<shift < ceiling {
		ceiling = o.BaseDelay << shift
	}
	return time.Duration(o.Rand() * float64(ceiling))
}

// Do calls attempt (with the attempt's number, from 1) until it succeeds,
// fails with an error transient rejects, or ctx is done, or until
// opts.MaxAttempts attempts or opts.MaxElapsed have passed, sleeping a
// full-jitter backoff between attempts. op and key name the call in the
// Events opts.OnRetry sees and in the error of a call given up on, which
// wraps the last attempt's; any other error is attempt's, unchanged.
//
// Do is the retry loop of [Bucket], for clients that are not buckets (the
// references of package reference, which speak to S3, GCS and HTTP
// servers). transient decides what is worth repeating: [remote.IsTransient]
// for bucket errors; a client with errors of its own classifies them the
// same way, and never accepts an answer that a repeat cannot change (4xx
// but 429, and the timeouts GCS and S3 send as 408 and 400
// RequestTimeout). Zero fields of opts take their defaults.
func Do(ctx context.Context, opts Options, op, key string, transient func(error) bool, attempt func(n int) error) error {
	opts = opts.WithDefaults()
	start := opts.Now()
	for n := 1; ; n++ {
		err := attempt(n)
		if err == nil || !transient(err) || ctx.Err() != nil {
			return err
		}
		if n >= opts.MaxAttempts {
			return fmt.Errorf("remote/retry: %s %s: gave up after %d attempts: %w", op, key, n, err)
		}
		d := opts.delay(n)
		if elapsed := opts.Now().Sub(start); elapsed+d > opts.MaxElapsed {
			return fmt.Errorf("remote/retry: %s %s: gave up after %d attempts in %v: %w", op, key, n, elapsed.Round(time.Millisecond), err)
		}
		if opts.OnRetry != nil {
			opts.OnRetry(Event{Op: op, Key: key, Attempt: n, Delay: d, Err: err})
		}
		if serr := opts.Sleep(ctx, d); serr != nil {
			return fmt.Errorf("remote/retry: %s %s: %w while waiting to retry: %w", op, key, serr, err)
		}
	}
}

// callbackError carries an error of a caller's List callback through the
// retry loop, which must hand it back unchanged and never repeat it.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }

// transient is what a Bucket repeats: what remote.IsTransient accepts,
// except a List callback's errors.
func transient(err error) bool {
	var cb *callbackError
	return !errors.As(err, &cb) && remote.IsTransient(err)
}

// do runs attempt with Do and the bucket's options.
func (b *Bucket) do(ctx context.Context, op, key string, attempt func(n int) error) error {
	return Do(ctx, b.opts, op, key, transient, attempt)
}

// Stat repeats the wrapped Stat.
func (b *Bucket) Stat(ctx context.Context, key string) (remote.ObjectInfo, error) {
	var info remote.ObjectInfo
	err := b.do(ctx, "stat", key, func(int) error {
		var err error
		info, err = b.inner.Stat(ctx, key)
		return err
	})
	return info, err
}

// Delete repeats the wrapped Delete. A conditional delete whose first
// attempt went through unseen succeeds on the retry (the object is missing,
// which is no error) unless someone has recreated the key meanwhile: then it
// fails with [remote.ErrPreconditionFailed], and the caller re-reads.
func (b *Bucket) Delete(ctx context.Context, key string, ifMatch string) error {
	return b.do(ctx, "delete", key, func(int) error { return b.inner.Delete(ctx, key, ifMatch) })
}

// List repeats the wrapped List. A retry lists again from the start and
// skips the keys already passed to fn (keys come in lexical order), so fn
// still sees each object once. fn's errors are returned unchanged and never
// retried.
func (b *Bucket) List(ctx context.Context, prefix string, fn func(remote.ObjectInfo) error) error {
	var (
		last string
		seen bool
	)
	err := b.do(ctx, "list", prefix, func(int) error {
		return b.inner.List(ctx, prefix, func(oi remote.ObjectInfo) error {
			if seen && oi.Key <= last {
				return nil // delivered by an earlier attempt
			}
			if err := fn(oi); err != nil {
				return &callbackError{err: err}
			}
			last, seen = oi.Key, true
			return nil
		})
	})
	var cb *callbackError
	if errors.As(err, &cb) {
		return cb.err
	}
	return err
}

// Put repeats the wrapped Put, sending the body again from its start: an
// io.Seeker is sought back; another body of up to [Options.BufferLimit]
// bytes is read into memory first; a larger one gets a single attempt.
//
// A conditional put whose attempt failed transiently may have been applied
// all the same (the answer was lost), and its retry then fails: IfAbsent
// with ErrExists, IfMatch with ErrPreconditionFailed. In that case Put reads
// the object back and, if it holds exactly this body, reports success.
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader, size int64, opts remote.PutOptions) (remote.ObjectInfo, error) {
	if err := remote.CheckPut(key, size, opts); err != nil {
		return remote.ObjectInfo{}, err
	}
	body, start, err := b.rewindable(r, size)
	if err != nil {
		return remote.ObjectInfo{}, fmt.Errorf("remote/retry: put %s: read body: %w", key, err)
	}
	if body == nil {
		return b.inner.Put(ctx, key, r, size, opts)
	}
	var (
		info      remote.ObjectInfo
		ambiguous bool // an earlier attempt may have been applied
	)
	err = b.do(ctx, "put", key, func(n int) error {
		if n > 1 {
			if _, err := body.Seek(start, io.SeekStart); err != nil {
				return fmt.Errorf("remote/retry: put %s: rewind body: %w", key, err)
			}
		}
		var err error
		info, err = b.inner.Put(ctx, key, body, size, opts)
		switch {
		case err == nil:
		case remote.IsTransient(err):
			ambiguous = true
		case ambiguous && (opts.IfAbsent && errors.Is(err, remote.ErrExists) ||
			opts.IfMatch != "" && errors.Is(err, remote.ErrPreconditionFailed)):
			if got, ok := b.landed(ctx, key, body, start, size); ok {
				info = got
				return nil
			}
		}
		return err
	})
	return info, err
}

// rewindable returns a body Put can rewind to start, or nil if it cannot.
func (b *Bucket) rewindable(r io.Reader, size int64) (io.ReadSeeker, int64, error) {
	if rs, ok := r.(io.ReadSeeker); ok {
		if start, err := rs.Seek(0, io.SeekCurrent); err == nil {
			return rs, start, nil
		}
	}
	if size > b.opts.BufferLimit {
		return nil, 0, nil
	}
	buf := make([]byte, size)
	n, err := io.ReadFull(r, buf)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, 0, err
	}
	// A short body goes on as it is: the backend refuses it.
	return bytes.NewReader(buf[:n]), 0, nil
}

// landed reports whether the object under key holds exactly the size bytes
// of body from start, and returns its info if so.
func (b *Bucket) landed(ctx context.Context, key string, body io.ReadSeeker, start, size int64) (remote.ObjectInfo, bool) {
	info, err := b.Stat(ctx, key)
	if err != nil || info.Size != size {
		return remote.ObjectInfo{}, false
	}
	if _, err := body.Seek(start, io.SeekStart); err != nil {
		return remote.ObjectInfo{}, false
	}
	rc, err := b.Get(ctx, key, 0, -1)
	if err != nil {
		return remote.ObjectInfo{}, false
	}
	defer rc.Close()
	same, err := equalReaders(rc, io.LimitReader(body, size))
	if err != nil || !same {
		return remote.ObjectInfo{}, false
	}
	return info, true
}

// equalReaders compares two streams.
func equalReaders(a, b io.Reader) (bool, error) {
	const chunk = 64 << 10
	bufA, bufB := make([]byte, chunk), make([]byte, chunk)
	for {
		na, errA := io.ReadFull(a, bufA)
		nb, errB := io.ReadFull(b, bufB)
		if !bytes.Equal(bufA[:na], bufB[:nb]) {
			return false, nil
		}
		endA := errors.Is(errA, io.EOF) || errors.Is(errA, io.ErrUnexpectedEOF)
		endB := errors.Is(errB, io.EOF) || errors.Is(errB, io.ErrUnexpectedEOF)
		switch {
		case errA != nil && !endA:
			return false, errA
		case errB != nil && !endB:
			return false, errB
		case endA || endB:
			return endA && endB, nil
		}
	}
}
