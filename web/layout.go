package web

import (
	"context"

	"github.com/trove-ml/trove/web/layout"
)

// Layouter places the nodes and routes the edges of a lineage graph for
// drawing. Package web/gonumlayout implements it, and web/dotlayout with
// Graphviz's dot (built with the trove_graphviz tag); tests may pass
// another. Layout may be called from several goroutines at once
// (an implementation that cannot run concurrently serialises itself); it
// must not keep g, and it returns one point per node and one route per
// edge, in g's order.
type Layouter interface {
	Layout(ctx context.Context, g *layout.Graph) (*layout.Placement, error)
}
