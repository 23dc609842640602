package gc

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
)

// Store is what a local GC needs of the object store; *objects.Store
// satisfies it.
type Store interface {
	Get(ctx context.Context, id objects.ID, buf []byte) ([]byte, objects.BlobType, error)
	Has(id objects.ID) (bool, error)
	FileMap(digest objects.ID) (objects.ID, bool, error)
	Index(ctx context.Context, fn func(objects.BlobInfo) error) error
	InlineBlobs(ctx context.Context, fn func(objects.BlobInfo) error) error
	FileMaps(ctx context.Context, fn func(digest, mapID objects.ID) error) error
	Packs(ctx context.Context, fn func(objects.PackInfo) error) error
	PackFiles() ([]objects.PackFile, error)
	DropUnreachable(ctx context.Context, d objects.Drop) error
	DeletePack(ctx context.Context, id objects.ID, blobs []objects.ID) error
	RewritePack(ctx context.Context, old objects.ID, keep, drop []objects.ID) (objects.PackInfo, error)
	RemoveStrayPack(ctx context.Context, id objects.ID) error
	DropPackRecord(ctx context.Context, id objects.ID) error
	CompactIndex(ctx context.Context) error
}

var _ Store = (*objects.Store)(nil)

// Progress receives progress of long phases; the shape of repo.Progress.
type Progress interface {
	Start(phase string, total int64, bytes bool) Meter
}

// Meter tracks one phase.
type Meter interface {
	Add(n int64)
	SetTotal(total int64)
	Done()
}

type noProgress struct{}

func (noProgress) Start(string, int64, bool) Meter { return noMeter{} }

type noMeter struct{}

func (noMeter) Add(int64)      {}
func (noMeter) SetTotal(int64) {}
func (noMeter) Done()          {}

// Options configure a collection.
type Options struct {
	// Safety are the margins; the zero value means the defaults of the
	// kind of GC run ([DefaultSafety], [DefaultRemoteSafety]).
	Safety *Safety
	// Now is the clock that decides expiry and ages; the default is
	// time.Now.
	Now func() time.Time
	// Progress receives progress; the default discards it.
	Progress Progress
	// Step, if set, is called before every step that changes something,
	// with the step's name; an error stops execution there, as a crash
	// would. Tests use it to kill GC at every point.
	Step func(step string) error
}

func (o Options) now() time.Time {
	if o.Now == nil {
		return time.Now()
	}
	return o.Now()
}

func (o Options) progress() Progress {
	if o.Progress == nil {
		return noProgress{}
	}
	return o.Progress
}

func (o Options) step(name string) error {
	if o.Step == nil {
		return nil
	}
	return o.Step(name)
}

func (o Options) safety(def Safety) (Safety, error) {
	s := def
	if o.Safety != nil {
		s = *o.Safety
		if s.MaxReplans == 0 {
			s.MaxReplans = def.MaxReplans
		}
	}
	return s, s.Check()
}

// Action is what a plan does with a pack.
type Action string

// Actions.
const (
	Keep   Action = "keep"   // live enough, or nothing to free
	Young  Action = "young"  // younger than the grace period: untouched
	Delete Action = "delete" // nothing live: deleted
	Repack Action = "repack" // dead share past the threshold: rewritten
)

// PackPlan is what a plan does with one pack.
type PackPlan struct {
	ID      objects.ID
	Size    int64     // file size
	Created time.Time // from its record
	Action  Action
	// Live and Dead count the pack's indexed blobs reachable and not;
	// LiveBytes and DeadBytes their stored bytes. DeadBytes includes bytes
	// no index entry names (duplicates, blobs dropped earlier).
	Live, Dead           int
	LiveBytes, DeadBytes int64

	keep, drop []objects.ID
}

// DeadShare is the share of the pack's blob bytes that is dead.
func (p *PackPlan) DeadShare() float64 {
	if t := p.LiveBytes + p.DeadBytes; t > 0 {
		return float64(p.DeadBytes) / float64(t)
	}
	return 0
}

