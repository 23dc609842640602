package repo

import (
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// What a pull finds in place: a file is up to date when the stat cache
// vouches for its content or hashing it says so, and what a pull learns
// of a file, read or written, goes back into the stat cache.

// upToDate reports whether d, whose Lstat is fi, already holds e's
// content. It trusts the stat cache, else hashes the file (and remembers
// the answer).
func (m *materializer) upToDate(d string, fi fs.FileInfo, e manifest.Entry) bool {
	return m.upToDateWith(d, fi, e, m.pages.cachedDigest, statKey, 0)
}

// upToDateWith is upToDate with a given stat cache lookup, key and epoch
// for what it remembers: files of references keep their entries apart
// (see DigestCache and placedRefUnchanged). A file whose content is not
// the version's is never remembered: that would make it trove's
// (placedUnchanged).
func (m *materializer) upToDateWith(d string, fi fs.FileInfo, e manifest.Entry, cached func(string, fileStat) (objects.ID, bool), key func(string) []byte, epoch uint64) bool {
	if !fi.Mode().IsRegular() || fi.Size() != e.Size {
		return false
	}
	st := statOf(fi)
	if digest, ok := cached(d, st); ok {
		return digest == e.Digest
	}
	statTime := time.Now()
	digest, err := m.hash(d, st)
	if err != nil || digest != e.Digest {
		return false
	}
	enc := encodeStatEntry(st, statTime, digest, epoch)
	m.stat.set(key(d), enc)
	if _, _, ok := trustStatEntry(enc, st); ok {
		m.forget(d) // the stat cache vouches for it from now on
	}
	return true
}

func (m *materializer) remember(d string, st fileStat, statTime time.Time, digest objects.ID) {
	m.rememberAt(statKey(d), st, statTime, digest)
}

func (m *materializer) rememberAt(key []byte, st fileStat, statTime time.Time, digest objects.ID) {
	m.stat.set(key, encodeStatEntry(st, statTime, digest, 0))
}

// hashFile returns the BLAKE3 of the file at path, failing if it changes
// while read.
func hashFile(path string, want fileStat) (objects.ID, error) {
	f, st, _, err := openStable(path)
	if err != nil {
		return objects.ID{}, err
	}
	defer f.Close()
	if st != want {
		return objects.ID{}, fmt.Errorf("%w: %s", ErrFileChanged, path)
	}
	h := objects.NewHasher()
	// A buffer the size of the file, up to 1 MiB: a re-pull may hash
	// 20,000 small files, and a 1 MiB buffer each was 20 GB of garbage.
	// The struct hides os.File's WriterTo, which would ignore the buffer
	// and allocate one of its own.
	buf := make([]byte, min(max(want.size, 1), 1<<20))
	n, err := io.CopyBuffer(h, struct{ io.Reader }{f}, buf)
	if err != nil {
		return objects.ID{}, err
	}
	if err := checkUnchanged(f, path, st, n); err != nil {
		return objects.ID{}, err
	}
	return h.Sum(), nil
}
