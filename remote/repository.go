package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/remote/packindex"
)

// Keys of the bucket layout (docs/ARCHITECTURE.md, "Remotes"). Everything
// but refs is immutable and content-named.
const (
	formatKey   = "trove-format"
	packsPrefix = "packs/"
	indexPrefix = "index/"
	refsPrefix  = "refs/"
)

// FormatVersion is the layout version this trove writes; it reads
// MinFormatVersion..FormatVersion.
const (
	MinFormatVersion = 1
	FormatVersion    = 1
)

// ErrFormat means a bucket holds a trove layout this version cannot use.
var ErrFormat = errors.New("remote: unsupported trove layout")

// Format is the bucket's format object: written once, with create-if-absent,
// by the first push, and checked by every client.
type Format struct {
	Format int `json:"format"`
	// Chunker is the chunking of the repository that created the remote;
	// every repository sharing it must use the same, or deduplication
	// across clones fails.
	Chunker json.RawMessage `json:"chunker"`
}

// Repository is a trove remote: a Bucket seen through trove's layout.
type Repository struct {
	b Bucket
}

// NewRepository returns the trove layout over b.
func NewRepository(b Bucket) *Repository { return &Repository{b: b} }

// Bucket returns the underlying bucket.
func (r *Repository) Bucket() Bucket { return r.b }

// Location names the remote for messages.
func (r *Repository) Location() string { return r.b.Location() }

// ReadFormat returns the bucket's format object; an error wrapping
// ErrNotFound means no trove has written to the bucket yet.
func (r *Repository) ReadFormat(ctx context.Context) (*Format, error) {
	body, err := r.get(ctx, formatKey)
	if err != nil {
		return nil, err
	}
	var f Format
	if err := json.Unmarshal(body, &f); err != nil {
		return nil, fmt.Errorf("%w: %s/%s: %v", ErrFormat, r.Location(), formatKey, err)
	}
	if f.Format < MinFormatVersion || f.Format > FormatVersion {
		return nil, fmt.Errorf("%w: %s is layout %d (this trove reads %d..%d; upgrade trove)", ErrFormat, r.Location(), f.Format, MinFormatVersion, FormatVersion)
	}
	return &f, nil
}

// InitFormat writes the format object unless one exists, and returns the
// one in force: two clients initialising a bucket at once agree on one.
func (r *Repository) InitFormat(ctx context.Context, f Format) (*Format, error) {
	f.Format = FormatVersion
	body, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	_, err = r.b.Put(ctx, formatKey, bytes.NewReader(body), int64(len(body)), PutOptions{IfAbsent: true, ContentType: "application/json"})
	if err != nil && !errors.Is(err, ErrExists) {
		return nil, fmt.Errorf("initialise %s: %w", r.Location(), err)
	}
	return r.ReadFormat(ctx)
}

func (r *Repository) get(ctx context.Context, key string) ([]byte, error) {
	rc, err := r.b.Get(ctx, key, 0, -1)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// PackKey is where pack id lives.
func PackKey(id objects.ID) string {
	s := id.String()
	return packsPrefix + s[:2] + "/" + s
}

// PutPack uploads a pack. Packs are content-named, so finding one already
// there is success; existed says so (see the GC note in repo/upload.go).
func (r *Repository) PutPack(ctx context.Context, id objects.ID, body io.Reader, size int64) (existed bool, err error) {
	_, err = r.b.Put(ctx, PackKey(id), body, size, PutOptions{IfAbsent: true})
	if errors.Is(err, ErrExists) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("upload pack %s: %w", id.Short(), err)
	}
	return false, nil
}

