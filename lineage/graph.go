package lineage

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
)

// Direction says which way a graph query walks from its root.
type Direction int

// Directions.
const (
	// Both walks upstream and downstream.
	Both Direction = iota
	// Upstream walks to the runs that logged a version and the versions
	// those runs used, and so on: where it came from.
	Upstream
	// Downstream walks to the runs that used a version and the versions
	// those runs logged, and so on: what was made from it.
	Downstream
)

func (d Direction) String() string {
	switch d {
	case Upstream:
		return "upstream"
	case Downstream:
		return "downstream"
	}
	return "both"
}

// GraphOptions configure [Store.Graph].
type GraphOptions struct {
	// Direction is the way to walk; the default is Both.
	Direction Direction
	// Depth bounds the walk in runs: 1 shows the runs next to the root and
	// their other versions, 2 one step further, and so on. 0 means no
	// limit.
	Depth int
}

// NodeKind is the kind of a graph node.
type NodeKind string

// Node kinds.
const (
	VersionNode NodeKind = "version"
	RunNode     NodeKind = "run"
)

// Node is a version or a run of a [Graph].
type Node struct {
	Kind NodeKind
	// ID is the version's record id (hex) or the run's id.
	ID string
	// Distance is the number of runs between the root and this node, along
	// the walk that found it first (the root is 0, its runs 1).
	Distance int
	// More is true when the node has neighbours the depth limit left out.
	More bool

	// Version is set for versions: Artifact, Version (the current number,
	// or the number when the edge was made if the artifact's log does not
	// know the record) and the artifact's Type.
	Version VersionRef
	// Type is the artifact's type ("" if unknown).
	Type string
	// VersionState is "live", "deleted", or "unknown" when the artifact's
	// log does not name the record (yet: it may come with a fetch).
	VersionState string

	// Run is the run's summary, set for runs (nil if its ref is missing).
	Run *Run

	// Links names the registry links of a version
	// ("registry/model/classifier:v2 production"), when the caller filled
	// them in (see [Graph.AnnotateLinks]).
	Links []string
}

// AnnotateLinks fills in the registry links of every version node, as
// links(record) returns them. Lineage keeps no registry state itself.
func (g *Graph) AnnotateLinks(links func(record objects.ID) ([]string, error)) error {
	for _, n := range g.Nodes {
		if n.Kind != VersionNode {
			continue
		}
		rec, err := objects.ParseID(n.ID)
		if err != nil {
			continue
		}
		if n.Links, err = links(rec); err != nil {
			return err
		}
	}
	return nil
}

// Label names the node for people: "mnist:v3" or the run's [Run.Label].
func (n *Node) Label() string {
	if n.Kind == VersionNode {
		return n.Version.String()
	}
	if n.Run == nil {
		return n.ID
	}
	return n.Run.Label()
}

// GraphEdge is an edge of a [Graph], pointing the way data flows: from a
// version to a run that used it (Input) or from a run to a version it
// logged (Output).
type GraphEdge struct {
	From, To string
	Kind     EdgeKind
}

// Graph is the bipartite run ↔ version graph around one version.
type Graph struct {
	// Root is the record id of the version asked about.
	Root objects.ID
	// Direction and Depth are the options the graph was made with.
	Direction Direction
	Depth     int
	// Nodes is sorted by kind (versions first) and id; Edges by from, to.
	Nodes []*Node
	Edges []GraphEdge

	byID map[string]*Node
	// up and down hold the tree of each walk: a node's children in the
	// order found (runs by start, versions by record id).
	up, down map[string][]string
}

// Node returns the node with id, or nil.
func (g *Graph) Node(id string) *Node { return g.byID[id] }

// Graph returns the lineage graph around the version with record id root,
// walking edges up to o.Depth runs away. The root need not be in any
// artifact log (a deleted version has lineage too); it needs no edges.
func (s *Store) Graph(ctx context.Context, root VersionRef, o GraphOptions) (*Graph, error) {
	g := &Graph{
		Root: root.Record, Direction: o.Direction, Depth: o.Depth,
		byID: map[string]*Node{}, up: map[string][]string{}, down: map[string][]string{},
	}
	w := &walker{s: s, g: g, labels: newLabeler(s.logs), edges: map[GraphEdge]bool{}, nb: &neighbours{s: s}}
	if _, err := w.version(ctx, root, 0); err != nil {
		return nil, err
	}
	if o.Direction != Downstream {
		if err := w.walk(ctx, root, o.Depth, Output, Input, g.up); err != nil {
			return nil, err
		}
	}
	if o.Direction != Upstream {
		if err := w.walk(ctx, root, o.Depth, Input, Output, g.down); err != nil {
			return nil, err
		}
	}
	for _, n := range g.byID {
		g.Nodes = append(g.Nodes, n)
	}
	sort.Slice(g.Nodes, func(i, j int) bool {
		a, b := g.Nodes[i], g.Nodes[j]
		if a.Kind != b.Kind {
			return a.Kind == VersionNode
		}
		return a.ID < b.ID
	})
	for e := range w.edges {
		g.Edges = append(g.Edges, e)
	}
	sort.Slice(g.Edges, func(i, j int) bool {
		a, b := g.Edges[i], g.Edges[j]
		if a.From != b.From {
			return a.From < b.From
		}
		return a.To < b.To
	})
	return g, nil
}

