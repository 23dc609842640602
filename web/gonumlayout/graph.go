package gonumlayout

import (
	"slices"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/iterator"

	"github.com/trove-ml/trove/web/layout"
)

// digraph is a layout.Graph as a gonum graph.Directed, for graph/topo:
// node ids are indexes, and self loops are left out, as gonum's directed
// graphs have none. It stands in for graph/simple, which would link
// gonum's linear algebra (for matrix-backed graphs this package does not
// use) into every trove command: about 3 MB of binary and 1 MB of memory
// at start.
type digraph struct {
	// succ and pred are each node's successors and predecessors, sorted,
	// without duplicates.
	succ, pred [][]int64
}

var _ graph.Directed = (*digraph)(nil)

func newDigraph(g *layout.Graph) *digraph {
	d := &digraph{succ: make([][]int64, len(g.Nodes)), pred: make([][]int64, len(g.Nodes))}
	for _, e := range g.Edges {
		if e.From != e.To {
			d.succ[e.From] = append(d.succ[e.From], int64(e.To))
			d.pred[e.To] = append(d.pred[e.To], int64(e.From))
		}
	}
	for v := range d.succ {
		slices.Sort(d.succ[v])
		d.succ[v] = slices.Compact(d.succ[v])
		slices.Sort(d.pred[v])
		d.pred[v] = slices.Compact(d.pred[v])
	}
	return d
}

// node is a node of a digraph: its index.
type node int64

func (n node) ID() int64 { return int64(n) }

// edge is an edge of a digraph.
type edge struct{ from, to node }

func (e edge) From() graph.Node         { return e.from }
func (e edge) To() graph.Node           { return e.to }
func (e edge) ReversedEdge() graph.Edge { return edge{e.to, e.from} }

func (d *digraph) has(id int64) bool { return id >= 0 && id < int64(len(d.succ)) }

// Node returns the node id, or nil if there is none.
func (d *digraph) Node(id int64) graph.Node {
	if !d.has(id) {
		return nil
	}
	return node(id)
}

// Nodes returns every node, in index order.
func (d *digraph) Nodes() graph.Nodes {
	return iterator.NewImplicitNodes(0, len(d.succ), func(id int) graph.Node { return node(id) })
}

// From returns the successors of node id, a new slice on each call:
// callers (graph/topo) sort what they get in place.
func (d *digraph) From(id int64) graph.Nodes {
	if !d.has(id) {
		return graph.Empty
	}
	return nodesOf(d.succ[id])
}

// To returns the predecessors of node id.
func (d *digraph) To(id int64) graph.Nodes {
	if !d.has(id) {
		return graph.Empty
	}
	return nodesOf(d.pred[id])
}

func nodesOf(ids []int64) graph.Nodes {
	if len(ids) == 0 {
		return graph.Empty
	}
	nodes := make([]graph.Node, len(ids))
	for i, id := range ids {
		nodes[i] = node(id)
	}
	return iterator.NewOrderedNodes(nodes)
}

// HasEdgeFromTo reports whether there is an edge from uid to vid.
func (d *digraph) HasEdgeFromTo(uid, vid int64) bool {
	if !d.has(uid) {
		return false
	}
	_, ok := slices.BinarySearch(d.succ[uid], vid)
	return ok
}

// HasEdgeBetween reports whether there is an edge either way.
func (d *digraph) HasEdgeBetween(xid, yid int64) bool {
	return d.HasEdgeFromTo(xid, yid) || d.HasEdgeFromTo(yid, xid)
}

// Edge returns the edge from uid to vid, or nil if there is none.
func (d *digraph) Edge(uid, vid int64) graph.Edge {
	if !d.HasEdgeFromTo(uid, vid) {
		return nil
	}
	return edge{node(uid), node(vid)}
}
