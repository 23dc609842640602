//go:build trove_graphviz

package dotlayout

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	"github.com/trove-ml/trove/web/layout"
)

// Fuzz target for parse, the reader of Graphviz's JSON output. Its seeds
// run as unit tests with `go test -tags trove_graphviz`; crashers found by
// `go test -fuzz` go to testdata/fuzz/ and run as unit tests too.

// chainOutput is dot's output for chain(), cut down to the fields parse
// reads (what render gave with go-graphviz at the time of writing).
const chainOutput = `{"bb":"0,0,320,64","objects":[` +
	`{"_gvid":0,"name":"n0","pos":"50,20"},` +
	`{"_gvid":1,"name":"n1","pos":"170,44"},` +
	`{"_gvid":2,"name":"n2","pos":"280,20"}],"edges":[` +
	`{"_gvid":0,"tail":0,"head":1,"pos":"e,139.71,38.042 100.36,30.039 109.77,31.954 119.52,33.937 128.62,35.786"},` +
	`{"_gvid":2,"tail":1,"head":2,"pos":"e,239.61,28.753 200.23,37.505 208.94,35.57 218.75,33.39 228.41,31.243"},` +
	`{"_gvid":1,"tail":0,"head":2,"pos":"e,239.64,17.018 100.41,16.73 113.29,16.013 127.16,15.36 140,15 166.66,14.252 173.35,14.157 200,15 209.18,15.29 218.95,15.77 228.38,16.32"}]}`

