package gc

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/trove-ml/trove/internal/units"
	"github.com/trove-ml/trove/objects"
)

// Holder tells which chunks a remote holds.
type Holder interface {
	// Holding returns, of ids, those the remote verifiably holds: its
	// current indexes list each, and the table of the remote pack named
	// there lists it at the same place. It must check, not assume.
	Holding(ctx context.Context, ids []objects.ID) (map[objects.ID]bool, error)
}

// PruneStore is what cache pruning needs of the local store;
// *objects.Store satisfies it.
type PruneStore interface {
	Store
	PackAccess(ctx context.Context, fn func(id objects.ID, lastRead time.Time) error) error
}

var _ PruneStore = (*objects.Store)(nil)

// PrunePack is what pruning does with one pack.
type PrunePack struct {
	ID       objects.ID
	Size     int64
	LastUsed time.Time
	// Action is Delete (every chunk is on the remote), Repack (some are:
	// the rest are copied to a new pack) or Keep.
	Action Action
	// Evict counts the chunks evicted, EvictBytes their stored bytes.
	Evict      int
	EvictBytes int64

	keep, drop []objects.ID
}

// PrunePlan is a cache eviction decided but not done.
type PrunePlan struct {
	Remote string
	// Target is the budget; Before and After the bytes of local pack files
	// before and (estimated) after.
	Target, Before, After int64
	// Packs lists the packs evicted from, least recently used first.
	Packs []PrunePack
	// Protected counts chunks that must stay: versions here that the
	// remote does not have reach them.
	Protected int
	// Unheld counts chunks considered but not found on the remote.
	Unheld int
}

// Freed returns the chunks and bytes evicted.
func (p *PrunePlan) Freed() (chunks int, bytes int64) {
	for _, pk := range p.Packs {
		chunks += pk.Evict
		bytes += pk.EvictBytes
	}
	return chunks, bytes
}

// pruneBatch is how many packs' chunks are checked with the remote at once.
const pruneBatch = 16

// PlanPrune decides which chunks to evict so that the local packs fit in
// target bytes: least recently used packs first, only chunks the remote
// holds (checked by h), never chunks that local-only versions reach
// (protect: roots of versions the remote does not have). It changes
// nothing.
func PlanPrune(ctx context.Context, st PruneStore, h Holder, protect []Root, target int64, o Options) (*PrunePlan, error) {
	p := &PrunePlan{Target: target}
	files, err := st.PackFiles()
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		p.Before += f.Size
	}
	p.After = p.Before
	if p.Before <= target {
		return p, nil
	}
	m, err := mark(ctx, storeSource{st}, protect)
	if err != nil {
		return nil, err
	}
	type cand struct {
		PrunePack
		blobs []objects.BlobInfo
	}
	cands := map[objects.ID]*cand{}
	err = st.Packs(ctx, func(pi objects.PackInfo) error {
		cands[pi.ID] = &cand{PrunePack: PrunePack{ID: pi.ID, Size: pi.Size, LastUsed: pi.Created, Action: Keep}}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = st.PackAccess(ctx, func(id objects.ID, t time.Time) error {
		if c, ok := cands[id]; ok && t.After(c.LastUsed) {
			c.LastUsed = t
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = st.Index(ctx, func(b objects.BlobInfo) error {
		if c, ok := cands[b.Pack]; ok {
			c.blobs = append(c.blobs, b)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	order := make([]*cand, 0, len(cands))
	for _, c := range cands {
		order = append(order, c)
	}
	sort.Slice(order, func(i, j int) bool {
		if !order[i].LastUsed.Equal(order[j].LastUsed) {
			return order[i].LastUsed.Before(order[j].LastUsed)
		}
		return idLess(order[i].ID, order[j].ID)
	})
	meter := o.progress().Start("checking the remote", p.Before-target, true)
	defer meter.Done()
	for start := 0; start < len(order) && p.After > target; start += pruneBatch {
		batch := order[start:min(start+pruneBatch, len(order))]
		var ask []objects.ID
		for _, c := range batch {
			for _, b := range c.blobs {
				if b.Type == objects.TypeChunk && !m.set.has(b.ID) {
					ask = append(ask, b.ID)
				} else if m.set.has(b.ID) {
					p.Protected++
				}
			}
		}
		held, err := h.Holding(ctx, ask)
		if err != nil {
			return nil, err
		}
		for _, c := range batch {
			if p.After <= target {
				break
			}
			for _, b := range c.blobs {
				if held[b.ID] {
					c.drop = append(c.drop, b.ID)
					c.Evict++
					c.EvictBytes += b.StoredSize
				} else {
					if b.Type == objects.TypeChunk && !m.set.has(b.ID) {
						p.Unheld++
					}
					c.keep = append(c.keep, b.ID)
				}
			}
			switch {
			case c.Evict == 0:
				continue
			case len(c.keep) == 0:
				c.Action = Delete
				p.After -= c.Size
			default:
				c.Action = Repack
				p.After -= c.EvictBytes
			}
			meter.Add(c.EvictBytes)
			p.Packs = append(p.Packs, c.PrunePack)
		}
	}
	return p, nil
}

// ExecutePrune evicts what the plan says: each pack deleted or rewritten
// without its evicted chunks (new pack first, as in GC). Evicted chunks
// are fetched again from the remote when a pull needs them.
func ExecutePrune(ctx context.Context, st PruneStore, p *PrunePlan, o Options) (chunks int, bytes int64, err error) {
	meter := o.progress().Start("evicting", p.Before-p.After, true)
	defer meter.Done()
	for _, pk := range p.Packs {
		if err := o.step("evict " + pk.ID.Short()); err != nil {
			return chunks, bytes, err
		}
		switch pk.Action {
		case Delete:
			err = st.DeletePack(ctx, pk.ID, pk.drop)
		case Repack:
			_, err = st.RewritePack(ctx, pk.ID, pk.keep, pk.drop)
		}
		if err != nil {
			return chunks, bytes, err
		}
		chunks += pk.Evict
		bytes += pk.EvictBytes
		meter.Add(pk.EvictBytes)
	}
	return chunks, bytes, nil
}

// WriteText writes the prune plan for people.
func (p *PrunePlan) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "cache  %s in packs, budget %s\n", units.Bytes(p.Before), units.Bytes(p.Target))
	for _, pk := range p.Packs {
		verb := "evict"
		if pk.Action == Repack {
			verb = "evict part of"
		}
		fmt.Fprintf(&b, "%s pack %s  %d chunks, %s (last used %s)\n", verb, pk.ID.Short(), pk.Evict, units.Bytes(pk.EvictBytes), pk.LastUsed.UTC().Format("2006-01-02 15:04"))
	}
	if p.Protected > 0 {
		fmt.Fprintf(&b, "keep   %d chunks of versions the remote does not have\n", p.Protected)
	}
	if p.Unheld > 0 {
		fmt.Fprintf(&b, "keep   %d chunks the remote does not hold (push first)\n", p.Unheld)
	}
	n, bytes := p.Freed()
	fmt.Fprintf(&b, "free   %d chunks, %s; %s left", n, units.Bytes(bytes), units.Bytes(p.After))
	if p.After > p.Target {
		b.WriteString(" (over budget: the rest is not on the remote)")
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}
