// Package gonumlayout lays out graphs for package web (web.Layouter) as
// layers running left to right, the way data flows: a version, the run
// that used it, the version that run made. It is pure Go and does no work
// until asked, so a trove command that draws nothing pays nothing for it
// (unlike web/dotlayout, which starts a WebAssembly Graphviz when the
// program starts and is built only with the trove_graphviz tag).
//
// The engine sees only boxes of a given size and the edges between them,
// by index: labels and every other user-controlled string stay with the
// caller, which draws them itself.
//
// # Layers
//
// The drawing is a simple layered (Sugiyama-style) layout in four steps.
// The graph theory comes from gonum (gonum.org/v1/gonum/graph/topo, on a
// small graph.Directed of the caller's edges rather than graph/simple,
// which would link gonum's linear algebra into every trove command); the
// rest is a few loops, kept short on purpose, described here. Gonum has
// no layered layout: its graph/layout package places nodes by forces
// (Eades) or distances (Isomap), with no notion of direction or columns.
//
//  1. Cycles. topo.SortStabilized orders the nodes topologically, ties
//     broken by index, and returns each cycle's nodes together (its
//     strongly connected component). Inside a component the nodes keep
//     their index order, and an edge pointing back against that order is
//     laid out reversed and drawn as a back edge (see Edges). Lineage
//     graphs have such a cycle when a run logs a version it also used.
//  2. Ranks. A node's column is its longest path from a source, so every
//     edge points right; then a source moves right to just before its
//     nearest successor, so an input used late does not sit at the far
//     left with a long edge. An edge spanning several columns passes
//     through a bend point in each column between, which is laid out like
//     a node of no size.
//  3. Order. Within each column nodes are ordered to reduce crossings by
//     the barycentre heuristic: sweeps alternate left to right and right
//     to left, each column sorted by the mean position of its neighbours
//     in the column just fixed, and the order with the fewest crossings
//     (counted exactly, by inversions) is kept. Ties keep the previous
//     order, so the result depends only on the input.
//  4. Coordinates. Columns are as wide as their widest box and rankSep
//     apart; boxes are centred in them. Vertically, sweeps move every box
//     towards the mean height of its neighbours, each column solved
//     exactly in least squares subject to keeping its order and nodeSep
//     between boxes (isotonic regression by pool-adjacent-violators).
//
// # Edges
//
// An edge leaves the right side of its source and ends at the left side
// of its target: a chain of cubic Bézier segments through its bend
// points, each leaving and arriving horizontally, then a straight stretch
// of arrowLen on which the caller draws the arrowhead (Route.Tip). A back
// edge runs the other way, from its source's left side to its target's
// right side, attached a quarter of the box height lower, so it does not
// cover the forward edge of a cycle of two. An edge from a node to itself
// is a small loop under the box.
//
// # Cost
//
// Time and memory are linear in the nodes, edges and bend points, times
// a bounded number of sweeps (maxOrderSweeps, placeSweeps), plus a sort
// per column per sweep: a few thousand nodes take milliseconds. Graphs
// of more than MaxNodes nodes, or whose long edges need more than
// MaxBends bend points, fail with ErrTooLarge. Layout keeps no state
// between calls and may run on many goroutines at once.
package gonumlayout
