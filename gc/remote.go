package gc

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/objects/pack"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/packindex"
	"github.com/trove-ml/trove/retention"
)

// More pack actions of a remote GC.
const (
	Condemn Action = "condemn" // taken out of every index; deleted a grace period later
	Rescue  Action = "rescue"  // condemned, but reached again: put back in an index
)

// IndexCache is this repository's memory of a remote's indexes (package
// repo's, in the NSRemote namespace); a remote GC rebuilds it so that it
// never names a pack the GC deleted.
type IndexCache interface {
	// Rebuild replaces everything remembered of the remote's indexes with
	// what the given indexes say.
	Rebuild(ctx context.Context, indexes map[objects.ID]*packindex.Index) error
}

// LinkedRecordsFunc reads registry links from a refs KV, as
// registry.LinkedRecords does.
type LinkedRecordsFunc func(ctx context.Context, kv refs.KV) (map[objects.ID]bool, error)

// RemoteOptions configure a remote collection.
type RemoteOptions struct {
	Options
	// Name names the remote, for messages.
	Name string
	// Local is the local store: blobs it has are read from it, and blobs
	// read from the remote are verified with its decoder.
	Local LocalReader
	// Settings are the retention rules; Holds this repository's registry
	// links and pins, kept live on the remote too (the remote's own links
	// are read through LinkedRecords).
	Settings      retention.Settings
	Holds         retention.Holds
	Pins          []Root
	LinkedRecords LinkedRecordsFunc
	// Cache, if set, is rebuilt after execution.
	Cache IndexCache
	// TempDir holds packs being rewritten; the default is os.TempDir().
	TempDir string
	// By names who collected, in condemnation records.
	By string
	// Rand names condemnation records and clock probes; the default is
	// crypto/rand.
	Rand io.Reader
}

// RemotePack is what a remote plan does with one pack.
type RemotePack struct {
	ID   objects.ID
	Size int64
	// Age is by the store's clock: since upload for packs, since
	// condemnation for condemned ones.
	Age                  time.Duration
	Action               Action
	Live, Dead           int
	LiveBytes, DeadBytes int64
	// Missing is set for a condemned pack already gone.
	Missing bool

	etag string
	keep []pack.Entry // live blobs, to copy when repacking
}

// DeadShare is the share of the pack's blob bytes that is dead.
func (p *RemotePack) DeadShare() float64 {
	if t := p.LiveBytes + p.DeadBytes; t > 0 {
		return float64(p.DeadBytes) / float64(t)
	}
	return 0
}

// RemotePlan is a remote collection decided but not done.
type RemotePlan struct {
	Remote   string
	Now      time.Time // the local clock: expiry
	StoreNow time.Time // the store's clock: ages
	Safety   Safety
	Going    []Going
	// Held, roots and marking, as in Plan.
	Held                  []Going
	Versions, Links, Pins int
	Reachable, NotHere    int
	// Packs lists indexed packs (keep, young, condemn, repack) and
	// unindexed ones (young, condemn); Due lists packs condemned by an
	// earlier GC that go now (delete: their delay has passed) or come back
	// (rescue: something live reaches them again, delay or not).
	Packs []RemotePack
	Due   []RemotePack
	// IndexesReplaced counts index objects rewritten without dropped
	// packs; FileMapsDropped the dead file-map entries left out.
	IndexesReplaced int
	FileMapsDropped int
	// Unfinished lists what interrupted uploads left in the bucket (a
	// file remote's temp files, S3 multipart uploads) that is older than
	// the grace period: removed now. Younger ones may be uploads in
	// progress and are left alone.
	Unfinished []remote.Unfinished
	// YoungUnfinished counts the leftovers (or uploads in progress) kept
	// for being younger than the grace period.
	YoungUnfinished int
	Problems        []string

	state     *remoteState
	roots     *Roots
	marked    marked
	rewrite   []objects.ID    // indexes to replace
	dueRecs   []*condemnedObj // records whose packs are all handled
	dueTables map[objects.ID][]pack.Entry
}

// Freed returns what the plan deletes now (due packs) and what it
// condemns, to be deleted by a GC at least a grace period later.
func (p *RemotePlan) Freed() (nowObjects int, nowBytes int64, laterObjects int, laterBytes int64) {
	for _, pk := range p.Due {
		if pk.Action == Delete && !pk.Missing {
			nowObjects += pk.Dead
			nowBytes += pk.Size
		}
	}
	for _, pk := range p.Packs {
		switch pk.Action {
		case Condemn:
			laterObjects += pk.Dead
			laterBytes += pk.Size
		case Repack:
			laterObjects += pk.Dead
			laterBytes += pk.DeadBytes
		}
	}
	return
}

