package web

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/trove-ml/trove/repo"
)

// ErrClosed means the server was closed.
var ErrClosed = errors.New("web: server closed")

// OpenFunc opens the repository for the requests being served. The server
// closes what it returns. It should give up after a short wait for the
// repository lock (an error wrapping objects.ErrLocked), so that a page
// asked for while a long commit runs says so instead of hanging.
type OpenFunc func(ctx context.Context) (*repo.Repo, error)

// shared opens the repository when a request needs it and shares it among
// the requests in progress; it closes it when the last of them ends and
// Linger passes with no new one. So the Pebble lock is held only while
// pages are being made, and other trove commands (a commit, a push) run
// between page loads.
//
// Requests that keep coming (a page polled every 100 ms) would keep it open
// for good, and a trove command waiting for the lock would wait in vain:
// once the repository has been open for maxHold, new requests wait until
// the ones in progress end, it closes, and yieldGap passes, a little
// longer than a waiting command's longest pause between tries of the lock
// (objects' lockBackoffMax, 500 ms).
type shared struct {
	open   OpenFunc
	linger time.Duration
	// maxHold and yieldGap are defaultMaxHold and defaultYieldGap but in
	// tests; zero maxHold holds the repository for as long as it is used.
	maxHold, yieldGap time.Duration

	mu sync.Mutex
	// r is the open repository, or nil; users counts the requests using
	// it. +checklocks:mu
	r     *repo.Repo
	users int // +checklocks:mu
	// gen grows each time r is closed, so a linger timer started for an
	// earlier opening does nothing. +checklocks:mu
	gen   int
	timer *time.Timer // +checklocks:mu
	// opening is the open in progress, or nil. +checklocks:mu
	opening *opening
	closed  bool // +checklocks:mu
	// opens counts successful opens, for tests. +checklocks:mu
	opens int
	// openedAt is when r was opened. drained, while not nil, makes new
	// requests wait for r to close (it is closed when it does), and none
	// opens it again before yieldUntil. +checklocks:mu
	openedAt   time.Time
	drained    chan struct{}
	yieldUntil time.Time
}

// How long the UI holds the repository while requests keep coming, and
// how long it then lets go of it (see shared).
const (
	defaultMaxHold  = 2 * time.Second
	defaultYieldGap = 600 * time.Millisecond
)

// An opening is an open in progress. The requests that wait for it are
// counted as users of what it opens before any of them wakes, so none can
// release and close the repository while the others are still on their
// way to it (each would open it again).
type opening struct {
	done    chan struct{} // closed when the open has ended
	waiters int           // requests waiting for it; +checklocks:shared.mu
	r       *repo.Repo    // what it opened, or nil; set before done closes
}

// acquire returns the open repository, opening it if needed, and a
// function that releases it; release must be called exactly once.
func (s *shared) acquire(ctx context.Context) (*repo.Repo, func(), error) {
	for {
		s.mu.Lock()
		switch {
		case s.closed:
			s.mu.Unlock()
			return nil, nil, ErrClosed
		case s.r != nil && s.drained == nil && s.maxHold > 0 && time.Since(s.openedAt) >= s.maxHold:
			s.drained = make(chan struct{})
			if s.users == 0 { // lingering: nobody to wait for
				s.closeLocked()
			}
			s.mu.Unlock()
			continue
		case s.r != nil && s.drained != nil:
			// Held long enough: let a waiting command have it first.
			ch := s.drained
			s.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			}
			continue
		case s.opening == nil && time.Now().Before(s.yieldUntil):
			wait := time.Until(s.yieldUntil)
			s.mu.Unlock()
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, nil, ctx.Err()
			}
			continue
		case s.r != nil:
			r := s.r
			s.users++
			if s.timer != nil {
				s.timer.Stop()
				s.timer = nil
			}
			s.mu.Unlock()
			return r, s.releaser(), nil
		case s.opening != nil:
			// Another request is opening it: wait for that.
			o := s.opening
			o.waiters++
			s.mu.Unlock()
			r, ok, err := s.await(ctx, o)
			if err != nil {
				return nil, nil, err
			}
			if ok {
				return r, s.releaser(), nil
			}
			continue // that open failed: try again
		}
		o := &opening{done: make(chan struct{})}
		s.opening = o
		s.mu.Unlock()

		r, err := s.open(ctx)

		s.mu.Lock()
		s.opening = nil
		if err == nil && s.closed {
			r.Close()
			r, err = nil, ErrClosed
		}
		if err == nil {
			s.r, s.users = r, 1+o.waiters
			s.opens++
			s.openedAt = time.Now()
			o.r = r
		}
		close(o.done)
		s.mu.Unlock()
		if err != nil {
			return nil, nil, err
		}
		return r, s.releaser(), nil
	}
}

// await waits for the open o, which counts this request among its
// waiters. ok means it opened the repository and this request now uses
// it; false with a nil error means it failed, so the caller tries again.
func (s *shared) await(ctx context.Context, o *opening) (r *repo.Repo, ok bool, err error) {
	select {
	case <-o.done:
		return o.r, o.r != nil, nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	select {
	case <-o.done:
		// It ended meanwhile, counting this request as a user: undo that.
		s.mu.Unlock()
		if o.r != nil {
			s.release()
		}
	default:
		o.waiters--
		s.mu.Unlock()
	}
	return nil, false, ctx.Err()
}

// releaser returns a function ending one use of the repository.
func (s *shared) releaser() func() {
	var once sync.Once
	return func() { once.Do(s.release) }
}

func (s *shared) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users--
	if s.users > 0 || s.r == nil {
		return
	}
	if s.linger <= 0 || s.drained != nil {
		s.closeLocked()
		return
	}
	gen := s.gen
	s.timer = time.AfterFunc(s.linger, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.gen == gen && s.users == 0 && s.r != nil {
			s.closeLocked()
		}
	})
}

// closeLocked closes the repository; s.mu is held and nobody uses it.
func (s *shared) closeLocked() error {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	r := s.r
	s.r = nil
	s.gen++
	if s.drained != nil {
		close(s.drained)
		s.drained = nil
		s.yieldUntil = time.Now().Add(s.yieldGap)
	}
	if r == nil {
		return nil
	}
	if err := r.Close(); err != nil {
		return fmt.Errorf("web: close repository: %w", err)
	}
	return nil
}

// isOpen reports whether the repository is open now (for tests).
func (s *shared) isOpen() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r != nil
}

// waiting returns how many requests wait for an open in progress (for
// tests).
func (s *shared) waiting() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opening == nil {
		return 0
	}
	return s.opening.waiters
}

// openCount returns how many times the repository was opened (for tests).
func (s *shared) openCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opens
}

// close stops sharing: later acquires fail with ErrClosed. It waits for
// the requests using the repository to release it, or for ctx to end,
// and then closes it.
func (s *shared) close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		s.mu.Lock()
		users := s.users
		if users == 0 {
			err := s.closeLocked()
			s.mu.Unlock()
			return err
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return fmt.Errorf("web: close: %d request(s) still use the repository: %w", users, ctx.Err())
		case <-tick.C:
		}
	}
}
