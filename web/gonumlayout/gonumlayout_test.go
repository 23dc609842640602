package gonumlayout

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"sync"
	"testing"

	"gonum.org/v1/gonum/graph"

	"github.com/trove-ml/trove/web/layout"
)

// chain is a -> b -> c with a branch a -> c.
func chain() *layout.Graph {
	return &layout.Graph{
		Nodes: []layout.Node{{Width: 100, Height: 40}, {Width: 60, Height: 40}, {Width: 80, Height: 30}},
		Edges: []layout.Edge{{From: 0, To: 1}, {From: 1, To: 2}, {From: 0, To: 2}},
	}
}

// lineageGraph is the web tests' demo lineage: versions (even sizes) and
// the runs between them.
func lineageGraph() *layout.Graph {
	const (
		download = iota
		mnist0
		clean
		mnist1
		trainCNN
		cnn0
		finetune
		cnn1
		evaluate
		eval0
		evaluateGPU
		count
	)
	g := &layout.Graph{Nodes: make([]layout.Node, count)}
	for i := range g.Nodes {
		g.Nodes[i] = layout.Node{Width: 96 + float64(i%3)*20, Height: 40}
	}
	for _, e := range [][2]int{
		{download, mnist0}, {mnist0, clean}, {clean, mnist1}, {mnist1, trainCNN}, {trainCNN, cnn0},
		{mnist1, finetune}, {cnn0, finetune}, {finetune, cnn1}, {mnist1, evaluate}, {cnn1, evaluate},
		{evaluate, eval0}, {cnn0, evaluateGPU},
	} {
		g.Edges = append(g.Edges, layout.Edge{From: e[0], To: e[1]})
	}
	return g
}

// randomLineage is a lineage-shaped graph of about n nodes: runs that
// each use one to three earlier versions, mostly recent ones, and log one
// or two new ones.
func randomLineage(n int, seed uint64) *layout.Graph {
	rng := rand.New(rand.NewPCG(seed, 1))
	g := &layout.Graph{}
	add := func() int {
		g.Nodes = append(g.Nodes, layout.Node{Width: 96 + float64(rng.IntN(120)), Height: 40})
		return len(g.Nodes) - 1
	}
	var versions []int
	versions = append(versions, add())
	for len(g.Nodes) < n {
		run := add()
		used := map[int]bool{}
		for range 1 + rng.IntN(3) {
			back := min(len(versions), 1+int(rng.ExpFloat64()*4))
			v := versions[len(versions)-1-rng.IntN(back)]
			if !used[v] {
				used[v] = true
				g.Edges = append(g.Edges, layout.Edge{From: v, To: run})
			}
		}
		for range 1 + rng.IntN(2) {
			v := add()
			versions = append(versions, v)
			g.Edges = append(g.Edges, layout.Edge{From: run, To: v})
		}
	}
	return g
}

// check verifies what every placement promises: a centre per node and a
// well-formed route per edge, all inside the drawing, no two boxes
// overlapping, and every edge not in back running left to right from its
// source's right side to its target's left side (a back edge the other
// way).
func check(t *testing.T, g *layout.Graph, p *layout.Placement, back map[int]bool) {
	t.Helper()
	if len(p.Nodes) != len(g.Nodes) || len(p.Edges) != len(g.Edges) {
		t.Fatalf("placed %d nodes and %d edges of %d and %d", len(p.Nodes), len(p.Edges), len(g.Nodes), len(g.Edges))
	}
	const slack = 0.5
	inside := func(x, y float64) bool {
		return x >= -slack && y >= -slack && x <= p.Width+slack && y <= p.Height+slack
	}
	for i, c := range p.Nodes {
		n := g.Nodes[i]
		if !inside(c.X-n.Width/2, c.Y-n.Height/2) || !inside(c.X+n.Width/2, c.Y+n.Height/2) {
			t.Errorf("node %d at %+v is outside %vx%v", i, c, p.Width, p.Height)
		}
	}
	if len(g.Nodes) <= 200 {
		for i := range p.Nodes {
			for j := range i {
				a, b, na, nb := p.Nodes[i], p.Nodes[j], g.Nodes[i], g.Nodes[j]
				if math.Abs(a.X-b.X) < (na.Width+nb.Width)/2-slack && math.Abs(a.Y-b.Y) < (na.Height+nb.Height)/2-slack {
					t.Errorf("nodes %d at %+v and %d at %+v overlap", i, a, j, b)
				}
			}
		}
	}
	for i, r := range p.Edges {
		if len(r.Points) < 4 || (len(r.Points)-1)%3 != 0 || r.Tip == nil {
			t.Errorf("edge %d route %+v", i, r)
			continue
		}
		for _, pt := range append(r.Points, *r.Tip) {
			if !inside(pt.X, pt.Y) || math.IsNaN(pt.X) || math.IsNaN(pt.Y) {
				t.Errorf("edge %d passes %+v, outside %vx%v", i, pt, p.Width, p.Height)
			}
		}
		e := g.Edges[i]
		if e.From == e.To {
			continue
		}
		from, to := p.Nodes[e.From], p.Nodes[e.To]
		fw, tw := g.Nodes[e.From].Width/2, g.Nodes[e.To].Width/2
		start, tip := r.Points[0], *r.Tip
		if back[i] {
			if !(to.X < from.X) || math.Abs(start.X-(from.X-fw)) > slack || math.Abs(tip.X-(to.X+tw)) > slack {
				t.Errorf("back edge %d runs from %v to %v, nodes at %v and %v", i, start, tip, from, to)
			}
			continue
		}
		if !(from.X < to.X) || math.Abs(start.X-(from.X+fw)) > slack || math.Abs(tip.X-(to.X-tw)) > slack ||
			math.Abs(start.Y-from.Y) > slack || math.Abs(tip.Y-to.Y) > slack {
			t.Errorf("edge %d runs from %v to %v, nodes at %v and %v", i, start, tip, from, to)
		}
	}
}