// PlanRemote reads a remote and decides what to collect there. It changes
// nothing but a clock probe it writes and removes.
func PlanRemote(ctx context.Context, rep *remote.Repository, o RemoteOptions) (*RemotePlan, error) {
	safety, err := o.safety(DefaultRemoteSafety())
	if err != nil {
		return nil, err
	}
	meter := o.progress().Start("reading remote "+o.Name, 0, false)
	st, err := readRemote(ctx, rep, o.now(), defaultRand(o.Rand))
	meter.Done()
	if err != nil {
		return nil, err
	}
	p := &RemotePlan{Remote: o.Name, Now: o.now(), StoreNow: st.now, Safety: safety, state: st, dueTables: map[objects.ID][]pack.Entry{}}
	src := remoteSource{local: o.Local, rep: rep, st: st}
	roots, err := remoteRoots(ctx, st, src, o)
	if err != nil {
		return nil, err
	}
	p.roots, p.Going, p.Held = roots, roots.Going, roots.Held
	p.Versions, p.Links, p.Pins = roots.Versions, roots.Links, roots.Pins
	meter = o.progress().Start("marking", int64(len(roots.Roots)), false)
	m, err := mark(ctx, src, roots.Roots)
	meter.Done()
	if err != nil {
		return nil, err
	}
	p.marked = m.set
	p.Reachable, p.NotHere = len(m.set), m.absent
	if m.absent > 0 {
		p.Problems = append(p.Problems, fmt.Sprintf("%d reachable trees or file maps are neither on the remote nor here (an interrupted push? push again)", m.absent))
	}
	if err := p.decide(ctx, rep, safety); err != nil {
		return nil, err
	}
	p.findUnfinished(ctx, rep.Bucket(), safety)
	return p, nil
}

// unfinishedBucket is a bucket whose interrupted Puts can leave storage
// that List does not show (see [remote.Unfinished]).
type unfinishedBucket interface {
	remote.Bucket
	ListUnfinished(ctx context.Context, fn func(remote.Unfinished) error) error
	RemoveUnfinished(ctx context.Context, u remote.Unfinished) error
}

// findUnfinished lists the leftovers of interrupted uploads older than the
// grace period, by the store's clock: a Put in progress keeps writing,
// and its time is its last write (a temp file's modification time, an S3
// upload's last part). Not being allowed to list them is a problem reported,
// not a failure: the collection proper does not depend on it.
func (p *RemotePlan) findUnfinished(ctx context.Context, b remote.Bucket, safety Safety) {
	ub, ok := remote.As[unfinishedBucket](b)
	if !ok {
		return
	}
	err := ub.ListUnfinished(ctx, func(u remote.Unfinished) error {
		if safety.oldEnough(u.Started, p.StoreNow) {
			p.Unfinished = append(p.Unfinished, u)
		} else {
			p.YoungUnfinished++
		}
		return nil
	})
	if err != nil {
		p.Unfinished, p.YoungUnfinished = nil, 0
		p.Problems = append(p.Problems, fmt.Sprintf("the leftovers of interrupted uploads were not listed: %v", err))
	}
}

// UnfinishedBytes returns the bytes that p.Unfinished holds.
func (p *RemotePlan) UnfinishedBytes() int64 {
	var n int64
	for _, u := range p.Unfinished {
		n += u.Size
	}
	return n
}

// remoteRoots finds the roots of the remote: its logs, its registry links
// and this repository's links and pins.
func remoteRoots(ctx context.Context, st *remoteState, src remoteSource, o RemoteOptions) (*Roots, error) {
	holds := retention.Holds{Linked: map[objects.ID]bool{}, Pinned: o.Holds.Pinned, PinnedRoots: o.Holds.PinnedRoots}
	for id, live := range o.Holds.Linked {
		holds.Linked[id] = live
	}
	if o.LinkedRecords != nil {
		theirs, err := o.LinkedRecords(ctx, st.refs)
		if err != nil {
			return nil, fmt.Errorf("gc: remote registries: %w", err)
		}
		for id, live := range theirs {
			holds.Linked[id] = holds.Linked[id] || live
		}
	}
	return FindRoots(ctx, logsView(st.logs), src, RootOptions{Settings: o.Settings, Holds: holds, Pins: o.Pins, Now: o.now()})
}

// live reports whether a remote blob must be kept: marked, or a run
// record (lineage outlives data; runs have no ref on a remote).
func (p *RemotePlan) live(e pack.Entry) bool {
	return p.marked.has(e.ID) || objects.BlobType(e.Type) == objects.TypeRun
}

