package repo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/trove-ml/trove/checkout"
	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// PullOptions say where and what to materialise.
type PullOptions struct {
	// Dir is the output folder; it is created if missing. Files that are
	// not in the version are left alone. Where the version has a file,
	// symbolic link, referenced object or folder and something else is
	// there — other content, or another kind — it is replaced only if
	// trove placed it and nobody changed it since (materializer.troves,
	// lookThrough); anything else is the user's, and the pull fails with
	// ErrInTheWay, having written nothing (see Pull).
	Dir string
	// Force replaces what is at the version's paths whatever it is: files
	// and links the user changed or made, and folders in the way of a
	// file or link with everything in them. Files that are not at any of
	// the version's paths are still left alone.
	Force bool
	// ForceHint is how the caller's user asks for Force ("pull with
	// --force"), named in ErrInTheWay's advice; empty: the advice is only
	// to move things away or pull into another folder.
	ForceHint string
	// Prefix restricts the pull to one file or folder of the version; it
	// keeps its path under Dir.
	Prefix string
	// Refs fetches referenced objects from their sources; a version with
	// references cannot be pulled without it.
	Refs RefFetcher
	// Link says how files are placed (see package checkout): the zero
	// value, Auto, reflinks from the file cache where the filesystem
	// allows it and writes files in place elsewhere; Hardlink links them
	// to read-only files of the cache; Copy always writes in place.
	Link checkout.Mode
	// Cache keeps the chunks downloaded from a remote in the local store,
	// so the version can be pulled again offline; without it they are
	// streamed straight into the files (see stream.go).
	Cache bool
	// AllowMissingRefs turns a referenced object that changed or went
	// missing at its source into a warning instead of an error.
	AllowMissingRefs bool
}

// PullResult says what Pull did.
type PullResult struct {
	Dir string
	// Written and Skipped count files written and files already up to date.
	Written, Skipped int64
	// Hashed counts files in place whose content was read to learn whether
	// they were up to date (the stat cache could not vouch for them).
	Hashed int64
	// Bytes counts bytes written: into the files, or into the file cache
	// for files placed from it.
	Bytes int64
	// Downloaded counts bytes read from a remote, and from references'
	// sources, for this pull.
	Downloaded int64
	// Reflinked and Hardlinked count files placed from the file cache by
	// reflink and hardlink (Written counts them too).
	Reflinked, Hardlinked int64
	// Warnings are problems that did not stop the pull: references not
	// pinned, and with AllowMissingRefs objects changed or missing.
	Warnings []string
	// Superseded are the trees of versions whose pulls into Dir were
	// interrupted (killed) while they wrote, and which this pull of a
	// whole version took over (interrupted.go): their files at paths
	// this version lacks are still there, for a caller that removes a
	// previous version's files to remove too.
	Superseded []objects.ID
}

