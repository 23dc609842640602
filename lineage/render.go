package lineage

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// GraphFormat is the format of [Graph.WriteJSON] output. Readers should
// check it; it changes only if a field changes meaning or goes away
// (fields may be added).
const GraphFormat = 1

// graphJSON is the stable JSON form of a Graph (see the package
// documentation).
type graphJSON struct {
	Format    int        `json:"format"`
	Root      string     `json:"root"`
	Direction string     `json:"direction"`
	Depth     int        `json:"depth"`
	Nodes     []nodeJSON `json:"nodes"`
	Edges     []edgeJSON `json:"edges"`
}

type nodeJSON struct {
	Kind     NodeKind `json:"kind"`
	ID       string   `json:"id"`
	Label    string   `json:"label"`
	Distance int      `json:"distance"`
	More     bool     `json:"more,omitempty"`
	// versions
	Artifact string   `json:"artifact,omitempty"`
	Version  string   `json:"version,omitempty"` // "vN"
	Type     string   `json:"type,omitempty"`
	State    string   `json:"state"`
	Links    []string `json:"links,omitempty"`
	// runs
	Name     string     `json:"name,omitempty"`
	JobType  string     `json:"jobType,omitempty"`
	ExitCode *int       `json:"exitCode,omitempty"`
	Signal   string     `json:"signal,omitempty"`
	Started  *time.Time `json:"started,omitempty"`
	Ended    *time.Time `json:"ended,omitempty"`
	Git      *struct {
		Commit string `json:"commit"`
		Dirty  bool   `json:"dirty"`
	} `json:"git,omitempty"`
}

type edgeJSON struct {
	From string   `json:"from"`
	To   string   `json:"to"`
	Kind EdgeKind `json:"kind"`
}

