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
type shared struct {
	open   OpenFunc
	linger time.Duration

	mu sync.Mutex
	// r is the open repository, or nil; users counts the requests using
	// it. +checklocks:mu
	r     *repo.Repo
	users int // +checklocks:mu
	// gen grows each time r is closed, so a linger timer started for an
	// earlier opening does nothing. +checklocks:mu
	gen   int
	timer *time.Timer // +checklocks:mu
	// opening is closed when an open in progress ends. +checklocks:mu
	opening chan struct{}
	closed  bool // +checklocks:mu
	// opens counts successful opens, for tests. +checklocks:mu
	opens int
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
			// Another request is opening it: wait for that and look again.
			ch := s.opening
			s.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			}
		}
		ch := make(chan struct{})
		s.opening = ch
		s.mu.Unlock()

		r, err := s.open(ctx)

		s.mu.Lock()
		s.opening = nil
		close(ch)
		if err != nil {
			s.mu.Unlock()
			return nil, nil, err
		}
		if s.closed {
			s.mu.Unlock()
			r.Close()
			return nil, nil, ErrClosed
		}
		s.r, s.users = r, 1
		s.opens++
		s.mu.Unlock()
		return r, s.releaser(), nil
	}
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
	if s.linger <= 0 {
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
