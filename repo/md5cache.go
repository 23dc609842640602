package repo

import (
	"context"
	"crypto/md5"
	"errors"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// md5Mark starts the keys of the MD5 cache in the stat cache namespace:
// 0x04, a content's BLAKE3 → its MD5 (16 bytes).
const md5Mark = 0x04

// An MD5Cache remembers the MD5 of content known by its BLAKE3, for W&B's
// manifest layout, whose digests are MD5s: an export computes each once,
// from bytes checked against their BLAKE3, so the pair is a fact about the
// content and never goes stale. A second export of a 1 GiB version reads
// nothing, and one of a reference whose source changed since (file://,
// HTTP without an ETag) still succeeds if an export read it before.
// What Put adds is written every md5Flush entries, so that an export of a
// million files holds a batch of them, not all, and one interrupted keeps
// most of what it learnt. Safe for concurrent use.
type MD5Cache struct {
	r   *Repo
	rec *statRecorder
}

// MD5Cache opens the cache; Close writes what Put added since its last
// batch.
func (r *Repo) MD5Cache() *MD5Cache {
	return &MD5Cache{r: r, rec: r.newStatRecorder(md5Flush)}
}

// md5Flush is how many MD5s an MD5Cache holds before it writes them: some
// 4 MB of batch.
const md5Flush = 1 << 16

func md5Key(digest objects.ID) []byte {
	return append([]byte{md5Mark}, digest[:]...)
}

// Get returns the MD5 of the content with BLAKE3 digest, if known.
func (c *MD5Cache) Get(digest objects.ID) (sum [md5.Size]byte, ok bool) {
	v, err := c.r.store.GetMeta(nsStatCache, md5Key(digest))
	if err != nil || len(v) != md5.Size {
		return sum, false // a hint: unreadable is unknown
	}
	copy(sum[:], v)
	return sum, true
}

// Put records the MD5 of the content with BLAKE3 digest, which the caller
// computed from bytes verified against digest.
func (c *MD5Cache) Put(digest objects.ID, sum [md5.Size]byte) {
	c.rec.set(md5Key(digest), sum[:]) // a failed batch only costs hashing again
}

// Close writes the entries Put added, unsynced: the cache is a hint. Its
// error is the first write that failed.
func (c *MD5Cache) Close() error { return c.rec.commit() }

// Knows reports whether the MD5 of every stored file under root (whose
// trees g reads) is known, so that an export need not read any content.
func (c *MD5Cache) Knows(ctx context.Context, g manifest.BlobGetter, root objects.ID) bool {
	errUnknown := errors.New("unknown")
	err := manifest.Walk(ctx, g, root, func(_ string, e manifest.Entry) error {
		if e.Kind != manifest.KindFile {
			return nil
		}
		if _, ok := c.Get(e.Digest); !ok {
			return errUnknown
		}
		return nil
	})
	return err == nil
}
