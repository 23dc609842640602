package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/trove-ml/trove/remote"
)

// errStalled cancels a GET whose body went silent.
var errStalled = errors.New("no data from the server")

// watchdog is the body of a GET that fails, transiently, when one Read waits
// longer than the timeout for data: a connection can stay open and silent
// forever, and the SDK's own read timeout would also cut long uploads. The
// time a caller spends between Reads does not count.
type watchdog struct {
	body    io.ReadCloser
	timer   *time.Timer
	stalled atomic.Bool
	cancel  context.CancelCauseFunc // of the request's context
	timeout time.Duration
	where   string
}

func newWatchdog(body io.ReadCloser, timeout time.Duration, cancel context.CancelCauseFunc, where string) *watchdog {
	w := &watchdog{body: body, cancel: cancel, timeout: timeout, where: where}
	w.timer = time.AfterFunc(timeout, func() {
		w.stalled.Store(true)
		cancel(errStalled) // makes the blocked Read return
	})
	w.timer.Stop()
	return w
}

func (w *watchdog) Read(p []byte) (int, error) {
	w.timer.Reset(w.timeout)
	n, err := w.body.Read(p)
	w.timer.Stop()
	switch {
	case err == nil || errors.Is(err, io.EOF):
		return n, err
	case w.stalled.Load():
		return n, remote.Transient(fmt.Errorf("remote/s3: get %s: %w for %v", w.where, errStalled, w.timeout))
	}
	return n, fmt.Errorf("remote/s3: get %s: %w", w.where, err)
}

func (w *watchdog) Close() error {
	w.timer.Stop()
	err := w.body.Close()
	w.cancel(nil)
	return err
}