// Pull materialises a version into a folder, verifying every byte: each
// file against its digest, which covers its chunks (read unhashed, and
// verified one by one only to name a bad one; checkFile). A file that is
// already up to date is not rewritten. Each file is written as a new file
// beside its place — unnamed (O_TMPFILE) where Linux allows, else under a
// temp name — and linked or renamed there only once its digest checked out
// (tempfile.go), or placed from the file cache (PullOptions.Link), so a
// failed pull never leaves a partial file under a version's path.
//
// Pull never replaces or removes what the user made or changed: where the
// version has a file, symbolic link or referenced object and one of other
// content is there, or a file and a folder is, or a folder and a file or
// link is, that goes only if it is an empty folder, a file or link trove
// placed or stored and nobody changed since, or a folder holding only
// such things (troves, lookThrough). Before it writes anything, Pull
// looks through every path of the version (check), and if any holds
// something of the user's it fails with an error wrapping ErrInTheWay
// that names them, having written nothing. A file that changes during
// the pull, or a path of a location-only reference, is refused as it is
// written (replaceable, clearPath): that path is left as it was, and the
// files placed before stay, and are not written again by the next pull.
// PullOptions.Force replaces all of it instead.
func (r *Repo) Pull(ctx context.Context, v *Resolved, o PullOptions) (*PullResult, error) {
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		if errors.Is(err, syscall.ENOTDIR) {
			return nil, fmt.Errorf("%w: pull: output folder %s: it, or a folder above it, is a file; name a folder", ErrInvalid, o.Dir)
		}
		return nil, fmt.Errorf("pull: %w", err)
	}
	files, placer, err := r.placer(o.Link, dir)
	if err != nil {
		return nil, err
	}
	start := v.Record.Root
	base := ""
	top := manifest.Entry{Kind: manifest.KindDir, Digest: start}
	g := r.getter()
	before := r.downloaded.Load()
	if p := strings.Trim(o.Prefix, "/"); p != "" {
		e, err := manifest.Lookup(ctx, g, start, p)
		if errors.Is(err, manifest.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s has no path %q", ErrInvalid, v, p)
		}
		if err != nil {
			return nil, err
		}
		top, base = e, p
	}
	// Metadata missing here comes from the remote first; chunks too, with
	// o.Cache, in a few large ranged reads into the local store. Otherwise
	// the chunks missing here are streamed into the files that need them
	// after everything else is written.
	missing, err := r.ensureContent(ctx, g, top, o.Cache)
	if err != nil {
		return nil, err
	}
	// Where the filesystem folds case (macOS and Windows by default), two
	// names of one folder that differ only in case would be one file
	// there: such a version is refused before anything is written.
	sensitive := r.caseSensitive(dir)
	if !sensitive && top.Kind == manifest.KindDir {
		if err := checkCaseCollisions(ctx, g, top.Digest, base, dir); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := newMaterializer(ctx, r, dir, v.String(), v.Record.Size)
	m.caseSensitive = sensitive
	if m.empty = emptyDir(dir); m.empty && sensitive {
		// An output folder empty at the start is one this pull might as
		// well have made: its files are not looked for either (file).
		m.made.Store(dir, struct{}{})
	}
	m.refs = newRefPull(o)
	m.missing = missing
	m.files, m.placer = files, placer
	m.adding = map[objects.ID]chan struct{}{}
	m.force, m.forceHint = o.Force, o.ForceHint
	m.interrupted, m.root = r.interrupted(ctx, dir), v.Record.Root
	// Nothing is written until every path has been looked at.
	if err := m.check(ctx, base, top); err != nil {
		m.wait()
		m.meter.Done()
		return nil, err
	}
	if len(m.interrupted) > 0 {
		if err := removePullTemps(ctx, dir); err != nil {
			m.wait()
			m.meter.Done()
			return nil, fmt.Errorf("pull: remove what an interrupted pull left in %s: %w", dir, err)
		}
	}
	// The folders above a --prefix path are made (real folders, never
	// through a symlink), as they are in the version.
	for i := range base {
		if base[i] == '/' {
			if err = m.ensureDir(base[:i]); err != nil {
				break
			}
		}
	}
	if err == nil {
		err = m.tree(ctx, base, top)
	}
	m.wait()
	if err == nil {
		err = m.firstErr()
	}
	if err == nil && len(m.streamed) > 0 {
		var c *conn
		if c, err = g.conn(ctx); err == nil {
			err = m.stream(ctx, c, m.streamed)
		}
	}
	m.meter.Done()
	// The stat cache is written also when the pull failed: its entries
	// are true on their own, and they are what tells a later pull that
	// the files placed so far are trove's (placedUnchanged).
	serr := m.stat.commit()
	// Every file placed is in the stat cache now, or the pull failed
	// before it wrote anything of that file, so its record can go. A
	// whole version placed also supersedes the pulls into dir that were
	// interrupted: every path of the version is known, and their files at
	// other paths are the caller's to remove (PullResult.Superseded). The
	// record of an interrupted pull of this same version stays unless
	// this pull placed all of it: it vouches for the files not reached.
	whole := err == nil && base == ""
	var superseded, ended []objects.ID
	if whole {
		for _, root := range m.interrupted {
			if root != v.Record.Root {
				superseded = append(superseded, root)
			}
		}
		ended = append(ended, superseded...)
	}
	if own := slices.Contains(m.interrupted, v.Record.Root); (own || m.begun.Load()) && (whole || !own) {
		ended = append(ended, v.Record.Root)
	}
	if serr == nil && len(ended) > 0 {
		serr = r.endPull(dir, ended...)
	}
	if err != nil {
		return nil, err
	}
	if serr != nil {
		return nil, fmt.Errorf("pull: stat cache: %w", serr)
	}
	return &PullResult{Dir: dir, Written: m.written.Load(), Skipped: m.skipped.Load(), Hashed: m.hashed.Load(), Bytes: m.bytes.Load(), Downloaded: r.downloaded.Load() - before + m.refBytes.Load(), Warnings: m.refs.warningList(),
		Reflinked: m.placed[checkout.Reflink].Load(), Hardlinked: m.placed[checkout.Hardlink].Load(), Superseded: superseded}, nil
}

