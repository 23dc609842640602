package objects

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// flushAtClose is how much unflushed log Close writes to a table rather
// than leave to the next Open (see Close): below it, replaying the log
// costs the next command about a millisecond.
const flushAtClose = 256 << 10

// Defaults for [Options].
const (
	DefaultPackSize    = 64 << 20
	DefaultLockTimeout = 2 * time.Minute
)

// Lock retry backoff: start short so that a second command started right
// after the first finishes barely waits, and cap it so that a long wait polls
// the lock a few times a second at most.
const (
	lockBackoffMin = 10 * time.Millisecond
	lockBackoffMax = 500 * time.Millisecond
)

// Options configure [Open].
type Options struct {
	// Dir is the repository's .trove folder. The store keeps its Pebble
	// database in Dir/db, packs in Dir/packs and temp files in Dir/tmp, and
	// creates them if needed. Required.
	Dir string

	// PackSize is the size in bytes at which a write session finishes a pack
	// and starts the next: a pack ends with the first blob that takes it to
	// PackSize or beyond. Larger packs mean fewer files and fsyncs. The
	// default (0) is 64 MiB; negative values are an error.
	PackSize int64

	// LockTimeout is how long Open waits for another process to release
	// the repository before it fails with an error wrapping [ErrLocked]. The
	// default (0) is 2 minutes; a negative value means do not wait.
	LockTimeout time.Duration

	// Compression makes write sessions store a chunk zstd-compressed
	// (fastest level) when that saves at least 1/16 of its size. The
	// default (false) stores chunks as they are, which suits data that does
	// not compress (model weights, encoded media). Reading handles both,
	// whatever this says.
	Compression bool

	// Logf, if set, receives Pebble's background error reports (failed
	// compactions, disk trouble); Pebble's informational messages are
	// dropped. The default (nil) drops both.
	Logf func(format string, args ...any)

	// Now is the clock that dates packs (PackInfo.Created, which GC's grace
	// period reads). The default (nil) is time.Now.
	Now func() time.Time
}

// A Store is a repository's object database: chunks in pack files, small
// blobs and an index of the packs in Pebble, and key-value metadata for the
// layers above. A Store is safe for concurrent use. Its methods return
// errors wrapping [ErrClosed] after Close.
type Store struct {
	opts    Options
	dbDir   string
	packDir string
	tmpDir  string
	lock    *pebble.Lock
	codec   *codec
	files   *fileCache

	// unsafeNoSync skips the fsyncs of pack files and directories. Only
	// this package's benchmarks set it, to measure the write path's CPU
	// cost apart from the disk's speed; nothing else may.
	unsafeNoSync bool

	db *pebble.DB

	epochMu sync.Mutex
	epoch   uint64 // the removal epoch (epoch.go); +checklocks:epochMu

	// Every operation that uses db runs between enter and leave; Close
	// marks the store closed, waits for those in progress, and then
	// closes db. A plain count rather than an RWMutex, so that an
	// operation nested in another (a GetMeta inside a ScanMeta callback)
	// fails with ErrClosed during Close instead of deadlocking.
	mu      sync.Mutex
	active  int        // operations in progress; +checklocks:mu
	closed  bool       // +checklocks:mu
	drained *sync.Cond // signalled when active drops to 0 after closed

	// metaMu serialises UpdateMeta transactions. Pebble's directory lock
	// already excludes other processes.
	metaMu sync.Mutex

	// access throttles the recording of packs' last reads (store_gc.go).
	access accessClock
}

// Open opens the store in opts.Dir, creating it if needed. It takes the
// repository lock first: if another process holds it, Open retries with
// backoff for opts.LockTimeout and then returns an error wrapping
// [ErrLocked]; it gives up early, with ctx's error, if ctx ends. Holding the
// lock, Open deletes everything in Dir/tmp: temp files are only ever made by
// the lock holder, so what is left there was left by a crash.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Dir == "" {
		return nil, errors.New("objects: open: Options.Dir is empty")
	}
	if opts.PackSize < 0 {
		return nil, fmt.Errorf("objects: open: Options.PackSize %d is negative", opts.PackSize)
	}
	if opts.PackSize == 0 {
		opts.PackSize = DefaultPackSize
	}
	if opts.LockTimeout == 0 {
		opts.LockTimeout = DefaultLockTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Store{
		opts:    opts,
		dbDir:   filepath.Join(opts.Dir, "db"),
		packDir: filepath.Join(opts.Dir, "packs"),
		tmpDir:  filepath.Join(opts.Dir, "tmp"),
	}
	for _, d := range []string{s.dbDir, s.packDir, s.tmpDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("objects: open: %w", err)
		}
	}
	lock, err := s.acquireLock(ctx)
	if err != nil {
		return nil, err
	}
	// From here on a failure must release the lock.
	if err := s.cleanTmp(); err != nil {
		lock.Close()
		return nil, err
	}
	db, err := pebble.Open(s.dbDir, s.pebbleOptions(lock))
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("objects: open database %s: %w", s.dbDir, err)
	}
	s.db, s.lock = db, lock
	if err := s.loadEpoch(); err != nil {
		db.Close()
		lock.Close()
		return nil, fmt.Errorf("objects: open: %w", err)
	}
	s.drained = sync.NewCond(&s.mu)
	s.codec = newCodec()
	s.files = newFileCache(maxOpenPacks)
	return s, nil
}

