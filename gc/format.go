package gc

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/trove-ml/trove/internal/units"
	"github.com/trove-ml/trove/retention"
)

// WriteText writes the plan for people, one action a line: what expires,
// what stays, every pack deleted, rewritten or too young to touch, and
// what is freed. verbose also lists the packs kept.
func (p *Plan) WriteText(w io.Writer, verbose bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "plan   local, grace %s, repack at %.0f%% dead\n", retention.FormatDuration(p.Safety.Grace), 100*p.Safety.RepackThreshold)
	writeGoing(&b, p.Going, p.Held)
	fmt.Fprintf(&b, "keep   %s: %d blobs reachable", rootsText(p.Versions, p.Links, p.Pins), p.Reachable)
	if p.NotLocal > 0 {
		fmt.Fprintf(&b, " (%d trees or file maps not in this store)", p.NotLocal)
	}
	b.WriteString("\n")
	for _, pk := range p.Packs {
		switch pk.Action {
		case Delete:
			fmt.Fprintf(&b, "delete pack %s  %s, %d dead blobs, nothing live\n", pk.ID.Short(), units.Bytes(pk.Size), pk.Dead)
		case Repack:
			fmt.Fprintf(&b, "repack pack %s  %s, %.0f%% dead: %d live blobs (%s) copied, %d dead dropped\n",
				pk.ID.Short(), units.Bytes(pk.Size), 100*pk.DeadShare(), pk.Live, units.Bytes(pk.LiveBytes), pk.Dead)
		case Young:
			fmt.Fprintf(&b, "keep   pack %s  %s old (< grace %s)\n", pk.ID.Short(), formatAge(p.Now.Sub(pk.Created)), retention.FormatDuration(p.Safety.Grace))
		default:
			if verbose {
				fmt.Fprintf(&b, "keep   pack %s  %s, %.0f%% dead\n", pk.ID.Short(), units.Bytes(pk.Size), 100*pk.DeadShare())
			}
		}
	}
	if n, bytes := p.Unreferenced(); n > 0 {
		fmt.Fprintf(&b, "drop   %d unreferenced index entries in packs kept (%s stays on disk until they are rewritten)\n", n, units.Bytes(bytes))
	}
	if p.InlineBlobs > 0 || p.FileMapKeys > 0 {
		fmt.Fprintf(&b, "drop   %d inline blobs (%s), %d file-map keys\n", p.InlineBlobs, units.Bytes(p.InlineBytes), p.FileMapKeys)
	}
	for _, s := range p.Strays {
		switch {
		case s.Record:
			fmt.Fprintf(&b, "drop   record of missing pack %s\n", s.ID.Short())
		case s.Action == Delete:
			fmt.Fprintf(&b, "delete stray pack %s  %s, indexed nowhere (left by a crash)\n", s.ID.Short(), units.Bytes(s.Size))
		default:
			fmt.Fprintf(&b, "keep   stray pack %s  %s old (< grace %s)\n", s.ID.Short(), formatAge(s.Age), retention.FormatDuration(p.Safety.Grace))
		}
	}
	for _, pr := range p.Problems {
		fmt.Fprintf(&b, "problem %s\n", pr)
	}
	objs, bytes := p.Freed()
	fmt.Fprintf(&b, "free   %d objects, %s\n", objs, units.Bytes(bytes))
	_, err := io.WriteString(w, b.String())
	return err
}

func writeGoing(b *strings.Builder, going, held []Going) {
	for _, g := range going {
		fmt.Fprintf(b, "expire %s\n", g)
	}
	for _, g := range held {
		fmt.Fprintf(b, "keep   %s\n", g)
	}
}

func rootsText(versions, links, pins int) string {
	return fmt.Sprintf("%d %s, %d registry %s, %d %s",
		versions, plural(versions, "version", "versions"), links, plural(links, "link", "links"), pins, plural(pins, "pin", "pins"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func formatAge(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return retention.FormatRemaining(d)
}

// WriteText writes the remote plan for people; verbose also lists the
// packs kept.
func (p *RemotePlan) WriteText(w io.Writer, verbose bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "plan   remote %s, grace %s, repack at %.0f%% dead\n", p.Remote, retention.FormatDuration(p.Safety.Grace), 100*p.Safety.RepackThreshold)
	writeGoing(&b, p.Going, p.Held)
	fmt.Fprintf(&b, "keep   %s: %d blobs reachable\n", rootsText(p.Versions, p.Links, p.Pins), p.Reachable)
	for _, pk := range p.Packs {
		switch pk.Action {
		case Condemn:
			fmt.Fprintf(&b, "condemn pack %s  %s, nothing live: out of the indexes now, deleted by a GC after %s\n",
				pk.ID.Short(), units.Bytes(pk.Size), p.StoreNow.Add(p.Safety.Grace).UTC().Format("2006-01-02 15:04"))
		case Repack:
			fmt.Fprintf(&b, "repack pack %s  %s, %.0f%% dead: %d live blobs (%s) copied, the old pack condemned\n",
				pk.ID.Short(), units.Bytes(pk.Size), 100*pk.DeadShare(), pk.Live, units.Bytes(pk.LiveBytes))
		case Young:
			fmt.Fprintf(&b, "keep   pack %s  %s old (< grace %s)\n", pk.ID.Short(), formatAge(pk.Age), retention.FormatDuration(p.Safety.Grace))
		default:
			if verbose {
				fmt.Fprintf(&b, "keep   pack %s  %s, %.0f%% dead\n", pk.ID.Short(), units.Bytes(pk.Size), 100*pk.DeadShare())
			}
		}
	}
	if p.IndexesReplaced > 0 {
		fmt.Fprintf(&b, "index  %d replaced without the dropped packs (%d dead file-map entries left out)\n", p.IndexesReplaced, p.FileMapsDropped)
	}
	for _, pk := range p.Due {
		switch {
		case pk.Action == Rescue:
			fmt.Fprintf(&b, "rescue pack %s  condemned %s ago, but %d blobs are reached again: indexed again\n", pk.ID.Short(), formatAge(pk.Age), pk.Live)
		case pk.Missing:
			fmt.Fprintf(&b, "forget pack %s  condemned %s ago, already gone\n", pk.ID.Short(), formatAge(pk.Age))
		default:
			fmt.Fprintf(&b, "delete pack %s  %s, condemned %s ago\n", pk.ID.Short(), units.Bytes(pk.Size), formatAge(pk.Age))
		}
	}
	for _, u := range p.Unfinished {
		fmt.Fprintf(&b, "remove unfinished upload to %s  %s, last written %s ago\n", u.Key, units.Bytes(u.Size), formatAge(p.StoreNow.Sub(u.Started)))
	}
	if p.YoungUnfinished > 0 {
		fmt.Fprintf(&b, "keep   %d unfinished uploads written to less than %s ago (in progress, or removed by a GC after the grace period)\n", p.YoungUnfinished, retention.FormatDuration(p.Safety.Grace))
	}
	for _, pr := range p.Problems {
		fmt.Fprintf(&b, "problem %s\n", pr)
	}
	no, nb, lo, lb := p.Freed()
	fmt.Fprintf(&b, "free   %d objects, %s now; %d objects, %s condemned for the next GC after the grace period", no, units.Bytes(nb), lo, units.Bytes(lb))
	if len(p.Unfinished) > 0 {
		fmt.Fprintf(&b, "; %d unfinished uploads, %s, now", len(p.Unfinished), units.Bytes(p.UnfinishedBytes()))
	}
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}
