package repo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/registry"
)

// FetchOptions say what to fetch from where.
type FetchOptions struct {
	// Remote names the remote; empty means the default one.
	Remote string
	// Names are artifacts to fetch; empty means all, and every registry
	// too, unless Registries is set.
	Names []string
	// Registries, if set, are the only registries to fetch, with the
	// artifacts their links name (and Names).
	Registries []string
}

// FetchResult says what Fetch did. The command line prints it, and the
// other results of this package, in a JSON shape of its own (docs/CLI.md).
type FetchResult struct {
	Remote    string
	Artifacts []FetchedArtifact
	// Skipped says which artifact logs on the remote were not fetched,
	// and why: a name no trove could have given an artifact is a damaged
	// or foreign bucket's, and is never made a local ref. Registry refs
	// are skipped the same way.
	Skipped []string
	// Registries lists local registry changes not pushed yet that were
	// not applied: the remote had changed the same alias or setting, and
	// its change stands here now (as for a push, PushResult.Registries).
	// Fetch succeeds all the same.
	Registries []string
	// RegistryNotes says what else befell local registry changes (links
	// not pushed yet renumbered after the remote's, …); RegistryErrors
	// which registries were not fetched, and why: Fetch returns an error
	// naming them after fetching everything else.
	RegistryNotes, RegistryErrors []string
}

// FetchedArtifact says what changed in one artifact's local log.
type FetchedArtifact struct {
	Name string
	// New lists version numbers that were not here before.
	New []int
	// Renumbered maps local numbers of versions not yet pushed to the
	// numbers they now have, after the remote's versions.
	Renumbered map[int]int
	// Kept lists versions deleted here (and not pushed) that the remote
	// holds, as for a push (PushedArtifact.Kept): live here again.
	Kept []refs.KeptVersion
	// Pending lists deletions made here that wait, as for a push
	// (PushedArtifact.Pending).
	Pending []refs.KeptVersion
}

// Fetch brings the remote's artifact logs, aliases and tags here, with
// each version's record. Content is downloaded later, by pull, only as
// needed. Local versions not yet pushed keep their content and are
// renumbered after the remote's, so local numbering equals the remote's.
func (r *Repo) Fetch(ctx context.Context, o FetchOptions) (*FetchResult, error) {
	c, err := r.open(ctx, o.Remote, false)
	if err != nil {
		return nil, err
	}
	if err := r.refreshIndex(ctx, c); err != nil {
		return nil, err
	}
	names := o.Names
	if len(names) == 0 && len(o.Registries) == 0 {
		err := c.rep.Refs(ctx, "artifacts/", func(name string) error {
			names = append(names, name[len("artifacts/"):])
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("remote %s: %w", c.name, err)
		}
	}
	res := &FetchResult{Remote: c.name}
	held, unsure, err := r.remoteHolds(ctx, c)
	if err != nil {
		return nil, err
	}
	// A registry that fails is reported, and the others, the artifacts and
	// the runs are fetched all the same.
	var regErr error
	fetchRegistries := func(only []string) (*RegistrySync, error) {
		rs, skipped, err := r.fetchRegistries(ctx, c, only)
		if err != nil {
			return nil, err
		}
		res.Registries, res.RegistryNotes, res.RegistryErrors = rs.NotApplied, rs.Notes, rs.Failed
		res.Skipped = append(res.Skipped, skipped...)
		regErr = rs.err("fetched")
		return rs, nil
	}
	if len(o.Registries) > 0 {
		// The registries first: the artifacts to fetch are those they link.
		rs, err := fetchRegistries(o.Registries)
		if err != nil {
			return res, err
		}
		for _, name := range rs.Fetched {
			linked, err := r.linkedArtifacts(name)
			if err != nil {
				return res, err
			}
			names = append(names, linked...)
		}
		slices.Sort(names)
		names = slices.Compact(names)
	}
	for _, name := range names {
		if err := manifest.ValidateName("artifact name", name); err != nil {
			res.Skipped = append(res.Skipped, fmt.Sprintf("remote %s: artifacts/%s: %v", c.name, name, err))
			continue
		}
		fa, err := r.fetchLog(ctx, c, name, refs.MergeOptions{Held: held, Unsure: unsure})
		if err != nil {
			return res, err
		}
		res.Artifacts = append(res.Artifacts, *fa)
	}
	if len(o.Names) == 0 && len(o.Registries) == 0 {
		if _, err := fetchRegistries(nil); err != nil {
			return res, err
		}
	}
	if err := r.fetchRuns(ctx, c); err != nil {
		return res, err
	}
	return res, regErr
}

func (r *Repo) fetchLog(ctx context.Context, c *conn, name string, mo refs.MergeOptions) (*FetchedArtifact, error) {
	local, err := r.refs.Log(ctx, name) // nil if the artifact is not here
	if err != nil && !errors.Is(err, refs.ErrNotFound) {
		return nil, err
	}
	_, theirs, err := r.remoteLog(ctx, c, name, local)
	if err != nil {
		return nil, err
	}
	if theirs == nil {
		return nil, fmt.Errorf("%w: %q is not on remote %s", refs.ErrNotFound, name, c.name)
	}
	if local == nil {
		local = &refs.Log{Type: theirs.Type}
	}
	base, err := r.trackedLog(c, name)
	if err != nil {
		return nil, err
	}
	m, err := refs.Merge(base, local, theirs, mo)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", name, err)
	}
	known := map[objects.ID]bool{}
	for _, v := range local.Versions {
		known[v.Record] = true
	}
	fa := &FetchedArtifact{Name: name, New: []int{}, Kept: m.Kept, Pending: m.Pending}
	for _, v := range m.Local.Versions {
		if v.State != refs.StateLive {
			continue
		}
		if !known[v.Record] {
			fa.New = append(fa.New, v.N)
		}
	}
	for rec, p := range m.Renumbered {
		if known[rec] {
			if fa.Renumbered == nil {
				fa.Renumbered = map[int]int{}
			}
			fa.Renumbered[p[0]] = p[1]
		}
	}
	return fa, r.adoptLog(ctx, c, name, theirs, m.Local)
}