// pebbleOptions tunes Pebble for this workload: a small index and metadata
// store (tens of bytes per value, writes in one batch per pack or command)
// inside a CLI process that must stay under 64 MiB RSS while committing
// gigabytes. Bulk bytes never pass through Pebble.
func (s *Store) pebbleOptions(lock *pebble.Lock) *pebble.Options {
	o := &pebble.Options{
		// Pin the on-disk format rather than follow FormatNewest, so that
		// upgrading Pebble never ratchets a repository silently out of
		// reach of an older trove.
		FormatMajorVersion: pebble.FormatValueSeparation,
		Lock:               lock,
		// 4 MiB memtables, at most 2 queued: ≤ 8 MiB. An index entry is
		// ~90 bytes with its key, so one memtable holds the index of
		// ~45,000 chunks (≈ 3 GiB of content).
		MemTableSize:                4 << 20,
		MemTableStopWritesThreshold: 2,
		// A 32 MiB block cache. Bloom filters (below) make the common
		// lookup, a new chunk that is absent, cheap, but only while the
		// tables' filter and index blocks stay cached: a commit of a
		// million small files grows the database to 170 MB, whose
		// filter and index blocks alone are some 5 MB, and with an 8
		// MiB cache they were read again and again (47.7 s for that
		// commit; 32.1 s with 16 MiB, 27.7 s with 32). Blocks are
		// allocated as they are read, so a commit whose database stays
		// small does not grow by the cache's size (the 1 GiB and
		// 20,000-file commits: the same RSS within 2 MB).
		CacheSize: 32 << 20,
		// Sstables of a repository stay few; 256 keeps file descriptors
		// for pack reads (maxOpenPacks) and the rest of the process.
		MaxOpenFiles: 256,
		// Every command that writes leaves a small log, which the next
		// Open flushes into a small L0 table. Pebble's default compacts
		// L0 at two overlapping tables, and while a repository's index is
		// under 64 MiB its base level is L6, the whole database: each
		// command would rewrite all of it (4 MiB for 20,000 files: a
		// re-commit took 71 ms instead of 59, as Close waits for it).
		// Compacting at eight sublevels spreads that rewrite over eight
		// commands; reads stay cheap, as L0 tables carry bloom filters.
		L0CompactionThreshold: 16,
		L0StopWritesThreshold: 32,
		Logger:                pebbleLogger{s.opts.Logf},
		Cleaner:               logDeleter{},
	}
	// Most index lookups while committing are for new chunks, which are
	// absent: a 10-bit bloom filter (1% false positives) answers those
	// without reading data blocks. Lower levels inherit it from L0.
	o.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
	return o
}

// logDeleter deletes Pebble's obsolete files, as pebble.DeleteCleaner does,
// and also tells Pebble not to keep obsolete logs for reuse. Pebble keeps
// up to MemTableStopWritesThreshold+1 of them for a long-running process to
// write its next logs into; in a command that lives for one operation they
// are never reused, and they stayed on disk until the next command opened
// the store: the 0.9 MB log of a 20,000-file commit sat beside the table
// it had been flushed to at Close, and a 1 GiB commit left 2 MB of logs.
//
// Pebble recycles no logs for a cleaner that needs the files' contents
// (pebble.ArchiveCleaner says so through an unexported method), so
// logDeleter embeds one a level below DeleteCleaner, whose Clean and
// String win. Were Pebble to stop honouring that, logs would be recycled
// again; TestCloseFlushesLargeLog would say so.
type logDeleter struct {
	pebble.DeleteCleaner
	noLogRecycling
}

type noLogRecycling struct{ pebble.ArchiveCleaner }

// pebbleLogger routes Pebble's errors to Options.Logf and drops its chatter.
type pebbleLogger struct {
	logf func(format string, args ...any)
}

func (l pebbleLogger) Infof(string, ...any) {}

