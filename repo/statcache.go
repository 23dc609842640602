package repo

import (
	"context"
	"encoding/binary"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"time"

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

// statEntryFormat is the value format of stat cache entries.
const statEntryFormat = 1

// statEntrySize is the encoded size: format, size, mtime, ctime, ino, dev,
// stat time, digest.
const statEntrySize = 1 + 7*8 + objects.IDSize

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
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.ctime = time.Unix(int64(st.Ctim.Sec), int64(st.Ctim.Nsec)).UnixNano()
		s.ino, s.dev = st.Ino, uint64(st.Dev)
	}
	return s
}

func encodeStatEntry(s fileStat, statTime time.Time, digest objects.ID) []byte {
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
	return b
}

var errStatEntry = errors.New("repo: bad stat cache entry")

func decodeStatEntry(b []byte) (s fileStat, statTime int64, digest objects.ID, err error) {
	if len(b) != statEntrySize || b[0] != statEntryFormat {
		return s, 0, digest, errStatEntry
	}
	le := binary.LittleEndian
	s.size = int64(le.Uint64(b[1:]))
	s.mtime = int64(le.Uint64(b[9:]))
	s.ctime = int64(le.Uint64(b[17:]))
	s.ino = le.Uint64(b[25:])
	s.dev = le.Uint64(b[33:])
	statTime = int64(le.Uint64(b[41:]))
	copy(digest[:], b[49:])
	return s, statTime, digest, nil
}

// statKey is the stat cache key of a path: its folder, a NUL, its name.
// Keys of one folder's files are adjacent, so a commit reads a folder's
// entries with one scan instead of a lookup per file.
func statKey(path string) []byte {
	dir, name := filepath.Split(path)
	k := make([]byte, 0, len(path)+1)
	k = append(k, strings.TrimSuffix(dir, string(filepath.Separator))...)
	k = append(k, 0)
	return append(k, name...)
}

// statList is a folder's stat cache entries in name order, which is their
// key order, names and values packed into two buffers: a folder of 100
// files costs a handful of allocations rather than 300.
type statList struct {
	names []byte
	ends  []int  // ends[i] is where name i ends in names
	vals  []byte // statEntrySize bytes per entry
	next  int    // lookup's cursor
}

// statDir returns the stat cache entries of a folder's files; n, the
// number of entries the folder has, sizes the buffers.
func (r *Repo) statDir(ctx context.Context, dir string, n int) *statList {
	l := &statList{names: make([]byte, 0, 16*n), ends: make([]int, 0, n), vals: make([]byte, 0, statEntrySize*n)}
	prefix := append([]byte(dir), 0)
	_ = r.store.ScanMeta(ctx, nsStatCache, prefix, func(k, v []byte) error {
		if len(v) != statEntrySize {
			return nil // not an entry this trove trusts: the file is read
		}
		l.names = append(l.names, k[len(prefix):]...)
		l.ends = append(l.ends, len(l.names))
		l.vals = append(l.vals, v...)
		return nil
	}) // a cache: on error, files are just read again
	return l
}

// lookup returns the entry of name, or nil. Names must be looked up in
// increasing order, as a folder's listing comes: lookup merges the two.
func (l *statList) lookup(name string) []byte {
	for ; l.next < len(l.ends); l.next++ {
		start := 0
		if l.next > 0 {
			start = l.ends[l.next-1]
		}
		n := l.names[start:l.ends[l.next]]
		if string(n) == name {
			v := l.vals[l.next*statEntrySize : (l.next+1)*statEntrySize : (l.next+1)*statEntrySize]
			l.next++
			return v
		}
		if string(n) > name {
			return nil
		}
	}
	return nil
}

// cachedDigest returns the digest recorded for path if the entry matches cur
// and is not racy.
func (r *Repo) cachedDigest(path string, cur fileStat) (objects.ID, bool) {
	v, err := r.store.GetMeta(nsStatCache, statKey(path))
	if err != nil {
		return objects.ID{}, false
	}
	return trustStatEntry(v, cur)
}

// trustStatEntry returns the digest of an encoded entry if it matches cur
// and is not racy.
func trustStatEntry(v []byte, cur fileStat) (objects.ID, bool) {
	old, statTime, digest, err := decodeStatEntry(v)
	if err != nil || old != cur {
		return objects.ID{}, false
	}
	window := racyWindow
	if cur.mtime%int64(time.Second) == 0 && cur.ctime%int64(time.Second) == 0 {
		window = coarseRacyWindow
	}
	if max(cur.mtime, cur.ctime) >= statTime-int64(window) {
		return objects.ID{}, false
	}
	return digest, true
}
