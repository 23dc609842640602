package gc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"time"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/objects/pack"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/packindex"
	"github.com/trove-ml/trove/retention"
)

// Limits of what a remote GC writes.
const (
	// remoteRepackTarget is the size at which a rewritten remote pack is
	// finished, as push's packs (16–64 MiB on remotes).
	remoteRepackTarget = 32 << 20
	// maxIndexBlobs bounds the blobs one rewritten index lists, so that
	// an index stays a few tens of MiB at most.
	maxIndexBlobs = 1 << 20
	// maxReadSpan bounds one ranged read of live blobs being copied.
	maxReadSpan = 16 << 20
	// maxExpireAttempts bounds compare-and-swap retries of one log.
	maxExpireAttempts = 20
)

// RemoteResult says what a remote execution did.
type RemoteResult struct {
	Expired []Going
	// Condemned, Rewritten, Deleted and Rescued count packs.
	Condemned, Rewritten, Deleted, Rescued int
	// IndexesWritten and IndexesDeleted count index objects.
	IndexesWritten, IndexesDeleted int
	// Objects and Bytes count what was deleted from the bucket now.
	Objects int
	Bytes   int64
	// Replans counts how often the roots moved and the plan was made again.
	Replans int
	// Unfinished and UnfinishedBytes count the leftovers of interrupted
	// uploads removed (see [RemotePlan.Unfinished]).
	Unfinished      int
	UnfinishedBytes int64
	// Problems are what the execution could not do but did not need to:
	// leftovers that could not be removed.
	Problems []string
}

// CollectRemote plans and, unless dryRun, executes a remote collection,
// planning again (up to Safety.MaxReplans times) when the roots moved
// between planning and executing. It returns the plan carried out.
func CollectRemote(ctx context.Context, rep *remote.Repository, o RemoteOptions, dryRun bool) (*RemotePlan, *RemoteResult, error) {
	for attempt := 0; ; attempt++ {
		p, err := PlanRemote(ctx, rep, o)
		if err != nil || dryRun {
			return p, nil, err
		}
		res, err := ExecuteRemote(ctx, rep, p, o)
		if errors.Is(err, ErrRootsChanged) && attempt < p.Safety.MaxReplans {
			continue
		}
		if res != nil {
			res.Replans = attempt
		}
		return p, res, err
	}
}

