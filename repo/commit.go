package repo

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/trove-ml/trove/internal/fileinfo"
	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/retention"
)

// CommitOptions describe a version to log.
type CommitOptions struct {
	// Name and Type name the artifact; the type is fixed by the first
	// version.
	Name, Type string
	// Paths are files and directories: a directory contributes its
	// contents at the version's root, a file its base name.
	Paths []string
	// Prefix puts everything under Prefix/ in the version.
	Prefix string
	// Description is free text (Markdown).
	Description string
	// Metadata is a JSON object; see manifest.CanonicalMetadata.
	Metadata json.RawMessage
	// Aliases and Tags are applied to the version, new or existing.
	Aliases, Tags []string
	// TTL is the retention period ("30d", "never", "inherit" or "").
	TTL string
	// Run is the id of the run logging the version, if any.
	Run string
	// Git is the project's Git state, if known (see lineage.ReadGit).
	Git *manifest.GitInfo
	// Refs are references to data kept elsewhere (see RefSource). Each
	// lists its entries at their paths in the version (under Prefix), and
	// they are laid over the files and folders of Paths: folders of one
	// name merge, any other clash is an error.
	Refs []RefSource
}

// CommitResult says what Commit did.
type CommitResult struct {
	Name string
	// Version is the new version, or the latest one when the content
	// equals it (Unchanged).
	Version   refs.Version
	Unchanged bool
	// Moved lists aliases taken from other versions, with the number each
	// named before.
	Moved map[string]int
	// Files and Size describe the version's content.
	Files, Size int64
	// Read counts bytes read from files; Stored counts bytes added to packs.
	Read, Stored int64
}

// ErrFileChanged means a file changed while it was read; its digest would
// not describe any state the file was in, so the commit stops.
var ErrFileChanged = errors.New("repo: file changed while it was read")

// Commit logs a version of an artifact from local files. Nothing becomes
// visible unless everything succeeds: chunks, trees and the version record
// are durable before the artifact's log names them.
func (r *Repo) Commit(ctx context.Context, o CommitOptions) (*CommitResult, error) {
	if err := r.checkCommit(&o); err != nil {
		return nil, err
	}
	if len(o.Paths) == 0 && len(o.Refs) == 0 {
		return nil, fmt.Errorf("%w: nothing to commit: name at least one file, directory or reference", ErrInvalid)
	}
	return r.commit(ctx, o)
}

