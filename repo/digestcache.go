package repo

import (
	"io/fs"
	"sync"
	"time"

	"github.com/trove-ml/trove/objects"
)

// DigestCache offers the stat cache to code that hashes local files
// outside a commit of them: file:// references (package reference) record
// the BLAKE3 of files they do not store, and an unchanged folder recorded
// again should read no contents. Entries are the stat cache's own, so a
// file hashed either way is known to both. It is safe for concurrent use;
// Close writes what is left.
type DigestCache struct {
	r *Repo

	mu    sync.Mutex
	batch *objects.MetaBatch // guarded by mu
	n     int                // entries in batch; guarded by mu
	err   error              // first write error; guarded by mu
}

// digestCacheFlush bounds the entries a DigestCache holds in memory
// (about 100 bytes each plus the path) before it writes them.
const digestCacheFlush = 16 << 10

// DigestCache returns a DigestCache over the repository's stat cache.
func (r *Repo) DigestCache() *DigestCache {
	return &DigestCache{r: r, batch: r.store.NewMetaBatch()}
}

// Lookup returns the digest remembered for path if fi still matches the
// stat data remembered with it and the entry is not racy.
func (c *DigestCache) Lookup(path string, fi fs.FileInfo) (objects.ID, bool) {
	return c.r.cachedDigest(path, statOf(fi))
}

// Remember records path's digest, as the file was when stat'ed at
// statTime. Write errors are kept for Close: a cache that cannot be
// written only costs hashing next time.
func (c *DigestCache) Remember(path string, fi fs.FileInfo, statTime time.Time, digest objects.ID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.batch.Set(nsStatCache, statKey(path), encodeStatEntry(statOf(fi), statTime, digest)); err != nil && c.err == nil {
		c.err = err
	}
	if c.n++; c.n >= digestCacheFlush {
		c.flushLocked()
	}
}

func (c *DigestCache) flushLocked() {
	if err := c.batch.Commit(false); err != nil && c.err == nil {
		c.err = err
	}
	c.n = 0 // the batch is empty again and reused
}

// Close writes the remaining entries and returns the first write error.
func (c *DigestCache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n > 0 {
		c.flushLocked()
	}
	return c.err
}