func TestLayout(t *testing.T) {
	for _, tt := range []struct {
		name string
		g    *layout.Graph
		// back lists the edges laid out reversed to break cycles.
		back map[int]bool
		// columns lists nodes in the column order expected, left to right.
		columns [][]int
	}{
		{name: "chain", g: chain(), columns: [][]int{{0}, {1}, {2}}},
		{name: "lineage", g: lineageGraph(), columns: [][]int{{0}, {1}, {2}, {3}, {4}, {5}, {6, 10}, {7}, {8}, {9}}},
		{
			// A run that used ds:v0 and logged it again.
			name: "cycle of two",
			g: &layout.Graph{
				Nodes: []layout.Node{{Width: 96, Height: 40}, {Width: 120, Height: 40}},
				Edges: []layout.Edge{{From: 0, To: 1}, {From: 1, To: 0}},
			},
			back:    map[int]bool{1: true},
			columns: [][]int{{0}, {1}},
		},
		{
			name: "cycle of three with a tail",
			g: &layout.Graph{
				Nodes: []layout.Node{{Width: 50, Height: 20}, {Width: 50, Height: 20}, {Width: 50, Height: 20}, {Width: 50, Height: 20}},
				Edges: []layout.Edge{{From: 0, To: 1}, {From: 1, To: 2}, {From: 2, To: 0}, {From: 2, To: 3}},
			},
			back:    map[int]bool{2: true},
			columns: [][]int{{0}, {1}, {2}, {3}},
		},
		{
			name: "self loop",
			g: &layout.Graph{
				Nodes: []layout.Node{{Width: 50, Height: 20}, {Width: 50, Height: 20}},
				Edges: []layout.Edge{{From: 0, To: 0}, {From: 0, To: 1}},
			},
			columns: [][]int{{0}, {1}},
		},
		{
			// The input used late sits next to its run, not at the far left.
			name: "late input",
			g: &layout.Graph{
				Nodes: []layout.Node{{Width: 50, Height: 20}, {Width: 50, Height: 20}, {Width: 50, Height: 20}, {Width: 50, Height: 20}, {Width: 50, Height: 20}},
				Edges: []layout.Edge{{From: 0, To: 1}, {From: 1, To: 2}, {From: 2, To: 3}, {From: 4, To: 3}},
			},
			columns: [][]int{{0}, {1}, {2, 4}, {3}},
		},
		{
			name:    "no edges",
			g:       &layout.Graph{Nodes: []layout.Node{{Width: 50, Height: 20}, {Width: 70, Height: 30}, {Width: 0, Height: 0}}},
			columns: [][]int{{0, 1, 2}},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New().Layout(context.Background(), tt.g)
			if err != nil {
				t.Fatal(err)
			}
			check(t, tt.g, p, tt.back)
			for c, col := range tt.columns {
				for _, v := range col {
					if x := p.Nodes[col[0]].X; p.Nodes[v].X != x {
						t.Errorf("node %d at x %v, want it in column %d with node %d at %v", v, p.Nodes[v].X, c, col[0], x)
					}
					if c > 0 && !(p.Nodes[tt.columns[c-1][0]].X < p.Nodes[v].X) {
						t.Errorf("node %d at x %v, not right of column %d", v, p.Nodes[v].X, c-1)
					}
				}
			}
		})
	}
}

