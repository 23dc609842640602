package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/trove-ml/trove/lineage"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/web/layout"
)

// Lineage graph bounds. The walk goes defaultDepth runs each way unless
// asked (?depth=1..maxDepth); a graph of more than maxDrawnNodes nodes is
// listed but not drawn, as it would be unreadable.
const (
	defaultDepth  = 3
	maxDepth      = 20
	maxDrawnNodes = 400
)

// Node box sizes, in points, and the longest label drawn in full.
const (
	nodeHeight   = 40
	nodeMinWidth = 96
	charWidth    = 7.2 // the width of one character of the monospace font at 12px
	maxLabelLen  = 32
)

// lineageView is the lineage graph around a version.
type lineageView struct {
	Artifact  string        `json:"artifact"`
	Version   versionNumber `json:"version"`
	State     string        `json:"state"`
	Direction string        `json:"direction"`
	Depth     int           `json:"depth"`
	// Graph is the graph in package lineage's stable JSON form (format 1:
	// nodes, edges, distances; versions "vN").
	Graph json.RawMessage `json:"graph"`
	// Layout is where the drawing puts each node and edge; absent when the
	// graph was not drawn, and then Note says why.
	Layout *layoutJSON `json:"layout,omitempty"`
	Note   string      `json:"note,omitempty"`

	Drawing *drawing    `json:"-"`
	Nodes   []nodeEntry `json:"-"`
}

// layoutJSON is a drawing's geometry: node boxes (top-left corner and
// size) by node id, and edge routes as Bézier points (see [Placement]).
type layoutJSON struct {
	Width  float64            `json:"width"`
	Height float64            `json:"height"`
	Nodes  map[string]boxJSON `json:"nodes"`
	Edges  []edgeLayoutJSON   `json:"edges"`
}

