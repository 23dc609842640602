package repo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/remote"
)

// PushOptions say what to push where.
type PushOptions struct {
	// Remote names the remote; empty means the default one.
	Remote string
	// Names are artifacts (NAME: every live version) or versions
	// (NAME:ALIAS); empty means every artifact.
	Names []string
}

// PushResult says what Push did (printed by the command line in its own
// JSON shape, docs/CLI.md).
type PushResult struct {
	Remote    string
	Artifacts []PushedArtifact
	Packs     int
	Blobs     int
	Bytes     int64
	// Registries lists local registry changes that were not applied: the
	// remote had changed the same alias or setting, and its change stands
	// (ErrRegistryNotApplied). Each names the registry, collection, alias
	// and both values, and the command that applies the change again.
	Registries []string
	// RegistryNotes says what else befell local registry changes (links
	// renumbered after the remote's, collections renamed, aliases dropped
	// with a link unlinked there); RegistryErrors which registries were
	// not pushed, and why. Either way the other registries were.
	RegistryNotes, RegistryErrors []string
	// RegistriesPushed names the registries whose copy on the remote this
	// push created or changed.
	RegistriesPushed []string
}

// PushedArtifact says what happened to one artifact's log.
type PushedArtifact struct {
	Name string
	// Versions are the numbers, on the remote, of the versions this push
	// put there (not those it already had, or had deleted).
	Versions []int
	// Renumbered maps a version's local number to its number on the remote,
	// for versions others pushed first.
	Renumbered map[int]int
	// Collapsed maps a local number to the remote version with equal
	// content that it became.
	Collapsed map[int]int
	// Conflicts lists alias moves lost to a concurrent move.
	Conflicts []string
	// Kept lists versions deleted here that the remote holds (a TTL
	// extended or an alias set there, a registry link there, since this
	// clone last saw it): they were not deleted there, and are live here
	// again.
	Kept []refs.KeptVersion
	// Pending lists versions deleted here whose deletion was not taken to
	// the remote, because what might hold them there could not be read:
	// still deleted here, tried again by the next push.
	Pending []refs.KeptVersion
}

// ErrDeletionsPending means a push landed, but some deletions made here
// were not taken to the remote (PushedArtifact.Pending).
var ErrDeletionsPending = errors.New("repo: deletions not pushed")

// ErrAliasConflict means a push landed but some alias moves lost a race;
// the result lists them.
var ErrAliasConflict = errors.New("repo: alias moved concurrently")

// maxRefAttempts bounds compare-and-swap retries of one ref.
const maxRefAttempts = 20

