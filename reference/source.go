package reference

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/trove-ml/trove/manifest"
)

// Checksum kinds recorded in [manifest.Reference.ChecksumKind]
// (ARCHITECTURE.md, "References to external data").
const (
	// KindETag is an object's ETag (S3 without versioning; HTTP).
	KindETag = "etag"
	// KindETagVersionID is an S3 ETag with the object's version id.
	KindETagVersionID = "etag+versionid"
	// KindETagGeneration is a GCS ETag with the object's generation.
	KindETagGeneration = "etag+generation"
	// KindBLAKE3 is the BLAKE3 of the content in hex (local files; HTTP
	// objects served without an ETag, whose VersionID then holds the
	// Last-Modified date they came with, as information, in the form of
	// [net/http.TimeFormat]). The entry's Digest holds the same value.
	KindBLAKE3 = manifest.ChecksumBLAKE3
)

// DefaultMaxObjects is the default [SourceOptions.MaxObjects], W&B's.
const DefaultMaxObjects = 10_000_000

// Store reaches the objects of one URL scheme. [S3], [GCS], [HTTP] and
// [Files] implement it; cmd builds the map from scheme to Store.
// Implementations are safe for concurrent use.
type Store interface {
	// List calls fn for every object at loc, with its size and checksum
	// (see the checksum kinds), on the calling goroutine. If loc names a
	// single object, fn is called once with path "". Otherwise loc is a
	// folder and path is each object's slash-separated path below it, each
	// once, in any order unless the Store implements [WalkOrdered]. Entries
	// have Kind [manifest.KindRef] and a Ref; Name is left to the caller.
	// A location holding nothing may call fn not at all; a missing bucket
	// or file wraps [ErrBucketNotFound] or [ErrNotFound]. List returns
	// fn's error as it is.
	List(ctx context.Context, loc Location, fn func(path string, e manifest.Entry) error) error

	// Probe checks, cheaply, that loc exists and holds something, for a
	// location-only reference: an error wraps [ErrNotFound],
	// [ErrBucketNotFound] or [ErrEmpty] when it does not.
	Probe(ctx context.Context, loc Location) error

	// Open returns the content of the object a reference entry records,
	// pinned to the recorded version where there is one. A gone object or
	// version wraps [ErrNotFound]. An object that no longer matches the
	// record fails with [ErrChanged]: from Open when headers show it, or
	// from Read at the end of the content when only the bytes can. The
	// caller closes the reader.
	Open(ctx context.Context, e manifest.Entry) (io.ReadCloser, error)
}

// WalkOrdered is implemented by a [Store] whose List calls fn in walk
// order ([manifest.Walk]) already, so that its listings need no sorting.
type WalkOrdered interface {
	WalkOrdered() bool
}

// Meter tracks one phase of long work; cmd passes its progress display.
type Meter interface {
	// Add records n more units done.
	Add(n int64)
	// Done ends the phase.
	Done()
}

// SourceOptions say how to record one reference. The zero value records
// every object with its checksum, up to [DefaultMaxObjects], where W&B's
// add_reference puts it without a name.
type SourceOptions struct {
	// Path is where the reference lands in the version, relative to its
	// root (commit's --ref PATH=URI, W&B's name=): the folder a prefix's
	// objects land in, or the path of a single object or of a location-only
	// reference. It is checked as [ValidPath] checks it; a trailing '/'
	// says a folder, which a single object is refused for. "" means where
	// W&B puts a reference without a name: a prefix's objects at the
	// version's root, relative to the prefix; a single object under its
	// base name ([Location.Name]); a location-only reference under its
	// key (s3, gs; the bucket's name for a whole bucket) or its base name
	// (http, file).
	Path string
	// NoChecksum records the location alone, as one entry of kind
	// [manifest.KindRefLocation]; the location is probed but not listed.
	NoChecksum bool
	// MaxObjects caps the objects recorded; more fail with [ErrTooMany].
	// 0 means [DefaultMaxObjects].
	MaxObjects int64
	// TempDir holds listings sorted in runs (see [SourceOptions.SortMemory]).
	// "" means the system's temp folder.
	TempDir string
	// SortMemory is the memory, in bytes, a listing is sorted in before
	// runs are spilled to TempDir. 0 means [DefaultSortMemory].
	SortMemory int
	// Progress, if set, starts a meter that counts the objects listed.
	Progress func(phase string) Meter
}

