package repo

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/trove-ml/trove/internal/fileinfo"
	"github.com/trove-ml/trove/objects"
)

// The stat cache remembers, per absolute path, the digest of a file as it
// was when its size, mtime, ctime, inode and device had the recorded values.
// An unchanged re-commit reads no file contents, and a re-pull into an
// up-to-date folder rewrites nothing.
//
// Racy entries: a file modified within the timestamp granularity of the
// moment it was stat'ed could change again without its mtime moving. Such
// an entry is not trusted (git's "racily clean" rule, with nanosecond
// timestamps): an entry is used only if the file's mtime and ctime are
// older than the stat time by more than racyWindow.

// statEntryFormat is the value format of stat cache entries. Format 2
// appends to format 1's fields the removal epoch of the store
// (objects.Store.RemovalEpoch) at which the store was seen to hold the
// content: a commit trusts that without asking the store while the epoch
// has not moved. 0 means not known (entries written by pulls, references
// and verify, and format 1 entries, which are read as format 2 with 0).
const statEntryFormat = 2

// statEntrySize is the encoded size: format, size, mtime, ctime, ino, dev,
// stat time (eight bytes each), digest, eight reserved bytes (zero), epoch.
// statEntrySizeV1 lacks the epoch.
const (
	statEntrySizeV1 = 1 + 7*8 + objects.IDSize
	statEntrySize   = statEntrySizeV1 + 8
	// statEntryReserved is where the reserved bytes start.
	statEntryReserved = 1 + 6*8 + objects.IDSize
)

// racyWindow is the timestamp granularity assumed for file systems whose
// timestamps carry nanoseconds (ext4, xfs, btrfs: one kernel tick, ≤ 10 ms).
// coarseRacyWindow is used when timestamps are whole seconds (FAT, some NFS
// servers).
const (
	racyWindow       = 50 * time.Millisecond
	coarseRacyWindow = 2 * time.Second
)

// fileStat is what the stat cache compares.
type fileStat struct {
	size, mtime, ctime int64 // ns since the epoch
	ino, dev           uint64
}

