//go:build trove_graphviz

package main

import (
	"github.com/trove-ml/trove/web"
	"github.com/trove-ml/trove/web/dotlayout"
)

// uiLayouter is the engine `trove ui` lays lineage graphs out with:
// Graphviz's dot, chosen by the trove_graphviz build tag. It makes every
// command of the binary start slower and larger (see web/dotlayout).
func uiLayouter() web.Layouter { return dotlayout.New() }