func (r *Repo) commit(ctx context.Context, o CommitOptions) (res *CommitResult, err error) {
	var latest *refs.Version
	var expired []int
	switch l, err := r.refs.Log(ctx, o.Name); {
	case errors.Is(err, refs.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		// Checked here, before any hashing, and again atomically by refs.
		if err := checkType(o, l); err != nil {
			return nil, err
		}
		if latest, expired, err = r.commitBase(ctx, o.Name, l); err != nil {
			return nil, err
		}
	}
	root, err := resolveSources(o.Paths, r.Dir)
	if err != nil {
		return nil, err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := r.store.NewWriter()
	c := newCommitter(ctx, r, w)
	c.prefixDepth = pathDepth(o.Prefix)
	defer func() {
		if err != nil {
			cancel()
			c.wait()
			w.Abort()
		}
	}()
	top, err := c.dir(ctx, root)
	if err == nil && len(o.Refs) > 0 {
		top, err = c.addRefs(ctx, top, root, o.Refs) // reference.go
	}
	if err == nil {
		top, err = c.wrapPrefix(ctx, top, o.Prefix)
	}
	c.wait()
	if err == nil {
		err = c.firstErr()
	}
	if err != nil {
		return nil, err
	}
	res = &CommitResult{Name: o.Name, Files: top.Files, Size: top.Size, Read: c.read.Load(), Stored: c.stored.Load()}

	unchanged := latest != nil && latest.Root == top.Digest
	var recID objects.ID
	created := r.opts.Now().UTC()
	if !unchanged {
		rec := &manifest.Record{
			Artifact:    o.Name,
			Type:        o.Type,
			Root:        top.Digest,
			Files:       top.Files,
			Size:        top.Size,
			Description: o.Description,
			Metadata:    o.Metadata,
			Created:     created,
			Creator:     manifest.Creator{User: r.opts.User, Host: hostname(), Run: o.Run, Git: o.Git},
			TTL:         o.TTL,
		}
		if latest != nil {
			rec.Parent = latest.Record
		}
		enc, err := rec.Encode()
		if err != nil {
			return nil, err
		}
		if recID, err = w.PutBlob(ctx, objects.TypeRecord, enc); err != nil {
			return nil, err
		}
	}
	// Order matters: packs, their index and every blob are durable before
	// the artifact's log can name the version (PRODUCT.md invariant 3).
	if err := w.Flush(ctx); err != nil {
		return nil, err
	}
	if err := c.stat.commit(); err != nil {
		return nil, fmt.Errorf("commit: stat cache: %w", err)
	}
	if unchanged && len(o.Aliases) == 0 && len(o.Tags) == 0 {
		res.Version, res.Unchanged = *latest, true
		return res, nil
	}
	cr, err := r.refs.Commit(ctx, refs.CommitRequest{
		Name: o.Name, Type: o.Type, Record: recID, Root: top.Digest, Created: created,
		Aliases: o.Aliases, Tags: o.Tags, Expired: expired,
	})
	if err != nil {
		return nil, err
	}
	res.Version, res.Unchanged, res.Moved = cr.Version, cr.Unchanged, cr.Moved
	return res, nil
}

// CheckCommit checks what a commit is given as Commit does, without a
// repository: the artifact's name, the type's spelling, aliases, tags, the
// TTL's spelling, the prefix and the metadata. An empty Type passes (the
// caller may take it from the artifact's log; Commit refuses it), and so
// do empty Paths and Refs. Commit makes these checks itself; a caller with
// slow work to do first, such as listing references, calls CheckCommit
// (and, with the repository open, [Repo.CheckCommit]) before it, so that
// bad input fails at once. Errors wrap ErrInvalid.
func CheckCommit(o CommitOptions) error {
	if err := validName("artifact name", o.Name); err != nil {
		return err
	}
	if o.Type != "" {
		if err := validName("type", o.Type); err != nil {
			return err
		}
	}
	for _, a := range o.Aliases {
		if err := validName("alias", a); err != nil {
			return err
		}
		if err := refs.CheckAlias(a); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
	}
	for _, t := range o.Tags {
		if err := validName("tag", t); err != nil {
			return err
		}
	}
	if o.TTL != "" && o.TTL != retention.Inherit {
		if _, err := retention.ParseTTL(o.TTL); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
	}
	if strings.HasPrefix(o.Prefix, "/") {
		return fmt.Errorf("%w: --prefix %q: give a folder inside the version, relative to its root (%q), not a path on this machine", ErrInvalid, o.Prefix, strings.Trim(o.Prefix, "/"))
	}
	if o.Prefix != "" {
		for _, el := range strings.Split(strings.TrimSuffix(o.Prefix, "/"), "/") {
			if err := manifest.ValidPathElement(el); err != nil {
				return fmt.Errorf("%w: --prefix %q: %v", ErrInvalid, o.Prefix, err)
			}
		}
	}
	if len(o.Metadata) > 0 {
		if _, err := manifest.CanonicalMetadata(o.Metadata); err != nil {
			return fmt.Errorf("%w: metadata: %v", ErrInvalid, err)
		}
	}
	return nil
}

// CheckCommit makes the checks of Commit that read no file's content:
// those of the function CheckCommit, the TTL guard rail (an explicit TTL
// needs a TTL admin when the project names some), that the artifact, if
// it exists, has type o.Type, and that each of o.Paths can be read. It
// reads only the artifact's log and the paths' folder entries: Refs are
// not listed, and may be left out. Like Commit, it refuses an empty Type;
// a caller that takes the type from the artifact's log fills it in first.
// The artifact may change before Commit, which checks again. Bad input
// is an error wrapping ErrInvalid; the guard rail's wraps
// retention.ErrNotAdmin.
func (r *Repo) CheckCommit(ctx context.Context, o CommitOptions) error {
	if err := r.checkCommit(&o); err != nil {
		return err
	}
	switch l, err := r.refs.Log(ctx, o.Name); {
	case errors.Is(err, refs.ErrNotFound):
	case err != nil:
		return err
	default:
		if err := checkType(o, l); err != nil {
			return err
		}
	}
	_, err := resolveSources(o.Paths, r.Dir)
	return err
}

// checkCommit makes Commit's checks that read neither the artifact's log
// nor a file (see CheckCommit), and makes o's metadata canonical.
func (r *Repo) checkCommit(o *CommitOptions) error {
	if err := CheckCommit(*o); err != nil {
		return err
	}
	if o.Type == "" {
		return validName("type", o.Type)
	}
	if err := r.beforeCommit(o); err != nil { // TTL guard rail (retention.go)
		return err
	}
	if len(o.Metadata) > 0 {
		m, err := manifest.CanonicalMetadata(o.Metadata)
		if err != nil {
			return fmt.Errorf("%w: metadata: %v", ErrInvalid, err)
		}
		o.Metadata = m
	}
	return nil
}

// checkType refuses a commit to an artifact, whose log is l, of a type
// other than the artifact's: the first version fixes it.
func checkType(o CommitOptions, l *refs.Log) error {
	if l.Type != o.Type {
		return fmt.Errorf("%w: artifact %q has type %q; a commit of type %q under that name is refused (use another name)", ErrInvalid, o.Name, l.Type, o.Type)
	}
	return nil
}

func validName(what, s string) error {
	if err := manifest.ValidateName(what, s); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return nil
}

// vdir is a directory of the version being built: the union of the real
// directories that contribute to it, plus loose files (named on the command
// line) that land in it.
type vdir struct {
	dirs   []string
	files  []source
	listed *listing // set once a pool worker lists it ahead of the walk
}

// source is one named thing that lands in a vdir.
type source struct {
	name string
	// path is the file's path, or empty for a listed file, whose path is
	// made of dir and name when it is needed (fullPath): a folder of a
	// million files would otherwise hold a million paths.
	path, dir string
	info      fs.FileInfo // from Lstat, or Stat for command-line arguments
	// cached is the stat cache entry of a listed file, if any: its
	// folder's entries were read and checked when it was listed (listDir),
	// and the entry kept only where reading the file uses it.
	cached []byte
}

// listed reports whether the source came from listing its folder, rather
// than from the command line.
func (s *source) listed() bool { return s.path == "" }

// fullPath returns the path of the source.
func (s *source) fullPath() string {
	if !s.listed() {
		return s.path
	}
	return filepath.Join(s.dir, s.name)
}

// resolveSources turns command-line paths into the root vdir. A symlink
// named on the command line is followed (the user named it); inside
// directories symlinks are recorded, never followed.
func resolveSources(paths []string, trove string) (*vdir, error) {
	root := &vdir{}
	claimed := map[string]string{}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, p, fileinfo.Cause(err))
		}
		switch {
		case fi.IsDir():
			if abs == trove || strings.HasPrefix(abs, trove+string(filepath.Separator)) {
				return nil, fmt.Errorf("%w: %s is inside the repository's own %s folder", ErrInvalid, p, DirName)
			}
			if git := filepath.Join(filepath.Dir(trove), ".git"); abs == git || strings.HasPrefix(abs, git+string(filepath.Separator)) {
				return nil, fmt.Errorf("%w: %s is inside the project's Git folder, which trove leaves to Git", ErrInvalid, p)
			}
			f, err := os.Open(abs)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, p, fileinfo.Cause(err))
			}
			f.Close()
			root.dirs = append(root.dirs, abs)
		case fi.Mode().IsRegular():
			name := filepath.Base(abs)
			if prev, ok := claimed[name]; ok {
				return nil, errClaimed(prev, p, name)
			}
			claimed[name] = p
			root.files = append(root.files, source{name: name, path: abs, info: fi})
		default:
			return nil, fmt.Errorf("%w: %s is a %s: trove stores regular files, directories and symlinks", ErrInvalid, p, fileinfo.KindName(fi.Mode()))
		}
	}
	return root, nil
}