// ReadPack returns length bytes of pack id from off.
func (r *Repository) ReadPack(ctx context.Context, id objects.ID, off, length int64) ([]byte, error) {
	buf := make([]byte, length)
	if err := r.ReadPackInto(ctx, id, off, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// ReadPackInto fills buf with the bytes of pack id from off, for callers
// that reuse their buffers.
func (r *Repository) ReadPackInto(ctx context.Context, id objects.ID, off int64, buf []byte) error {
	rc, err := r.b.Get(ctx, PackKey(id), off, int64(len(buf)))
	if err != nil {
		return fmt.Errorf("read pack %s: %w", id.Short(), err)
	}
	defer rc.Close()
	if _, err := io.ReadFull(rc, buf); err != nil {
		return fmt.Errorf("read pack %s [%d, +%d): %w", id.Short(), off, len(buf), err)
	}
	return nil
}

// PutIndex uploads an index and returns its name. Write order: every pack
// it lists must be uploaded first.
func (r *Repository) PutIndex(ctx context.Context, ix *packindex.Index) (objects.ID, error) {
	body, err := packindex.Encode(ix)
	if err != nil {
		return objects.ID{}, err
	}
	id := objects.Sum(body)
	_, err = r.b.Put(ctx, indexPrefix+id.String(), bytes.NewReader(body), int64(len(body)), PutOptions{IfAbsent: true})
	if err != nil && !errors.Is(err, ErrExists) {
		return id, fmt.Errorf("upload index %s: %w", id.Short(), err)
	}
	return id, nil
}

// Indexes calls fn with the name of every index, in key order.
func (r *Repository) Indexes(ctx context.Context, fn func(id objects.ID) error) error {
	return r.b.List(ctx, indexPrefix, func(oi ObjectInfo) error {
		id, err := objects.ParseID(strings.TrimPrefix(oi.Key, indexPrefix))
		if err != nil {
			return nil // not ours: ignore stray objects
		}
		return fn(id)
	})
}

// ReadIndex downloads, verifies and decodes index id.
func (r *Repository) ReadIndex(ctx context.Context, id objects.ID) (*packindex.Index, error) {
	body, err := r.get(ctx, indexPrefix+id.String())
	if err != nil {
		return nil, fmt.Errorf("read index %s: %w", id.Short(), err)
	}
	if got := objects.Sum(body); got != id {
		return nil, fmt.Errorf("%w: index %s in %s hashes to %s", objects.ErrCorrupt, id.Short(), r.Location(), got.Short())
	}
	ix, err := packindex.Decode(body)
	if err != nil {
		return nil, fmt.Errorf("%w: index %s in %s: %v", objects.ErrCorrupt, id.Short(), r.Location(), err)
	}
	return ix, nil
}

// Ref is a mutable object read for compare-and-swap.
type Ref struct {
	Body []byte
	// ETag is what a later PutRef must match; empty when the ref does not
	// exist.
	ETag string
}

// GetRef reads ref name ("artifacts/mnist"); a missing ref is returned
// with a nil Body and an empty ETag, not an error.
func (r *Repository) GetRef(ctx context.Context, name string) (Ref, error) {
	key := refsPrefix + name
	// Stat before Get: the ETag is then never newer than the bytes read,
	// so a compare-and-swap with it cannot overwrite a change unseen.
	oi, err := r.b.Stat(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return Ref{}, nil
	}
	if err != nil {
		return Ref{}, fmt.Errorf("read ref %s: %w", name, err)
	}
	body, err := r.get(ctx, key)
	if err != nil {
		return Ref{}, fmt.Errorf("read ref %s: %w", name, err)
	}
	return Ref{Body: body, ETag: oi.ETag}, nil
}

// PutRef replaces ref name with body if it still has the ETag old (or, for
// old == "", if it does not exist). A lost race returns an error wrapping
// ErrPreconditionFailed or ErrExists: read again, merge, retry.
func (r *Repository) PutRef(ctx context.Context, name string, body []byte, old string) error {
	opts := PutOptions{IfMatch: old, IfAbsent: old == "", ContentType: "application/json"}
	if _, err := r.b.Put(ctx, refsPrefix+name, bytes.NewReader(body), int64(len(body)), opts); err != nil {
		return fmt.Errorf("update ref %s: %w", name, err)
	}
	return nil
}

// Refs calls fn with the name of every ref under prefix ("artifacts/").
func (r *Repository) Refs(ctx context.Context, prefix string, fn func(name string) error) error {
	return r.b.List(ctx, refsPrefix+prefix, func(oi ObjectInfo) error {
		return fn(strings.TrimPrefix(oi.Key, refsPrefix))
	})
}

// IsConflict reports whether err is a lost compare-and-swap race.
func IsConflict(err error) bool {
	return errors.Is(err, ErrPreconditionFailed) || errors.Is(err, ErrExists)
}