// Stray is a pack file or record out of step with the other.
type Stray struct {
	ID     objects.ID
	Size   int64
	Age    time.Duration
	Action Action // Delete, or Young (kept)
	Record bool   // a record without its file (else a file without a record)
}

// Plan is a local collection decided but not done; `trove gc --dry-run`
// prints it. It holds the ids of what goes (32 bytes each).
type Plan struct {
	Now    time.Time
	Safety Safety
	// Going are the versions recorded deleted first; Held are versions
	// that expired but that a pin keeps (Status.HeldBy says which).
	Going, Held []Going
	// Roots counts what is kept, by kind; Reachable the blobs marked;
	// NotLocal the reachable trees and file maps not in this store.
	Versions, Links, Pins int
	Reachable, NotLocal   int
	// Packs lists every pack with its action, by id.
	Packs []PackPlan
	// InlineBlobs and InlineBytes count inline blobs dropped; FileMapKeys
	// the file-map keys dropped.
	InlineBlobs int
	InlineBytes int64
	FileMapKeys int
	Strays      []Stray
	// Problems are inconsistencies found (fsck tells more); GC leaves
	// what they concern alone.
	Problems []string

	roots          *Roots
	dropInline     []objects.ID
	dropFileMaps   []objects.ID
	dropPacked     []objects.ID
	dropPackedFrom []objects.ID
}

// Freed returns the objects and bytes the plan frees: blobs whose bytes
// go (in deleted packs, dead blobs of rewritten packs, inline blobs) and
// the bytes of deleted pack files, dead shares of rewritten ones, stray
// files and inline blobs.
func (p *Plan) Freed() (objects int, bytes int64) {
	for _, pk := range p.Packs {
		switch pk.Action {
		case Delete:
			objects += pk.Dead
			bytes += pk.Size
		case Repack:
			objects += pk.Dead
			bytes += pk.DeadBytes
		}
	}
	for _, s := range p.Strays {
		if s.Action == Delete && !s.Record {
			bytes += s.Size
		}
	}
	return objects + p.InlineBlobs, bytes + p.InlineBytes
}

// Unreferenced returns the dead blobs left in packs kept (their index
// entries are dropped, their bytes stay until the pack is rewritten).
func (p *Plan) Unreferenced() (blobs int, bytes int64) {
	for _, pk := range p.Packs {
		if pk.Action == Keep {
			blobs += pk.Dead
			bytes += pk.DeadBytes
		}
	}
	return
}

