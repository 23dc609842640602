package repo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// References (ARCHITECTURE.md, "References to external data") reach repo
// through two small interfaces; package reference implements both, and
// cmd maps URL schemes to its stores. Nothing here knows a scheme.

// RefSource is one reference to record in a commit.
type RefSource interface {
	// String names the reference in messages (its URI).
	String() string
	// List calls fn for the reference's entries, on the calling goroutine,
	// in walk order of path ([manifest.Walk]), each path being where the
	// entry lands in the version: slash-separated, relative to the
	// version's root (or CommitOptions.Prefix), never "", its last element
	// the entry's Name. Where that is (a prefix's objects at the root,
	// relative to the prefix; an object under its base name; or a path the
	// user gave) is the source's business. Entries are of kind
	// [manifest.KindRef] or [manifest.KindRefLocation]. List returns fn's
	// error as it is; it may be called more than once.
	List(ctx context.Context, fn func(path string, e manifest.Entry) error) error
}

// RefFetcher reads referenced objects from their sources, for pull and
// verify.
type RefFetcher interface {
	// Fetch writes the content of the object that entry e (of kind
	// [manifest.KindRef]) records to w, pinned to the recorded version and
	// checked against the recorded checksum. An object (or version) that
	// is gone is an error wrapping [fs.ErrNotExist]; one that differs from
	// the record wraps [objects.ErrCorrupt]. The last write may precede
	// such an error, so callers write to a temp file.
	Fetch(ctx context.Context, e manifest.Entry, w io.Writer) error
	// Expand lists what a location-only entry (of kind
	// [manifest.KindRefLocation]) names now, like RefSource.List: path ""
	// for a single object, else paths below the location.
	Expand(ctx context.Context, e manifest.Entry, fn func(path string, e manifest.Entry) error) error
}

// refGone reports whether err from a RefFetcher means the object changed
// or went missing at its source: what PullOptions.AllowMissingRefs turns
// into a warning.
func refGone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, objects.ErrCorrupt)
}

// PrivatePaths returns the files and folders that references to local
// files leave out, as commit leaves them out of folders (listDir): the
// repository's own folder and the project's Git folder.
func (r *Repo) PrivatePaths() []string { return []string{r.Dir, r.gitDir()} }

// TempDir returns the repository's folder for scratch files, such as
// listings sorted on disk: private to this process while it has the
// repository open, and emptied when the repository is next opened.
func (r *Repo) TempDir() string { return r.store.TempDir() }

// addRefs lays the trees of references over top, the tree of the commit's
// files and folders (local, from CommitOptions.Paths), as W&B adds a
// reference's entries to an artifact's: folders of one name merge, and
// any other path claimed twice is an error naming both claimants.
func (c *committer) addRefs(ctx context.Context, top manifest.Entry, local *vdir, srcs []RefSource) (manifest.Entry, error) {
	var layers []manifest.Entry // root trees, the local files' first
	var from []RefSource        // the source of each layer; nil for the local files
	if len(local.dirs)+len(local.files) > 0 {
		layers, from = append(layers, top), append(from, nil)
	}
	for _, src := range srcs {
		e, err := c.ref(ctx, src)
		if err != nil {
			return manifest.Entry{}, err
		}
		layers, from = append(layers, e), append(from, src)
	}
	if len(layers) == 1 {
		return layers[0], nil
	}
	// Merging reads back the trees just built, which sit in the writer's
	// pending batch until a flush. The blobs become durable before any
	// version names them, as any large commit's do (PutBlob flushes a full
	// batch): if the commit fails they are garbage for GC, never visible.
	// The merge itself reads only these layers, never its own output.
	if err := c.w.Flush(ctx); err != nil {
		return manifest.Entry{}, err
	}
	ids, owners := make([]objects.ID, len(layers)), make([]int, len(layers))
	for i, l := range layers {
		ids[i], owners[i] = l.Digest, i
	}
	m, err := c.mergeDirs(ctx, ids, owners, "")
	var clash *pathClash
	if errors.As(err, &clash) {
		name := func(i int) string {
			if from[i] == nil {
				return local.claimant(clash.path)
			}
			return from[i].String()
		}
		return manifest.Entry{}, fmt.Errorf("%w: %s and %s both claim the path %q in the version (give the reference a path of its own: --ref PATH=URI)",
			ErrInvalid, name(clash.a), name(clash.b), clash.path)
	}
	return m, err
}