// decide sorts every pack into its action.
func (p *RemotePlan) decide(ctx context.Context, rep *remote.Repository, safety Safety) error {
	st := p.state
	// Packs named by an index younger than the grace period belong to a
	// push in progress: never touched, nor the index.
	youngIndex := map[objects.ID]bool{}
	protected := map[objects.ID]bool{}
	for id, io := range st.indexes {
		if !safety.oldEnough(io.info.ModTime, st.now) {
			youngIndex[id] = true
			for _, pk := range io.ix.Packs {
				protected[pk.ID] = true
			}
		}
	}
	// Indexed packs.
	seen := map[objects.ID]bool{}
	dropped := map[objects.ID]bool{}
	for _, ixID := range sortedIDs(st.indexes) {
		for _, pk := range st.indexes[ixID].ix.Packs {
			if seen[pk.ID] {
				continue
			}
			seen[pk.ID] = true
			oi, exists := st.packs[pk.ID]
			rp := RemotePack{ID: pk.ID, Size: pk.Size, Age: st.now.Sub(oi.ModTime), etag: oi.ETag}
			var blobBytes int64
			for _, e := range pk.Blobs {
				blobBytes += int64(e.StoredLen)
				if p.live(e) {
					rp.Live++
					rp.LiveBytes += int64(e.StoredLen)
					rp.keep = append(rp.keep, e)
				} else {
					rp.Dead++
				}
			}
			rp.DeadBytes = blobBytes - rp.LiveBytes
			switch {
			case !exists && rp.Live > 0:
				p.Problems = append(p.Problems, fmt.Sprintf("pack %s is indexed with %d live blobs but missing from the remote", pk.ID.Short(), rp.Live))
				rp.Action = Keep
			case !exists:
				rp.Action = Condemn // an index entry of nothing: drop it from the indexes
			case protected[pk.ID] || !safety.oldEnough(oi.ModTime, st.now):
				rp.Action = Young
			case rp.Live == 0:
				rp.Action = Condemn
			case rp.DeadShare() >= safety.RepackThreshold:
				rp.Action = Repack
			default:
				rp.Action = Keep
			}
			if rp.Action == Condemn || rp.Action == Repack {
				dropped[pk.ID] = true
			}
			if rp.Action != Repack {
				rp.keep = nil
			}
			p.Packs = append(p.Packs, rp)
		}
	}
	// Indexes to replace: old enough and naming a dropped pack.
	for _, ixID := range sortedIDs(st.indexes) {
		if youngIndex[ixID] {
			continue
		}
		for _, pk := range st.indexes[ixID].ix.Packs {
			if dropped[pk.ID] {
				p.rewrite = append(p.rewrite, ixID)
				break
			}
		}
	}
	p.IndexesReplaced = len(p.rewrite)
	for _, ixID := range p.rewrite {
		for _, f := range st.indexes[ixID].ix.FileMaps {
			if !p.marked.has(f.Map) {
				p.FileMapsDropped++
			}
		}
	}
	// Condemned earlier: due ones are deleted or rescued.
	condemnedAt := map[objects.ID]time.Time{}
	for _, c := range st.condemned {
		for _, id := range c.packs {
			if t, ok := condemnedAt[id]; !ok || c.info.ModTime.Before(t) {
				condemnedAt[id] = c.info.ModTime
			}
		}
	}
	inKept := func(id objects.ID) bool {
		for _, l := range st.where[id] {
			if !dropped[l.pack] {
				if _, ok := st.packs[l.pack]; ok {
					return true
				}
			}
		}
		return false
	}
	handled := map[objects.ID]bool{}
	for _, id := range sortedIDs(condemnedAt) {
		at := condemnedAt[id]
		if len(st.indexedBy[id]) > 0 {
			handled[id] = true // indexed again (rescued, or pushed anew): not ours to delete
			continue
		}
		oi, exists := st.packs[id]
		if !exists {
			handled[id] = true
			continue
		}
		entries, ok := st.tables[id]
		if !ok {
			p.Problems = append(p.Problems, fmt.Sprintf("condemned pack %s: its table was not read; left alone", id.Short()))
			continue
		}
		rp := RemotePack{ID: id, Size: oi.Size, Age: st.now.Sub(at), etag: oi.ETag, Action: Delete}
		for _, e := range entries {
			if p.live(e) && !inKept(e.ID) {
				rp.Action = Rescue
				rp.Live++
			} else {
				rp.Dead++
			}
		}
		// A pack reached again is rescued at once, delay or not; one not
		// reached is deleted only once its delay has passed.
		if rp.Action != Rescue && !safety.oldEnough(at, st.now) {
			continue
		}
		p.dueTables[id] = entries
		handled[id] = true
		p.Due = append(p.Due, rp)
	}
	for _, c := range st.condemned {
		all := true
		for _, id := range c.packs {
			all = all && handled[id]
		}
		if all {
			p.dueRecs = append(p.dueRecs, c)
		}
	}
	// Unindexed, uncondemned packs: leftovers of interrupted pushes and
	// GCs, or a push in progress (young).
	for _, id := range sortedIDs(st.packs) {
		if seen[id] || len(st.indexedBy[id]) > 0 {
			continue
		}
		if _, ok := condemnedAt[id]; ok {
			continue
		}
		oi := st.packs[id]
		rp := RemotePack{ID: id, Size: oi.Size, Age: st.now.Sub(oi.ModTime), Action: Young}
		if safety.oldEnough(oi.ModTime, st.now) {
			rp.Action = Condemn
		}
		p.Packs = append(p.Packs, rp)
	}
	sort.Slice(p.Packs, func(i, j int) bool { return idLess(p.Packs[i].ID, p.Packs[j].ID) })
	return nil
}