// PlanLocal marks from roots and decides what a local collection frees.
// It changes nothing.
func PlanLocal(ctx context.Context, st Store, roots *Roots, o Options) (*Plan, error) {
	safety, err := o.safety(DefaultSafety())
	if err != nil {
		return nil, err
	}
	now := o.now()
	p := &Plan{Now: now, Safety: safety, Going: roots.Going, Held: roots.Held, roots: roots,
		Versions: roots.Versions, Links: roots.Links, Pins: roots.Pins}
	meter := o.progress().Start("marking", int64(len(roots.Roots)), false)
	m, err := mark(ctx, storeSource{st}, roots.Roots)
	meter.Add(int64(len(roots.Roots)))
	meter.Done()
	if err != nil {
		return nil, err
	}
	p.Reachable, p.NotLocal = len(m.set), m.absent
	live := m.set

	// Packs: records, then what the index says lives in them.
	packs := map[objects.ID]*PackPlan{}
	blobBytes := map[objects.ID]int64{}
	err = st.Packs(ctx, func(pi objects.PackInfo) error {
		packs[pi.ID] = &PackPlan{ID: pi.ID, Size: pi.Size, Created: pi.Created}
		blobBytes[pi.ID] = pi.BlobBytes
		return nil
	})
	if err != nil {
		return nil, err
	}
	files, err := st.PackFiles()
	if err != nil {
		return nil, err
	}
	onDisk := map[objects.ID]objects.PackFile{}
	for _, f := range files {
		onDisk[f.ID] = f
	}
	indexedIn := map[objects.ID]int{} // index entries naming packs without records
	err = st.Index(ctx, func(b objects.BlobInfo) error {
		pk, ok := packs[b.Pack]
		if !ok {
			indexedIn[b.Pack]++
			return nil
		}
		if live.has(b.ID) {
			pk.Live++
			pk.LiveBytes += b.StoredSize
		} else {
			pk.Dead++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for id, pk := range packs {
		pk.DeadBytes = max(blobBytes[id]-pk.LiveBytes, 0)
		_, present := onDisk[id]
		switch {
		case !present && pk.Live > 0:
			p.Problems = append(p.Problems, fmt.Sprintf("pack %s is missing but %d live blobs are indexed there (run trove fsck)", id.Short(), pk.Live))
			pk.Action = Keep
		case !present && pk.Dead == 0:
			// A record of a missing file, naming nothing: drop it.
			pk.Action = Keep
			p.Strays = append(p.Strays, Stray{ID: id, Action: Delete, Record: true})
		case !present:
			// Dead entries naming a missing file: drop them, then the record.
			pk.Action = Delete
		case !safety.oldEnough(pk.Created, now):
			pk.Action = Young
		case pk.Live == 0:
			pk.Action = Delete
		case pk.DeadShare() >= safety.RepackThreshold:
			pk.Action = Repack
		default:
			pk.Action = Keep
		}
	}
	for id, n := range indexedIn {
		p.Problems = append(p.Problems, fmt.Sprintf("%d index entries name pack %s, which has no record (run trove fsck)", n, id.Short()))
	}
	// Second pass: which blobs move and which entries go.
	err = st.Index(ctx, func(b objects.BlobInfo) error {
		pk, ok := packs[b.Pack]
		if !ok {
			return nil
		}
		isLive := live.has(b.ID)
		switch pk.Action {
		case Repack:
			if isLive {
				pk.keep = append(pk.keep, b.ID)
			} else {
				pk.drop = append(pk.drop, b.ID)
			}
		case Delete:
			pk.drop = append(pk.drop, b.ID)
		case Keep:
			if !isLive {
				p.dropPacked = append(p.dropPacked, b.ID)
				p.dropPackedFrom = append(p.dropPackedFrom, b.Pack)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, pk := range packs {
		p.Packs = append(p.Packs, *pk)
	}
	sort.Slice(p.Packs, func(i, j int) bool { return idLess(p.Packs[i].ID, p.Packs[j].ID) })

	// Stray files: on disk, no record. A file the index names without a
	// record is a problem reported above, never a stray.
	for _, f := range files {
		if _, ok := packs[f.ID]; ok || indexedIn[f.ID] > 0 {
			continue
		}
		s := Stray{ID: f.ID, Size: f.Size, Age: now.Sub(f.ModTime), Action: Delete}
		if !safety.oldEnough(f.ModTime, now) {
			s.Action = Young
		}
		p.Strays = append(p.Strays, s)
	}
	sort.Slice(p.Strays, func(i, j int) bool { return idLess(p.Strays[i].ID, p.Strays[j].ID) })

	// Inline blobs and file-map keys. Run records are always kept.
	err = st.InlineBlobs(ctx, func(b objects.BlobInfo) error {
		if live.has(b.ID) || b.Type == objects.TypeRun {
			return nil
		}
		p.dropInline = append(p.dropInline, b.ID)
		p.InlineBlobs++
		p.InlineBytes += b.StoredSize
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = st.FileMaps(ctx, func(digest, mapID objects.ID) error {
		if !live.has(mapID) {
			p.dropFileMaps = append(p.dropFileMaps, digest)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	p.FileMapKeys = len(p.dropFileMaps)
	return p, nil
}

// ErrRootsChanged means the roots moved between planning and executing:
// plan again.
var ErrRootsChanged = errors.New("gc: roots changed since the plan was made")

// Result says what an execution did.
type Result struct {
	// Expired are the versions recorded deleted.
	Expired []Going
	// Objects and Bytes count what was freed.
	Objects int
	Bytes   int64
	// PacksDeleted and PacksRewritten count packs.
	PacksDeleted, PacksRewritten int
}

// ExecuteLocal carries out a local plan, in the order the package comment
// gives. current are the roots found again just before: if they differ
// from the plan's, nothing is done and the error wraps ErrRootsChanged.
// rs records the going versions deleted; nil skips that step (tests of
// the sweep alone).
func ExecuteLocal(ctx context.Context, st Store, rs *refs.Refs, p *Plan, current *Roots, o Options) (*Result, error) {
	if current.Digest() != p.roots.Digest() {
		return nil, ErrRootsChanged
	}
	res := &Result{}
	if rs != nil && len(p.Going) > 0 {
		if err := o.step("expire"); err != nil {
			return res, err
		}
		done, err := p.roots.ExpireLocal(ctx, rs, p.Now)
		res.Expired = done
		if err != nil {
			return res, err
		}
	}
	var total int64
	for _, pk := range p.Packs {
		if pk.Action == Repack || pk.Action == Delete {
			total += pk.Size
		}
	}
	meter := o.progress().Start("sweeping packs", total, true)
	defer meter.Done()
	for _, pk := range p.Packs {
		if pk.Action != Repack {
			continue
		}
		if err := o.step("repack " + pk.ID.Short()); err != nil {
			return res, err
		}
		if _, err := st.RewritePack(ctx, pk.ID, pk.keep, pk.drop); err != nil {
			return res, err
		}
		res.PacksRewritten++
		res.Objects += pk.Dead
		res.Bytes += pk.DeadBytes
		meter.Add(pk.Size)
	}
	for _, pk := range p.Packs {
		if pk.Action != Delete {
			continue
		}
		if err := o.step("delete " + pk.ID.Short()); err != nil {
			return res, err
		}
		if err := st.DeletePack(ctx, pk.ID, pk.drop); err != nil {
			return res, err
		}
		res.PacksDeleted++
		res.Objects += pk.Dead
		res.Bytes += pk.Size
		meter.Add(pk.Size)
	}
	if err := o.step("drop"); err != nil {
		return res, err
	}
	err := st.DropUnreachable(ctx, objects.Drop{Packed: p.dropPacked, Pack: p.dropPackedFrom, Inline: p.dropInline, FileMaps: p.dropFileMaps})
	if err != nil {
		return res, err
	}
	res.Objects += p.InlineBlobs
	res.Bytes += p.InlineBytes
	for _, s := range p.Strays {
		if s.Action != Delete {
			continue
		}
		if err := o.step("stray " + s.ID.Short()); err != nil {
			return res, err
		}
		if s.Record {
			err = st.DropPackRecord(ctx, s.ID)
		} else {
			err = st.RemoveStrayPack(ctx, s.ID)
			if errors.Is(err, objects.ErrNotStray) {
				// A rewrite above produced these very bytes and adopted
				// the file an interrupted GC had left: it is live now.
				continue
			}
			if err == nil {
				res.Bytes += s.Size
			}
		}
		if err != nil {
			return res, err
		}
	}
	// What was dropped from the database goes back to the file system now,
	// not at Pebble's leisure.
	if p.InlineBlobs > 0 || p.FileMapKeys > 0 || len(p.dropPacked) > 0 {
		if err := o.step("compact"); err != nil {
			return res, err
		}
		if err := st.CompactIndex(ctx); err != nil {
			return res, err
		}
	}
	return res, nil
}
