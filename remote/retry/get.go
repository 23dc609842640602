package retry

import (
	"bytes"
	"context"
	"errors"
	"io"
)

// Get repeats the wrapped Get, and the reader it returns resumes: when a
// Read fails transiently (a connection reset in the middle of a pack), it
// asks for the rest of the range again, from the first byte not yet
// returned, with the same backoff and at most [Options.MaxAttempts]
// re-opens over the reader's life.
//
// Resuming assumes the object did not change in between, which holds for
// everything in a remote but refs (immutable, content-addressed). A ref is
// small and read in one piece, and a mixed read would fail to parse or,
// read for a compare-and-swap, be caught by the ETag from the Stat before.
func (b *Bucket) Get(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	rc, err := b.open(ctx, key, off, length)
	if err != nil {
		return nil, err
	}
	return NewReader(ctx, b.opts, key, transient, rc, length, func(ctx context.Context, done int64) (io.ReadCloser, error) {
		rest := int64(-1)
		if length >= 0 {
			rest = length - done
		}
		return b.inner.Get(ctx, key, off+done, rest)
	}), nil
}

func (b *Bucket) open(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	var rc io.ReadCloser
	err := b.do(ctx, "get", key, func(int) error {
		var err error
		rc, err = b.inner.Get(ctx, key, off, length)
		return err
	})
	return rc, err
}

// NewReader returns a reader of a download, first, that resumes after
// transient failures: when a Read fails with an error transient accepts,
// it closes the broken body and asks reopen for the rest, from byte done
// (the count of bytes returned so far), repeated as [Do] repeats a call
// (Op "get"), at most opts.MaxAttempts-1 times over the reader's life.
// Each resume is reported to opts.OnRetry as an Event with Op "read".
// size is the number of bytes the download holds, or negative if unknown:
// a failure once size bytes have arrived ends the read with io.EOF.
//
// reopen must return the bytes from done on of the same object, or fail:
// only where the object cannot change (a content-addressed key, a pinned
// object version) or where reopen notices that it did (a condition on
// the request, a check of the answer) is a resumed download the object's.
// The reader keeps ctx, as the reader of any HTTP body does: its reads
// belong to the call that opened the download. It closes the current
// body when closed; a reader that failed stays failed.
func NewReader(ctx context.Context, opts Options, key string, transient func(error) bool, first io.ReadCloser, size int64,
	reopen func(ctx context.Context, done int64) (io.ReadCloser, error)) io.ReadCloser {
	return &resumer{opts: opts.WithDefaults(), ctx: ctx, key: key, transient: transient, reopen: reopen, size: size, rc: first}
}

// resumer is the reader NewReader returns.
type resumer struct {
	opts      Options
	ctx       context.Context
	key       string
	transient func(error) bool
	reopen    func(ctx context.Context, done int64) (io.ReadCloser, error)
	size      int64 // negative: unknown
	done      int64 // bytes returned so far
	rc        io.ReadCloser
	resumes   int
	err       error // sticky: a reader that failed stays failed
}

func (r *resumer) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	for {
		n, err := r.rc.Read(p)
		r.done += int64(n)
		if err == nil || errors.Is(err, io.EOF) {
			return n, err
		}
		if r.size >= 0 && r.done >= r.size {
			return n, io.EOF // everything asked for has arrived
		}
		if !r.transient(err) || r.ctx.Err() != nil || r.resumes+1 >= r.opts.MaxAttempts {
			r.err = err
			return n, err
		}
		if r.opts.OnRetry != nil {
			r.opts.OnRetry(Event{Op: "read", Key: r.key, Attempt: r.resumes + 1, Err: err})
		}
		_ = r.rc.Close() // broken already; its error adds nothing
		r.resumes++
		var rc io.ReadCloser
		oerr := Do(r.ctx, r.opts, "get", r.key, r.transient, func(int) error {
			var err error
			rc, err = r.reopen(r.ctx, r.done)
			return err
		})
		if oerr != nil {
			r.err = oerr
			r.rc = io.NopCloser(bytes.NewReader(nil))
			return n, oerr
		}
		r.rc = rc
		if n > 0 {
			return n, nil
		}
	}
}

func (r *resumer) Close() error {
	return r.rc.Close()
}
