package gonumlayout

import (
	"math"
	"slices"

	"github.com/trove-ml/trove/web/layout"
)

// placeSweeps is how many times the vertical placement visits every
// column, alternating directions. Each visit lowers the total squared
// slope (see place); by then the drawing no longer visibly changes.
const placeSweeps = 16

// Segment weights in the vertical placement, as in dot: a long edge's
// segments pull harder than a short edge, so long edges run straight
// through their bend points and the boxes move instead.
const (
	weightShort = 1 // between two nodes
	weightEnd   = 2 // between a node and a bend point
	weightBend  = 8 // between two bend points
	// weightIdle keeps a vertex with no neighbours where it is.
	weightIdle = 1e-6
)

// place sets the columns' x and the vertices' y (step 4 of the package
// comment). Vertically it minimises the sum over edge segments of weight
// times squared height difference, keeping each column's order and gaps:
// one column at a time, that is a weighted isotonic regression, solved
// exactly by pack, and the sweeps repeat it until it settles.
func (lg *layered) place() {
	lg.colX = make([]float64, len(lg.cols))
	lg.colW = make([]float64, len(lg.cols))
	for r, col := range lg.cols {
		for _, v := range col {
			lg.colW[r] = max(lg.colW[r], lg.width[v])
		}
		if r > 0 {
			lg.colX[r] = lg.colX[r-1] + lg.colW[r-1] + rankSep
		}
	}
	lg.y = make([]float64, len(lg.rank))
	for _, col := range lg.cols {
		y := 0.0
		for i, v := range col {
			if i > 0 {
				y += lg.gap(col[i-1], v)
			}
			lg.y[v] = y
		}
	}
	var want, weight []float64
	for sweep := range placeSweeps {
		for k := range lg.cols {
			r := k
			if sweep%2 == 1 {
				r = len(lg.cols) - 1 - k
			}
			col := lg.cols[r]
			want, weight = want[:0], weight[:0]
			for _, v := range col {
				sum, total := weightIdle*lg.y[v], weightIdle
				for _, nbrs := range [2][]int{lg.left[v], lg.right[v]} {
					for _, w := range nbrs {
						sw := lg.segmentWeight(v, w)
						sum += sw * lg.y[w]
						total += sw
					}
				}
				want, weight = append(want, sum/total), append(weight, total)
			}
			lg.pack(col, want, weight)
		}
	}
}

// segmentWeight is the pull of the segment between v and w.
func (lg *layered) segmentWeight(v, w int) float64 {
	switch vb, wb := v >= lg.nodes, w >= lg.nodes; {
	case vb && wb:
		return weightBend
	case vb || wb:
		return weightEnd
	}
	return weightShort
}

// gap is the least distance between the centres of a and b, a just above
// b in a column.
func (lg *layered) gap(a, b int) float64 { return (lg.height[a]+lg.height[b])/2 + nodeSep }

// pack sets the y of col's vertices as close to want as possible (least
// squares, weighted by weight) while keeping their order and gaps: with
// y[i] = z[i] + (the sum of the gaps above i), the z must not decrease,
// and pool-adjacent-violators finds the best such z in one pass.
func (lg *layered) pack(col []int, want, weight []float64) {
	type block struct {
		sum, weight float64
		n           int
	}
	mean := func(b block) float64 { return b.sum / b.weight }
	offset := make([]float64, len(col))
	blocks := make([]block, 0, len(col))
	for i, v := range col {
		if i > 0 {
			offset[i] = offset[i-1] + lg.gap(col[i-1], v)
		}
		b := block{weight[i] * (want[i] - offset[i]), weight[i], 1}
		for len(blocks) > 0 && mean(blocks[len(blocks)-1]) > mean(b) {
			last := blocks[len(blocks)-1]
			b = block{last.sum + b.sum, last.weight + b.weight, last.n + b.n}
			blocks = blocks[:len(blocks)-1]
		}
		blocks = append(blocks, b)
	}
	i := 0
	for _, b := range blocks {
		for range b.n {
			lg.y[col[i]] = mean(b) + offset[i]
			i++
		}
	}
}