// TestLayoutCrossings checks that crossing reduction untangles graphs
// drawable without crossings, whatever their nodes' order, and leaves
// fewer crossings in others.
func TestLayoutCrossings(t *testing.T) {
	for _, tt := range []struct {
		name string
		g    *layout.Graph
		// tangled says the graph starts with crossings, in index order.
		tangled bool
	}{
		{"lineage", lineageGraph(), true},
		{"twisted", &layout.Graph{
			Nodes: make([]layout.Node, 6),
			// 0 and 1 feed 3 and 2, which feed 4 and 5 crosswise.
			Edges: []layout.Edge{{From: 0, To: 3}, {From: 1, To: 2}, {From: 3, To: 4}, {From: 2, To: 5}},
		}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rank, back := ranks(tt.g)
			lg, err := newLayered(tt.g, rank, back)
			if err != nil {
				t.Fatal(err)
			}
			if c := lg.crossings(); (c > 0) != tt.tangled {
				t.Errorf("%d crossings before ordering", c)
			}
			if err := lg.order(context.Background()); err != nil {
				t.Fatal(err)
			}
			if c := lg.crossings(); c != 0 {
				t.Errorf("%d crossings, order %v", c, lg.cols)
			}
		})
	}
}

func TestLayoutFewerCrossings(t *testing.T) {
	for seed := range uint64(5) {
		g := randomLineage(300, seed)
		rank, back := ranks(g)
		lg, err := newLayered(g, rank, back)
		if err != nil {
			t.Fatal(err)
		}
		before := lg.crossings()
		if err := lg.order(context.Background()); err != nil {
			t.Fatal(err)
		}
		if after := lg.crossings(); after >= before {
			t.Errorf("seed %d: %d crossings, %d before ordering", seed, after, before)
		} else {
			t.Logf("seed %d: %d crossings, %d before ordering", seed, after, before)
		}
	}
}