// Push uploads versions and then moves the remote's refs to include them.
// Order: packs, then their indexes, then refs, each durable on the remote
// before the next (PRODUCT.md invariant 3); a push killed anywhere leaves
// the remote consistent and a rerun uploads only what is missing.
func (r *Repo) Push(ctx context.Context, o PushOptions) (*PushResult, error) {
	c, err := r.open(ctx, o.Remote, true)
	if err != nil {
		return nil, err
	}
	if err := r.refreshIndex(ctx, c); err != nil {
		return nil, err
	}
	type job struct {
		name    string
		log     *refs.Log
		include func(refs.Version) bool
		first   *remoteRead // the remote's log as read before the upload
	}
	var jobs []job
	if len(o.Names) == 0 {
		err = r.refs.Artifacts(ctx, func(name string, l *refs.Log) error {
			jobs = append(jobs, job{name: name, log: l, include: func(v refs.Version) bool { return true }})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for _, n := range o.Names {
		sp, err := refs.ParseSpec(n)
		if err != nil || sp.Name == "" {
			return nil, fmt.Errorf("%w: push %q: want NAME or NAME:ALIAS", ErrInvalid, n)
		}
		l, err := r.refs.Log(ctx, sp.Name)
		if err != nil {
			return nil, err
		}
		include := func(refs.Version) bool { return true }
		if sp.Selector != "" {
			v, err := l.Resolve(sp.Selector)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", n, err)
			}
			include = func(x refs.Version) bool { return x.Record == v.Record }
		}
		jobs = append(jobs, job{name: sp.Name, log: l, include: include})
	}

	// Content first: every included version's blobs, children before
	// parents, the record last.
	u := newUploader(ctx, r, c)
	var pushed []objects.ID
	for i, j := range jobs {
		// The remote's log as it is now, checked; pushLog's first attempt
		// at the compare-and-swap starts from it.
		cur, theirs, err := r.remoteLog(ctx, c, j.name, j.log)
		if err != nil {
			u.fail(err)
			break
		}
		jobs[i].first = &remoteRead{cur, theirs}
		// Deletions on either side win (refs.Merge): content the remote
		// deleted would only be collected again, and a clone that fetched
		// such a version and never pulled it does not have it to send.
		deleted := deletedRecords(theirs)
		for _, v := range j.log.Versions {
			if v.State != refs.StateLive || !j.include(v) || deleted[v.Record] {
				continue
			}
			if err := r.uploadVersion(ctx, u, c, v); err != nil {
				u.fail(err)
				break
			}
			pushed = append(pushed, v.Record)
		}
	}
	// The runs that used or logged these versions travel with them, after
	// the versions they name.
	if err := r.uploadRuns(ctx, u, c, pushed); err != nil {
		u.fail(err)
	}
	if err := u.finish(); err != nil {
		return nil, err
	}
	res := &PushResult{Remote: c.name, Packs: u.packs, Blobs: u.blobs, Bytes: u.bytes}

	// Then refs, one compare-and-swap per artifact.
	held, unsure, err := r.remoteHolds(ctx, c)
	if err != nil {
		return res, err
	}
	var conflicts, pending int
	for _, j := range jobs {
		pa, err := r.pushLog(ctx, c, j.name, refs.MergeOptions{Include: j.include, Held: held, Unsure: unsure}, j.first)
		if err != nil {
			return res, err
		}
		conflicts += len(pa.Conflicts)
		pending += len(pa.Pending)
		res.Artifacts = append(res.Artifacts, *pa)
	}
	// Registries last: their links name versions pushed above.
	var regErr error
	if len(o.Names) == 0 {
		rs, err := r.pushRegistries(ctx, c)
		if err != nil {
			return res, err
		}
		res.Registries, res.RegistryNotes, res.RegistryErrors, res.RegistriesPushed = rs.NotApplied, rs.Notes, rs.Failed, rs.Pushed
		var errs []error
		if len(rs.NotApplied) > 0 {
			errs = append(errs, fmt.Errorf("%w: %d of yours, listed above, each with why and what to do (the rest was pushed)", ErrRegistryNotApplied, len(rs.NotApplied)))
		}
		if err := rs.err("pushed"); err != nil {
			errs = append(errs, err)
		}
		regErr = joinLine(errs)
	}
	var errs []error
	if conflicts > 0 {
		errs = append(errs, fmt.Errorf("%w: %d change(s) not applied, because the remote changed or deleted the same thing first (versions were pushed; see above)", ErrAliasConflict, conflicts))
	}
	if pending > 0 {
		errs = append(errs, fmt.Errorf("%w: %d, listed above: what might hold them on the remote could not be read; push again once it can", ErrDeletionsPending, pending))
	}
	if regErr != nil {
		errs = append(errs, regErr)
	}
	return res, joinLine(errs)
}

// joinLine joins errors on one line (the command line prints an error as
// one), each still matched by errors.Is; nil for none.
func joinLine(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	format := strings.TrimSuffix(strings.Repeat("%w; ", len(errs)), "; ")
	args := make([]any, len(errs))
	for i, e := range errs {
		args[i] = e
	}
	return fmt.Errorf(format, args...)
}

// uploadVersion schedules the blobs of one version that the remote lacks.
func (r *Repo) uploadVersion(ctx context.Context, u *uploader, c *conn, v refs.Version) error {
	if _, ok, err := r.remoteHas(c, v.Record); err != nil || ok {
		return err
	}
	rec, err := r.Record(ctx, v.Record)
	if err != nil {
		return err
	}
	skip := func(id objects.ID) (bool, error) {
		if u.scheduled(id) {
			return true, nil
		}
		_, ok, err := r.remoteHas(c, id)
		return ok, err
	}
	rc := &manifest.Reach{
		Getter:  blobs{st: r.store},
		FileMap: r.store.FileMap,
		Enter: func(id objects.ID, _ objects.BlobType) (bool, error) {
			done, err := skip(id)
			return !done, err
		},
		Leave: func(id objects.ID, _ objects.BlobType) error { return u.add(id) },
		File: func(e manifest.Entry) error {
			if e.Size == 0 {
				return nil
			}
			mapID, ok, err := r.store.FileMap(e.Digest)
			if err != nil || !ok {
				return err
			}
			if _, has, err := r.remoteFileMap(c, e.Digest); err != nil || has {
				return err
			}
			u.addFileMap(e.Digest, mapID)
			return nil
		},
	}
	if err := rc.Tree(ctx, rec.Root); err != nil {
		return err
	}
	return u.add(v.Record)
}

// pushLog merges the local log of an artifact into the remote's by
// compare-and-swap, retrying when another writer moved it first, then
// makes the local log and the remembered remote log match the result.
func (r *Repo) pushLog(ctx context.Context, c *conn, name string, mo refs.MergeOptions, first *remoteRead) (*PushedArtifact, error) {
	include := mo.Include
	for attempt := 0; ; attempt++ {
		local, err := r.refs.Log(ctx, name)
		if err != nil {
			return nil, err
		}
		var cur remote.Ref
		var theirs *refs.Log
		if attempt == 0 && first != nil {
			// Read before the upload; if it moved since, the
			// compare-and-swap fails and the next attempt reads it again.
			cur, theirs = first.ref, first.log
		} else if cur, theirs, err = r.remoteLog(ctx, c, name, local); err != nil {
			return nil, err
		}
		base, err := r.trackedLog(c, name)
		if err != nil {
			return nil, err
		}
		m, err := refs.Merge(base, local, theirs, mo)
		if err != nil {
			return nil, fmt.Errorf("push %s: %w", name, err)
		}
		body, err := m.Remote.Encode()
		if err != nil {
			return nil, err
		}
		err = c.rep.PutRef(ctx, "artifacts/"+name, body, cur.ETag)
		if remote.IsConflict(err) && attempt < maxRefAttempts {
			// Someone else moved the ref: read it again and redo the merge.
			if err := sleepCtx(ctx, backoff(attempt)); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := r.adoptLog(ctx, c, name, m.Remote, m.Local); err != nil {
			return nil, err
		}
		pa := &PushedArtifact{Name: name, Conflicts: m.Conflicts, Kept: m.Kept, Pending: m.Pending}
		there := map[objects.ID]bool{} // on the remote before this push
		if theirs != nil {
			for _, v := range theirs.Versions {
				there[v.Record] = true
			}
		}
		for _, v := range local.Versions {
			if v.State != refs.StateLive || !include(v) || there[v.Record] {
				continue
			}
			if n, ok := m.Collapsed[v.Record]; ok {
				if pa.Collapsed == nil {
					pa.Collapsed = map[int]int{}
				}
				pa.Collapsed[v.N] = n
				continue
			}
			for _, rv := range m.Remote.Versions {
				if rv.Record == v.Record && rv.State == refs.StateLive {
					pa.Versions = append(pa.Versions, rv.N)
					if rv.N != v.N {
						if pa.Renumbered == nil {
							pa.Renumbered = map[int]int{}
						}
						pa.Renumbered[v.N] = rv.N
					}
				}
			}
		}
		return pa, nil
	}
}

// adoptLog replaces the local log of an artifact and remembers the remote's.
// Records of versions others made are downloaded first: a local log never
// names a record that is not here.
func (r *Repo) adoptLog(ctx context.Context, c *conn, name string, remoteLog, localLog *refs.Log) error {
	if err := r.downloadRecords(ctx, c, localLog.Versions); err != nil {
		return err
	}
	rb, err := remoteLog.Encode()
	if err != nil {
		return err
	}
	if err := r.refs.Replace(ctx, name, localLog); err != nil {
		return err
	}
	mb := r.store.NewMetaBatch()
	defer mb.Close()
	if err := mb.Set(NSRemote, remoteKey("log", c.name, []byte(name)), rb); err != nil {
		return err
	}
	return mb.Commit(true)
}

// remoteRead is an artifact's log on a remote as read: its ref and the
// decoded log, nil when the remote has none.
type remoteRead struct {
	ref remote.Ref
	log *refs.Log
}

// backoff is the wait before compare-and-swap attempt n+1: exponential
// from 10 ms, capped at 1 s, with jitter so racing writers spread out.
func backoff(n int) time.Duration {
	d := 10 * time.Millisecond << min(n, 7)
	d = min(d, time.Second)
	return d/2 + rand.N(d/2+1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RunIndex is what push and fetch need of the runs that used and logged
// versions (package lineage provides it; cmd supplies it in Options.Runs).
type RunIndex interface {
	// RecordsFor returns the records of ended runs linked to versions.
	RecordsFor(ctx context.Context, versions []objects.ID) ([]objects.ID, error)
	// Import adds run records now in the store, with their edges.
	Import(ctx context.Context, records []objects.ID) (int, error)
}

// uploadRuns schedules the records of ended runs linked to versions.
func (r *Repo) uploadRuns(ctx context.Context, u *uploader, c *conn, versions []objects.ID) error {
	if len(versions) == 0 || r.opts.Runs == nil {
		return nil
	}
	recs, err := r.opts.Runs(r).RecordsFor(ctx, versions)
	if err != nil {
		return err
	}
	for _, id := range recs {
		if _, ok, err := r.remoteHas(c, id); err != nil {
			return err
		} else if !ok {
			if err := u.add(id); err != nil {
				return err
			}
		}
	}
	return nil
}