// ExecuteRemote carries out a remote plan in the order the package
// comment gives. If the remote's roots moved since the plan was made, it
// stops before changing any pack or index, with an error wrapping
// ErrRootsChanged: plan again.
func ExecuteRemote(ctx context.Context, rep *remote.Repository, p *RemotePlan, o RemoteOptions) (*RemoteResult, error) {
	res := &RemoteResult{}
	b := rep.Bucket()
	src := remoteSource{local: o.Local, rep: rep, st: p.state}

	// 1. Versions that go are recorded deleted in the remote's logs.
	if len(p.Going) > 0 {
		if err := o.step("expire"); err != nil {
			return res, err
		}
		done, err := p.expireRemote(ctx, rep, src, o)
		res.Expired = done
		if err != nil {
			return res, err
		}
	}

	// 2. The roots again: a push that landed since planning may reach
	// blobs the plan thought dead.
	if err := o.step("recheck"); err != nil {
		return res, err
	}
	if err := p.state.readRefs(ctx, rep); err != nil {
		return res, err
	}
	again, err := remoteRoots(ctx, p.state, src, o)
	if err != nil {
		return res, err
	}
	if again.Digest() != p.roots.Digest() {
		return res, ErrRootsChanged
	}

	// 3. Rewritten packs and the index naming them.
	var fresh []packindex.Pack
	var repacked []RemotePack
	for _, pk := range p.Packs {
		if pk.Action == Repack {
			repacked = append(repacked, pk)
		}
	}
	if len(repacked) > 0 {
		if err := o.step("repack"); err != nil {
			return res, err
		}
		var err error
		if fresh, err = p.repack(ctx, rep, repacked, o); err != nil {
			return res, err
		}
		res.Rewritten = len(repacked)
		for _, ix := range splitIndex(fresh, nil) {
			if err := o.step("index new packs"); err != nil {
				return res, err
			}
			if _, err := rep.PutIndex(ctx, ix); err != nil {
				return res, fmt.Errorf("gc: %w", err)
			}
			res.IndexesWritten++
		}
	}

	// 4. Indexes naming dropped packs: the replacement first, then the old
	// one, If-Match its ETag.
	var deadFmaps []packindex.FileMap
	if len(p.rewrite) > 0 {
		dropped := map[objects.ID]bool{}
		for _, pk := range p.Packs {
			if pk.Action == Condemn || pk.Action == Repack {
				dropped[pk.ID] = true
			}
		}
		var survivors []packindex.Pack
		var fmaps []packindex.FileMap
		seenPack := map[objects.ID]bool{}
		seenMap := map[objects.ID]bool{}
		for _, ixID := range p.rewrite {
			ix := p.state.indexes[ixID].ix
			for _, pk := range ix.Packs {
				if !dropped[pk.ID] && !seenPack[pk.ID] {
					seenPack[pk.ID] = true
					survivors = append(survivors, pk)
				}
			}
			for _, f := range ix.FileMaps {
				if seenMap[f.Digest] {
					continue
				}
				seenMap[f.Digest] = true
				if p.marked.has(f.Map) {
					fmaps = append(fmaps, f)
				} else {
					deadFmaps = append(deadFmaps, f)
				}
			}
		}
		for _, ix := range splitIndex(survivors, fmaps) {
			if err := o.step("index survivors"); err != nil {
				return res, err
			}
			if _, err := rep.PutIndex(ctx, ix); err != nil {
				return res, fmt.Errorf("gc: %w", err)
			}
			res.IndexesWritten++
		}
		for _, ixID := range p.rewrite {
			if err := o.step("delete index " + ixID.Short()); err != nil {
				return res, err
			}
			io := p.state.indexes[ixID]
			if err := b.Delete(ctx, io.info.Key, io.info.ETag); err != nil && !remote.IsConflict(err) {
				return res, fmt.Errorf("gc: delete index %s: %w", ixID.Short(), err)
			}
			res.IndexesDeleted++
		}
	}

	// 5. The packs no index names any more are condemned: their delay
	// starts when this record is written, after the indexes went.
	var condemned []objects.ID
	for _, pk := range p.Packs {
		if pk.Action == Condemn || pk.Action == Repack {
			condemned = append(condemned, pk.ID)
		}
	}
	if len(condemned) > 0 {
		if err := o.step("condemn"); err != nil {
			return res, err
		}
		if err := p.writeCondemned(ctx, b, condemned, deadFmaps, o); err != nil {
			return res, err
		}
		res.Condemned = len(condemned)
	}

	// 6. Packs condemned long enough ago: rescued if reached again,
	// deleted otherwise; then the records done with. Just before, the
	// indexes are listed again: a due pack that an index names now (a
	// push that found the pack there, identical, and indexed it; or a
	// pack this run rewrote into the same bytes) is not deleted.
	named, err := namedPacks(ctx, rep, p.state)
	if err != nil {
		return res, err
	}
	for _, pk := range fresh {
		named[pk.ID] = true
	}
	gone := map[objects.ID]bool{}
	for _, pk := range p.Due {
		switch {
		case pk.Action != Rescue && named[pk.ID]:
			continue
		case pk.Action == Rescue:
			if err := o.step("rescue " + pk.ID.Short()); err != nil {
				return res, err
			}
			ix := rescueIndex(pk.ID, pk.Size, p.dueTables[pk.ID], p.state.spareFmaps)
			if _, err := rep.PutIndex(ctx, ix); err != nil {
				return res, fmt.Errorf("gc: rescue pack %s: %w", pk.ID.Short(), err)
			}
			res.Rescued++
			res.IndexesWritten++
		case !pk.Missing:
			if err := o.step("delete pack " + pk.ID.Short()); err != nil {
				return res, err
			}
			if err := b.Delete(ctx, remote.PackKey(pk.ID), pk.etag); err != nil && !remote.IsConflict(err) {
				return res, fmt.Errorf("gc: delete pack %s: %w", pk.ID.Short(), err)
			}
			gone[pk.ID] = true
			res.Deleted++
			res.Objects += pk.Dead
			res.Bytes += pk.Size
		}
	}
	for _, c := range p.dueRecs {
		if err := o.step("delete record"); err != nil {
			return res, err
		}
		if err := b.Delete(ctx, c.key, c.info.ETag); err != nil && !remote.IsConflict(err) {
			return res, fmt.Errorf("gc: delete %s: %w", c.key, err)
		}
	}

	// The leftovers of interrupted uploads. Removing one that a Put still
	// writes (stalled for longer than the grace period) makes that Put
	// fail; it publishes nothing, so nothing is lost.
	if len(p.Unfinished) > 0 {
		if err := o.step("remove unfinished uploads"); err != nil {
			return res, err
		}
		ub, _ := remote.As[unfinishedBucket](b)
		for _, u := range p.Unfinished {
			if err := ub.RemoveUnfinished(ctx, u); err != nil {
				if ctx.Err() != nil {
					return res, err
				}
				res.Problems = append(res.Problems, fmt.Sprintf("an interrupted upload to %s was not removed: %v", u.Key, err))
				continue
			}
			res.Unfinished++
			res.UnfinishedBytes += u.Size
		}
	}

	// 7. A push that landed during steps 3–6 may reach blobs condemned
	// just now: put their packs back in an index at once rather than
	// leave them unindexed until the next GC.
	if err := o.step("postcheck"); err != nil {
		return res, err
	}
	if err := p.state.readRefs(ctx, rep); err != nil {
		return res, err
	}
	if again, err = remoteRoots(ctx, p.state, src, o); err != nil {
		return res, err
	}
	if again.Digest() != p.roots.Digest() {
		// What the pushes that landed meanwhile wrote must be readable:
		// learn the indexes written since the plan, forget the packs just
		// deleted.
		if err := p.state.learnNewIndexes(ctx, rep, gone); err != nil {
			return res, err
		}
		spare := maps.Clone(p.state.spareFmaps)
		for _, f := range deadFmaps {
			spare[f.Digest] = f.Map
		}
		n, err := p.rescueCondemned(ctx, rep, src, again, condemned, fresh, spare)
		res.Rescued += n
		res.IndexesWritten += n
		if err != nil {
			return res, err
		}
	}

	// 8. This repository's cache of the remote's indexes, rebuilt.
	if o.Cache != nil {
		if err := o.step("cache"); err != nil {
			return res, err
		}
		if err := RefreshCache(ctx, rep, o.Cache); err != nil {
			return res, err
		}
	}
	return res, nil
}

