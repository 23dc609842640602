package lineage_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/trove-ml/trove/lineage"
	"github.com/trove-ml/trove/lineage/lineagetest"
	"github.com/trove-ml/trove/repo"
)

// BenchmarkGraph times lineage queries on the graph: 10,000 runs
// and 20,000 versions in one chain (resumed training), asked about its
// deepest version. Each iteration runs the query and renders it, as
// `trove lineage` does (opening the repository is in the cmd benchmark).
//
//	go test -run - -bench Graph ./lineage
func BenchmarkGraph(b *testing.B) {
	ctx := context.Background()
	r, err := repo.Init(ctx, b.TempDir(), repo.InitOptions{Project: "p"}, repo.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	s := lineage.New(lineage.Options{Refs: r.RefsKV(), Edges: r.MetaKV(repo.NSLineage), Objects: r.Store(), Logs: r.Refs()})
	t0 := time.Now()
	first, last, err := lineagetest.Chain(ctx, r.RefsKV(), r.Store(), s, 10000, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("built 10,000 runs and 20,000 versions in %v", time.Since(t0))
	for _, bc := range []struct {
		name   string
		root   lineage.VersionRef
		o      lineage.GraphOptions
		format string
		nodes  int
	}{
		{"deepest/default-depth/text", last, lineage.GraphOptions{Depth: 3}, "text", -1},
		{"deepest/upstream-all/text", last, lineage.GraphOptions{Direction: lineage.Upstream}, "text", 29999},
		{"deepest/upstream-all/json", last, lineage.GraphOptions{Direction: lineage.Upstream}, "json", 29999},
		{"first/downstream-all/json", first, lineage.GraphOptions{Direction: lineage.Downstream}, "json", 29998},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				g, err := s.Graph(ctx, bc.root, bc.o)
				if err != nil {
					b.Fatal(err)
				}
				if bc.nodes >= 0 && len(g.Nodes) != bc.nodes {
					b.Fatalf("%d nodes, want %d", len(g.Nodes), bc.nodes)
				}
				if bc.format == "json" {
					err = g.WriteJSON(io.Discard)
				} else {
					err = g.WriteText(io.Discard)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