// FileCacheDir is the folder of the file cache: whole files that pulls
// reflink or hardlink into place (package checkout).
func (r *Repo) FileCacheDir() string { return filepath.Join(r.Dir, "files") }

// FileCache opens the file cache.
func (r *Repo) FileCache() (*checkout.Cache, error) {
	return checkout.Open(r.FileCacheDir(), checkout.Options{Now: r.opts.Now})
}

// placer opens the file cache for a pull into dir with link mode mode and
// returns a placer if files are to be linked from it. The cache is
// returned also for Copy if it exists, so that outputs linked to it by
// an earlier pull are recognised (and never chmodded). Plan's errors —
// reflinks or hardlinks asked for where they cannot work — stop the pull
// before any work.
func (r *Repo) placer(mode checkout.Mode, dir string) (*checkout.Cache, *checkout.Placer, error) {
	if mode == checkout.Copy {
		if _, err := os.Stat(r.FileCacheDir()); err != nil {
			return nil, nil, nil
		}
	}
	files, err := r.FileCache()
	if err != nil {
		return nil, nil, fmt.Errorf("pull: file cache: %w", err)
	}
	if mode == checkout.Copy {
		return files, nil, nil
	}
	p := checkout.NewPlacer(files, mode)
	used, err := p.Plan(dir, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: pull --link %s: %w (--link auto writes files where links do not work)", ErrInvalid, mode, err)
	}
	if used == checkout.Copy {
		return files, nil, nil // the cache would only add a write
	}
	return files, p, nil
}

// materializer writes entries of a tree under dir.
type materializer struct {
	r       *Repo
	dir     string
	version string // NAME:vN, named in errors
	g       blobs
	pool    *pool
	meter   Meter

	stat *statRecorder
	// pages answers stat cache lookups of files in place (upToDate).
	pages *statPages

	// Files written, files found up to date, files read to learn whether
	// they were (hash), and bytes written.
	written, skipped, hashed, bytes atomicInt
	refBytes                        atomicInt // fetched from references' sources

	errMu sync.Mutex
	err   error
	wg    sync.WaitGroup // big files and referenced objects

	refs refPull // references (reference.go); its warnings are guarded by errMu

	// missing are the chunks not in the local store (nil: none, or no
	// remote); files that need them are collected in streamed and written
	// by stream once the rest is done.
	missing  map[objects.ID]bool
	streamMu sync.Mutex
	streamed []*streamFile // guarded by streamMu

	// files is the file cache (nil if it could not be opened and links
	// were not asked for); placer places files from it when the pull
	// links (nil: files are written in place). placed counts files by
	// the way they were placed.
	files  *checkout.Cache
	placer *checkout.Placer
	placed [checkout.Hardlink + 1]atomicInt
	addMu  sync.Mutex
	adding map[objects.ID]chan struct{} // file cache Adds in flight; guarded by addMu

	// unnamed says whether files written in place can be born unnamed
	// (tempfile.go), checked once per pull.
	unnamed bool

	force     bool   // PullOptions.Force
	forceHint string // PullOptions.ForceHint
	// interrupted are the roots of versions whose pulls into dir were
	// interrupted while they wrote (interrupted.go); root is this one's,
	// recorded by begin before the first file or link is placed.
	interrupted []objects.ID
	root        objects.ID
	beginOnce   sync.Once
	begun       atomic.Bool
	beginErr    error

	// checking is set while check runs, before any write: files it
	// hashes go to memo (see hash), which the write pass only reads.
	checking bool
	memoMu   sync.Mutex
	memo     map[string]hashMemo // guarded by memoMu

	// batch gathers the small files the tree walk meets, whose content
	// is then located in one pass (locate.go). Only the walker uses it.
	batch *fileBatch
	// made are the folders this pull made, and the output folder if it
	// was empty (their paths on disk, as a set), where the filesystem
	// tells names apart by case (caseSensitive): a file to be written in
	// one of them need not be looked for.
	made          sync.Map
	caseSensitive bool
	// empty says the output folder held nothing when the pull started:
	// nothing there can be in the way (check).
	empty bool
	// bufs holds chunk buffers (*[]byte) of the files written on pool
	// workers, so that 20,000 small files do not allocate 20,000 buffers.
	bufs sync.Pool
}

