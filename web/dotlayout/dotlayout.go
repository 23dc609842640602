//go:build trove_graphviz

// Package dotlayout lays out graphs for package web (web.Layouter) with Graphviz's dot,
// the layered (Sugiyama-style) layout made for directed graphs, run as
// WebAssembly through github.com/goccy/go-graphviz: no C toolchain, no
// Graphviz installation, nothing fetched at run time.
//
// Graphviz sees only boxes of a given size and the edges between them,
// named by number: labels, links and every other user-controlled string
// stay with the caller, which draws them itself. The result is read back
// from Graphviz's JSON output (node centres, edge splines) and turned into
// top-left-origin coordinates.
//
// go-graphviz runs one WebAssembly instance per process, which must not be
// entered by two goroutines at once; [Layouter.Layout] serialises all
// calls in the process (see gvMu).
//
// The package is built only with the trove_graphviz build tag: go-graphviz
// compiles its WebAssembly module in a package init, which costs every
// command of a binary that links it about 25 MB of memory and tens of
// milliseconds at start (more on a cold cache). `go build -tags
// trove_graphviz ./cmd/trove` makes `trove ui` draw with dot; the default
// engine is web/gonumlayout.
package dotlayout

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/goccy/go-graphviz"
	"github.com/goccy/go-graphviz/cgraph"

	"github.com/trove-ml/trove/web/layout"
)

// MaxNodes bounds the graphs laid out: dot's crossing minimisation grows
// faster than linearly, and a drawing of more nodes is unreadable anyway.
// Larger graphs fail with ErrTooLarge.
const MaxNodes = 1000

// ErrTooLarge means a graph has more than MaxNodes nodes.
var ErrTooLarge = errors.New("dotlayout: graph too large to lay out")

// pointsPerInch converts web's points to Graphviz's inches.
const pointsPerInch = 72

// gvMu serialises every use of go-graphviz in the process. It is package
// state because what it guards is: go-graphviz keeps its WebAssembly module
// in a package variable of its own, shared by every graphviz.Graphviz.
var gvMu sync.Mutex

// Layouter lays graphs out with dot, left to right; it is a web.Layouter.
// The zero value is ready to use.
type Layouter struct{}

// New returns a Layouter.
func New() *Layouter { return &Layouter{} }

// Layout places g with dot, ranks running left to right as data flows.
func (l *Layouter) Layout(ctx context.Context, g *layout.Graph) (*layout.Placement, error) {
	if len(g.Nodes) > MaxNodes {
		return nil, fmt.Errorf("%w: %d nodes (the limit is %d)", ErrTooLarge, len(g.Nodes), MaxNodes)
	}
	for _, e := range g.Edges {
		if e.From < 0 || e.From >= len(g.Nodes) || e.To < 0 || e.To >= len(g.Nodes) {
			return nil, fmt.Errorf("dotlayout: edge %d->%d names a node out of range (have %d)", e.From, e.To, len(g.Nodes))
		}
	}
	if len(g.Nodes) == 0 {
		return &layout.Placement{}, nil
	}
	out, err := render(ctx, g)
	if err != nil {
		return nil, err
	}
	return parse(out, g)
}

// render runs dot and returns its JSON output.
func render(ctx context.Context, g *layout.Graph) ([]byte, error) {
	gvMu.Lock()
	defer gvMu.Unlock()
	gv, err := graphviz.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("dotlayout: start graphviz: %w", err)
	}
	defer gv.Close()
	graph, err := gv.Graph()
	if err != nil {
		return nil, fmt.Errorf("dotlayout: new graph: %w", err)
	}
	defer graph.Close()
	graph.SetRankDir(cgraph.LRRank)
	graph.SetNodeSeparator(0.25)
	graph.SetRankSeparator(0.55)
	nodes := make([]*cgraph.Node, len(g.Nodes))
	for i, n := range g.Nodes {
		node, err := graph.CreateNodeByName(nodeName(i))
		if err != nil {
			return nil, fmt.Errorf("dotlayout: node %d: %w", i, err)
		}
		node.SetShape(cgraph.BoxShape)
		node.SetFixedSize(true)
		node.SetLabel("")
		node.SetWidth(n.Width / pointsPerInch)
		node.SetHeight(n.Height / pointsPerInch)
		nodes[i] = node
	}
	for i, e := range g.Edges {
		if _, err := graph.CreateEdgeByName(fmt.Sprintf("e%d", i), nodes[e.From], nodes[e.To]); err != nil {
			return nil, fmt.Errorf("dotlayout: edge %d: %w", i, err)
		}
	}
	var buf bytes.Buffer
	if err := gv.Render(ctx, graph, graphviz.Format("json"), &buf); err != nil {
		return nil, fmt.Errorf("dotlayout: layout: %w", err)
	}
	return buf.Bytes(), nil
}