// claimant names the local source of version path p, a path the local
// files and folders of a commit hold, for messages.
func (v *vdir) claimant(p string) string {
	first, _, _ := strings.Cut(p, "/")
	for _, f := range v.files {
		if f.name == first {
			return f.fullPath()
		}
	}
	for _, d := range v.dirs {
		full := filepath.Join(d, filepath.FromSlash(p))
		if _, err := os.Lstat(full); err == nil {
			return full
		}
	}
	return "the files and folders committed"
}

// pathClash is a path that two layers being merged, a and b, both hold,
// not both as folders.
type pathClash struct {
	path string
	a, b int
}

func (e *pathClash) Error() string { return fmt.Sprintf("repo: %q is claimed twice", e.path) }

// mergeDirs merges directories ids, whose entries' paths start with
// prefix and which come from layers owners, into one: the entries of
// each, folders of one name merged in turn, and any other name held by
// two a *pathClash. Subtrees that one side alone holds are kept as they
// are, unread; memory is a node per level of each side.
func (c *committer) mergeDirs(ctx context.Context, ids []objects.ID, owners []int, prefix string) (manifest.Entry, error) {
	type cursor struct {
		next  func() (manifest.Entry, error, bool)
		e     manifest.Entry
		err   error
		ok    bool
		owner int
	}
	cs := make([]*cursor, len(ids))
	for i, id := range ids {
		next, stop := iter.Pull2(dirEntries(ctx, c.blobs, id))
		defer stop()
		cs[i] = &cursor{next: next, owner: owners[i]}
		cs[i].e, cs[i].err, cs[i].ok = next()
	}
	dw := manifest.NewDirWriter(ctx, c.blobs)
	var same []*cursor
	for {
		same = same[:0]
		for _, cu := range cs {
			switch {
			case cu.err != nil:
				return manifest.Entry{}, cu.err
			case !cu.ok:
			case len(same) == 0 || cu.e.Name < same[0].e.Name:
				same = append(same[:0], cu)
			case cu.e.Name == same[0].e.Name:
				same = append(same, cu)
			}
		}
		if len(same) == 0 {
			break
		}
		e := same[0].e
		if len(same) > 1 {
			sub, subOwners := make([]objects.ID, len(same)), make([]int, len(same))
			for i, cu := range same {
				if cu.e.Kind != manifest.KindDir {
					other := same[0]
					if i == 0 {
						other = same[1]
					}
					return manifest.Entry{}, &pathClash{path: prefix + e.Name, a: min(cu.owner, other.owner), b: max(cu.owner, other.owner)}
				}
				sub[i], subOwners[i] = cu.e.Digest, cu.owner
			}
			m, err := c.mergeDirs(ctx, sub, subOwners, prefix+e.Name+"/")
			if err != nil {
				return manifest.Entry{}, err
			}
			m.Name = e.Name
			e = m
		}
		if err := dw.Add(e); err != nil {
			return manifest.Entry{}, err
		}
		for _, cu := range same {
			cu.e, cu.err, cu.ok = cu.next()
		}
	}
	id, size, files, err := dw.Finish()
	if err != nil {
		return manifest.Entry{}, err
	}
	return manifest.Entry{Kind: manifest.KindDir, Digest: id, Size: size, Files: files}, nil
}

// errStopped ends a directory read whose consumer stopped (dirEntries).
var errStopped = errors.New("repo: stopped")

// dirEntries yields the entries of directory id in name order, and last
// an error, with a zero entry, if reading fails.
func dirEntries(ctx context.Context, g manifest.BlobGetter, id objects.ID) iter.Seq2[manifest.Entry, error] {
	return func(yield func(manifest.Entry, error) bool) {
		err := manifest.ReadDir(ctx, g, id, func(e manifest.Entry) error {
			if !yield(e, nil) {
				return errStopped
			}
			return nil
		})
		if err != nil && err != errStopped {
			yield(manifest.Entry{}, err)
		}
	}
}