// FuzzParse checks, for the graph chain(), that parse returns an error and
// never panics on output that is not dot's, and that what it accepts is a
// placement of that graph:
//   - one point per node and one route per edge;
//   - every route is a start point and whole Bézier segments (3n+1
//     points, n >= 1), or empty when the output lacks that edge, and an
//     arrow tip only on a route that has points;
//   - edges are matched by their ends, not by Graphviz's numbering: for
//     the same graph with its edges listed in reverse, parse gives the
//     same routes in reverse, and the same nodes.
func FuzzParse(f *testing.F) {
	g := chain()
	// dot's real output, in full, must place every node inside the
	// drawing and route every edge to an arrow tip.
	dotOut, err := render(context.Background(), g)
	if err != nil {
		f.Fatal(err)
	}
	for _, out := range [][]byte{dotOut, []byte(chainOutput)} {
		p, err := parse(out, g)
		if err != nil {
			f.Fatalf("parse of dot's output: %v\n%s", err, out)
		}
		for i, c := range p.Nodes {
			n := g.Nodes[i]
			if c.X-n.Width/2 < -0.5 || c.Y-n.Height/2 < -0.5 || c.X+n.Width/2 > p.Width+0.5 || c.Y+n.Height/2 > p.Height+0.5 {
				f.Errorf("node %d at %+v is outside %vx%v", i, c, p.Width, p.Height)
			}
		}
		for i, r := range p.Edges {
			if len(r.Points) < 4 || r.Tip == nil {
				f.Errorf("edge %d has route %+v", i, r)
			}
		}
		// Output cut short is an error, never a partial placement.
		trimmed := bytes.TrimSpace(out)
		for _, n := range []int{0, 1, len(trimmed) / 2, len(trimmed) - 1} {
			if p, err := parse(trimmed[:n], g); err == nil {
				f.Errorf("parse of the first %d bytes of dot's output = %+v, want an error", n, p)
			}
		}
		f.Add(out)
	}
	for _, s := range []string{
		// Valid: no edges in the output, edges in another order,
		// subnormal, negative and exponent coordinates, spare fields.
		`{"bb":"0,0,320,64","objects":[{"_gvid":0,"name":"n0","pos":"50,20"},{"_gvid":1,"name":"n1","pos":"170,44"},{"_gvid":2,"name":"n2","pos":"280,20"}]}`,
		`{"bb":"-1e2,5e-324,1E3, 64 ","objects":[{"_gvid":7,"name":"n2","pos":"1,1"},{"_gvid":8,"name":"n0","pos":"-0,0"},{"_gvid":9,"name":"n1","pos":"2,2"}],"edges":[{"tail":8,"head":7,"pos":"0,0 1,1 2,2 3,3"}],"directed":true}`,
		// Malformed: not JSON, wrong shapes, bad numbers, unknown or
		// missing nodes, unknown edges, splines of the wrong length.
		``, `null`, `[]`, `{}`, `{"bb":"0,0,1"}`, `{"bb":"0,0,1,x"}`, `{"bb":0}`,
		`{"bb":"0,0,1,1","objects":[{"_gvid":0,"name":"n0","pos":"1,1"}]}`,
		`{"bb":"0,0,1,1","objects":[{"name":"n0","pos":"1,1"},{"name":"n1","pos":"1,1"},{"name":"n3","pos":"1,1"}]}`,
		`{"bb":"0,0,1,1","objects":[{"name":"n0","pos":"1,1"},{"name":"n01","pos":"1,1"},{"name":"n2","pos":"1,1"}]}`,
		`{"bb":"0,0,1,1","objects":[{"name":"n0","pos":"1,1"},{"name":"n-1","pos":"1,1"},{"name":"n2","pos":"1,1"}]}`,
		`{"bb":"0,0,1,1","objects":[{"name":"n0","pos":"1"},{"name":"n1","pos":"1,1"},{"name":"n2","pos":"1,1"}]}`,
		`{"bb":"0,0,1,1","objects":[{"_gvid":0,"name":"n0","pos":"1,1"},{"_gvid":1,"name":"n1","pos":"1,1"},{"_gvid":2,"name":"n2","pos":"1,1"}],"edges":[{"tail":1,"head":0,"pos":"0,0 1,1 2,2 3,3"}]}`,
		`{"bb":"0,0,1,1","objects":[{"_gvid":0,"name":"n0","pos":"1,1"},{"_gvid":1,"name":"n1","pos":"1,1"},{"_gvid":2,"name":"n2","pos":"1,1"}],"edges":[{"tail":0,"head":5,"pos":"0,0 1,1 2,2 3,3"}]}`,
		`{"bb":"0,0,1,1","objects":[{"_gvid":0,"name":"n0","pos":"1,1"},{"_gvid":1,"name":"n1","pos":"1,1"},{"_gvid":2,"name":"n2","pos":"1,1"}],"edges":[{"tail":0,"head":1,"pos":"e,1,1 0,0 1,1 2,2"}]}`,
		`{"bb":"0,0,1,1","objects":[{"_gvid":0,"name":"n0","pos":"1,1"},{"_gvid":1,"name":"n1","pos":"1,1"},{"_gvid":2,"name":"n2","pos":"1,1"}],"edges":[{"tail":0,"head":1,"pos":"e,1 0,0 1,1 2,2 3,3"}]}`,
		`{"bb":"0,0,1,1","objects":[{"_gvid":0,"name":"n0","pos":"1,1"},{"_gvid":1,"name":"n1","pos":"1,1"},{"_gvid":2,"name":"n2","pos":"1,1"}],"edges":[{"tail":0,"head":1,"pos":"0,0 1,x 2,2 3,3"}]}`,
		strings.Replace(chainOutput, `"_gvid":2,"name"`, `"_gvid":1,"name"`, 1), // two nodes with one id
	} {
		f.Add([]byte(s))
	}
	reversed := &layout.Graph{Nodes: g.Nodes}
	for i := len(g.Edges) - 1; i >= 0; i-- {
		reversed.Edges = append(reversed.Edges, g.Edges[i])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parse(b, g)
		rp, rerr := parse(b, reversed)
		if (err == nil) != (rerr == nil) {
			t.Fatalf("parse(%q) errors %v with the edges in order, %v in reverse", b, err, rerr)
		}
		if err != nil {
			if p != nil {
				t.Fatalf("parse(%q) failed (%v) but returned %+v", b, err, p)
			}
			return
		}
		if len(p.Nodes) != len(g.Nodes) || len(p.Edges) != len(g.Edges) {
			t.Fatalf("parse(%q) placed %d nodes and %d edges, want %d and %d", b, len(p.Nodes), len(p.Edges), len(g.Nodes), len(g.Edges))
		}
		for i, r := range p.Edges {
			if n := len(r.Points); n == 0 && r.Tip != nil || n != 0 && (n < 4 || (n-1)%3 != 0) {
				t.Fatalf("parse(%q): edge %d has route %+v", b, i, r)
			}
		}
		for i := range p.Nodes {
			if !samePoint(p.Nodes[i], rp.Nodes[i]) {
				t.Fatalf("parse(%q): node %d at %v, at %v with the edges reversed", b, i, p.Nodes[i], rp.Nodes[i])
			}
		}
		for i, r := range p.Edges {
			if !sameRoute(r, rp.Edges[len(p.Edges)-1-i]) {
				t.Fatalf("parse(%q): edge %d route %+v, with the edges reversed %+v", b, i, r, rp.Edges[len(p.Edges)-1-i])
			}
		}
	})
}

// samePoint compares points bit for bit, so that NaN equals itself.
func samePoint(a, b layout.Point) bool {
	return math.Float64bits(a.X) == math.Float64bits(b.X) && math.Float64bits(a.Y) == math.Float64bits(b.Y)
}

func sameRoute(a, b layout.Route) bool {
	if len(a.Points) != len(b.Points) || (a.Tip == nil) != (b.Tip == nil) || a.Tip != nil && !samePoint(*a.Tip, *b.Tip) {
		return false
	}
	for i := range a.Points {
		if !samePoint(a.Points[i], b.Points[i]) {
			return false
		}
	}
	return true
}