// errClaimed is the error of two command-line paths, a and b, that put
// something at one path of the version's root.
func errClaimed(a, b, name string) error {
	return fmt.Errorf("%w: %s and %s both claim the path %q in the version (a folder contributes its contents at the root, a file its base name: rename one, or commit the folder that holds it instead; --prefix moves everything)", ErrInvalid, a, b, name)
}

// committer builds the trees of one commit. Directories are walked on the
// calling goroutine in name order; file contents are hashed and stored by a
// pool of workers, and each directory's entries are added to its tree in
// order as their results arrive, with a bounded window of files in flight.
type committer struct {
	r         *Repo
	w         *objects.Writer
	blobs     blobs
	chunk     *objects.Chunker
	stat      *statRecorder // the commit's entries, written once the content is durable
	pool      *pool
	bufs      *bufPool
	smallBufs smallBufs     // read buffers of small files
	kinds     kindHints     // compressibility of one-chunk files, by extension
	bigSem    chan struct{} // bounds concurrent big-file pipelines
	bigWG     sync.WaitGroup
	meter     Meter

	prefixDepth int // path elements of CommitOptions.Prefix, bounding references' depth

	read, stored atomicInt

	errMu sync.Mutex
	err   error // first error of a worker; guarded by errMu

	dws []*manifest.DirWriter // free DirWriters of the walk (see dirWriter)

	streamsMu sync.Mutex
	streams   []*dirStream // folders listed in batches (see track)

	ctx context.Context

	// epoch is the store's removal epoch: content stored or seen in the
	// store during this commit is there while it holds (see fromStatCache).
	epoch     uint64
	refreshed *statRecorder // stat cache entries brought up to epoch (see refresh)
}