// walker does one graph query, caching what it reads.
type walker struct {
	s      *Store
	g      *Graph
	labels *labeler
	edges  map[GraphEdge]bool
	nb     *neighbours
}

// walk goes breadth first from root: from a version to the runs with a
// toRun edge to it (Output upstream: its producers; Input downstream: its
// consumers), and from a run to the versions with a fromRun edge (Input
// upstream, Output downstream). tree gets each node's children.
func (w *walker) walk(ctx context.Context, root VersionRef, depth int, toRun, fromRun EdgeKind, tree map[string][]string) error {
	type item struct {
		v VersionRef
		d int
	}
	seen := map[string]bool{root.Record.String(): true}
	queue := []item{{root, 0}}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		vid := it.v.Record.String()
		var runs []string
		err := w.nb.ofVersion(ctx, toRun, it.v.Record, func(run string, _ VersionRef) error {
			runs = append(runs, run)
			return nil
		})
		if err != nil {
			return err
		}
		if len(runs) == 0 {
			continue
		}
		if depth > 0 && it.d >= depth {
			w.g.byID[vid].More = true
			continue
		}
		for _, run := range runs {
			w.edge(toRun, run, vid)
			tree[vid] = append(tree[vid], run)
			if seen[run] {
				continue
			}
			seen[run] = true
			if err := w.run(run, it.d+1); err != nil {
				return err
			}
			err := w.nb.ofRun(ctx, fromRun, run, func(v VersionRef) error {
				id := v.Record.String()
				w.edge(fromRun, run, id)
				tree[run] = append(tree[run], id)
				if seen[id] {
					return nil
				}
				seen[id] = true
				if _, err := w.version(ctx, v, it.d+1); err != nil {
					return err
				}
				queue = append(queue, item{v, it.d + 1})
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *walker) edge(k EdgeKind, run, version string) {
	e := GraphEdge{From: version, To: run, Kind: k}
	if k == Output {
		e.From, e.To = run, version
	}
	w.edges[e] = true
}

func (w *walker) version(ctx context.Context, v VersionRef, d int) (*Node, error) {
	id := v.Record.String()
	if n, ok := w.g.byID[id]; ok {
		return n, nil
	}
	n := &Node{Kind: VersionNode, ID: id, Distance: d, Version: v, VersionState: "unknown"}
	if err := w.labels.label(ctx, n); err != nil {
		return nil, err
	}
	w.g.byID[id] = n
	return n, nil
}

func (w *walker) run(id string, d int) error {
	if _, ok := w.g.byID[id]; ok {
		return nil
	}
	b, ok, err := w.nb.ref(id)
	if err != nil {
		return fmt.Errorf("lineage: read run %s: %w", id, err)
	}
	var r *Run // nil: edges name a run whose ref is missing
	if ok {
		if r, err = decodeSummary(b); err != nil {
			return err
		}
		if r.ID != id {
			return corruptf("ref runs/%s holds run %s", id, r.ID)
		}
	}
	w.g.byID[id] = &Node{Kind: RunNode, ID: id, Distance: d, Run: r}
	return nil
}

// VersionNodes names versions as graphs do: by their current numbers,
// with their artifacts' types and their states, read from the artifacts'
// logs. The result is aligned with vs.
func (s *Store) VersionNodes(ctx context.Context, vs []VersionRef) ([]*Node, error) {
	l := newLabeler(s.logs)
	out := make([]*Node, len(vs))
	for i, v := range vs {
		n := &Node{Kind: VersionNode, ID: v.Record.String(), Version: v, VersionState: "unknown"}
		if err := l.label(ctx, n); err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// labeler names versions by their current numbers, reading each artifact's
// log once per query (about 100 bytes of memory per version of the
// artifacts met).
type labeler struct {
	logs  Logs
	known map[string]*artifactIndex
}

type artifactIndex struct {
	typ      string
	versions map[objects.ID]refs.Version
}

func newLabeler(logs Logs) *labeler { return &labeler{logs: logs, known: map[string]*artifactIndex{}} }

func (l *labeler) label(ctx context.Context, n *Node) error {
	if l.logs == nil {
		return nil
	}
	name := n.Version.Artifact
	ai, ok := l.known[name]
	if !ok {
		lg, err := l.logs.Log(ctx, name)
		switch {
		case errors.Is(err, refs.ErrNotFound):
		case err != nil:
			return fmt.Errorf("lineage: name version %s: %w", n.Version, err)
		default:
			ai = &artifactIndex{typ: lg.Type, versions: make(map[objects.ID]refs.Version, len(lg.Versions))}
			for _, v := range lg.Versions {
				ai.versions[v.Record] = v
			}
		}
		l.known[name] = ai
	}
	if ai == nil {
		return nil
	}
	n.Type = ai.typ
	if v, ok := ai.versions[n.Version.Record]; ok {
		n.Version.Version = v.N
		n.VersionState = v.State
	}
	return nil
}

// Walks switch from one prefix scan per node to one scan of the whole edge
// index once they have made bulkAfter scans: a scan costs a seek (about
// 2-10 µs, and up to milliseconds when the seek lands on a block holding a
// big artifact log), while reading the index runs at about 0.15 µs a key.
// The in-memory index costs about 150 bytes per key, and the run refs read
// with it about 600 bytes per run; an index of more than maxBulkKeys keys
// (two per edge) is not loaded, and the walk goes on with scans (likewise
// more than maxBulkKeys/2 run refs are read one by one).
const (
	bulkAfter   = 32
	maxBulkKeys = 2_000_000
)

// neighbours answers which runs and versions an edge joins, for one walk.
type neighbours struct {
	s     *Store
	scans int
	tried bool
	// byVersion maps kind and record to the runs with such an edge to it,
	// in run id order; byRun maps kind and run to its versions, in record
	// id order. nil until loaded.
	byVersion map[kindRecord][]runEdge
	byRun     map[kindRun][]VersionRef
	// refs holds every run ref, by run id, once the edges are loaded.
	refs map[string][]byte
}

type kindRecord struct {
	k   EdgeKind
	rec objects.ID
}

type kindRun struct {
	k   EdgeKind
	run string
}

type runEdge struct {
	run string
	v   VersionRef
}

func (nb *neighbours) loaded(ctx context.Context) (bool, error) {
	if nb.byVersion != nil {
		return true, nil
	}
	if nb.scans++; nb.scans <= bulkAfter || nb.tried {
		return false, nil
	}
	nb.tried = true
	byVersion, byRun := map[kindRecord][]runEdge{}, map[kindRun][]VersionRef{}
	n := 0
	err := nb.s.edges.Scan(ctx, nil, func(key, val []byte) error {
		if n++; n > maxBulkKeys {
			return errStop
		}
		k, run, rec, err := parseEdgeKey(key)
		if err != nil {
			return err
		}
		v, err := decodeEdgeValue(rec, val)
		if err != nil {
			return err
		}
		if key[0] == 'r' {
			byRun[kindRun{k, run}] = append(byRun[kindRun{k, run}], v)
		} else {
			byVersion[kindRecord{k, rec}] = append(byVersion[kindRecord{k, rec}], runEdge{run, v})
		}
		return nil
	})
	if errors.Is(err, errStop) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("lineage: read edge index: %w", err)
	}
	// A walk this big reads most run refs too: one scan beats a point
	// read per run.
	refs := map[string][]byte{}
	err = nb.s.refs.Scan(ctx, []byte(runPrefix), func(k, v []byte) error {
		if len(refs) >= maxBulkKeys/2 {
			return errStop
		}
		refs[string(k[len(runPrefix):])] = append([]byte(nil), v...)
		return nil
	})
	switch {
	case errors.Is(err, errStop):
		refs = nil // too many to hold: read them one by one
	case err != nil:
		return false, fmt.Errorf("lineage: read run refs: %w", err)
	}
	nb.byVersion, nb.byRun, nb.refs = byVersion, byRun, refs
	return true, nil
}

// ref returns the ref of run id.
func (nb *neighbours) ref(id string) ([]byte, bool, error) {
	if nb.refs != nil {
		b, ok := nb.refs[id]
		return b, ok, nil
	}
	return nb.s.refs.Get(runKey(id))
}

// ofVersion calls fn for every run with an edge of kind k to the version
// with record id rec, in run id order.
func (nb *neighbours) ofVersion(ctx context.Context, k EdgeKind, rec objects.ID, fn func(run string, v VersionRef) error) error {
	ok, err := nb.loaded(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return nb.s.scanVersion(ctx, k, rec, fn)
	}
	for _, e := range nb.byVersion[kindRecord{k, rec}] {
		if err := fn(e.run, e.v); err != nil {
			return err
		}
	}
	return nil
}

// ofRun calls fn for every version with an edge of kind k to run, in
// record id order.
func (nb *neighbours) ofRun(ctx context.Context, k EdgeKind, run string, fn func(v VersionRef) error) error {
	ok, err := nb.loaded(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return nb.s.scanRun(ctx, k, run, fn)
	}
	for _, v := range nb.byRun[kindRun{k, run}] {
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}
