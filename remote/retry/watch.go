package retry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/trove-ml/trove/remote"
)

// ErrStalled is why a watched body failed: it sent nothing for longer
// than its timeout.
var ErrStalled = errors.New("no data from the server")

// Watch returns body failing, transiently, any Read that waits longer
// than timeout for data: a connection can stay open and silent forever,
// and a timeout on the whole request would also cut long downloads. The
// time a caller spends between Reads does not count. cancel must cancel
// the context of the request body belongs to, which makes a blocked Read
// return; Close calls it too. where begins every error ("remote/s3: get KEY").
func Watch(body io.ReadCloser, timeout time.Duration, cancel context.CancelCauseFunc, where string) io.ReadCloser {
	w := &watchdog{body: body, cancel: cancel, timeout: timeout, where: where}
	w.timer = time.AfterFunc(timeout, func() {
		w.stalled.Store(true)
		cancel(ErrStalled)
	})
	w.timer.Stop()
	return w
}

type watchdog struct {
	body    io.ReadCloser
	timer   *time.Timer
	stalled atomic.Bool
	cancel  context.CancelCauseFunc
	timeout time.Duration
	where   string
}

func (w *watchdog) Read(p []byte) (int, error) {
	w.timer.Reset(w.timeout)
	n, err := w.body.Read(p)
	w.timer.Stop()
	switch {
	case err == nil || errors.Is(err, io.EOF):
		return n, err
	case w.stalled.Load():
		return n, remote.Transient(fmt.Errorf("%s: %w for %v", w.where, ErrStalled, w.timeout))
	}
	return n, fmt.Errorf("%s: %w", w.where, err)
}

func (w *watchdog) Close() error {
	w.timer.Stop()
	err := w.body.Close()
	w.cancel(nil)
	return err
}