// commitStatFlush is how many stat cache entries a commit holds before it
// makes their content durable (Writer.Flush: the current pack, however
// small, and the pending blobs) and writes them: some 8 MiB of entries, so
// that a commit of millions of files does not hold one for each, at the
// cost of a small pack and two synced writes per 65,536 files.
const commitStatFlush = 1 << 16

func newCommitter(ctx context.Context, r *Repo, w *objects.Writer) *committer {
	return &committer{
		ctx:       ctx,
		r:         r,
		w:         w,
		blobs:     blobs{st: r.store, w: w},
		chunk:     objects.NewChunker(r.Config.Chunker.Params()),
		stat:      r.newDurableStatRecorder(cmp.Or(r.opts.StatFlush, commitStatFlush), func() error { return w.Flush(ctx) }),
		epoch:     r.store.RemovalEpoch(),
		refreshed: r.newStatRecorder(refreshBatch),
		pool:      newPool(ctx, r.opts.Workers),
		bufs:      newBufPool(bigBlockCount, bigBlockSize+r.Config.Chunker.Max),
		bigSem:    make(chan struct{}, bigFileConcurrency),
		meter:     r.opts.Progress.Start("hashing", 0, true),
	}
}

func (c *committer) wait() {
	c.bigWG.Wait()
	c.pool.close()
	c.closeStreams()
	c.meter.Done()
	_ = c.refreshed.commit() // a cache: a lost entry costs a lookup
}

func (c *committer) fail(err error) {
	c.errMu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.errMu.Unlock()
}

func (c *committer) firstErr() error {
	c.errMu.Lock()
	defer c.errMu.Unlock()
	return c.err
}

// windowSize bounds the files of one directory in flight at once, and with
// it the memory a huge directory needs.
const windowSize = 512

// result is a directory entry that may still be computed by a worker:
// done is closed when it is; a nil done means it was known at once.
type result struct {
	done chan struct{}
	e    manifest.Entry
	err  error
}

func doneResult(e manifest.Entry, err error) *result {
	return &result{e: e, err: err}
}

// dir builds the tree of v and returns its entry (without a name). v's
// items come a batch at a time (see listBatch).
func (c *committer) dir(ctx context.Context, v *vdir) (manifest.Entry, error) {
	items, rest, err := c.items(ctx, v)
	v.listed = nil // the parent's items hold v until its own walk ends
	if rest != nil {
		defer rest.close()
	}
	if err != nil {
		return manifest.Entry{}, err
	}
	t := &treeBuild{c: c, ctx: ctx, dw: c.dirWriter(ctx)}
	defer c.putDirWriter(t.dw)
	for len(items) > 0 {
		if err := t.addBatch(items); err != nil {
			return manifest.Entry{}, err
		}
		if rest == nil {
			break
		}
		if items, err = rest.next(); err != nil {
			return manifest.Entry{}, err
		}
	}
	if err := t.drain(true); err != nil {
		return manifest.Entry{}, err
	}
	id, size, files, err := t.dw.Finish()
	if err != nil {
		return manifest.Entry{}, err
	}
	return manifest.Entry{Kind: manifest.KindDir, Digest: id, Size: size, Files: files}, nil
}