// pullStatFlush is how many stat cache entries a pull holds before it
// writes them (about 200 KiB). Its entries are true on their own, so they
// are written as they come, bounding memory; what a pull killed between
// two writes placed is vouched for by its record (interrupted.go).
const pullStatFlush = 2048

func newMaterializer(ctx context.Context, r *Repo, dir, version string, total int64) *materializer {
	return &materializer{
		r: r, dir: dir, version: version, g: blobs{st: r.store},
		pool:  newPool(ctx, r.opts.Workers),
		meter: r.opts.Progress.Start("writing", total, true),
		stat:  r.newStatRecorder(pullStatFlush),
		pages: newStatPages(ctx, r),
		bufs: sync.Pool{New: func() any {
			b := make([]byte, 0, 64<<10)
			return &b
		}},

		unnamed: canOpenUnnamed(),
	}
}

// wait waits for every file started to be written.
func (m *materializer) wait() {
	m.wg.Wait()
	m.pool.close()
}

func (m *materializer) fail(err error) {
	m.errMu.Lock()
	if m.err == nil {
		m.err = err
	}
	m.errMu.Unlock()
}

func (m *materializer) firstErr() error {
	m.errMu.Lock()
	defer m.errMu.Unlock()
	return m.err
}

// dest maps a version path to a path under m.dir, refusing any path that
// could leave it (PRODUCT.md invariant 6).
func (m *materializer) dest(p string) (string, error) {
	if p == "" {
		return m.dir, nil
	}
	for _, el := range strings.Split(p, "/") {
		if err := manifest.ValidPathElement(el); err != nil {
			return "", fmt.Errorf("%w: refusing path %q from the manifest: %v", objects.ErrCorrupt, p, err)
		}
	}
	d := filepath.Join(m.dir, filepath.FromSlash(p))
	if !strings.HasPrefix(d, m.dir+string(filepath.Separator)) {
		return "", fmt.Errorf("%w: refusing path %q: it leaves the output folder", objects.ErrCorrupt, p)
	}
	return d, nil
}

// tree materialises entry e found at path p (relative to the version root).
func (m *materializer) tree(ctx context.Context, p string, e manifest.Entry) error {
	if e.Kind != manifest.KindDir {
		err := m.entry(ctx, p, e)
		m.submitBatch(ctx)
		return err
	}
	if err := m.ensureDir(p); err != nil {
		return err
	}
	err := manifest.Walk(ctx, m.g, e.Digest, func(sub string, e manifest.Entry) error {
		if err := m.firstErr(); err != nil {
			return err
		}
		return m.entry(ctx, path.Join(p, sub), e)
	})
	m.submitBatch(ctx)
	return err
}

func (m *materializer) entry(ctx context.Context, p string, e manifest.Entry) error {
	switch e.Kind {
	case manifest.KindDir:
		return m.ensureDir(p)
	case manifest.KindFile:
		d, err := m.dest(p)
		if err != nil {
			return err
		}
		if e.Size >= bigFileSize {
			m.wg.Add(1)
			go func() {
				defer m.wg.Done()
				if err := m.file(ctx, d, e, contentAt{}); err != nil {
					m.fail(err)
				}
			}()
			return nil
		}
		if m.batch == nil {
			m.batch = &fileBatch{}
		}
		m.batch.files = append(m.batch.files, batchFile{d: d, e: e})
		if len(m.batch.files) == locateBatch {
			m.submitBatch(ctx)
		}
		return nil
	case manifest.KindSymlink:
		return m.symlink(p, e)
	case manifest.KindRef, manifest.KindRefLocation:
		return m.refEntry(ctx, p, e)
	}
	return fmt.Errorf("%w: %s has unknown kind %v", objects.ErrCorrupt, p, e.Kind)
}