func (l pebbleLogger) Errorf(format string, args ...any) {
	if l.logf != nil {
		l.logf("pebble: "+format, args...)
	}
}

// Fatalf reports an error Pebble cannot continue after (it assumes Fatalf
// does not return). Pebble's default exits the process; a library must not,
// so this panics, which marks the bug or disk failure and lets the CLI's
// top level report it.
func (l pebbleLogger) Fatalf(format string, args ...any) {
	l.Errorf(format, args...)
	panic(fmt.Sprintf("pebble: "+format, args...))
}

// acquireLock takes Pebble's directory lock on dbDir, waiting for another
// holder as Options.LockTimeout says.
func (s *Store) acquireLock(ctx context.Context) (*pebble.Lock, error) {
	start := time.Now()
	backoff := lockBackoffMin
	for {
		lock, err := pebble.LockDirectory(s.dbDir, vfs.Default)
		if err == nil {
			return lock, nil
		}
		if !isLockHeld(err) {
			return nil, fmt.Errorf("objects: lock %s: %w", s.dbDir, err)
		}
		waited := time.Since(start)
		if waited+backoff > s.opts.LockTimeout {
			return nil, fmt.Errorf("objects: open %s: %s holds the repository (waited %s); "+
				"wait for it to finish or stop it, then try again: %w",
				s.opts.Dir, lockHolder(s.dbDir), waited.Round(time.Millisecond), ErrLocked)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("objects: open %s: waiting for the repository lock: %w", s.opts.Dir, ctx.Err())
		case <-t.C:
		}
		backoff = min(2*backoff, lockBackoffMax)
	}
}

// TempDir returns the store's folder for scratch files (sorts spilled to
// disk, say): on the store's file system, private to the process that has
// the store open, and emptied when the store is next opened.
func (s *Store) TempDir() string { return s.tmpDir }

// cleanTmp removes everything in tmpDir. Only the lock holder makes files
// there, and it holds the lock now, so nothing there is in use.
func (s *Store) cleanTmp() error {
	entries, err := os.ReadDir(s.tmpDir)
	if err != nil {
		return fmt.Errorf("objects: clean temp files: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(s.tmpDir, e.Name())); err != nil {
			return fmt.Errorf("objects: clean temp files: %w", err)
		}
	}
	return nil
}

// Close releases the database, open pack files and the repository lock.
// Writers of the store fail afterwards; Close does not flush them (what they
// did not Flush is lost, as after a crash). Close is idempotent.
//
// If the database's log holds at least flushAtClose bytes not yet in its
// tables, Close writes them to a table first. Pebble replays and flushes
// such a log when it opens, synchronously, so without this the command
// after a large commit (typically a quick one: an unchanged re-commit, a
// log, a status) paid for it: 20 ms after the 1 GiB file's commit, 35 ms
// after the 20,000 files', of a re-commit that otherwise takes 15 ms and
// 100 ms. The commit that wrote the data pays instead, where it is a
// small fraction. A failed flush is not an error: the log still holds
// everything, and the next open flushes it.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for s.active > 0 {
		s.drained.Wait()
	}
	s.mu.Unlock()
	if s.db.Metrics().WAL.Size >= flushAtClose {
		_ = s.db.Flush() // see above: the log keeps the data either way
	}
	err := s.db.Close()
	s.files.close()
	s.codec.close()
	if lerr := s.lock.Close(); err == nil {
		err = lerr
	}
	if err != nil {
		return fmt.Errorf("objects: close: %w", err)
	}
	return nil
}

// enter starts an operation that uses db, or reports ErrClosed once Close
// has begun. Callers that get nil must call leave.
func (s *Store) enter() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.active++
	return nil
}

// leave ends an operation started by enter.
func (s *Store) leave() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active--; s.active == 0 && s.closed {
		s.drained.Broadcast()
	}
}

// PackPath returns the path of the pack file named id.
func (s *Store) PackPath(id ID) string {
	h := id.String()
	return filepath.Join(s.packDir, h[:2], h)
}

// syncPack fsyncs a new pack file and then drops its pages from the page
// cache (dropBehind): nobody reads a pack soon after writing it.
func (s *Store) syncPack(f *os.File) error {
	if s.unsafeNoSync {
		return nil
	}
	if err := f.Sync(); err != nil {
		return err
	}
	dropBehind(f, 0, 0) // all clean now: nothing to wait for
	return nil
}

// syncDir fsyncs a directory, making renames and creations in it durable.
func (s *Store) syncDir(dir string) error {
	if s.unsafeNoSync {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil && errors.Is(err, fs.ErrInvalid) {
		// Some platforms cannot sync directories; their renames are
		// durable by other means.
		return nil
	}
	return err
}