// treeBuild is the tree of one folder being built by the walk: entries go
// into dw in name order as their results arrive, with at most windowSize
// files in flight.
type treeBuild struct {
	c     *committer
	ctx   context.Context
	dw    *manifest.DirWriter
	queue []*result // in name order, the head next into dw
}

// addBatch walks a batch of the folder's items: files to the pool (or
// straight into the tree when the stat cache vouched for them), subfolders
// built in turn, the batch's first subfolders listed ahead.
func (t *treeBuild) addBatch(items []item) error {
	var subs []*vdir // subfolders of the batch in walk order, for prefetch
	for _, it := range items {
		if it.sub != nil {
			subs = append(subs, it.sub)
		}
	}
	for _, sub := range subs[:min(prefetchDirs, len(subs))] {
		t.c.prefetch(sub)
	}
	nsub := 0
	for _, it := range items {
		var res *result
		switch {
		case it.known && len(t.queue) == 0:
			// Taken from the stat cache while listing, and nothing
			// before it pending: straight into the tree.
			if err := t.dw.Add(fileEntry(it.src, it.digest)); err != nil {
				return err
			}
			continue
		case it.known:
			res = doneResult(fileEntry(it.src, it.digest), nil)
		case it.sub != nil:
			if next := nsub + prefetchDirs; next < len(subs) {
				t.c.prefetch(subs[next])
			}
			nsub++
			e, err := t.c.dir(t.ctx, it.sub)
			e.Name = it.name
			res = doneResult(e, err)
		default:
			res = t.c.file(t.ctx, it.src)
		}
		t.queue = append(t.queue, res)
		if err := t.drain(false); err != nil {
			return err
		}
	}
	return nil
}

// drain adds the finished results at the head of the queue to the tree;
// with block, or while more than windowSize are in flight, it waits for
// them.
func (t *treeBuild) drain(block bool) error {
	for len(t.queue) > 0 {
		head := t.queue[0]
		if head.done != nil && !block && len(t.queue) <= windowSize {
			select {
			case <-head.done:
			default:
				return nil
			}
		}
		if head.done != nil {
			select {
			case <-head.done:
			case <-t.ctx.Done():
				if err := t.c.firstErr(); err != nil {
					return err
				}
				return t.ctx.Err()
			}
		}
		if head.err != nil {
			return head.err
		}
		if err := t.dw.Add(head.e); err != nil {
			return err
		}
		t.queue[0] = nil
		t.queue = t.queue[1:]
	}
	return nil
}

// dirWriter returns a DirWriter from the walk's free list, or a new one.
// Only the walk's goroutine builds trees, one per depth at a time.
func (c *committer) dirWriter(ctx context.Context) *manifest.DirWriter {
	if n := len(c.dws); n > 0 {
		dw := c.dws[n-1]
		c.dws = c.dws[:n-1]
		return dw
	}
	return manifest.NewDirWriter(ctx, c.blobs)
}

func (c *committer) putDirWriter(dw *manifest.DirWriter) {
	dw.Reset()
	c.dws = append(c.dws, dw)
}

// fromStatCache returns the digest of a regular file whose stat cache
// entry matches it and is not racy, and whose content the store holds:
// known without a lookup if the entry was written at the store's current
// removal epoch (nothing left the store since), else looked up, and the
// entry then brought up to the epoch. A file whose content is gone is
// read again.
func (c *committer) fromStatCache(s source) (objects.ID, bool) {
	if !s.info.Mode().IsRegular() || s.cached == nil {
		return objects.ID{}, false
	}
	st := statOf(s.info)
	d, epoch, ok := trustStatEntry(s.cached, st)
	if !ok {
		return objects.ID{}, false
	}
	if epoch != c.epoch {
		if !c.have(d, st.size) {
			return objects.ID{}, false
		}
		c.refresh(s.fullPath(), s.cached)
	}
	return d, true
}

