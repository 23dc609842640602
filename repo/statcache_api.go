package repo

import (
	"sync"
	"time"

	"github.com/trove-ml/trove/objects"
)

// statRecorder collects stat cache entries from several goroutines and
// writes them in one batch, unsynced: the cache is a hint, and an entry
// lost in a crash costs one more read of its file. Its zero value is not
// usable; see Repo.newStatRecorder.
type statRecorder struct {
	mu  sync.Mutex
	b   *objects.MetaBatch // guarded by mu
	err error              // the first failed Set; guarded by mu
}

func (r *Repo) newStatRecorder() *statRecorder {
	return &statRecorder{b: r.store.NewMetaBatch()}
}

// remember records that the file at path had digest when its stat was st,
// as seen at statTime (taken before the file was read).
func (s *statRecorder) remember(path string, st fileStat, statTime time.Time, digest objects.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.b.Set(nsStatCache, statKey(path), encodeStatEntry(st, statTime, digest, 0)); err != nil && s.err == nil {
		s.err = err
	}
}

// commit writes the entries remembered, or reports why one could not be.
func (s *statRecorder) commit() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		s.b.Close()
		return s.err
	}
	return s.b.Commit(false)
}
