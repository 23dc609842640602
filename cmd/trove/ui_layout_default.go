//go:build !trove_graphviz

package main

import (
	"github.com/trove-ml/trove/web"
	"github.com/trove-ml/trove/web/gonumlayout"
)

// uiLayouter is the engine `trove ui` lays lineage graphs out with: pure
// Go, idle until a graph is drawn. Build with -tags trove_graphviz for
// Graphviz's dot instead (ui_layout_graphviz.go).
func uiLayouter() web.Layouter { return gonumlayout.New() }
