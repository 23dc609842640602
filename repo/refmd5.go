package repo

import (
	"crypto/md5"
	"encoding/hex"
	"io"
	"strings"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// refContent returns the BLAKE3 of the object reference entry e names, or
// zero when it is not known: the entry's own digest; for an object
// recorded by its source's checksum alone, what a pull here learnt when it
// fetched it (refObjectDigest), else what the file at d tells by its MD5.
func (m *materializer) refContent(d string, e manifest.Entry) objects.ID {
	if !e.Digest.IsZero() {
		return e.Digest
	}
	if id, ok := m.r.refObjectDigest(e); ok {
		return id
	}
	id, _ := m.refDigestByMD5(d, e)
	return id
}

// refDigestByMD5 learns the BLAKE3 of the referenced object that e
// records by an ETag alone, from a file d of the same size, when the ETag
// is the object's MD5 (a single-part S3 upload's, and many HTTP
// servers'): if the file's MD5 equals it, the file holds the object.
// It is how a pull that was killed before it recorded what it placed
// (kill -9, the OOM killer), or a folder copied from elsewhere, is
// found up to date instead of in the way. The digest is remembered under
// the object's identity and the file as trove's. An ETag of another form
// (multipart "-N", GCS's, opaque ones) never matches an MD5, so nothing is
// ever taken for the object that is not it.
func (m *materializer) refDigestByMD5(d string, e manifest.Entry) (objects.ID, bool) {
	if e.Kind != manifest.KindRef || e.Ref == nil || !strings.HasPrefix(e.Ref.ChecksumKind, "etag") || !isMD5Hex(e.Ref.Checksum) {
		return objects.ID{}, false
	}
	f, st, statTime, err := openStable(d)
	if err != nil {
		return objects.ID{}, false
	}
	defer f.Close()
	if st.size != e.Size {
		return objects.ID{}, false
	}
	md, b3 := md5.New(), objects.NewHasher()
	buf := make([]byte, min(max(st.size, 1), 1<<20))
	n, err := io.CopyBuffer(io.MultiWriter(md, b3), struct{ io.Reader }{f}, buf)
	if err != nil || checkUnchanged(f, d, st, n) != nil {
		return objects.ID{}, false
	}
	if hex.EncodeToString(md.Sum(nil)) != strings.ToLower(e.Ref.Checksum) {
		return objects.ID{}, false
	}
	digest := b3.Sum()
	m.stat.set(refObjectKey(e), digest[:])
	m.rememberRef(d, st, statTime, digest)
	return digest, true
}

// isMD5Hex reports whether s is 32 hexadecimal digits.
func isMD5Hex(s string) bool {
	if len(s) != 32 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