// ensureDir makes p a real directory, replacing a file or symlink there
// only if trove may remove it (clearPath).
func (m *materializer) ensureDir(p string) error {
	d, err := m.dest(p)
	if err != nil {
		return err
	}
	fi, err := os.Lstat(d)
	switch {
	case err == nil && fi.IsDir():
		return nil
	case err == nil:
		if err := m.clearPath(d, fi, "folder"); err != nil {
			return err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("pull: %w", err)
	}
	if err := os.Mkdir(d, 0o755); err != nil {
		return fmt.Errorf("pull: %w", err)
	}
	if m.caseSensitive {
		m.made.Store(d, struct{}{})
	}
	return nil
}

// symlink makes p a symbolic link to e.Target. A file or link of other
// content there is replaced only if it is trove's (replaceable), a folder
// only if trove may remove it (clearPath). The link is recorded in the
// stat cache, with the digest of its target as in its manifest entry, so
// that a later pull knows it as trove's (placedUnchanged).
func (m *materializer) symlink(p string, e manifest.Entry) error {
	d, err := m.dest(p)
	if err != nil {
		return err
	}
	if t, err := os.Readlink(d); err == nil && t == e.Target {
		m.skipped.Add(1)
		return nil
	}
	fi, err := os.Lstat(d)
	switch {
	case err == nil && fi.IsDir():
		if err := m.clearPath(d, fi, "symbolic link"); err != nil {
			return err
		}
	case err == nil:
		if err := m.replaceable(d, fi, "symbolic link"); err != nil {
			return err
		}
		if err := os.Remove(d); err != nil {
			return fmt.Errorf("pull: %w", err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("pull: %w", err)
	}
	if err := m.begin(); err != nil {
		return err
	}
	statTime := time.Now()
	if err := os.Symlink(e.Target, d); err != nil {
		return fmt.Errorf("pull: %w", err)
	}
	if fi, err := os.Lstat(d); err == nil {
		m.remember(d, statOf(fi), statTime, objects.Sum([]byte(e.Target)))
	}
	m.written.Add(1)
	return nil
}

// file writes one regular file at d unless it is up to date, and only if
// what is there is trove's to replace (replaceable): with put,
// from the local store now or from the remote once the rest is written
// (stream.go). Either way it appears at d only once its digest is verified.
//
// at says how its content is located: in a batch, or alone.
func (m *materializer) file(ctx context.Context, d string, e manifest.Entry, at contentAt) error {
	// A folder this pull made was empty when made, so a file in it is not
	// looked for: a lookup would only find one that another process put
	// there during the pull, which could as well come just after it.
	if _, made := m.made.Load(filepath.Dir(d)); !made {
		if fi, err := os.Lstat(d); err == nil {
			if m.upToDate(d, fi, e) {
				done, err := m.current(d, e, fi)
				if err != nil || done {
					return err
				}
			} else if err := m.replaceable(d, fi, "file"); err != nil {
				return err
			}
		}
	}
	if m.missing != nil && !m.cached(e) {
		sf, err := m.remoteFile(ctx, d, e)
		if err != nil {
			return err
		}
		if sf != nil {
			m.streamMu.Lock()
			m.streamed = append(m.streamed, sf)
			m.streamMu.Unlock()
			return nil
		}
	}
	return m.put(ctx, d, e, func(f *os.File) error { return m.writeContent(ctx, f, d, e, at) })
}

// current settles a file d found up to date, with stat fi: its mode is
// set if it differs (only then: a chmod changes the ctime, which the stat
// cache compares). A file hardlinked to the file cache is never chmodded,
// which would change the cache and every other link: with --link hardlink
// it is left as it is, with any other mode it is placed anew (done false).
func (m *materializer) current(d string, e manifest.Entry, fi fs.FileInfo) (done bool, err error) {
	if m.files != nil && m.files.Linked(e.Digest, fi) {
		if m.placer == nil || m.placer.Mode() != checkout.Hardlink {
			return false, nil
		}
		// Not Touched either: setting a time changes the ctime, and the
		// next pull would hash the file again.
	} else if want := fs.FileMode(e.Mode); fi.Mode().Perm() != want {
		if err := os.Chmod(d, want); err != nil {
			return false, fmt.Errorf("pull: %w", err)
		}
	}
	m.skipped.Add(1)
	m.meter.Add(e.Size)
	return true, nil
}

// put writes file entry e at d with fill, which writes its content to a
// new file and fails unless it matches e.Digest. Without links that file
// is a temp file put at d (replaceFile). With links it is a file of
// the file cache, filled only if the cache lacks it, and then reflinked
// or hardlinked to d.
func (m *materializer) put(ctx context.Context, d string, e manifest.Entry, fill func(f *os.File) error) error {
	if err := m.begin(); err != nil {
		return err
	}
	if m.placer == nil {
		st, statTime, err := replaceFile(d, fs.FileMode(e.Mode), m.unnamed, m.clearForFile, fill)
		if err != nil {
			return err
		}
		m.wrote(d, e, st, statTime)
		return nil
	}
	err := m.addOnce(ctx, e, fill)
	if err != nil {
		return fmt.Errorf("pull: %s: %w", d, err)
	}
	if fi, lerr := os.Lstat(d); lerr == nil && fi.IsDir() {
		if err := m.clearForFile(d, fi); err != nil {
			return err
		}
	}
	statTime := time.Now()
	used, err := m.placer.Place(ctx, e.Digest, d, fs.FileMode(e.Mode))
	if err != nil {
		return fmt.Errorf("pull: %w", err)
	}
	fi, err := os.Lstat(d)
	if err != nil {
		return fmt.Errorf("pull: %w", err)
	}
	m.remember(d, statOf(fi), statTime, e.Digest)
	m.written.Add(1)
	m.placed[used].Add(1)
	return nil
}

// addOnce makes the file cache hold e's content, filling it unless it is
// there; of files with equal content in one pull, one is filled and the
// others wait for it.
func (m *materializer) addOnce(ctx context.Context, e manifest.Entry, fill func(f *os.File) error) error {
	m.addMu.Lock()
	for {
		c, busy := m.adding[e.Digest]
		if !busy {
			break
		}
		m.addMu.Unlock()
		select {
		case <-c:
		case <-ctx.Done():
			return ctx.Err()
		}
		m.addMu.Lock()
	}
	_, ok, err := m.files.Lookup(e.Digest, e.Size)
	if err != nil || ok {
		m.addMu.Unlock()
		return err
	}
	c := make(chan struct{})
	m.adding[e.Digest] = c
	m.addMu.Unlock()
	defer func() {
		m.addMu.Lock()
		delete(m.adding, e.Digest)
		m.addMu.Unlock()
		close(c)
	}()
	if _, err := m.files.Add(ctx, e.Digest, e.Size, fill); err != nil {
		return err
	}
	m.bytes.Add(e.Size)
	return nil
}

// cached reports whether the pull links and the file cache holds e, so
// that nothing needs to be read or downloaded to place it.
func (m *materializer) cached(e manifest.Entry) bool {
	if m.placer == nil {
		return false
	}
	_, ok, err := m.files.Lookup(e.Digest, e.Size)
	return err == nil && ok
}

// wrote records file d written in place.
func (m *materializer) wrote(d string, e manifest.Entry, st fileStat, statTime time.Time) {
	m.remember(d, st, statTime, e.Digest)
	m.written.Add(1)
	m.bytes.Add(e.Size)
}

// replaceFile puts a new file at d: fill writes its content to a temp file
// beside d (tempfile.go; unnamed if the caller's canOpenUnnamed said so),
// which then gets mode and is linked or renamed over d. A file there is
// replaced (callers check first that it may be: replaceable); a folder
// there is handed to clear, which empties it or fails and leaves it as it
// was (materializer.clearForFile). It returns d's
// stat after that and the time taken just before it, for the stat cache.
// On any failure, fill's included, the temp file is removed and d is left
// as it was.
func replaceFile(d string, mode fs.FileMode, unnamed bool, clear func(d string, fi fs.FileInfo) error, fill func(f *os.File) error) (st fileStat, statTime time.Time, err error) {
	t, err := createTemp(d, unnamed)
	if err != nil {
		return st, statTime, err
	}
	if err = fill(t.f); err != nil {
		t.abort()
		return st, statTime, err
	}
	return t.commit(mode, clear)
}