// refreshBatch is how many refreshed stat cache entries a commit holds
// before it writes them: after a GC, every file's entry is refreshed once.
const refreshBatch = 4096

// refresh rewrites the stat cache entry enc of path with the current
// removal epoch, the store having been seen to hold its content. Refreshed
// entries are true whatever becomes of the commit, so they are written as
// they accumulate, bounding the memory they take.
func (c *committer) refresh(path string, enc []byte) {
	c.refreshed.set(statKey(path), withEpoch(nil, enc, c.epoch))
}

// fileEntry is the tree entry of regular file s with content digest.
func fileEntry(s source, digest objects.ID) manifest.Entry {
	return manifest.Entry{Name: s.name, Kind: manifest.KindFile, Mode: manifest.FileMode(s.info.Mode().Perm()), Size: s.info.Size(), Digest: digest}
}

// file returns the entry of one non-directory source, computing it on a
// worker when content must be read.
func (c *committer) file(ctx context.Context, s source) *result {
	path := s.fullPath()
	mode := s.info.Mode()
	switch {
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			return doneResult(manifest.Entry{}, fmt.Errorf("%w: %s: %v", ErrInvalid, path, fileinfo.Cause(err)))
		}
		return doneResult(manifest.Entry{
			Name: s.name, Kind: manifest.KindSymlink, Digest: objects.Sum([]byte(target)), Target: target,
		}, nil)
	case mode.IsRegular():
	default:
		return doneResult(manifest.Entry{}, fmt.Errorf("%w: %s is a %s: trove stores regular files, directories and symlinks (move it out of the folder)", ErrInvalid, path, fileinfo.KindName(mode)))
	}
	if !s.listed() {
		// A file named on the command line: its folder was not listed.
		s.cached, _ = c.r.store.GetMeta(nsStatCache, statKey(path))
		if d, ok := c.fromStatCache(s); ok {
			return doneResult(fileEntry(s, d), nil)
		}
	}
	e := fileEntry(s, objects.ID{})
	res := &result{done: make(chan struct{})}
	job := func() {
		defer close(res.done)
		var err error
		if s.info.Size() >= bigFileSize {
			c.bigSem <- struct{}{}
			e.Digest, e.Size, err = c.ingestBig(ctx, path, s.cached)
			<-c.bigSem
		} else {
			e.Digest, e.Size, err = c.ingestSmall(ctx, path)
		}
		if err != nil {
			res.err = err
			c.fail(err)
			return
		}
		res.e = e
	}
	if s.info.Size() >= bigFileSize {
		// Big files run their own pipeline that feeds the pool; running
		// them on a pool worker could deadlock the pool.
		c.bigWG.Add(1)
		go func() {
			defer c.bigWG.Done()
			job()
		}()
	} else {
		c.pool.submit(job)
	}
	return res
}

// have reports whether the store holds the content of a file.
func (c *committer) have(digest objects.ID, size int64) bool {
	if size == 0 {
		return true
	}
	if _, ok, err := c.r.store.FileMap(digest); err == nil && ok {
		return true
	}
	ok, err := c.r.store.Has(digest)
	return err == nil && ok
}

// rememberStat records path's digest in the stat cache.
func (c *committer) rememberStat(path string, st fileStat, statTime time.Time, digest objects.ID) {
	c.stat.remember(path, st, statTime, digest, c.epoch)
}

// wrapPrefix nests top under the elements of prefix.
func (c *committer) wrapPrefix(ctx context.Context, top manifest.Entry, prefix string) (manifest.Entry, error) {
	prefix = strings.Trim(prefix, "/")
	if prefix == "" {
		return top, nil
	}
	els := strings.Split(prefix, "/")
	for i := len(els) - 1; i >= 0; i-- {
		top.Name = els[i]
		dw := manifest.NewDirWriter(ctx, c.blobs)
		if err := dw.Add(top); err != nil {
			return top, err
		}
		id, size, files, err := dw.Finish()
		if err != nil {
			return top, err
		}
		top = manifest.Entry{Kind: manifest.KindDir, Digest: id, Size: size, Files: files}
	}
	return top, nil
}