// ref builds the tree of one reference: its entries at their paths in the
// version, in a tree to lay over the version's root (addRefs). Entries
// stream into one DirWriter per open folder, so memory stays bounded
// whatever the number of objects.
func (c *committer) ref(ctx context.Context, src RefSource) (manifest.Entry, error) {
	t := &refTree{ctx: ctx, blobs: c.blobs, src: src, maxDepth: manifest.MaxDepth - c.prefixDepth}
	defer func() { t.stack = nil }()
	if err := src.List(ctx, t.add); err != nil {
		return manifest.Entry{}, err
	}
	return t.finish()
}

// refTree turns a reference's entries, in walk order, into a tree.
type refTree struct {
	ctx      context.Context
	blobs    manifest.BlobPutter
	src      RefSource
	maxDepth int // most path elements of an entry, below CommitOptions.Prefix

	stack []refFrame // open folders; stack[0] is the version's root
	n     int64
}

type refFrame struct {
	name string
	dw   *manifest.DirWriter
}

func (t *refTree) add(p string, e manifest.Entry) error {
	t.n++
	if p == "" {
		return fmt.Errorf("repo: reference %s: an entry listed without a path", t.src)
	}
	if len(t.stack) == 0 {
		t.stack = append(t.stack, refFrame{dw: manifest.NewDirWriter(t.ctx, t.blobs)})
	}
	// The folders of p, compared with the open ones: close those that
	// p has left, open those it enters.
	dirs := strings.Split(p, "/")
	if len(dirs) > t.maxDepth {
		return fmt.Errorf("%w: reference %s: %q is nested deeper than %d levels", ErrInvalid, t.src, p, manifest.MaxDepth)
	}
	dirs = dirs[:len(dirs)-1]
	k := 0
	for k < len(dirs) && k+1 < len(t.stack) && t.stack[k+1].name == dirs[k] {
		k++
	}
	for len(t.stack) > k+1 {
		if err := t.pop(); err != nil {
			return err
		}
	}
	for _, d := range dirs[k:] {
		t.stack = append(t.stack, refFrame{name: d, dw: manifest.NewDirWriter(t.ctx, t.blobs)})
	}
	if n := t.n; n%4096 == 0 {
		if err := t.ctx.Err(); err != nil {
			return err
		}
	}
	if err := t.stack[len(t.stack)-1].dw.Add(e); err != nil {
		return fmt.Errorf("reference %s: %w", t.src, err)
	}
	return nil
}

// pop finishes the innermost open folder and adds it to its parent.
func (t *refTree) pop() error {
	f := t.stack[len(t.stack)-1]
	t.stack = t.stack[:len(t.stack)-1]
	id, size, files, err := f.dw.Finish()
	if err != nil {
		return fmt.Errorf("reference %s: %w", t.src, err)
	}
	if err := t.stack[len(t.stack)-1].dw.Add(manifest.Entry{Name: f.name, Kind: manifest.KindDir, Digest: id, Size: size, Files: files}); err != nil {
		return fmt.Errorf("reference %s: %w", t.src, err)
	}
	return nil
}

// finish returns the root of the reference's tree (without a name).
func (t *refTree) finish() (manifest.Entry, error) {
	if len(t.stack) == 0 {
		return manifest.Entry{}, fmt.Errorf("repo: reference %s listed nothing", t.src)
	}
	for len(t.stack) > 1 {
		if err := t.pop(); err != nil {
			return manifest.Entry{}, err
		}
	}
	id, size, files, err := t.stack[0].dw.Finish()
	if err != nil {
		return manifest.Entry{}, fmt.Errorf("reference %s: %w", t.src, err)
	}
	return manifest.Entry{Kind: manifest.KindDir, Digest: id, Size: size, Files: files}, nil
}

// Limits of pulling references.
const (
	// refFetchers bounds the referenced objects downloaded at once: they
	// wait on the network, not on a core, so more run than pool workers.
	refFetchers = 16
	// maxPullWarnings bounds the warnings a pull keeps; the rest are
	// counted.
	maxPullWarnings = 1000
)

// refPull is the reference part of a materializer.
type refPull struct {
	fetch        RefFetcher    // PullOptions.Refs
	allowMissing bool          // PullOptions.AllowMissingRefs
	sem          chan struct{} // bounds fetches in flight

	warnings []string // guarded by materializer.errMu
	dropped  int      // warnings past maxPullWarnings; guarded likewise
}

func newRefPull(o PullOptions) refPull {
	return refPull{fetch: o.Refs, allowMissing: o.AllowMissingRefs, sem: make(chan struct{}, refFetchers)}
}