// expireRemote records the going versions deleted in the remote's logs,
// one compare-and-swap per artifact, evaluating each log again as read
// (another client may have changed it since the plan).
func (p *RemotePlan) expireRemote(ctx context.Context, rep *remote.Repository, src remoteSource, o RemoteOptions) ([]Going, error) {
	var done []Going
	names := map[string]bool{}
	for _, g := range p.Going {
		names[g.Artifact] = true
	}
	recordTTL := func(ctx context.Context, v refs.Version) (string, error) {
		b, err := src.GetBlob(ctx, v.Record)
		if isNotFound(err) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		rec, err := decodeRecordTTL(b)
		return rec, err
	}
	holds := retention.Holds{Linked: map[objects.ID]bool{}, Pinned: o.Holds.Pinned, PinnedRoots: o.Holds.PinnedRoots}
	for id, live := range o.Holds.Linked {
		holds.Linked[id] = live
	}
	if o.LinkedRecords != nil {
		theirs, err := o.LinkedRecords(ctx, p.state.refs)
		if err != nil {
			return nil, err
		}
		for id, live := range theirs {
			holds.Linked[id] = holds.Linked[id] || live
		}
	}
	for _, name := range sortedKeys(names) {
		key := refsPrefix + name
		for attempt := 0; ; attempt++ {
			cur, err := rep.GetRef(ctx, key)
			if err != nil {
				return done, fmt.Errorf("gc: %w", err)
			}
			if cur.Body == nil {
				break
			}
			l, err := refs.DecodeLog(cur.Body)
			if err != nil {
				return done, fmt.Errorf("gc: remote ref %s: %w", key, err)
			}
			sts, err := retention.Evaluate(ctx, name, l, o.Settings, holds, recordTTL, p.Now)
			if err != nil {
				return done, err
			}
			var now []Going
			for _, st := range sts {
				if !st.Goes() {
					continue
				}
				reason, at := refs.ReasonRetention, p.Now
				if st.Expired {
					reason, at = refs.ReasonExpired, st.Expires
				}
				if _, err := l.MarkDeleted(st.Version.N, reason, at); err != nil {
					return done, err
				}
				now = append(now, Going{Artifact: name, Status: st, Policy: o.Settings.Policies[name]})
			}
			if len(now) == 0 {
				break
			}
			l.Counter++
			body, err := l.Encode()
			if err != nil {
				return done, err
			}
			err = rep.PutRef(ctx, key, body, cur.ETag)
			if remote.IsConflict(err) && attempt < maxExpireAttempts {
				if err := sleepCtx(ctx, time.Duration(10<<min(attempt, 6))*time.Millisecond); err != nil {
					return done, err
				}
				continue
			}
			if err != nil {
				return done, fmt.Errorf("gc: %w", err)
			}
			done = append(done, now...)
			break
		}
	}
	return done, nil
}

