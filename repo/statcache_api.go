package repo

import (
	"sync"
	"time"

	"github.com/trove-ml/trove/objects"
)

// statRecorder collects stat cache entries from several goroutines and
// writes them in batches, unsynced: the cache is a hint, and an entry lost
// in a crash costs one more read of its file. It writes whenever it holds
// flushEvery entries (0: only at commit), bounding its memory. Entries that
// are true on their own (a pull's, verify's, a refreshed entry) are just
// written. A commit's entries name content the next commit trusts without
// a lookup, so they may be written only once that content is durable: for
// them durable is set, and each write first calls it (the commit's
// Writer.Flush) for the entries the batch holds. Its zero value is not
// usable; see Repo.newStatRecorder.
type statRecorder struct {
	store      *objects.Store
	flushEvery int
	durable    func() error

	mu  sync.Mutex
	b   *objects.MetaBatch // guarded by mu
	err error              // the first failed write; guarded by mu
}

func (r *Repo) newStatRecorder(flushEvery int) *statRecorder {
	return &statRecorder{store: r.store, flushEvery: flushEvery, b: r.store.NewMetaBatch()}
}

// newDurableStatRecorder is newStatRecorder for entries whose content
// durable makes durable; it must cover every entry set before it is called.
func (r *Repo) newDurableStatRecorder(flushEvery int, durable func() error) *statRecorder {
	s := r.newStatRecorder(flushEvery)
	s.durable = durable
	return s
}

// remember records that the file at path had digest when its stat was st,
// as seen at statTime (taken before the file was read), and that the store
// held the content at removal epoch epoch (0: not known).
func (s *statRecorder) remember(path string, st fileStat, statTime time.Time, digest objects.ID, epoch uint64) {
	s.set(statKey(path), encodeStatEntry(st, statTime, digest, epoch))
}

// set records the encoded entry val under stat cache key key.
func (s *statRecorder) set(key, val []byte) {
	s.mu.Lock()
	if err := s.b.Set(nsStatCache, key, val); err != nil && s.err == nil {
		s.err = err
	}
	if s.flushEvery == 0 || s.b.Len() < s.flushEvery {
		s.mu.Unlock()
		return
	}
	if s.durable == nil {
		s.flushLocked()
		s.mu.Unlock()
		return
	}
	// Take the full batch and let the other goroutines go on with a new
	// one while its content is made durable and it is written.
	full := s.b
	s.b = s.store.NewMetaBatch()
	s.mu.Unlock()
	err := s.durable()
	if err == nil {
		err = full.Commit(false)
	} else {
		full.Close()
	}
	if err != nil {
		s.mu.Lock()
		if s.err == nil {
			s.err = err
		}
		s.mu.Unlock()
	}
}

func (s *statRecorder) flushLocked() {
	if err := s.b.Commit(false); err != nil && s.err == nil {
		s.err = err
	}
}

// commit writes the entries held, and reports the first write that
// failed.
func (s *statRecorder) commit() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked()
	return s.err
}