// WriteJSON writes the graph as one indented JSON document in the
// stable form the package documentation describes, each version spelt
// "vN" as all of trove's JSON spells versions: the command line's
// (docs/CLI.md) and the web UI's.
func (g *Graph) WriteJSON(w io.Writer) error {
	out := graphJSON{
		Format: GraphFormat, Root: g.Root.String(), Direction: g.Direction.String(), Depth: g.Depth,
		Nodes: []nodeJSON{}, Edges: []edgeJSON{},
	}
	for _, n := range g.Nodes {
		j := nodeJSON{Kind: n.Kind, ID: n.ID, Label: n.Label(), Distance: n.Distance, More: n.More}
		if n.Kind == VersionNode {
			j.Artifact, j.Type, j.State, j.Links = n.Version.Artifact, n.Type, n.VersionState, n.Links
			j.Version = "v" + strconv.Itoa(n.Version.Version)
		} else if r := n.Run; r != nil {
			j.Name, j.JobType, j.State, j.Signal = r.Name, r.JobType, string(r.State), r.Signal
			if r.State == StateFinished || r.State == StateFailed {
				c := r.ExitCode
				j.ExitCode = &c
			}
			st := r.Started
			j.Started = &st
			if !r.Ended.IsZero() {
				en := r.Ended
				j.Ended = &en
			}
			if r.Git != nil {
				j.Git = &struct {
					Commit string `json:"commit"`
					Dirty  bool   `json:"dirty"`
				}{r.Git.Commit, r.Git.Dirty}
			}
		} else {
			j.State = "unknown"
		}
		out.Nodes = append(out.Nodes, j)
	}
	for _, e := range g.Edges {
		out.Edges = append(out.Edges, edgeJSON(e))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// versionText names a version node: "mnist:v3 [dataset]", with its state
// when it is not live.
func versionText(n *Node) string {
	s := n.Version.String()
	if n.Type != "" {
		s += " [" + n.Type + "]"
	}
	switch n.VersionState {
	case "live":
	case "unknown":
		s += " (not in the artifact's log: " + n.ID[:12] + ")"
	default:
		s += " (" + n.VersionState + ")"
	}
	for _, l := range n.Links {
		s += " <- " + l
	}
	return s
}

// runText names a run node: `run 01J… "name" [job type] outcome`.
func runText(n *Node) string {
	r := n.Run
	if r == nil {
		return "run " + n.ID + " (no such run here)"
	}
	s := "run " + r.ID
	if r.Name != "" {
		s += fmt.Sprintf(" %q", r.Name)
	}
	if r.JobType != "" {
		s += " [" + r.JobType + "]"
	}
	if r.Name == "" && r.JobType == "" && len(r.Command) > 0 {
		s += " (" + r.Label() + ")"
	}
	return s + " " + r.Outcome()
}

// WriteText writes the graph as a tree: the root version, then the runs
// that logged it and what they used (upstream), then the runs that used it
// and what they logged (downstream). A node met again is marked
// "(see above)" and not expanded twice; "…" marks where the depth limit
// cut the walk.
func (g *Graph) WriteText(w io.Writer) error {
	root := g.byID[g.Root.String()]
	var b strings.Builder
	b.WriteString(versionText(root) + "\n")
	type branch struct {
		rel  string
		id   string
		tree map[string][]string
		up   bool
	}
	var top []branch
	for _, id := range g.sorted(g.up[root.ID]) {
		top = append(top, branch{"logged by ", id, g.up, true})
	}
	for _, id := range g.sorted(g.down[root.ID]) {
		top = append(top, branch{"used by ", id, g.down, false})
	}
	printed := map[string]bool{root.ID: true}
	var walk func(prefix string, level int, br branch, last bool)
	walk = func(prefix string, level int, br branch, last bool) {
		n := g.byID[br.id]
		conn, next := "├── ", "│   "
		if last {
			conn, next = "└── ", "    "
		}
		text := br.rel
		if level >= maxTextIndent {
			// Past the cap the tree stops indenting (a chain of 10,000
			// runs would otherwise print hundreds of megabytes of
			// indentation) and says how deep each line is.
			conn, next = "└── ", ""
			text = fmt.Sprintf("[level %d] %s", level+1, text)
		}
		if n.Kind == RunNode {
			text += runText(n)
		} else {
			text += versionText(n)
		}
		if printed[br.id] {
			b.WriteString(prefix + conn + text + " (see above)\n")
			return
		}
		printed[br.id] = true
		kids := g.sorted(br.tree[br.id])
		if n.More {
			kids = append(kids, "")
		}
		b.WriteString(prefix + conn + text + "\n")
		for i, k := range kids {
			lastKid := i == len(kids)-1
			if k == "" {
				b.WriteString(prefix + next + "└── … (more beyond --depth)\n")
				continue
			}
			rel := "used "
			switch {
			case br.up && n.Kind == VersionNode:
				rel = "logged by "
			case !br.up && n.Kind == VersionNode:
				rel = "used by "
			case !br.up:
				rel = "logged "
			}
			walk(prefix+next, level+1, branch{rel, k, br.tree, br.up}, lastKid)
		}
	}
	if root.More {
		top = append(top, branch{id: ""})
	}
	for i, br := range top {
		if br.id == "" {
			b.WriteString("└── … (more beyond --depth)\n")
			continue
		}
		walk("", 0, br, i == len(top)-1)
	}
	if len(top) == 0 {
		b.WriteString("(no runs logged or used this version)\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// maxTextIndent is the deepest level WriteText indents.
const maxTextIndent = 40

// sorted returns ids ordered for display: runs by id (start order),
// versions by artifact and number.
func (g *Graph) sorted(ids []string) []string {
	out := append([]string(nil), ids...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := g.byID[out[i]], g.byID[out[j]]
		if a.Kind != b.Kind {
			return a.Kind == VersionNode
		}
		if a.Kind == VersionNode {
			if a.Version.Artifact != b.Version.Artifact {
				return a.Version.Artifact < b.Version.Artifact
			}
			if a.Version.Version != b.Version.Version {
				return a.Version.Version < b.Version.Version
			}
		}
		return a.ID < b.ID
	})
	return out
}

// WriteDOT writes the graph in Graphviz's DOT language: versions are
// boxes (the root bold), runs ellipses (red when they failed or were
// killed), edges point the way data flows. Render it with
// `dot -Tsvg -o lineage.svg`.
func (g *Graph) WriteDOT(w io.Writer) error {
	var b strings.Builder
	b.WriteString("digraph lineage {\n")
	b.WriteString("\trankdir=LR;\n")
	b.WriteString("\tnode [fontname=\"Helvetica\", fontsize=10];\n")
	b.WriteString("\tedge [color=\"#555555\"];\n")
	for _, n := range g.Nodes {
		var attrs []string
		if n.Kind == VersionNode {
			label := n.Version.String()
			if n.Type != "" {
				label += "\n" + n.Type
			}
			for _, l := range n.Links {
				label += "\n" + l
			}
			attrs = append(attrs, "shape=box", "label="+dotQuote(label))
			style := []string{}
			if n.ID == g.Root.String() {
				style = append(style, "bold", "filled")
				attrs = append(attrs, `fillcolor="#fff2b3"`)
			}
			if n.VersionState != "live" {
				style = append(style, "dashed")
			}
			if len(style) > 0 {
				attrs = append(attrs, "style="+dotQuote(strings.Join(style, ",")))
			}
		} else {
			label := n.ID
			if r := n.Run; r != nil {
				label = r.Label() + "\n" + r.ID + "\n" + r.Outcome()
				if r.State == StateFailed || r.State == StateKilled {
					attrs = append(attrs, "color=red")
				}
			}
			attrs = append(attrs, "shape=ellipse", "label="+dotQuote(label))
		}
		if n.More {
			attrs = append(attrs, `peripheries=2`)
		}
		fmt.Fprintf(&b, "\t%s [%s];\n", dotQuote(n.ID), strings.Join(attrs, ", "))
	}
	for _, e := range g.Edges {
		fmt.Fprintf(&b, "\t%s -> %s [label=%s];\n", dotQuote(e.From), dotQuote(e.To), dotQuote(edgeLabel(e.Kind)))
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func edgeLabel(k EdgeKind) string {
	if k == Input {
		return "used by"
	}
	return "logged"
}

// dotQuote returns s as a DOT quoted string: backslashes and quotes
// escaped, newlines as \n (a centred line break in labels).
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", "")
	return `"` + r.Replace(s) + `"`
}
