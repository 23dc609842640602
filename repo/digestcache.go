package repo

import (
	"crypto/sha256"
	"io/fs"
	"strconv"
	"time"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// DigestCache offers the stat cache to code that hashes local files
// outside a commit of them: file:// references (package reference) record
// the BLAKE3 of files they do not store, and an unchanged folder recorded
// again should read no contents. It reads the entries commits write, but
// writes its own apart (keys prefixed by refStatMark): a commit takes a
// cached digest to mean that the store holds the content, which is not
// so for referenced files. It is safe for concurrent use; Close writes
// what is left.
type DigestCache struct {
	r   *Repo
	rec *statRecorder
}

// digestCacheFlush bounds the entries a DigestCache holds in memory
// (about 100 bytes each plus the path) before it writes them.
const digestCacheFlush = 16 << 10

// DigestCache returns a DigestCache over the repository's stat cache.
func (r *Repo) DigestCache() *DigestCache {
	return &DigestCache{r: r, rec: r.newStatRecorder(digestCacheFlush)}
}

// refStatMark starts the stat cache keys of files hashed but not stored.
// Keys of stored files start with an absolute path, never with it.
const refStatMark = 0x01

// refObjectMark starts the keys of referenced objects' digests (see
// refObjectDigest).
const refObjectMark = 0x02

// refObjectKey names a referenced object as its manifest entry records
// it: URI, checksum kind, checksum, version id and size. Equal keys name
// equal bytes, because a fetch checks the checksum it records.
func refObjectKey(e manifest.Entry) []byte {
	h := sha256.New()
	for _, s := range []string{e.Ref.URI, e.Ref.ChecksumKind, e.Ref.Checksum, e.Ref.VersionID, strconv.FormatInt(e.Size, 10)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return h.Sum([]byte{refObjectMark})
}

// refObjectDigest returns the BLAKE3 of a referenced object recorded by
// its source's checksum (an ETag) alone, as learnt when a pull last
// fetched it: a re-pull then knows a file in place holds it without
// fetching it again.
func (r *Repo) refObjectDigest(e manifest.Entry) (objects.ID, bool) {
	v, err := r.store.GetMeta(nsStatCache, refObjectKey(e))
	if err != nil || len(v) != len(objects.ID{}) {
		return objects.ID{}, false
	}
	return objects.ID(v), true
}

func refStatKey(path string) []byte {
	return append([]byte{refStatMark}, statKey(path)...)
}

// refDigest returns the digest remembered for path, by a reference or by
// a commit, if it matches cur and is not racy.
func (r *Repo) refDigest(path string, cur fileStat) (objects.ID, bool) {
	if d, ok := r.digestAt(refStatKey(path), cur); ok {
		return d, true
	}
	return r.cachedDigest(path, cur)
}

// Lookup returns the digest remembered for path if fi still matches the
// stat data remembered with it and the entry is not racy.
func (c *DigestCache) Lookup(path string, fi fs.FileInfo) (objects.ID, bool) {
	return c.r.refDigest(path, statOf(fi))
}

// Remember records path's digest, as the file was when stat'ed at
// statTime. Write errors are kept for Close: a cache that cannot be
// written only costs hashing next time.
func (c *DigestCache) Remember(path string, fi fs.FileInfo, statTime time.Time, digest objects.ID) {
	c.rec.set(refStatKey(path), encodeStatEntry(statOf(fi), statTime, digest, 0))
}

// Close writes the remaining entries and returns the first write error.
func (c *DigestCache) Close() error {
	return c.rec.commit()
}