type boxJSON struct {
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

type edgeLayoutJSON struct {
	From   string       `json:"from"`
	To     string       `json:"to"`
	Points [][2]float64 `json:"points"`
}

// drawing is what the SVG template draws.
type drawing struct {
	Width, Height float64
	Nodes         []drawnNode
	Edges         []drawnEdge
}

type drawnNode struct {
	X, Y, W, H float64
	// Rx rounds the corners: runs are pills, versions boxes.
	Rx         float64
	CX, CY     float64
	Label, Sub string
	Title      string
	URL        string
	Class      string
}

type drawnEdge struct {
	D     string
	Class string
}

// nodeEntry is a node in the list under the drawing.
type nodeEntry struct {
	Kind, Label, Sub, URL string
	Distance              int
	Root                  bool
}

func (s *Server) lineagePage(q *request) error {
	name, sel := q.PathValue("name"), q.PathValue("sel")
	l, err := q.log(name)
	if err != nil {
		return err
	}
	// Lineage outlives data: a deleted version has a graph too.
	var ver refs.Version
	if n, ok := refs.ParseVersionNumber(sel); ok {
		var found bool
		if ver, found = l.Version(n); !found {
			return fmt.Errorf("%s:%s: %w", name, sel, refs.ErrNoVersion)
		}
	} else if ver, err = q.resolve(name, l, sel); err != nil {
		return err
	}
	qs := q.URL.Query()
	o := lineage.GraphOptions{Depth: defaultDepth}
	switch d := qs.Get("direction"); d {
	case "", "both":
	case "upstream":
		o.Direction = lineage.Upstream
	case "downstream":
		o.Direction = lineage.Downstream
	default:
		return errBadRequest("direction %q: want both, upstream or downstream", d)
	}
	if d := qs.Get("depth"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > maxDepth {
			return errBadRequest("depth %q: want 1 to %d runs", d, maxDepth)
		}
		o.Depth = n
	}
	g, err := q.runs.Graph(q.Context(), lineage.VersionRef{Record: ver.Record, Artifact: name, Version: ver.N}, o)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := g.WriteJSON(&buf); err != nil {
		return err
	}
	view := lineageView{Artifact: name, Version: versionNumber(ver.N), State: ver.State, Direction: o.Direction.String(), Depth: o.Depth,
		Graph: json.RawMessage(buf.Bytes())}
	root := ver.Record.String()
	for _, n := range g.Nodes {
		view.Nodes = append(view.Nodes, nodeEntry{Kind: string(n.Kind), Label: n.Label(), Sub: nodeSub(n), URL: nodeURL(n),
			Distance: n.Distance, Root: n.ID == root})
	}
	switch {
	case s.opts.Layout == nil:
		view.Note = "This server draws no graphs (it has no layout engine); the nodes are listed below."
	case len(g.Nodes) > maxDrawnNodes:
		view.Note = fmt.Sprintf("The graph has %d nodes, too many to draw (the limit is %d); choose a smaller depth. The nodes are listed below.", len(g.Nodes), maxDrawnNodes)
	default:
		if err := s.draw(q, g, root, &view); err != nil {
			return err
		}
	}
	v := &version{name: name, log: l, ver: ver}
	return s.render(q, "lineage", page{Title: v.label() + " lineage", Section: "artifacts", Crumbs: v.crumbs(crumb{"lineage", ""}), Data: view})
}

// draw lays the graph out and builds the drawing and its JSON geometry.
func (s *Server) draw(q *request, g *lineage.Graph, root string, view *lineageView) error {
	lg := &layout.Graph{}
	index := map[string]int{}
	labels := make([]string, len(g.Nodes))
	for i, n := range g.Nodes {
		index[n.ID] = i
		labels[i] = truncate(visible(n.Label()), maxLabelLen)
		w := max(nodeMinWidth, float64(max(utf8.RuneCountInString(labels[i]), utf8.RuneCountInString(truncate(visible(nodeSub(n)), maxLabelLen))))*charWidth+24)
		lg.Nodes = append(lg.Nodes, layout.Node{Width: w, Height: nodeHeight})
	}
	for _, e := range g.Edges {
		lg.Edges = append(lg.Edges, layout.Edge{From: index[e.From], To: index[e.To]})
	}
	p, err := s.opts.Layout.Layout(q.Context(), lg)
	if err != nil {
		return fmt.Errorf("web: lay out the lineage graph: %w", err)
	}
	if len(p.Nodes) != len(lg.Nodes) || len(p.Edges) != len(lg.Edges) {
		return fmt.Errorf("web: layout placed %d nodes and %d edges of %d and %d", len(p.Nodes), len(p.Edges), len(lg.Nodes), len(lg.Edges))
	}
	const margin = 8
	d := &drawing{Width: p.Width + 2*margin, Height: p.Height + 2*margin}
	lj := &layoutJSON{Width: d.Width, Height: d.Height, Nodes: map[string]boxJSON{}}
	for i, n := range g.Nodes {
		c, box := p.Nodes[i], lg.Nodes[i]
		dn := drawnNode{
			X: c.X - box.Width/2 + margin, Y: c.Y - box.Height/2 + margin, W: box.Width, H: box.Height,
			CX: c.X + margin, CY: c.Y + margin,
			Label: labels[i], Sub: truncate(visible(nodeSub(n)), maxLabelLen), Title: visible(n.Label()),
			URL: nodeURL(n), Class: string(n.Kind) + " " + nodeState(n),
		}
		dn.Rx = 4
		if n.Kind == lineage.RunNode {
			dn.Rx = box.Height / 2
		}
		if n.ID == root {
			dn.Class += " root"
		}
		d.Nodes = append(d.Nodes, dn)
		lj.Nodes[n.ID] = boxJSON{X: dn.X, Y: dn.Y, Width: dn.W, Height: dn.H}
	}
	for i, e := range g.Edges {
		r := p.Edges[i]
		var b strings.Builder
		pts := make([][2]float64, 0, len(r.Points)+1)
		for j, pt := range r.Points {
			x, y := pt.X+margin, pt.Y+margin
			switch {
			case j == 0:
				fmt.Fprintf(&b, "M%.1f,%.1f", x, y)
			case j%3 == 1:
				fmt.Fprintf(&b, " C%.1f,%.1f", x, y)
			default:
				fmt.Fprintf(&b, " %.1f,%.1f", x, y)
			}
			pts = append(pts, [2]float64{x, y})
		}
		if r.Tip != nil {
			x, y := r.Tip.X+margin, r.Tip.Y+margin
			fmt.Fprintf(&b, " L%.1f,%.1f", x, y)
			pts = append(pts, [2]float64{x, y})
		}
		d.Edges = append(d.Edges, drawnEdge{D: b.String(), Class: "edge " + string(e.Kind)})
		lj.Edges = append(lj.Edges, edgeLayoutJSON{From: e.From, To: e.To, Points: pts})
	}
	view.Drawing, view.Layout = d, lj
	return nil
}

// nodeSub is a node's second line: a version's type, a run's job type
// and outcome.
func nodeSub(n *lineage.Node) string {
	if n.Kind == lineage.VersionNode {
		if n.VersionState != "live" {
			return n.Type + " (" + n.VersionState + ")"
		}
		return n.Type
	}
	if n.Run == nil {
		return "run (unknown)"
	}
	if n.Run.JobType != "" {
		return n.Run.JobType + " · " + n.Run.Outcome()
	}
	return n.Run.Outcome()
}

func nodeState(n *lineage.Node) string {
	if n.Kind == lineage.VersionNode {
		return n.VersionState
	}
	if n.Run == nil {
		return "unknown"
	}
	return string(n.Run.State)
}

// nodeURL is where a node links: a live version's page, a deleted one's
// lineage, an unknown one's artifact, a run's page.
func nodeURL(n *lineage.Node) string {
	if n.Kind == lineage.RunNode {
		return runURL(n.ID)
	}
	return versionLinkURL(n.Version.Artifact, versionNumber(n.Version.Version), n.VersionState)
}

// versionLinkURL is where a link to version n of an artifact goes, by the
// version's state: a live version's page, a deleted one's lineage (which
// outlives its data), and the artifact's page when the state is unknown
// (no log here names the version).
func versionLinkURL(artifact string, n versionNumber, state string) string {
	switch state {
	case refs.StateLive:
		return versionURL(artifact, n)
	case refs.StateDeleted:
		return lineageURL(artifact, n)
	}
	return artifactURL(artifact)
}

// truncate shortens s to n runes, ending in "…" when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
