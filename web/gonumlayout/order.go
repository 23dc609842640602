package gonumlayout

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/trove-ml/trove/web/layout"
)

// Crossing reduction stops after maxOrderSweeps sweeps, or after
// orderPatience sweeps in a row that found no better order: on lineage
// graphs the order settles within a handful.
const (
	maxOrderSweeps = 24
	orderPatience  = 4
)

// layered is a graph cut into columns: the nodes of the graph (vertices
// 0 to n-1) and a bend point for each column a long edge passes (vertices
// n and up), with edges only between neighbouring columns. It costs about
// 120 bytes per vertex and 16 per edge.
type layered struct {
	nodes         int       // the graph's nodes are vertices 0 to nodes-1
	rank          []int     // each vertex's column
	width, height []float64 // each vertex's size; 0 for bend points
	// left and right are each vertex's neighbours in the column before
	// and after, one entry per edge (two edges between the same vertices,
	// as in a cycle of two, appear twice).
	left, right [][]int
	// cols holds each column's vertices, top to bottom; at[v] is v's
	// index in its column.
	cols [][]int
	at   []int
	// colX and colW are each column's left edge and width; y is each
	// vertex's centre.
	colX, colW []float64
	y          []float64
	// chains holds, for each edge of the graph, the vertices it passes in
	// the order laid out (left to right): its ends and bend points. A
	// self loop's chain is its one node.
	chains [][]int
	back   []bool
}

// newLayered cuts g into columns by rank, with bend points on long edges.
func newLayered(g *layout.Graph, rank []int, back []bool) (*layered, error) {
	n := len(g.Nodes)
	bends := 0
	for _, e := range g.Edges {
		span := rank[e.To] - rank[e.From]
		bends += max(span, -span, 1) - 1
	}
	if bends > MaxBends {
		return nil, fmt.Errorf("%w: %d bend points (the limit is %d)", ErrTooLarge, bends, MaxBends)
	}
	total := n + bends
	lg := &layered{
		nodes:  n,
		rank:   append(make([]int, 0, total), rank...),
		width:  make([]float64, n, total),
		height: make([]float64, n, total),
		left:   make([][]int, total),
		right:  make([][]int, total),
		chains: make([][]int, len(g.Edges)),
		back:   back,
	}
	for i, node := range g.Nodes {
		lg.width[i], lg.height[i] = node.Width, node.Height
	}
	for i, e := range g.Edges {
		from, to := e.From, e.To
		if from == to {
			lg.chains[i] = []int{from}
			continue
		}
		if back[i] {
			from, to = to, from
		}
		chain := []int{from}
		for r := rank[from] + 1; r < rank[to]; r++ {
			lg.rank = append(lg.rank, r)
			lg.width = append(lg.width, 0)
			lg.height = append(lg.height, 0)
			chain = append(chain, len(lg.rank)-1)
		}
		chain = append(chain, to)
		for j := 1; j < len(chain); j++ {
			a, b := chain[j-1], chain[j]
			lg.right[a] = append(lg.right[a], b)
			lg.left[b] = append(lg.left[b], a)
		}
		lg.chains[i] = chain
	}
	ncols := slices.Max(lg.rank) + 1
	lg.cols = make([][]int, ncols)
	lg.at = make([]int, total)
	// The first order is by index: the caller's order for nodes, and bend
	// points in the order of their edges.
	for v, r := range lg.rank {
		lg.at[v] = len(lg.cols[r])
		lg.cols[r] = append(lg.cols[r], v)
	}
	return lg, nil
}

// order reduces edge crossings by barycentre sweeps and keeps the best
// order seen (step 3 of the package comment).
func (lg *layered) order(ctx context.Context) error {
	best := lg.crossings()
	saved := cloneCols(lg.cols)
	for sweep, stale := 0, 0; sweep < maxOrderSweeps && best > 0 && stale < orderPatience; sweep++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if sweep%2 == 0 {
			for r := 1; r < len(lg.cols); r++ {
				lg.sortColumn(r, lg.left)
			}
		} else {
			for r := len(lg.cols) - 2; r >= 0; r-- {
				lg.sortColumn(r, lg.right)
			}
		}
		if c := lg.crossings(); c < best {
			best, stale = c, 0
			saved = cloneCols(lg.cols)
		} else {
			stale++
		}
	}
	lg.cols = saved
	for _, col := range lg.cols {
		for i, v := range col {
			lg.at[v] = i
		}
	}
	return nil
}

// sortColumn orders column r by the mean position of each vertex's
// neighbours in nbrs (the column just ordered). Vertices with no such
// neighbours keep their places; ties keep their order.
func (lg *layered) sortColumn(r int, nbrs [][]int) {
	type keyed struct {
		v    int
		mean float64
	}
	col := lg.cols[r]
	var moving []keyed
	for _, v := range col {
		if len(nbrs[v]) == 0 {
			continue
		}
		sum := 0
		for _, w := range nbrs[v] {
			sum += lg.at[w]
		}
		moving = append(moving, keyed{v, float64(sum) / float64(len(nbrs[v]))})
	}
	slices.SortStableFunc(moving, func(a, b keyed) int { return cmp.Compare(a.mean, b.mean) })
	k := 0
	for i, v := range col {
		if len(nbrs[v]) > 0 {
			col[i] = moving[k].v
			k++
		}
		lg.at[col[i]] = i
	}
}

// crossings counts the pairs of edges that cross: between each pair of
// neighbouring columns, the inversions in the right ends' positions when
// the edges are sorted by their left ends', counted with a Fenwick tree.
func (lg *layered) crossings() int {
	total := 0
	var ends []int
	for r := 0; r+1 < len(lg.cols); r++ {
		tree := make([]int, len(lg.cols[r+1])+1)
		seen := 0
		for _, v := range lg.cols[r] {
			ends = ends[:0]
			for _, w := range lg.right[v] {
				ends = append(ends, lg.at[w])
			}
			slices.Sort(ends)
			for _, p := range ends {
				// Edges seen so far that end further down than p
				// cross this one; the tree counts those ending at p
				// or above.
				upTo := 0
				for i := p + 1; i > 0; i -= i & -i {
					upTo += tree[i]
				}
				total += seen - upTo
				for i := p + 1; i < len(tree); i += i & -i {
					tree[i]++
				}
				seen++
			}
		}
	}
	return total
}

func cloneCols(cols [][]int) [][]int {
	out := make([][]int, len(cols))
	for i, c := range cols {
		out[i] = slices.Clone(c)
	}
	return out
}
