//go:build trove_graphviz

package dotlayout

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/trove-ml/trove/web/layout"
)

// chain is a -> b -> c with a branch a -> c.
func chain() *layout.Graph {
	return &layout.Graph{
		Nodes: []layout.Node{{Width: 100, Height: 40}, {Width: 60, Height: 40}, {Width: 80, Height: 30}},
		Edges: []layout.Edge{{From: 0, To: 1}, {From: 1, To: 2}, {From: 0, To: 2}},
	}
}

func TestLayout(t *testing.T) {
	g := chain()
	p, err := New().Layout(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Nodes) != 3 || len(p.Edges) != 3 {
		t.Fatalf("placed %d nodes and %d edges", len(p.Nodes), len(p.Edges))
	}
	for i, c := range p.Nodes {
		n := g.Nodes[i]
		if c.X-n.Width/2 < -0.5 || c.Y-n.Height/2 < -0.5 || c.X+n.Width/2 > p.Width+0.5 || c.Y+n.Height/2 > p.Height+0.5 {
			t.Errorf("node %d at %+v is outside %vx%v", i, c, p.Width, p.Height)
		}
	}
	// Ranks run left to right.
	if !(p.Nodes[0].X < p.Nodes[1].X && p.Nodes[1].X < p.Nodes[2].X) {
		t.Errorf("nodes not left to right: %+v", p.Nodes)
	}
	for i, r := range p.Edges {
		if len(r.Points) < 4 || (len(r.Points)-1)%3 != 0 || r.Tip == nil {
			t.Errorf("edge %d route %+v", i, r)
			continue
		}
		from, to := p.Nodes[g.Edges[i].From], p.Nodes[g.Edges[i].To]
		if r.Points[0].X < from.X || r.Tip.X > to.X {
			t.Errorf("edge %d runs from %v to %v, nodes at %v and %v", i, r.Points[0], *r.Tip, from, to)
		}
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
	if _, err := New().Layout(ctx, &layout.Graph{Nodes: []layout.Node{{Width: 1, Height: 1}}, Edges: []layout.Edge{{From: 0, To: 1}}}); err == nil {
		t.Error("an edge to a missing node was accepted")
	}
	big := &layout.Graph{Nodes: make([]layout.Node, MaxNodes+1)}
	if _, err := New().Layout(ctx, big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too large: %v", err)
	}
}

// TestLayoutConcurrent runs layouts from many goroutines: go-graphviz's one
// WebAssembly instance must see them one at a time (run with -race).
func TestLayoutConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := New().Layout(context.Background(), chain()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

func TestParseSpline(t *testing.T) {
	id := func(x, y float64) layout.Point { return layout.Point{X: x, Y: y} }
	for _, tt := range []struct {
		in      string
		points  int
		tip     bool
		wantErr bool
	}{
		{"e,10,10 0,0 1,1 2,2 3,3", 4, true, false},
		{"s,1,1 e,10,10 0,0 1,1 2,2 3,3 4,4 5,5 6,6", 7, true, false},
		{"0,0 1,1 2,2 3,3", 4, false, false},
		{"0,0 1,1 2,2", 3, false, true},
		{"e,1 0,0 1,1 2,2 3,3", 0, false, true},
		{"0,0 1,x 2,2 3,3", 0, false, true},
	} {
		r, err := parseSpline(tt.in, id)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseSpline(%q): %v", tt.in, err)
			continue
		}
		if err == nil && (len(r.Points) != tt.points || (r.Tip != nil) != tt.tip) {
			t.Errorf("parseSpline(%q) = %+v", tt.in, r)
		}
	}
}
