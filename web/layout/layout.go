// Package layout holds the geometry that package web hands to a graph
// layout engine and gets back: boxes of known size, directed edges between
// them, and where a layout puts them. It has no behaviour; web declares
// the Layouter interface that engines (web/gonumlayout, web/dotlayout)
// implement with these types, and neither web nor an engine imports the
// other.
//
// A Graph carries no user text, so nothing a user wrote reaches the layout
// engine: web draws labels itself, escaped.
package layout

// Graph is a graph to lay out.
type Graph struct {
	// Nodes are boxes, sized in points (1/72 inch).
	Nodes []Node
	// Edges join nodes by their index in Nodes, pointing the way data
	// flows. There is at most one edge from a node to another.
	Edges []Edge
}

// Node is a box to place.
type Node struct {
	Width, Height float64
}

// Edge is a directed edge from node From to node To.
type Edge struct {
	From, To int
}

// Point is a position in points, from the top left corner of the drawing.
type Point struct {
	X, Y float64
}

// Placement is a laid out Graph.
type Placement struct {
	// Width and Height are the size of the drawing.
	Width, Height float64
	// Nodes holds the centre of each node, in the order of Graph.Nodes.
	Nodes []Point
	// Edges holds the route of each edge, in the order of Graph.Edges.
	Edges []Route
}

// Route is the drawn route of one edge: a start point followed by groups
// of three points, each group a cubic Bézier segment (two control points
// and an end point). Tip, when set, is where the arrowhead points, past
// the last segment.
type Route struct {
	Points []Point
	Tip    *Point
}
