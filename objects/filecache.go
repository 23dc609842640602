package objects

import (
	"container/list"
	"os"
	"sync"
)

// maxOpenPacks bounds the pack files a Store keeps open for reading. Reads
// of one version touch packs in runs, so a small cache serves them; 64 file
// descriptors leave plenty of the usual limit of 1024 for the rest.
const maxOpenPacks = 64

// fileCache keeps recently read pack files open, bounded by max. A file is
// closed when it is evicted and no reader holds it. Safe for concurrent use.
type fileCache struct {
	mu    sync.Mutex
	max   int
	files map[ID]*cachedFile // +checklocks:mu
	lru   *list.List         // of *cachedFile, most recent first; +checklocks:mu
}

type cachedFile struct {
	id      ID
	f       *os.File
	refs    int  // readers holding f; +checklocks:fileCache.mu
	evicted bool // no longer in the map: close when refs drops to 0
	elem    *list.Element

	amu    sync.Mutex
	stream readStream // +checklocks:amu
}

// readAt reads len(b) bytes of the file at off (readFull), first asking
// the kernel to read ahead of reads that run forward through the pack
// (readStream).
func (cf *cachedFile) readAt(b []byte, off int64) error {
	cf.amu.Lock()
	ahead := cf.stream.read(off, off+int64(len(b)))
	cf.amu.Unlock()
	if ahead.to > ahead.from {
		readAhead(cf.f, ahead.from, ahead.to-ahead.from)
	}
	return readFull(cf.f, b, off)
}

func newFileCache(max int) *fileCache {
	return &fileCache{max: max, files: make(map[ID]*cachedFile), lru: list.New()}
}

// acquire returns the open file of pack id and a release function the
// caller must call when done with it.
func (c *fileCache) acquire(id ID, path string) (*cachedFile, func(), error) {
	c.mu.Lock()
	cf, ok := c.files[id]
	if ok {
		cf.refs++
		c.lru.MoveToFront(cf.elem)
		c.mu.Unlock()
		return cf, func() { c.release(cf) }, nil
	}
	c.mu.Unlock()

	f, err := os.Open(path) // outside mu: a slow open blocks nobody else
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cf, ok := c.files[id]; ok { // opened meanwhile by another reader
		_ = f.Close() // read-only, nothing to lose
		cf.refs++
		c.lru.MoveToFront(cf.elem)
		return cf, func() { c.release(cf) }, nil
	}
	cf = &cachedFile{id: id, f: f, refs: 1}
	cf.elem = c.lru.PushFront(cf)
	c.files[id] = cf
	for c.lru.Len() > c.max {
		c.evictLocked(c.lru.Back().Value.(*cachedFile))
	}
	return cf, func() { c.release(cf) }, nil
}

func (c *fileCache) release(cf *cachedFile) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cf.refs--
	if cf.evicted && cf.refs == 0 {
		_ = cf.f.Close() // read-only, nothing to lose
	}
}

func (c *fileCache) evictLocked(cf *cachedFile) {
	c.lru.Remove(cf.elem)
	delete(c.files, cf.id)
	cf.evicted = true
	if cf.refs == 0 {
		_ = cf.f.Close() // read-only, nothing to lose
	}
}

// close closes every file no reader holds and makes the rest close on
// release.
func (c *fileCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.lru.Len() > 0 {
		c.evictLocked(c.lru.Front().Value.(*cachedFile))
	}
}