// placement turns the layout into g's Placement: node centres, edge
// routes, and the drawing's size, with its top left corner at 0,0.
func (lg *layered) placement(g *layout.Graph) *layout.Placement {
	p := &layout.Placement{
		Nodes: make([]layout.Point, len(g.Nodes)),
		Edges: make([]layout.Route, len(g.Edges)),
	}
	for v := range g.Nodes {
		p.Nodes[v] = layout.Point{X: lg.centreX(v), Y: lg.y[v]}
	}
	for i := range g.Edges {
		p.Edges[i] = lg.route(i)
	}

	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	grow := func(x0, y0, x1, y1 float64) {
		minX, minY = min(minX, x0), min(minY, y0)
		maxX, maxY = max(maxX, x1), max(maxY, y1)
	}
	for v, c := range p.Nodes {
		w, h := g.Nodes[v].Width/2, g.Nodes[v].Height/2
		grow(c.X-w, c.Y-h, c.X+w, c.Y+h)
	}
	// A Bézier segment lies inside its control points' hull, so the
	// points bound the curves.
	for _, r := range p.Edges {
		for _, pt := range r.Points {
			grow(pt.X, pt.Y, pt.X, pt.Y)
		}
		grow(r.Tip.X, r.Tip.Y, r.Tip.X, r.Tip.Y)
	}
	shift := func(pt *layout.Point) { pt.X -= minX; pt.Y -= minY }
	for v := range p.Nodes {
		shift(&p.Nodes[v])
	}
	for _, r := range p.Edges {
		for j := range r.Points {
			shift(&r.Points[j])
		}
		shift(r.Tip)
	}
	p.Width, p.Height = maxX-minX, maxY-minY
	return p
}

func (lg *layered) centreX(v int) float64 {
	r := lg.rank[v]
	return lg.colX[r] + lg.colW[r]/2
}

// route draws edge i (see Edges in the package comment).
func (lg *layered) route(i int) layout.Route {
	chain := lg.chains[i]
	first, last := chain[0], chain[len(chain)-1]
	if len(chain) == 1 {
		x, y := lg.centreX(first), lg.y[first]+lg.height[first]/2
		dx := lg.width[first] / 4
		return layout.Route{
			Points: []layout.Point{{X: x + dx, Y: y}, {X: x + dx, Y: y + loopDepth}, {X: x - dx, Y: y + loopDepth}, {X: x - dx, Y: y + arrowLen}},
			Tip:    &layout.Point{X: x - dx, Y: y},
		}
	}
	var drop float64 // where on the box, down from its centre, as a fraction of its height
	if lg.back[i] {
		drop = 1.0 / 4
	}
	// Through points, left to right as laid out.
	via := []layout.Point{{X: lg.centreX(first) + lg.width[first]/2, Y: lg.y[first] + drop*lg.height[first]}}
	for _, v := range chain[1 : len(chain)-1] {
		r := lg.rank[v]
		via = append(via, layout.Point{X: lg.colX[r], Y: lg.y[v]}, layout.Point{X: lg.colX[r] + lg.colW[r], Y: lg.y[v]})
	}
	via = append(via, layout.Point{X: lg.centreX(last) - lg.width[last]/2, Y: lg.y[last] + drop*lg.height[last]})
	// A back edge runs right to left. The arrowhead sits on a straight
	// stretch before the tip.
	dir := 1.0
	if lg.back[i] {
		slices.Reverse(via)
		dir = -1
	}
	end := len(via) - 1
	tip := via[end]
	via[end].X -= dir * arrowLen
	pts := []layout.Point{via[0]}
	for j := 1; j < len(via); j++ {
		a, b := via[j-1], via[j]
		mid := (a.X + b.X) / 2
		pts = append(pts, layout.Point{X: mid, Y: a.Y}, layout.Point{X: mid, Y: b.Y}, b)
	}
	return layout.Route{Points: pts, Tip: &tip}
}
