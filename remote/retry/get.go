package retry

import (
	"bytes"
	"context"
	"errors"
	"io"

	"github.com/trove-ml/trove/remote"
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
	return &resumer{b: b, ctx: ctx, key: key, off: off, length: length, rc: rc}, nil
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

// resumer is a Get's reader that re-opens the range after transient read
// errors. It keeps the Get's context, as the reader of any HTTP body does:
// the reads it makes belong to that call.
type resumer struct {
	b       *Bucket
	ctx     context.Context
	key     string
	off     int64 // of the next byte to return
	length  int64 // bytes still to return; negative: to the end
	rc      io.ReadCloser
	resumes int
	err     error // sticky: a reader that failed stays failed
}

func (r *resumer) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	for {
		n, err := r.rc.Read(p)
		r.off += int64(n)
		if r.length >= 0 {
			r.length -= int64(n)
		}
		if err == nil || errors.Is(err, io.EOF) {
			return n, err
		}
		if r.length == 0 {
			return n, io.EOF // everything asked for has arrived
		}
		if !remote.IsTransient(err) || r.ctx.Err() != nil || r.resumes+1 >= r.b.opts.MaxAttempts {
			r.err = err
			return n, err
		}
		if r.b.opts.OnRetry != nil {
			r.b.opts.OnRetry(Event{Op: "read", Key: r.key, Attempt: r.resumes + 1, Err: err})
		}
		_ = r.rc.Close() // broken already; its error adds nothing
		r.resumes++
		rc, oerr := r.b.open(r.ctx, r.key, r.off, r.length)
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
