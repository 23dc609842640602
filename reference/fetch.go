package reference

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"strings"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// Fetch writes the content of the object that reference entry e records
// to w, checked against the record: the pinned version where one is
// recorded, the checksum and size, and the bytes wherever the checksum
// describes them (BLAKE3; an S3 ETag that is the content's MD5). A gone
// object or version wraps [ErrNotFound] (and so [fs.ErrNotExist]); one
// that differs wraps [ErrChanged] (and so [objects.ErrCorrupt]). As the
// bytes are checked only at their end, the last write to w may be
// followed by such an error: callers write to a temp file and rename it
// on success. Fetch implements repo.RefFetcher.
func (r *Resolver) Fetch(ctx context.Context, e manifest.Entry, w io.Writer) error {
	if e.Kind != manifest.KindRef || e.Ref == nil {
		return fmt.Errorf("%w: %s is a %v entry, not a reference with a checksum", ErrInvalid, e.Name, e.Kind)
	}
	loc, err := Parse(e.Ref.URI)
	if err != nil {
		return err
	}
	st, err := r.store(loc)
	if err != nil {
		return err
	}
	rc, err := st.Open(ctx, e)
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := io.CopyBuffer(w, rc, make([]byte, 256<<10)); err != nil {
		return fmt.Errorf("reference: fetch %s: %w", clip(e.Ref.URI), err)
	}
	return nil
}

// Expand lists what a location-only reference entry names now, for a pull:
// like [Source.List] with checksums on and the default limits, but with
// paths below the location: "" for a single object, named as e is, and
// each object's path below a folder. Nothing is pinned, so what it lists
// may differ from what was there at commit time. A location that holds
// nothing now is an error matching [ErrEmpty] and, as what the version
// names is missing, [ErrNotFound]. Expand implements repo.RefFetcher.
func (r *Resolver) Expand(ctx context.Context, e manifest.Entry, fn func(path string, e manifest.Entry) error) error {
	if e.Kind != manifest.KindRefLocation || e.Ref == nil {
		return fmt.Errorf("%w: %s is a %v entry, not a location-only reference", ErrInvalid, e.Name, e.Kind)
	}
	src, err := r.Source(e.Ref.URI, SourceOptions{})
	if err != nil {
		return err
	}
	src.pulling = true
	return src.list(ctx, func(p string, se manifest.Entry) error {
		se.Name = e.Name
		if p != "" {
			se.Name = p[strings.LastIndexByte(p, '/')+1:]
		}
		return fn(p, se)
	})
}

// checkReader passes an object's content through and checks it at the
// end: its length, and its BLAKE3, MD5 or CRC32C where known. A mismatch
// is an error wrapping [ErrChanged] in place of io.EOF.
type checkReader struct {
	rc   io.ReadCloser
	uri  string
	size int64 // expected length
	n    int64

	b3      *objects.Hasher // nil unless wantB3 is set
	wantB3  objects.ID
	sum     hash.Hash // nil unless wantSum is set
	wantSum []byte
	sumName string // the sum's name in errors: "MD5"
	sumSays string // where wantSum comes from, in errors: "its ETag"
	err     error  // sticky
}

// newCheckReader checks rc against the size recorded in e and, for a
// BLAKE3 checksum, its digest.
func newCheckReader(rc io.ReadCloser, e manifest.Entry) *checkReader {
	c := &checkReader{rc: rc, uri: e.Ref.URI, size: e.Size}
	if e.Ref.ChecksumKind == KindBLAKE3 {
		c.b3, c.wantB3 = objects.NewHasher(), e.Digest
	}
	return c
}

// checkSum adds a check of the content's sum by h, which must be want;
// name and says name the sum and where want comes from, in errors.
func (c *checkReader) checkSum(h hash.Hash, want []byte, name, says string) {
	c.sum, c.wantSum, c.sumName, c.sumSays = h, want, name, says
}

// checkMD5 adds a check of the content's MD5, given in hex.
func (c *checkReader) checkMD5(hexSum string) {
	if b, err := hex.DecodeString(hexSum); err == nil && len(b) == md5.Size {
		c.checkSum(md5.New(), b, "MD5", "its ETag")
	}
}

// checkCRC32C adds a check of the content's CRC32C (Castagnoli), given
// as its 4 big-endian bytes, as in a GCS x-goog-hash header.
func (c *checkReader) checkCRC32C(want []byte) {
	if len(want) == crc32.Size {
		c.checkSum(crc32.New(castagnoli), want, "CRC32C", "the server's x-goog-hash")
	}
}

func (c *checkReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.rc.Read(p)
	c.n += int64(n)
	if c.b3 != nil {
		c.b3.Write(p[:n])
	}
	if c.sum != nil {
		c.sum.Write(p[:n])
	}
	if c.n > c.size {
		c.err = fmt.Errorf("%w: %s: more than the %d bytes recorded", ErrChanged, clip(c.uri), c.size)
		return n, c.err
	}
	if err == io.EOF {
		c.err = c.verify()
		if c.err == nil {
			c.err = io.EOF
		}
		return n, c.err
	}
	if err != nil {
		c.err = err
	}
	return n, err
}

func (c *checkReader) verify() error {
	if c.n != c.size {
		return fmt.Errorf("%w: %s: %d bytes, the reference records %d", ErrChanged, clip(c.uri), c.n, c.size)
	}
	if c.b3 != nil {
		if got := c.b3.Sum(); got != c.wantB3 {
			return fmt.Errorf("%w: %s: content hashes to %s, the reference records %s", ErrChanged, clip(c.uri), got.Short(), c.wantB3.Short())
		}
	}
	if c.sum != nil {
		if got := c.sum.Sum(nil); string(got) != string(c.wantSum) {
			return fmt.Errorf("%w: %s: content's %s is %x, %s says %x", ErrChanged, clip(c.uri), c.sumName, got, c.sumSays, c.wantSum)
		}
	}
	return nil
}

func (c *checkReader) Close() error { return c.rc.Close() }