// repack copies the live blobs of packs into new packs, verified, and
// uploads them. It returns the new packs for an index.
func (p *RemotePlan) repack(ctx context.Context, rep *remote.Repository, packs []RemotePack, o RemoteOptions) ([]packindex.Pack, error) {
	w := &packBuilder{ctx: ctx, rep: rep, dir: o.TempDir}
	defer w.discard()
	var total int64
	for _, pk := range packs {
		total += pk.LiveBytes
	}
	meter := o.progress().Start("rewriting packs on "+o.Name, total, true)
	defer meter.Done()
	copied := map[objects.ID]bool{}
	for _, pk := range packs {
		entries := pk.keep
		sort.Slice(entries, func(i, j int) bool { return entries[i].Offset < entries[j].Offset })
		for i := 0; i < len(entries); {
			// One ranged read per run of adjacent live blobs.
			j, end := i+1, entries[i].End()
			for j < len(entries) && entries[j].Offset == end && entries[j].End()-entries[i].Offset <= maxReadSpan {
				end = entries[j].End()
				j++
			}
			data, err := rep.ReadPack(ctx, pk.ID, entries[i].Offset, end-entries[i].Offset)
			if err != nil {
				return nil, fmt.Errorf("gc: repack %s: %w", pk.ID.Short(), err)
			}
			for _, e := range entries[i:j] {
				if copied[e.ID] {
					continue
				}
				stored := data[e.Offset-entries[i].Offset : e.End()-entries[i].Offset]
				st := objects.Stored{ID: e.ID, Type: objects.BlobType(e.Type), Compressed: e.Compression == pack.CompressionZstd, RawLen: int(e.RawLen), Bytes: stored}
				if _, err := o.Local.Decode(st); err != nil {
					return nil, fmt.Errorf("gc: repack %s: %w", pk.ID.Short(), err)
				}
				if err := w.add(e, stored); err != nil {
					return nil, err
				}
				copied[e.ID] = true
				meter.Add(int64(e.StoredLen))
			}
			i = j
		}
	}
	return w.finish()
}

// writeCondemned writes a condemnation record for packs.
func (p *RemotePlan) writeCondemned(ctx context.Context, b remote.Bucket, packs []objects.ID, fmaps []packindex.FileMap, o RemoteOptions) error {
	body, err := encodeCondemned(packs, fmaps, o.By, p.StoreNow)
	if err != nil {
		return err
	}
	suffix, err := randomSuffix(defaultRand(o.Rand))
	if err != nil {
		return err
	}
	key := fmt.Sprintf("%s%020d-%s", condemnedPrefix, p.StoreNow.UnixNano(), suffix)
	if _, err := b.Put(ctx, key, bytes.NewReader(body), int64(len(body)), remote.PutOptions{IfAbsent: true, ContentType: "application/json"}); err != nil {
		return fmt.Errorf("gc: write %s: %w", key, err)
	}
	return nil
}

// rescueCondemned puts back in an index the packs condemned in this run
// that hold blobs the roots now reach and no indexed pack holds.
func (p *RemotePlan) rescueCondemned(ctx context.Context, rep *remote.Repository, src remoteSource, roots *Roots, condemned []objects.ID, fresh []packindex.Pack, spare map[objects.ID]objects.ID) (int, error) {
	p.state.spareFmaps = spare // the entries just left out describe files too
	m, err := mark(ctx, src, roots.Roots)
	if err != nil {
		return 0, err
	}
	gone := map[objects.ID]bool{}
	for _, id := range condemned {
		gone[id] = true
	}
	kept := map[objects.ID]bool{}
	for _, l := range p.state.where {
		for _, x := range l {
			if !gone[x.pack] {
				kept[x.e.ID] = true
			}
		}
	}
	for _, pk := range fresh {
		for _, e := range pk.Blobs {
			kept[e.ID] = true
		}
	}
	n := 0
	for _, pk := range p.Packs {
		if !gone[pk.ID] {
			continue
		}
		var entries []pack.Entry
		for _, ixID := range p.state.indexedBy[pk.ID] {
			for _, x := range p.state.indexes[ixID].ix.Packs {
				if x.ID == pk.ID {
					entries = x.Blobs
				}
			}
		}
		need := false
		for _, e := range entries {
			if m.set.has(e.ID) && !kept[e.ID] {
				need = true
				break
			}
		}
		if !need {
			continue
		}
		if _, err := rep.PutIndex(ctx, rescueIndex(pk.ID, pk.Size, entries, spare)); err != nil {
			return n, fmt.Errorf("gc: rescue pack %s: %w", pk.ID.Short(), err)
		}
		n++
	}
	return n, nil
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