func statOf(fi fs.FileInfo) fileStat {
	s := fileStat{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fileinfo.SysOf(fi); ok {
		s.ctime, s.ino, s.dev = st.Ctime, st.Ino, st.Dev
	}
	return s
}

// encodeStatEntry encodes an entry; epoch is the removal epoch at which the
// store holds digest's content, or 0.
func encodeStatEntry(s fileStat, statTime time.Time, digest objects.ID, epoch uint64) []byte {
	b := make([]byte, statEntrySize)
	b[0] = statEntryFormat
	le := binary.LittleEndian
	le.PutUint64(b[1:], uint64(s.size))
	le.PutUint64(b[9:], uint64(s.mtime))
	le.PutUint64(b[17:], uint64(s.ctime))
	le.PutUint64(b[25:], s.ino)
	le.PutUint64(b[33:], s.dev)
	le.PutUint64(b[41:], uint64(statTime.UnixNano()))
	copy(b[49:], digest[:])
	le.PutUint64(b[statEntrySizeV1:], epoch)
	return b
}

var errStatEntry = errors.New("repo: bad stat cache entry")

// withEpoch appends to dst the stat cache entry v, of format 1 or 2, as a
// format 2 entry recording epoch.
func withEpoch(dst, v []byte, epoch uint64) []byte {
	dst = append(dst, v[:statEntrySizeV1]...)
	dst[len(dst)-statEntrySizeV1] = statEntryFormat
	return binary.LittleEndian.AppendUint64(dst, epoch)
}

func decodeStatEntry(b []byte) (s fileStat, statTime int64, digest objects.ID, epoch uint64, err error) {
	switch {
	case len(b) == statEntrySize && b[0] == statEntryFormat:
		epoch = binary.LittleEndian.Uint64(b[statEntrySizeV1:])
	case len(b) == statEntrySizeV1 && b[0] == 1:
	default:
		return s, 0, digest, 0, errStatEntry
	}
	if binary.LittleEndian.Uint64(b[statEntryReserved:]) != 0 {
		return s, 0, digest, 0, errStatEntry // not written by a trove that knows the layout
	}
	le := binary.LittleEndian
	s.size = int64(le.Uint64(b[1:]))
	s.mtime = int64(le.Uint64(b[9:]))
	s.ctime = int64(le.Uint64(b[17:]))
	s.ino = le.Uint64(b[25:])
	s.dev = le.Uint64(b[33:])
	statTime = int64(le.Uint64(b[41:]))
	copy(digest[:], b[49:])
	return s, statTime, digest, epoch, nil
}

// statKey is the stat cache key of a path: its folder, a NUL, its name.
// Keys of one folder's files are adjacent, so a commit reads a folder's
// entries with one scan instead of a lookup per file.
func statKey(path string) []byte {
	dir, name := statSplit(path)
	k := make([]byte, 0, len(path)+1)
	k = append(k, dir...)
	k = append(k, 0)
	return append(k, name...)
}

// statSplit splits path into the folder and name of its stat cache key.
func statSplit(path string) (dir, name string) {
	dir, name = filepath.Split(path)
	return strings.TrimSuffix(dir, string(filepath.Separator)), name
}

// statList is a folder's stat cache entries in name order, which is their
// key order, read a page at a time as lookups move through the folder, so
// that a folder of a million files never holds all its entries (nor keeps
// a page alive once its lookups are past it: callers copy an entry they
// keep). Each page packs names and values into two buffers: a folder of 100
// files costs a handful of allocations rather than 300.
type statList struct {
	ctx    context.Context
	r      *Repo
	prefix []byte // folder NUL
	size   int    // entries a page holds at most

	names []byte
	ends  []int  // ends[i] is where name i ends in names
	vals  []byte // statEntrySize bytes per entry
	next  int    // lookup's cursor
	more  bool   // the page is full: the folder may have entries after it
}

// statPage is how many stat cache entries a statList reads at a time:
// some 400 KB of a folder's entries.
const statPage = 4096

// statDir returns the stat cache entries of a folder's files; n, the
// number of entries the folder has, sizes the first page.
func (r *Repo) statDir(ctx context.Context, dir string, n int) *statList {
	return r.statListFrom(ctx, dir, nil, min(n, statPage), statPage)
}

// statListFrom returns the stat cache entries of folder dir from the name
// from on (nil: all), read page entries at a time; n sizes the first
// page's buffers.
func (r *Repo) statListFrom(ctx context.Context, dir string, from []byte, n, page int) *statList {
	l := &statList{ctx: ctx, r: r, prefix: append([]byte(dir), 0), size: page}
	l.load(from, n)
	return l
}

// load reads the page of entries whose names sort at or after from (nil:
// from the first), into new buffers sized for n entries.
func (l *statList) load(from []byte, n int) {
	l.names, l.ends, l.vals, l.next, l.more = make([]byte, 0, 16*n), make([]int, 0, n), make([]byte, 0, statEntrySize*n), 0, false
	_ = l.r.store.ScanMetaFrom(l.ctx, nsStatCache, l.prefix, from, func(k, v []byte) error {
		if len(l.ends) == l.size {
			l.more = true
			return errPageFull
		}
		if len(v) != statEntrySize && len(v) != statEntrySizeV1 {
			return nil // not an entry this trove trusts: the file is read
		}
		l.names = append(l.names, k[len(l.prefix):]...)
		l.ends = append(l.ends, len(l.names))
		if len(v) == statEntrySizeV1 {
			l.vals = withEpoch(l.vals, v, 0) // every slot one size
		} else {
			l.vals = append(l.vals, v...)
		}
		return nil
	}) // a cache: on error, files are just read again
}

// errPageFull stops a statList's scan at the end of a page.
var errPageFull = errors.New("page full")

// lookup returns the entry of name, or nil. Names must be looked up in
// increasing order, as a folder's listing comes: lookup merges the two.
func (l *statList) lookup(name string) []byte {
	for {
		if v, past := l.lookupPage(name); v != nil || !past || !l.more {
			return v
		}
		// Every name of the page sorts before name: read the next, from
		// the least name after its last.
		l.load(append(bytes.Clone(l.name(len(l.ends)-1)), 0), l.size)
	}
}

// lookupPage looks name up in the page read, past reporting whether the
// page ended before a name at or after it.
func (l *statList) lookupPage(name string) (v []byte, past bool) {
	for ; l.next < len(l.ends); l.next++ {
		n := l.name(l.next)
		if string(n) == name {
			v := l.val(l.next)
			l.next++
			return v, false
		}
		if string(n) > name {
			return nil, false
		}
	}
	return nil, true
}

// val returns the encoded entry i of the page, capped so that an append
// cannot write into the next.
func (l *statList) val(i int) []byte {
	return l.vals[i*statEntrySize : (i+1)*statEntrySize : (i+1)*statEntrySize]
}

// name returns the name of entry i of the page.
func (l *statList) name(i int) []byte {
	start := 0
	if i > 0 {
		start = l.ends[i-1]
	}
	return l.names[start:l.ends[i]]
}

// cachedDigest returns the digest recorded for path if the entry matches cur
// and is not racy.
func (r *Repo) cachedDigest(path string, cur fileStat) (objects.ID, bool) {
	return r.digestAt(statKey(path), cur)
}

// digestAt returns the digest of the stat cache entry under key if it
// matches cur and is not racy.
func (r *Repo) digestAt(key []byte, cur fileStat) (objects.ID, bool) {
	v, err := r.store.GetMeta(nsStatCache, key)
	if err != nil {
		return objects.ID{}, false
	}
	d, _, ok := trustStatEntry(v, cur)
	return d, ok
}

// trustStatEntry returns the digest and epoch of an encoded entry if it
// matches cur and is not racy.
func trustStatEntry(v []byte, cur fileStat) (objects.ID, uint64, bool) {
	old, statTime, digest, epoch, err := decodeStatEntry(v)
	if err != nil || old != cur {
		return objects.ID{}, 0, false
	}
	window := racyWindow
	if cur.mtime%int64(time.Second) == 0 && cur.ctime%int64(time.Second) == 0 {
		window = coarseRacyWindow
	}
	if max(cur.mtime, cur.ctime) >= statTime-int64(window) {
		return objects.ID{}, 0, false
	}
	return digest, epoch, true
}