// warningList returns the warnings, the dropped ones summed up last. The
// pull must be over.
func (rp *refPull) warningList() []string {
	if rp.dropped > 0 {
		return append(rp.warnings, fmt.Sprintf("… and %d more warnings", rp.dropped))
	}
	return rp.warnings
}

// warn records a warning of the pull.
func (m *materializer) warn(format string, args ...any) {
	m.errMu.Lock()
	defer m.errMu.Unlock()
	if len(m.refs.warnings) == maxPullWarnings {
		m.refs.dropped++
		return
	}
	m.refs.warnings = append(m.refs.warnings, fmt.Sprintf(format, args...))
}

// refEntry materialises a reference entry at version path p: its object,
// or for a location-only reference whatever the location holds now.
func (m *materializer) refEntry(ctx context.Context, p string, e manifest.Entry) error {
	if m.refs.fetch == nil {
		return fmt.Errorf("%w: %s is a reference to %s, and no reference fetcher was given", ErrInvalid, p, e.Ref.URI)
	}
	if e.Kind == manifest.KindRef {
		d, err := m.dest(p)
		if err != nil {
			return err
		}
		select {
		case m.refs.sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		m.wg.Add(1)
		go func() {
			defer func() {
				<-m.refs.sem
				m.wg.Done()
			}()
			if err := m.fetchRef(ctx, d, p, e); err != nil {
				m.fail(err)
			}
		}()
		return nil
	}
	m.warn("%s: %s is recorded without checksums: pulled as it is now, not pinned to what it held at commit", p, e.Ref.URI)
	made := map[string]bool{}
	err := m.refs.fetch.Expand(ctx, e, func(sub string, se manifest.Entry) error {
		if err := m.firstErr(); err != nil {
			return err
		}
		q := p
		if sub != "" {
			// Folders from p down to q's parent, each once, replacing
			// whatever is in their way.
			q = p + "/" + sub
			for i := len(p); i < len(q); i++ {
				if q[i] == '/' && !made[q[:i]] {
					if err := m.ensureDir(q[:i]); err != nil {
						return err
					}
					made[q[:i]] = true
				}
			}
		}
		return m.refEntry(ctx, q, se)
	})
	if err != nil && m.refs.allowMissing && refGone(err) {
		m.warn("%s: %v", p, err)
		return nil
	}
	return err
}

// fetchRef writes one referenced object at d: to a temp file beside it,
// put in place once the fetcher has checked it (replaceFile). A file
// there that is not known to hold the object (an object recorded with an
// ETag only is never known to) is replaced only if it is trove's
// (replaceable). With AllowMissingRefs a changed or missing object is a
// warning.
func (m *materializer) fetchRef(ctx context.Context, d, p string, e manifest.Entry) error {
	byChecksum := e.Digest.IsZero()
	e.Digest = m.refContent(d, e)
	if !e.Digest.IsZero() && m.refUpToDate(d, e) {
		m.skipped.Add(1)
		m.meter.Add(e.Size)
		return nil
	}
	if fi, err := os.Lstat(d); err == nil {
		if err := m.replaceable(d, fi, "file"); err != nil {
			return err
		}
	}
	// A folder of the manifest may be created after this job was queued,
	// but never this object's own parent: that comes first in walk order.
	h := objects.NewHasher()
	var n int64
	if err := m.begin(); err != nil {
		return err
	}
	st, statTime, err := replaceFile(d, fs.FileMode(manifest.ModeFile), m.unnamed, m.clearForFile, func(f *os.File) error {
		cw := &countWriter{w: io.MultiWriter(f, h), meter: m.meter}
		err := m.refs.fetch.Fetch(ctx, e, cw)
		n = cw.n
		return err
	})
	if err != nil {
		if m.refs.allowMissing && refGone(err) {
			m.warn("%s: %v", p, err)
			return nil
		}
		return fmt.Errorf("%s: %w", p, err)
	}
	sum := h.Sum()
	m.rememberRef(d, st, statTime, sum)
	if byChecksum {
		m.stat.set(refObjectKey(e), sum[:])
	}
	m.written.Add(1)
	m.bytes.Add(n)
	m.refBytes.Add(n)
	return nil
}

// refUpToDate reports whether d already holds the content of reference
// entry e, whose digest is known. Like upToDate, but stat cache entries
// of referenced files are kept apart (see DigestCache).
func (m *materializer) refUpToDate(d string, e manifest.Entry) bool {
	fi, err := os.Lstat(d)
	return err == nil && m.upToDateWith(d, fi, e, m.r.refDigest, refStatKey, pulledRefEpoch)
}

// pulledRefEpoch marks the stat cache entries (under refStatKey) of
// referenced objects a pull placed or found in place, in the field where
// entries of stored files keep the store's removal epoch: no store reaches
// it, and the DigestCache's entries of the same keys, for the user's files
// that a file:// reference points at, carry 0. It tells a later pull which
// referenced files are its to replace (placedRefUnchanged). Entries
// written before it existed carry 0: their files count as the user's,
// which only costs a --force.
const pulledRefEpoch = ^uint64(0)

func (m *materializer) rememberRef(d string, st fileStat, statTime time.Time, digest objects.ID) {
	m.stat.set(refStatKey(d), encodeStatEntry(st, statTime, digest, pulledRefEpoch))
}

// countWriter counts bytes written and reports them to a meter.
type countWriter struct {
	w     io.Writer
	meter Meter
	n     int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.meter.Add(int64(n))
	return n, err
}

// VerifyOptions say how Verify treats references and the stat cache.
type VerifyOptions struct {
	// StatCache trusts the stat cache, as commit and pull do: a file whose
	// size, times, inode and device match an entry that is not racy is
	// compared by the entry's digest, without being read, and files that
	// are read are remembered there. VerifyReport.Bytes then counts only
	// the bytes read. trove verify leaves it off, to read every byte;
	// trove status sets it, to check unchanged pinned folders quickly.
	StatCache bool
	// Refs reads referenced objects whose recorded checksum does not
	// describe the content (ETags), to compare them with the folder's
	// copies. Without it such references are checked by size alone.
	Refs RefFetcher
	// SkipReferences checks references by presence and size only, without
	// reading them or their sources.
	SkipReferences bool
}

// refVerify is the reference part of a verifier.
type refVerify struct {
	o   VerifyOptions
	err error // first failure to read a source; guarded by verifier.mu
}

// ref compares a reference entry with the file at full. A location-only
// reference pins nothing, so it is listed as unpinned and not compared.
// Otherwise the file must have the recorded size and content: content
// with a recorded BLAKE3 is compared with it, anything else with the
// source's current copy, read through the fetcher, which checks that the
// source still holds what the version records.
func (vf *verifier) ref(ctx context.Context, p string, e manifest.Entry, full string, fi fs.FileInfo) {
	if e.Kind == manifest.KindRefLocation {
		vf.add(&vf.rep.Unpinned, p)
		return
	}
	vf.mu.Lock()
	vf.rep.Files++
	vf.mu.Unlock()
	if !fi.Mode().IsRegular() || fi.Size() != e.Size {
		vf.add(&vf.rep.Changed, p)
		return
	}
	if e.Digest.IsZero() {
		// Known by content if a pull here fetched it: the folder is
		// compared with what the version recorded, not with its source
		// now, and nothing is fetched.
		e.Digest, _ = vf.r.refObjectDigest(e)
	}
	if vf.ro.o.SkipReferences || (e.Digest.IsZero() && vf.ro.o.Refs == nil) {
		return
	}
	st := statOf(fi)
	vf.pool.submit(func() {
		want := e.Digest
		if want.IsZero() {
			h := objects.NewHasher()
			if err := vf.ro.o.Refs.Fetch(ctx, e, h); err != nil {
				if refGone(err) {
					vf.add(&vf.rep.SourceChanged, p)
					return
				}
				vf.mu.Lock()
				if vf.ro.err == nil {
					vf.ro.err = fmt.Errorf("verify %s: %w", p, err)
				}
				vf.mu.Unlock()
				return
			}
			want = h.Sum()
		}
		d, err := hashFile(full, st)
		vf.meter.Add(e.Size)
		vf.mu.Lock()
		vf.rep.Bytes += e.Size
		vf.mu.Unlock()
		if err != nil || d != want {
			vf.add(&vf.rep.Changed, p)
		}
	})
}

// pathDepth returns the number of elements of a slash-separated path.
func pathDepth(p string) int {
	p = strings.Trim(p, "/")
	if p == "" {
		return 0
	}
	return strings.Count(p, "/") + 1
}