func TestCrossings(t *testing.T) {
	for _, tt := range []struct {
		name  string
		right [][]int // edges from column 0 (vertices 0-2) to column 1 (3-5)
		want  int
	}{
		{"parallel", [][]int{{3}, {4}, {5}}, 0},
		{"one swap", [][]int{{4}, {3}, {5}}, 1},
		{"reversed", [][]int{{5}, {4}, {3}}, 3},
		{"fan", [][]int{{3, 4, 5}, {3}, {}}, 2},
		{"same end", [][]int{{4}, {4}, {3}}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lg := &layered{cols: [][]int{{0, 1, 2}, {3, 4, 5}}, at: []int{0, 1, 2, 0, 1, 2}, right: append(tt.right, nil, nil, nil)}
			if got := lg.crossings(); got != tt.want {
				t.Errorf("crossings = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestPack(t *testing.T) {
	// Three boxes 20 high in a column: centres at least 38 apart.
	for _, tt := range []struct {
		name         string
		want, weight []float64
		got          []float64
	}{
		{"free", []float64{0, 100, 200}, []float64{1, 1, 1}, []float64{0, 100, 200}},
		{"pushed apart", []float64{50, 50, 50}, []float64{1, 1, 1}, []float64{12, 50, 88}},
		{"out of order", []float64{100, 0, 200}, []float64{1, 1, 1}, []float64{31, 69, 200}},
		{"heavy holds", []float64{0, 0, 200}, []float64{9, 1, 1}, []float64{-3.8, 34.2, 200}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lg := &layered{height: []float64{20, 20, 20}, y: make([]float64, 3)}
			lg.pack([]int{0, 1, 2}, tt.want, tt.weight)
			for i := range lg.y {
				if math.Abs(lg.y[i]-tt.got[i]) > 1e-9 {
					t.Fatalf("y = %v, want %v", lg.y, tt.got)
				}
			}
		})
	}
}

func TestLayoutEdgeCases(t *testing.T) {
	ctx := context.Background()
	if p, err := New().Layout(ctx, &layout.Graph{}); err != nil || len(p.Nodes) != 0 {
		t.Errorf("empty graph: %v %+v", err, p)
	}
	if p, err := New().Layout(ctx, &layout.Graph{Nodes: []layout.Node{{Width: 50, Height: 20}}}); err != nil || len(p.Nodes) != 1 || p.Width < 50 {
		t.Errorf("one node: %v %+v", err, p)
	}
	for _, tt := range []struct {
		name string
		g    *layout.Graph
		is   error
	}{
		{"edge to a missing node", &layout.Graph{Nodes: []layout.Node{{Width: 1, Height: 1}}, Edges: []layout.Edge{{From: 0, To: 1}}}, nil},
		{"edge from a negative node", &layout.Graph{Nodes: []layout.Node{{Width: 1, Height: 1}}, Edges: []layout.Edge{{From: -1, To: 0}}}, nil},
		{"negative width", &layout.Graph{Nodes: []layout.Node{{Width: -1, Height: 1}}}, nil},
		{"NaN height", &layout.Graph{Nodes: []layout.Node{{Width: 1, Height: math.NaN()}}}, nil},
		{"infinite width", &layout.Graph{Nodes: []layout.Node{{Width: math.Inf(1), Height: 1}}}, nil},
		{"too many nodes", &layout.Graph{Nodes: make([]layout.Node, MaxNodes+1)}, ErrTooLarge},
		{"too many bends", manyBends(), ErrTooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New().Layout(ctx, tt.g)
			if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Errorf("Layout: %v, want an error (%v)", err, tt.is)
			}
		})
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := New().Layout(cancelled, randomLineage(200, 1)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// manyBends is a long chain whose first node feeds every other node: the
// edges span more columns in all than MaxBends.
func manyBends() *layout.Graph {
	n := 1000
	g := &layout.Graph{Nodes: make([]layout.Node, n)}
	for i := 1; i < n; i++ {
		g.Edges = append(g.Edges, layout.Edge{From: i - 1, To: i})
		if i > 1 {
			g.Edges = append(g.Edges, layout.Edge{From: 1, To: i})
		}
	}
	return g
}

// TestLayoutDeterministic checks that a graph always gets the same
// drawing, and large ones a sound one.
func TestLayoutDeterministic(t *testing.T) {
	for _, n := range []int{50, 3000} {
		g := randomLineage(n, uint64(n))
		p1, err := New().Layout(context.Background(), g)
		if err != nil {
			t.Fatal(err)
		}
		check(t, g, p1, nil)
		p2, err := New().Layout(context.Background(), g)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p1, p2) {
			t.Errorf("%d nodes: two layouts differ", n)
		}
	}
}

// TestLayoutConcurrent runs layouts from many goroutines (run with -race).
func TestLayoutConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := New().Layout(context.Background(), lineageGraph()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

func BenchmarkLayout(b *testing.B) {
	for _, n := range []int{400, 3000} {
		g := randomLineage(n, 7)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := New().Layout(context.Background(), g); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDigraph checks the graph.Directed that graph/topo sees.
func TestDigraph(t *testing.T) {
	// 0 -> 1 twice, 1 -> 2, 2 -> 0 and a self loop on 2, which is left out.
	d := newDigraph(&layout.Graph{
		Nodes: make([]layout.Node, 4),
		Edges: []layout.Edge{{From: 0, To: 1}, {From: 0, To: 1}, {From: 1, To: 2}, {From: 2, To: 0}, {From: 2, To: 2}},
	})
	ids := func(it graph.Nodes) []int64 {
		var out []int64
		for it.Next() {
			out = append(out, it.Node().ID())
		}
		return out
	}
	for _, tt := range []struct {
		name string
		got  any
		want any
	}{
		{"Nodes", ids(d.Nodes()), []int64{0, 1, 2, 3}},
		{"From(0)", ids(d.From(0)), []int64{1}},
		{"From(2)", ids(d.From(2)), []int64{0}},
		{"From(3)", ids(d.From(3)), []int64(nil)},
		{"From(9)", ids(d.From(9)), []int64(nil)},
		{"To(0)", ids(d.To(0)), []int64{2}},
		{"To(2)", ids(d.To(2)), []int64{1}},
		{"Node(3)", d.Node(3), graph.Node(node(3))},
		{"Node(4)", d.Node(4), graph.Node(nil)},
		{"HasEdgeFromTo(0, 1)", d.HasEdgeFromTo(0, 1), true},
		{"HasEdgeFromTo(1, 0)", d.HasEdgeFromTo(1, 0), false},
		{"HasEdgeFromTo(2, 2)", d.HasEdgeFromTo(2, 2), false},
		{"HasEdgeBetween(1, 0)", d.HasEdgeBetween(1, 0), true},
		{"HasEdgeBetween(3, 0)", d.HasEdgeBetween(3, 0), false},
		{"Edge(1, 2)", d.Edge(1, 2), graph.Edge(edge{1, 2})},
		{"Edge(2, 1)", d.Edge(2, 1), graph.Edge(nil)},
		{"Edge(1, 2) reversed", d.Edge(1, 2).ReversedEdge(), graph.Edge(edge{2, 1})},
	} {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	// Callers sort what From returns in place; the graph must not change.
	first := graph.NodesOf(d.From(0))
	first[0] = node(3)
	if got := ids(d.From(0)); !reflect.DeepEqual(got, []int64{1}) {
		t.Errorf("From(0) after its result was changed = %v", got)
	}
}
