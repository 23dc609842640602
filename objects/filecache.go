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

	amu     sync.Mutex
	next    int64 // end of the reads running forward; +checklocks:amu
	run     int   // how many reads ran forward in a row; +checklocks:amu
	ahead   int64 // end of what the kernel was asked to read ahead; +checklocks:amu
	dropped int64 // end of what was dropped behind them; +checklocks:amu
}

// Read-ahead of packs. A pull or a push reads a version's blobs in file
// order, which is mostly the order they were packed in, on several
// goroutines at once. The kernel's own read-ahead follows a sequential
// reader, but interleaved readers of one file keep it small, and a commit
// leaves its packs out of the page cache (dropBehind). So once reads of a
// pack run forward (each starts within aheadSlack of where the last
// ended), the kernel is asked for the next aheadSpan bytes, again whenever
// the reads come within half a span of the end of what was asked: once
// per 8 MiB read. A read elsewhere starts over, so scattered reads (a pull
// of a few files) fetch only what they read. Pulling a 1 GiB file from
// packs not in the page cache took 1.05–1.23 s without it, 0.84–0.92 s
// with it (0.61–0.63 s from cached packs).
//
// Behind such reads, what lies more than aheadSpan back is dropped from
// the page cache, as the writer drops what it wrote: a pull's packs would
// otherwise take as much memory as the files it writes, which are what
// the user reads next. On the benchmark machine, where page cache grown
// into fresh memory costs a host fault per page, pulling the 1 GiB file
// took 1.9–2.3 s with 2.5–3.7 s of system time when its packs stayed in
// the cache, as the files it wrote could not reuse their pages.
const (
	aheadSpan  = 16 << 20
	aheadSlack = 1 << 20 // a power of two: it aligns what is dropped
	aheadAfter = 2       // reads running forward before read-ahead starts
)

// readAt reads len(b) bytes of the file at off (readFull), first asking
// for read-ahead when the reads of this pack run forward.
func (cf *cachedFile) readAt(b []byte, off int64) error {
	end := off + int64(len(b))
	cf.amu.Lock()
	from, to := int64(0), int64(0)
	if cf.run > 0 && off >= cf.next-aheadSlack && off <= cf.next+aheadSlack {
		cf.run++
		cf.next = max(cf.next, end)
	} else {
		cf.run, cf.next, cf.ahead, cf.dropped = 1, end, 0, max(off-aheadSpan, 0)&^(aheadSlack-1)
	}
	var dropFrom, dropTo int64
	if cf.run >= aheadAfter && end > cf.ahead-aheadSpan/2 {
		from, to = max(off, cf.ahead), end+aheadSpan
		cf.ahead = to
		// Far enough behind for reads running out of order on other
		// goroutines to be done with it; aligned, since the kernel
		// drops only whole pages and the next range starts here.
		if behind := (cf.next - aheadSpan) &^ (aheadSlack - 1); behind > cf.dropped {
			dropFrom, dropTo = cf.dropped, behind
			cf.dropped = behind
		}
	}
	cf.amu.Unlock()
	if to > from {
		readAhead(cf.f, from, to-from)
	}
	if dropTo > dropFrom {
		dropRead(cf.f, dropFrom, dropTo-dropFrom)
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