// Ranged reads of remote packs are merged when the blobs wanted are
// adjacent or close, up to maxRange bytes (streamSpan when streaming a
// pull), and run downloadParallel at a time. Close means a gap of at most
// maxGap (streamGap when streaming), with all the gaps of one read adding
// up to no more than the bytes it wants plus gapSlack, so a read fetches
// at most about twice what it needs: a pack interleaves the chunks of a
// folder's files with the folder's tree node, and a round trip to S3 costs
// more than reading a few KB more.
const (
	maxRange         = 16 << 20
	maxGap           = 256 << 10
	gapSlack         = 16 << 10
	downloadParallel = 4
)

// wantBlob is one blob to read from a remote, and where the remote keeps it.
type wantBlob struct {
	id objects.ID
	rb remoteBlob
}

// span is one ranged read of a remote pack: [off, end) covers the wanted
// blobs and the gaps between them.
type span struct {
	pack     objects.ID
	off, end int64
	wants    []wantBlob
	want     int64 // bytes of the wanted blobs; the rest is gaps
}

// planSpans finds where the remote keeps each blob (reading the remote's
// new indexes once if one is not known) and merges blobs of a pack that
// are adjacent or close (at most gap bytes apart; see maxGap) into spans
// of at most limit bytes (a blob longer than that is a span of its own).
// It returns the spans in pack and offset order, and the bytes they read.
func (r *Repo) planSpans(ctx context.Context, c *conn, ids []objects.ID, limit, gap int64) ([]span, int64, error) {
	byPack := map[objects.ID][]wantBlob{}
	var packs []objects.ID
	refreshed := false
	for _, id := range ids {
		rb, ok, err := r.remoteHas(c, id)
		if err == nil && !ok && !refreshed {
			// Someone may have pushed it since the indexes were read.
			refreshed = true
			if err = r.refreshIndex(ctx, c); err == nil {
				rb, ok, err = r.remoteHas(c, id)
			}
		}
		if err != nil {
			return nil, 0, err
		}
		if !ok {
			return nil, 0, fmt.Errorf("%w: %s is neither here nor on remote %s", ErrMissingContent, id.Short(), c.name)
		}
		if byPack[rb.pack] == nil {
			packs = append(packs, rb.pack)
		}
		byPack[rb.pack] = append(byPack[rb.pack], wantBlob{id, rb})
	}
	var spans []span
	var total int64
	for _, p := range packs {
		ws := byPack[p]
		sort.Slice(ws, func(i, j int) bool { return ws[i].rb.offset < ws[j].rb.offset })
		for _, w := range ws {
			end := w.rb.offset + int64(w.rb.stored)
			if n := len(spans); n > 0 && spans[n-1].pack == p && w.rb.offset < spans[n-1].end {
				continue // the same blob twice
			}
			if n := len(spans); n > 0 && spans[n-1].pack == p && end-spans[n-1].off <= limit {
				last := &spans[n-1]
				g := w.rb.offset - last.end
				if gaps := last.end - last.off - last.want; g <= gap && gaps+g <= last.want+gapSlack {
					total += end - last.end
					last.end = end
					last.want += int64(w.rb.stored)
					last.wants = append(last.wants, w)
					continue
				}
			}
			total += int64(w.rb.stored)
			spans = append(spans, span{pack: p, off: w.rb.offset, end: end, wants: []wantBlob{w}, want: int64(w.rb.stored)})
		}
	}
	return spans, total, nil
}