func nodeName(i int) string { return "n" + strconv.Itoa(i) }

// output is the part of Graphviz's JSON output read back.
type output struct {
	BB      string `json:"bb"`
	Objects []struct {
		GVID int    `json:"_gvid"`
		Name string `json:"name"`
		Pos  string `json:"pos"`
	} `json:"objects"`
	Edges []struct {
		Tail int    `json:"tail"`
		Head int    `json:"head"`
		Pos  string `json:"pos"`
	} `json:"edges"`
}

// parse reads dot's JSON output into a Placement.
func parse(b []byte, g *layout.Graph) (*layout.Placement, error) {
	var o output
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, fmt.Errorf("dotlayout: read graphviz output: %w", err)
	}
	bb, err := floats(o.BB, 4)
	if err != nil {
		return nil, fmt.Errorf("dotlayout: bounding box %q: %w", o.BB, err)
	}
	// Graphviz puts the origin at the bottom left; drawings put it at the
	// top left.
	flip := func(x, y float64) layout.Point { return layout.Point{X: x - bb[0], Y: bb[3] - y} }
	p := &layout.Placement{
		Width: bb[2] - bb[0], Height: bb[3] - bb[1],
		Nodes: make([]layout.Point, len(g.Nodes)),
		Edges: make([]layout.Route, len(g.Edges)),
	}
	byGVID := map[int]int{} // Graphviz's object id -> node index
	seen := make([]bool, len(g.Nodes))
	for _, ob := range o.Objects {
		i, err := strconv.Atoi(strings.TrimPrefix(ob.Name, "n"))
		if err != nil || i < 0 || i >= len(g.Nodes) || nodeName(i) != ob.Name {
			return nil, fmt.Errorf("dotlayout: graphviz output names unknown node %q", ob.Name)
		}
		xy, err := floats(ob.Pos, 2)
		if err != nil {
			return nil, fmt.Errorf("dotlayout: node %s position %q: %w", ob.Name, ob.Pos, err)
		}
		p.Nodes[i] = flip(xy[0], xy[1])
		byGVID[ob.GVID] = i
		seen[i] = true
	}
	for i, ok := range seen {
		if !ok {
			return nil, fmt.Errorf("dotlayout: graphviz output lacks node %d", i)
		}
	}
	// Edges are matched by their ends: the graphs laid out have at most
	// one edge from a node to another, and Graphviz numbers edges in an
	// order of its own.
	type ends struct{ from, to int }
	index := map[ends]int{}
	for i, e := range g.Edges {
		index[ends{e.From, e.To}] = i
	}
	for _, oe := range o.Edges {
		from, ok1 := byGVID[oe.Tail]
		to, ok2 := byGVID[oe.Head]
		i, ok3 := index[ends{from, to}]
		if !ok1 || !ok2 || !ok3 {
			return nil, fmt.Errorf("dotlayout: graphviz output has an unknown edge %d->%d", oe.Tail, oe.Head)
		}
		route, err := parseSpline(oe.Pos, flip)
		if err != nil {
			return nil, fmt.Errorf("dotlayout: edge %d route: %w", i, err)
		}
		p.Edges[i] = route
	}
	return p, nil
}

// parseSpline reads an edge's "pos": optional "s,x,y" and "e,x,y" arrow
// points, then 3n+1 Bézier points.
func parseSpline(s string, flip func(x, y float64) layout.Point) (layout.Route, error) {
	var r layout.Route
	for _, f := range strings.Fields(s) {
		switch {
		case strings.HasPrefix(f, "e,"):
			xy, err := floats(f[2:], 2)
			if err != nil {
				return r, err
			}
			tip := flip(xy[0], xy[1])
			r.Tip = &tip
		case strings.HasPrefix(f, "s,"):
			// A start arrow: the graphs drawn have none.
		default:
			xy, err := floats(f, 2)
			if err != nil {
				return r, err
			}
			r.Points = append(r.Points, flip(xy[0], xy[1]))
		}
	}
	if len(r.Points) < 4 || (len(r.Points)-1)%3 != 0 {
		return r, fmt.Errorf("%d spline points (want 3n+1, n >= 1)", len(r.Points))
	}
	return r, nil
}

// floats parses n comma-separated numbers.
func floats(s string, n int) ([]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) != n {
		return nil, fmt.Errorf("want %d numbers", n)
	}
	out := make([]float64, n)
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}
