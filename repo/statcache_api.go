package repo

import (
	"sync"
	"time"

	"github.com/trove-ml/trove/objects"
)

// statRecorder collects stat cache entries from several goroutines and
// writes them in batches, unsynced: the cache is a hint, and an entry lost
// in a crash costs one more read of its file. With flushEvery above 0 it
// writes whenever it holds that many, bounding its memory, for entries that
// are true on their own; with 0 it holds them all until commit, for a
// commit's entries, which may be written only once the content they name is
// durable. Its zero value is not usable; see Repo.newStatRecorder.
type statRecorder struct {
	flushEvery int

	mu  sync.Mutex
	b   *objects.MetaBatch // guarded by mu
	err error              // the first failed write; guarded by mu
}

func (r *Repo) newStatRecorder(flushEvery int) *statRecorder {
	return &statRecorder{flushEvery: flushEvery, b: r.store.NewMetaBatch()}
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
	defer s.mu.Unlock()
	if err := s.b.Set(nsStatCache, key, val); err != nil && s.err == nil {
		s.err = err
	}
	if s.flushEvery > 0 && s.b.Len() >= s.flushEvery {
		s.flushLocked()
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