// readSpans reads spans from the remote, at most downloadParallel at once,
// into the buffers buf returns for each (nil: new ones), and calls got for
// every blob in stored form (from any goroutine). The first error cancels
// the rest.
func (r *Repo) readSpans(ctx context.Context, c *conn, spans []span, meter Meter, buf func(i int) []byte, got func(objects.Stored) error) error {
	if buf == nil {
		buf = func(i int) []byte { return make([]byte, spans[i].end-spans[i].off) }
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	sem := make(chan struct{}, downloadParallel)
	for i, s := range spans {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := func() error {
				b := buf(i)
				if err := c.rep.ReadPackInto(ctx, s.pack, s.off, b); err != nil {
					return err
				}
				r.downloaded.Add(int64(len(b)))
				for _, x := range s.wants {
					st := objects.Stored{ID: x.id, Type: x.rb.typ, Compressed: x.rb.compressed, RawLen: int(x.rb.raw),
						Bytes: b[x.rb.offset-s.off : x.rb.offset-s.off+int64(x.rb.stored)]}
					if err := got(st); err != nil {
						return fmt.Errorf("remote %s, pack %s: %w", c.name, s.pack.Short(), err)
					}
				}
				meter.Add(s.end - s.off)
				return nil
			}()
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}

// download fetches blobs from a remote into the local store, verifying
// each, with as few ranged reads as the blobs' places allow (planSpans).
func (r *Repo) download(ctx context.Context, c *conn, ids []objects.ID) error {
	spans, total, err := r.planSpans(ctx, c, ids, maxRange, maxGap)
	if err != nil || len(spans) == 0 {
		return err
	}
	meter := r.opts.Progress.Start("downloading from "+c.name, total, true)
	defer meter.Done()
	w := r.store.NewWriter()
	if err := r.readSpans(ctx, c, spans, meter, nil, func(st objects.Stored) error { return w.PutStored(ctx, st) }); err != nil {
		w.Abort()
		return err
	}
	return w.Flush(ctx)
}

// lazyGetter reads blobs from the local store and, when one is missing
// and a remote is configured, downloads it from the default remote first.
// The remote is opened on first need, so offline work never touches it.
type lazyGetter struct {
	r    *Repo
	once sync.Once
	c    *conn
	err  error
}

func (r *Repo) getter() *lazyGetter { return &lazyGetter{r: r} }

// conn opens the default remote once.
func (g *lazyGetter) conn(ctx context.Context) (*conn, error) {
	g.once.Do(func() {
		if len(g.r.Config.Remotes) == 0 {
			g.err = ErrNoRemote
			return
		}
		if g.c, g.err = g.r.open(ctx, "", false); g.err == nil {
			g.err = g.r.refreshIndex(ctx, g.c)
		}
	})
	return g.c, g.err
}

func (g *lazyGetter) GetBlob(ctx context.Context, id objects.ID) ([]byte, error) {
	b, _, err := g.r.store.Get(ctx, id, nil)
	if !errors.Is(err, objects.ErrNotFound) || len(g.r.Config.Remotes) == 0 {
		return b, err
	}
	c, cerr := g.conn(ctx)
	if cerr != nil {
		return nil, fmt.Errorf("%w (and the remote could not be read: %v)", err, cerr)
	}
	if err := g.r.download(ctx, c, []objects.ID{id}); err != nil {
		return nil, err
	}
	b, _, err = g.r.store.Get(ctx, id, nil)
	return b, err
}

var _ manifest.BlobGetter = (*lazyGetter)(nil)

// prefetch downloads, in one batch of ranged reads, the blobs of ids that
// the local store lacks, so that a walk's GetBlob calls for them find
// them here: one request per node instead made pulling a folder of 200
// sub-folders from a remote cost 200 round trips and 200 synced commits.
// It is advice: on any failure it gives up, and GetBlob, fetching one
// blob at a time, reports what is wrong.
func (g *lazyGetter) prefetch(ctx context.Context, ids []objects.ID) {
	if len(g.r.Config.Remotes) == 0 || len(ids) < 2 {
		return
	}
	var missing []objects.ID
	for _, id := range ids {
		ok, err := g.r.store.Has(id)
		if err != nil {
			return
		}
		if !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) < 2 {
		return
	}
	c, err := g.conn(ctx)
	if err != nil {
		return
	}
	_ = g.r.download(ctx, c, missing) // advice: GetBlob reports failures
}

// fileMap finds a file's map here or, failing that, on the remote
// (recording it here through w).
func (g *lazyGetter) fileMap(ctx context.Context, w *objects.Writer, digest objects.ID) (objects.ID, bool, error) {
	id, ok, err := g.r.store.FileMap(digest)
	if err != nil || ok || len(g.r.Config.Remotes) == 0 {
		return id, ok, err
	}
	// A file of one chunk has no map: its digest is the chunk's id. If the
	// store holds that chunk, there is nothing to ask the remote.
	if has, err := g.r.store.Has(digest); err != nil || has {
		return id, false, err
	}
	c, err := g.conn(ctx)
	if err != nil {
		return id, false, err
	}
	if id, ok, err = g.r.remoteFileMap(c, digest); ok {
		w.SetFileMap(digest, id)
	}
	return id, ok, err
}

// ensureContent makes the local store hold the metadata entry e (a folder
// or a file) reaches — trees and file maps — downloading what is missing
// from the default remote, and returns the chunks missing here. With
// download, those chunks are downloaded into the local store too and the
// set returned is empty. Without a remote it does nothing: the pull then
// names what is missing.
func (r *Repo) ensureContent(ctx context.Context, g *lazyGetter, e manifest.Entry, download bool) (map[objects.ID]bool, error) {
	if len(r.Config.Remotes) == 0 {
		return nil, nil
	}
	var missing []objects.ID
	seen := map[objects.ID]bool{}
	w := r.store.NewWriter()
	rc := &manifest.Reach{
		Getter:   g,
		Prefetch: g.prefetch,
		FileMap:  func(d objects.ID) (objects.ID, bool, error) { return g.fileMap(ctx, w, d) },
		Enter: func(id objects.ID, t objects.BlobType) (bool, error) {
			if seen[id] {
				return false, nil
			}
			seen[id] = true
			if t != objects.TypeChunk {
				return true, nil
			}
			ok, err := r.store.Has(id)
			if err == nil && !ok {
				missing = append(missing, id)
			}
			return false, err
		},
	}
	var err error
	switch e.Kind {
	case manifest.KindDir:
		err = rc.Tree(ctx, e.Digest)
	case manifest.KindFile:
		if e.Size > 0 {
			err = rc.Content(ctx, e.Digest)
		}
	}
	if err == nil {
		err = w.Flush(ctx)
	}
	if err != nil {
		w.Abort()
		return nil, err
	}
	if len(missing) == 0 {
		return nil, nil
	}
	if !download {
		set := make(map[objects.ID]bool, len(missing))
		for _, id := range missing {
			set[id] = true
		}
		return set, nil
	}
	c, err := g.conn(ctx)
	if err != nil {
		return nil, err
	}
	return nil, r.download(ctx, c, missing)
}

// ResolveOrFetch resolves a version name like Resolve and, if the artifact
// or version is not known here but a remote is configured, fetches the
// artifact's log from the default remote and tries again.
func (r *Repo) ResolveOrFetch(ctx context.Context, name string) (*Resolved, error) {
	v, err := r.Resolve(ctx, name)
	if err == nil || len(r.Config.Remotes) == 0 {
		return v, err
	}
	sp, perr := refs.ParseSpec(name)
	if perr != nil {
		return nil, err
	}
	if sp.Collection != "" {
		return r.resolveLinkOrFetch(ctx, name, sp, err)
	}
	if sp.Name == "" || !(errors.Is(err, refs.ErrNotFound) || errors.Is(err, refs.ErrNoVersion)) {
		return nil, err
	}
	if err := r.fetchMissing(ctx, sp.Name, err); err != nil {
		return nil, err
	}
	return r.Resolve(ctx, name)
}

// resolveLinkOrFetch is ResolveOrFetch for a registry path (sp): when
// the registry, collection or link is not known here, or names an
// artifact not fetched yet, it fetches the registry from the default
// remote with the artifacts it links, and tries again.
func (r *Repo) resolveLinkOrFetch(ctx context.Context, name string, sp refs.Spec, notHere error) (*Resolved, error) {
	switch {
	case errors.Is(notHere, registry.ErrNotFound), errors.Is(notHere, registry.ErrNoCollection),
		errors.Is(notHere, registry.ErrNoLink), errors.Is(notHere, registry.ErrDangling):
	default:
		return nil, notHere
	}
	res, err := r.Fetch(ctx, FetchOptions{Registries: []string{sp.Registry}})
	if err != nil && (res == nil || len(res.RegistryErrors) == 0) {
		return nil, fmt.Errorf("%w (and fetching registry %s from the remote failed: %v)", notHere, sp.Registry, err)
	}
	return r.Resolve(ctx, name)
}

// FetchRegistryIfMissing makes registry name, and its collection coll
// when coll is not empty, known here before a command reads it or links
// into it: when a remote is configured and the registry is not stored
// here (a core registry nobody linked into here counts), or lacks the
// collection, it fetches the registry from the default remote with the
// artifacts its links name. It returns the fetch's error for the caller
// to report beside what it finds here, since a command that reads a
// registry works offline on what this repository has.
func (r *Repo) FetchRegistryIfMissing(ctx context.Context, name, coll string) error {
	if len(r.Config.Remotes) == 0 {
		return nil
	}
	g, err := r.localRegistry(name)
	if err != nil {
		return err
	}
	if g != nil && (coll == "" || g.Collections[coll] != nil) {
		return nil
	}
	_, err = r.Fetch(ctx, FetchOptions{Registries: []string{name}})
	return err
}

// RegistriesSynced reports whether this repository ever fetched or pushed
// a registry from or to the default remote, and that remote's name; with
// no remote it reports true. A listing of registries that was never
// synced shows only those made here.
func (r *Repo) RegistriesSynced(ctx context.Context) (remote string, synced bool, err error) {
	if len(r.Config.Remotes) == 0 {
		return "", true, nil
	}
	if remote, err = r.defaultRemote(""); err != nil {
		return "", false, err
	}
	errFound := errors.New("found")
	err = r.store.ScanMeta(ctx, NSRemote, remoteKey("reg", remote, nil), func(_, _ []byte) error { return errFound })
	if errors.Is(err, errFound) {
		return remote, true, nil
	}
	return remote, false, err
}

// linkedArtifacts lists the artifacts the live links of local registry
// name name.
func (r *Repo) linkedArtifacts(name string) ([]string, error) {
	g, err := r.localRegistry(name)
	if err != nil || g == nil {
		return nil, err
	}
	var names []string
	for _, c := range g.Collections {
		for _, l := range c.Links {
			if l.State == registry.LinkLive {
				names = append(names, l.Artifact)
			}
		}
	}
	return names, nil
}

// LogOrFetch returns the log of artifact name like Refs().Log and, if
// the artifact is not known here but a remote is configured, fetches it
// from the default remote first.
func (r *Repo) LogOrFetch(ctx context.Context, name string) (*refs.Log, error) {
	l, err := r.refs.Log(ctx, name)
	if err == nil || len(r.Config.Remotes) == 0 || !errors.Is(err, refs.ErrNotFound) {
		return l, err
	}
	if err := r.fetchMissing(ctx, name, err); err != nil {
		return nil, err
	}
	return r.refs.Log(ctx, name)
}

// fetchMissing fetches artifact name, which a lookup here failed to find
// with notHere. If the remote lacks it too, notHere says so; if the
// fetch fails otherwise, the error says both.
func (r *Repo) fetchMissing(ctx context.Context, name string, notHere error) error {
	_, err := r.Fetch(ctx, FetchOptions{Names: []string{name}})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, refs.ErrNotFound):
		remote, _ := r.defaultRemote("")
		return fmt.Errorf("%w, here or on remote %s", notHere, remote)
	}
	return fmt.Errorf("%w (and fetching %q from the remote failed: %v)", notHere, name, err)
}

// fetchRuns downloads the run records the remote has and this repository
// lacks, and adds them and their edges to the local lineage.
func (r *Repo) fetchRuns(ctx context.Context, c *conn) error {
	if r.opts.Runs == nil {
		return nil
	}
	var need []objects.ID
	prefix := remoteKey("run", c.name, nil)
	err := r.store.ScanMeta(ctx, NSRemote, prefix, func(k, _ []byte) error {
		if len(k) != len(prefix)+objects.IDSize {
			return nil
		}
		id := objects.ID(k[len(prefix):])
		if ok, err := r.store.Has(id); err != nil {
			return err
		} else if !ok {
			need = append(need, id)
		}
		return nil
	})
	if err != nil || len(need) == 0 {
		return err
	}
	if err := r.download(ctx, c, need); err != nil {
		return err
	}
	_, err = r.opts.Runs(r).Import(ctx, need)
	return err
}