// Resolver maps reference URIs to the [Store] of their scheme. It makes
// [Source]s for commits and fetches referenced objects for pulls.
type Resolver struct {
	stores map[string]Store
}

// NewResolver returns a Resolver over stores, keyed by lower-case scheme
// ("s3", "gs", "http", "https", "file"). A scheme without a Store is
// refused with [ErrInvalid]. The map is copied.
func NewResolver(stores map[string]Store) *Resolver {
	m := make(map[string]Store, len(stores))
	for k, v := range stores {
		m[strings.ToLower(k)] = v
	}
	return &Resolver{stores: m}
}

// Close releases the clients of the stores that hold any (io.Closer),
// each once.
func (r *Resolver) Close() error {
	var errs []error
	seen := map[Store]bool{}
	for _, st := range r.stores {
		if c, ok := st.(io.Closer); ok && !seen[st] {
			seen[st] = true
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}

func (r *Resolver) store(loc Location) (Store, error) {
	st, ok := r.stores[loc.Scheme]
	if !ok {
		return nil, fmt.Errorf("%w: %s: no support for %s:// references in this build", ErrInvalid, clip(loc.String()), loc.Scheme)
	}
	return st, nil
}

// Source is one reference to record in a version. It implements
// repo.RefSource.
type Source struct {
	loc     Location
	path    string // SourceOptions.Path without its trailing '/'
	pathDir bool   // SourceOptions.Path ended in '/'
	store   Store
	o       SourceOptions
	pulling bool // listed for a pull ([Resolver.Expand]), not a commit
}

// Source parses uri and returns the reference to record. Errors in the
// URI or options wrap [ErrInvalid]; nothing is contacted yet.
func (r *Resolver) Source(uri string, o SourceOptions) (*Source, error) {
	loc, err := Parse(uri)
	if err != nil {
		return nil, err
	}
	st, err := r.store(loc)
	if err != nil {
		return nil, err
	}
	s := &Source{loc: loc, store: st}
	if o.Path != "" {
		if s.path, s.pathDir, err = cleanPath(o.Path); err != nil {
			return nil, err
		}
	}
	if o.MaxObjects < 0 {
		return nil, fmt.Errorf("%w: maximum of %d objects: want a positive number", ErrInvalid, o.MaxObjects)
	}
	if o.MaxObjects == 0 {
		o.MaxObjects = DefaultMaxObjects
	}
	s.o = o
	return s, nil
}

// String returns the reference's canonical URI, with its path when one
// was given (PATH=URI).
func (s *Source) String() string {
	if s.o.Path != "" {
		return s.o.Path + "=" + s.loc.String()
	}
	return s.loc.String()
}

// List calls fn for the reference's entries in walk order ([manifest.Walk]),
// on the calling goroutine, each with its path in the version, relative
// to the version's root (see [SourceOptions.Path]), and named for that
// path's last element. A single object, and a location-only reference,
// is one call; a folder is one call per object. Paths are checked when
// listed, never later: every element is a valid name
// ([manifest.ValidPathElement]), no object is also a folder, there are
// at most [manifest.MaxDepth] elements, and every object's URI is one
// that pull and verify accept ([Parse]: no control characters in a key);
// a violation wraps [ErrInvalid] and names the object. More than
// MaxObjects objects wrap [ErrTooMany], none at all [ErrEmpty]. Memory is
// bounded: listings of stores that are not [WalkOrdered] are sorted
// within [SourceOptions.SortMemory], spilling to temp files beyond it.
func (s *Source) List(ctx context.Context, fn func(path string, e manifest.Entry) error) error {
	return s.list(ctx, func(p string, e manifest.Entry) error {
		full, err := s.place(p, e)
		if err != nil {
			return err
		}
		e.Name = full[strings.LastIndexByte(full, '/')+1:]
		return fn(full, e)
	})
}

// place returns the path in the version of the entry listed at p below
// the location (see [SourceOptions.Path]).
func (s *Source) place(p string, e manifest.Entry) (string, error) {
	var full string
	switch {
	case p != "":
		full = p
		if s.path != "" {
			full = s.path + "/" + p
		}
	case s.pathDir && e.Kind == manifest.KindRef:
		return "", fmt.Errorf("%w: %s is one object, and PATH %q names a folder: give the file name it lands at (%s=%s)",
			ErrInvalid, clip(s.loc.String()), s.o.Path, path.Join(s.path, s.defaultName()), clip(s.loc.String()))
	case s.path != "":
		full = s.path
	case e.Kind == manifest.KindRefLocation:
		return s.loc.locationPath()
	default:
		return s.loc.Name()
	}
	if n := strings.Count(full, "/") + 1; n > manifest.MaxDepth {
		return "", fmt.Errorf("%w: %s lands at a path %d levels deep (the limit is %d)", ErrInvalid, clip(e.Ref.URI), n, manifest.MaxDepth)
	}
	return full, nil
}

// defaultName returns the base name of the location, for messages.
func (s *Source) defaultName() string {
	if name, err := s.loc.Name(); err == nil {
		return name
	}
	return "NAME"
}

// list is List with paths below the location: "" for a single object
// or a location-only reference, whose entry is left unnamed.
func (s *Source) list(ctx context.Context, fn func(path string, e manifest.Entry) error) error {
	if s.o.NoChecksum {
		if err := s.store.Probe(ctx, s.loc); err != nil {
			return err
		}
		return fn("", manifest.Entry{Kind: manifest.KindRefLocation, Ref: &manifest.Reference{URI: s.loc.String()}})
	}
	var meter Meter = nopMeter{}
	if s.o.Progress != nil {
		meter = s.o.Progress("listing " + clip(s.loc.String()))
	}
	defer meter.Done()

	o := &orderCheck{src: s, fn: fn}
	next := o.add
	var srt *sorter
	if wo, ok := s.store.(WalkOrdered); !ok || !wo.WalkOrdered() {
		dir := s.o.TempDir
		if dir == "" {
			dir = os.TempDir()
		}
		srt = newSorter(dir, s.o.SortMemory)
		defer srt.close()
		next = srt.add
	}
	var n int64
	err := s.store.List(ctx, s.loc, func(p string, e manifest.Entry) error {
		n++
		if n > s.o.MaxObjects {
			return fmt.Errorf("%w: %s holds more than %d objects, the limit set by --max-objects; raise it or reference a narrower prefix",
				ErrTooMany, clip(s.loc.String()), s.o.MaxObjects)
		}
		if err := s.checkEntry(p, &e); err != nil {
			return err
		}
		meter.Add(1)
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return next(p, e)
	})
	if err != nil {
		return err
	}
	if n == 0 {
		if s.pulling {
			// A location-only reference: what it held at commit was never
			// listed, so nothing tells what is missing.
			return fmt.Errorf("%w: nothing at %s now; it was recorded without checksums, so what it held then is not known (restore it at its source)", errEmptyNow, clip(s.loc.String()))
		}
		return fmt.Errorf("%w: nothing at %s (check the prefix, or record the location alone with --no-checksum)", ErrEmpty, clip(s.loc.String()))
	}
	if srt != nil {
		if err := srt.finish(o.add); err != nil {
			return err
		}
	}
	return nil
}

// checkEntry checks one listed object, at path p below the location: that
// pull and verify will accept its URI, and that p can be stored in a tree.
// What a version records is checked here, when it is listed: a recorded
// entry that a later pull refuses could never be pulled. Messages quote
// the object's URI, so that a key's control characters show escaped.
func (s *Source) checkEntry(p string, e *manifest.Entry) error {
	if e.Kind != manifest.KindRef || e.Ref == nil {
		return fmt.Errorf("reference: %s: store listed a %v entry", clip(s.loc.String()), e.Kind)
	}
	if err := checkRecordable(e.Ref.URI); err != nil {
		return err
	}
	if p == "" {
		return nil
	}
	// The depth of the path in the version, with SourceOptions.Path, is
	// checked where it is known (place).
	depth := strings.Count(p, "/") + 1
	if depth > manifest.MaxDepth {
		return fmt.Errorf("%w: %s: nested %d levels deep (the limit is %d)", ErrInvalid, clip(e.Ref.URI), depth, manifest.MaxDepth)
	}
	for el := range strings.SplitSeq(p, "/") {
		if err := manifest.ValidPathElement(el); err != nil {
			return fmt.Errorf("%w: %s: cannot store the path %q: %v (rename the object at its source, or reference a prefix that leaves it out)", ErrInvalid, clip(e.Ref.URI), p, err)
		}
	}
	return nil
}

// checkRecordable checks that uri, an object's URI as a listing made it,
// is one [Parse] accepts and prints back unchanged: the URI pull and
// verify will parse. Bucket keys may hold control characters, which a
// URI may not. Parse's message quotes the URI, escaping them.
func checkRecordable(uri string) error {
	const advice = "a version cannot record this object: rename it at its source, or reference a prefix that leaves it out"
	loc, err := Parse(uri)
	switch {
	case err != nil:
		return fmt.Errorf("%w (%s)", err, advice)
	case loc.String() != uri:
		return fmt.Errorf("%w: %s reads back as %s (%s)", ErrInvalid, strconv.Quote(clip(uri)), strconv.Quote(clip(loc.String())), advice)
	}
	return nil
}

// orderCheck passes entries on in walk order, refusing anything else: a
// path out of order or repeated (a Store bug), a lone object mixed with
// others, or an object that is also a folder ("a" and "a/b"), which sit
// next to each other in walk order.
type orderCheck struct {
	src    *Source
	fn     func(path string, e manifest.Entry) error
	prev   string
	prevOK bool
}

func (o *orderCheck) add(p string, e manifest.Entry) error {
	if o.prevOK {
		switch {
		case p == "" || o.prev == "":
			return fmt.Errorf("reference: %s: store listed a single object and a folder at once", clip(o.src.loc.String()))
		case strings.HasPrefix(p, o.prev+"/"):
			return fmt.Errorf("%w: %s is both an object and a folder (%s); trove cannot store both under one name",
				ErrInvalid, clip(o.src.objectURI(o.prev)), clip(e.Ref.URI))
		case walkCompare(o.prev, p) >= 0:
			return fmt.Errorf("reference: %s: store listed %q after %q", clip(o.src.loc.String()), p, o.prev)
		}
	}
	o.prev, o.prevOK = p, true
	return o.fn(p, e)
}

// objectURI names the object at path p below the source, for messages.
func (s *Source) objectURI(p string) string {
	switch s.loc.Scheme {
	case SchemeS3, SchemeGCS:
		return s.loc.objectURI(folderPrefix(s.loc.Key) + p)
	case SchemeFile:
		return fileURI(s.loc.Path + "/" + p)
	}
	return s.loc.String() + "/" + p
}

// folderPrefix returns the key prefix of the folder named by key: key
// itself if it ends in '/' or is empty, else key + "/".
func folderPrefix(key string) string {
	if key == "" || strings.HasSuffix(key, "/") {
		return key
	}
	return key + "/"
}

type nopMeter struct{}

func (nopMeter) Add(int64) {}
func (nopMeter) Done()     {}
