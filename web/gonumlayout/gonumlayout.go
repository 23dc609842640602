package gonumlayout

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/graph/topo"

	"github.com/trove-ml/trove/web/layout"
)

// Limits on the graphs laid out. Both are far above what web draws (it
// lists graphs of more than a few hundred nodes instead) and keep the
// work of a hostile or accidental huge graph to well under a second.
const (
	// MaxNodes bounds the nodes of a graph.
	MaxNodes = 10000
	// MaxBends bounds the bend points of a graph's edges: one per column
	// an edge passes between its ends.
	MaxBends = 100000
)

// ErrTooLarge means a graph has more than MaxNodes nodes or needs more
// than MaxBends bend points.
var ErrTooLarge = errors.New("gonumlayout: graph too large to lay out")

// Spacing, in points (1/72 inch).
const (
	// rankSep is the gap between columns: room for the edges between
	// them to bend without looking steep.
	rankSep = 48
	// nodeSep is the least gap between two boxes, or bend points, in a
	// column.
	nodeSep = 18
	// arrowLen is the straight last stretch of an edge, on which the
	// caller draws the arrowhead.
	arrowLen = 8
	// loopDepth is how far below its box a self loop reaches.
	loopDepth = 16
)

// Layouter lays graphs out in layers, left to right; it is a web.Layouter.
// The zero value is ready to use.
type Layouter struct{}

// New returns a Layouter.
func New() *Layouter { return &Layouter{} }

// Layout places g, columns running left to right as data flows. It fails
// with ErrTooLarge for a graph over the limits, and with an error naming
// the node or edge for a box of negative or infinite size or an edge to a
// node out of range. It returns ctx's error if ctx ends first.
func (l *Layouter) Layout(ctx context.Context, g *layout.Graph) (*layout.Placement, error) {
	if len(g.Nodes) > MaxNodes {
		return nil, fmt.Errorf("%w: %d nodes (the limit is %d)", ErrTooLarge, len(g.Nodes), MaxNodes)
	}
	for i, n := range g.Nodes {
		if !(n.Width >= 0 && n.Height >= 0) || math.IsInf(n.Width, 0) || math.IsInf(n.Height, 0) {
			return nil, fmt.Errorf("gonumlayout: node %d has size %vx%v", i, n.Width, n.Height)
		}
	}
	for _, e := range g.Edges {
		if e.From < 0 || e.From >= len(g.Nodes) || e.To < 0 || e.To >= len(g.Nodes) {
			return nil, fmt.Errorf("gonumlayout: edge %d->%d names a node out of range (have %d)", e.From, e.To, len(g.Nodes))
		}
	}
	if len(g.Nodes) == 0 {
		return &layout.Placement{}, nil
	}
	rank, back := ranks(g)
	lg, err := newLayered(g, rank, back)
	if err != nil {
		return nil, err
	}
	if err := lg.order(ctx); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lg.place()
	return lg.placement(g), nil
}

// ranks returns each node's column and which edges are laid out reversed
// to break cycles (see the package comment, steps 1 and 2). Self loops
// have no rank constraint and are never reversed.
func ranks(g *layout.Graph) (rank []int, back []bool) {
	n := len(g.Nodes)
	// sorted is topological, except that each cycle's place is a nil
	// entry; the cycles come in the same order in the error, each sorted
	// by node id (index).
	sorted, err := topo.SortStabilized(newDigraph(g), nil)
	var cycles topo.Unorderable
	errors.As(err, &cycles) // err is nil or Unorderable
	pos := make([]int, n)
	k := 0
	for _, v := range sorted {
		if v != nil {
			pos[v.ID()] = k
			k++
			continue
		}
		for _, c := range cycles[0] {
			pos[c.ID()] = k
			k++
		}
		cycles = cycles[1:]
	}

	// Longest paths from sources, visiting nodes in pos order: every edge
	// as laid out goes from a lower pos to a higher one.
	back = make([]bool, len(g.Edges))
	succ := make([][]int, n)
	preds := make([]int, n)
	for i, e := range g.Edges {
		from, to := e.From, e.To
		switch {
		case from == to:
			continue
		case pos[from] > pos[to]:
			back[i] = true
			from, to = to, from
		}
		succ[from] = append(succ[from], to)
		preds[to]++
	}
	byPos := make([]int, n)
	for v, p := range pos {
		byPos[p] = v
	}
	rank = make([]int, n)
	for _, v := range byPos {
		for _, w := range succ[v] {
			rank[w] = max(rank[w], rank[v]+1)
		}
	}
	// Sources move right to just before their nearest successor; their
	// successors have predecessors, so they do not move.
	for v := range n {
		if preds[v] == 0 && len(succ[v]) > 0 {
			r := math.MaxInt
			for _, w := range succ[v] {
				r = min(r, rank[w])
			}
			rank[v] = r - 1
		}
	}
	return rank, back
}
