package web

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/trove-ml/trove/lineage"
)

func TestWebVisible(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain name.txt", "plain name.txt"},
		{"ünïcödé 数据", "ünïcödé 数据"},
		{"esc\x1b[31m", `esc\x1b[31m`},
		{"nul\x00", `nul\x00`},
		{"tab\tnl\n", `tab\x09nl\x0a`},
		{"del\x7f", `del\x7f`},
		{"c1\u0085", `c1\u0085`},
		{"rtl\u202egnp.exe", `rtl\u202egnp.exe`},
		{"zw\u200bsp", `zw\u200bsp`},
		{"iso\u2066late\u2069", `iso\u2066late\u2069`},
		// Format characters that languages and emoji need are kept.
		{"👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"},
		{"می\u200cخواهم", "می\u200cخواهم"},
		{"soft\u00adhyphen", "soft\u00adhyphen"},
		{"\u200fRTL mark", "\u200fRTL mark"},
		{"bom\ufeff", `bom\ufeff`},
		{"bad\xffutf8", `bad\ufffdutf8`},
		{"<script>", "<script>"}, // markup is html/template's to escape
	} {
		if got := visible(tt.in); got != tt.want {
			t.Errorf("visible(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := escapeInvisible("a\nb\tc\x1b", true); got != "a\nb\tc\\x1b" {
		t.Errorf("escapeInvisible with lines: %q", got)
	}
}

func TestWebMarkdown(t *testing.T) {
	md := newMarkdown()
	for _, tt := range []struct {
		in      string
		want    []string
		mustNot []string
	}{
		{"# Title\n\n*em* **strong** `code`", []string{"<h1>Title</h1>", "<em>em</em>", "<strong>strong</strong>", "<code>code</code>"}, nil},
		{"<script>alert(1)</script>", []string{"raw HTML omitted"}, []string{"<script"}},
		{"x <img src=x onerror=alert(1)> y", []string{"raw HTML omitted"}, []string{"<img", "onerror"}},
		{"[a](javascript:alert(1))", []string{`<a href="">a</a>`}, []string{"javascript:"}},
		{"[a](JaVaScRiPt:alert(1))", nil, []string{"avascript:alert"}},
		{"[a](vbscript:x)", nil, []string{"vbscript:"}},
		{"[a](data:text/html;base64,PHNjcmlwdD4=)", nil, []string{"data:text/html"}},
		{"[ok](https://example.com/a?b=1&c=2)", []string{`href="https://example.com/a?b=1&amp;c=2"`}, nil},
		{"[q](https://x/\"onmouseover=\"alert(1))", nil, []string{`"onmouseover`}},
		{"| a | b |\n|---|---|\n| 1 | 2 |", []string{"<table>", "<td>1</td>"}, nil},
		{"- [x] done", []string{`type="checkbox"`, "checked"}, nil},
		{"esc \x1b[2J here \u202e", []string{`\x1b[2J`, `\u202e`}, []string{"\x1b", "\u202e"}},
		{"<iframe src=\"https://evil\"></iframe>", nil, []string{"<iframe"}},
	} {
		got, err := md.render(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			if !strings.Contains(string(got), w) {
				t.Errorf("render(%q) = %q: lacks %q", tt.in, got, w)
			}
		}
		for _, w := range tt.mustNot {
			if strings.Contains(strings.ToLower(string(got)), strings.ToLower(w)) {
				t.Errorf("render(%q) = %q: holds %q", tt.in, got, w)
			}
		}
	}
}

func TestWebFormat(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1000000: "1,000,000", -12345: "-12,345"} {
		if got := humanCount(in); got != want {
			t.Errorf("humanCount(%d) = %q, want %q", in, got, want)
		}
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"python", "train.py", "--lr", "0.1"}, "python train.py --lr 0.1"},
		{[]string{"sh", "-c", "echo 'hi' | wc"}, `sh -c 'echo '\''hi'\'' | wc'`},
		{[]string{"a b", ""}, "'a b' ''"},
	} {
		if got := (&lineage.Run{Command: tt.args}).CommandLine(); got != tt.want {
			t.Errorf("Run{Command: %q}.CommandLine() = %q, want %q", tt.args, got, tt.want)
		}
	}
	if got := pageURL("/artifacts", "type", "", "q", "a&b", "limit", 5); got != "/artifacts?limit=5&q=a%26b" {
		t.Errorf("pageURL: %q", got)
	}
	if got := fileURL("mnist", 3, "a b/c?d#e"); got != "/artifacts/mnist/v3/file?path=a+b%2Fc%3Fd%23e" {
		t.Errorf("fileURL: %q", got)
	}
}

// TestWebLineageLayout checks that the drawing places every node of the
// graph and links each to its page, and that without a layout engine the
// page still lists the graph.
func TestWebLineageLayout(t *testing.T) {
	fx := demoRepo(t)
	f := serve(t, fx, Options{})
	var v struct {
		lineageView
		Graph struct {
			Nodes []struct{ ID, Kind, Label string }
			Edges []struct{ From, To, Kind string }
		} `json:"graph"`
	}
	f.getJSON(t, "/artifacts/mnist/v1/lineage?depth=5", &v)
	if v.Layout == nil {
		t.Fatalf("no layout: %s", v.Note)
	}
	if len(v.Graph.Nodes) < 8 || len(v.Layout.Nodes) != len(v.Graph.Nodes) || len(v.Layout.Edges) != len(v.Graph.Edges) {
		t.Fatalf("graph of %d nodes and %d edges; layout of %d and %d", len(v.Graph.Nodes), len(v.Graph.Edges), len(v.Layout.Nodes), len(v.Layout.Edges))
	}
	for _, n := range v.Graph.Nodes {
		box, ok := v.Layout.Nodes[n.ID]
		if !ok || box.X < 0 || box.Y < 0 || box.X+box.Width > v.Layout.Width+0.5 || box.Y+box.Height > v.Layout.Height+0.5 {
			t.Errorf("node %s (%s) at %+v, outside %vx%v", n.Label, n.ID, box, v.Layout.Width, v.Layout.Height)
		}
	}
	// Data flows left to right: a used version sits left of the run.
	for _, e := range v.Layout.Edges {
		if from, to := v.Layout.Nodes[e.From], v.Layout.Nodes[e.To]; from.X >= to.X {
			t.Errorf("edge %s -> %s points left (%v -> %v)", e.From, e.To, from.X, to.X)
		}
	}
	_, body := f.get(t, "/artifacts/mnist/v1/lineage?depth=5")
	for _, want := range []string{`href="/runs/` + fx.runs["clean"] + `"`, `href="/artifacts/cnn/v1"`, `href="/artifacts/mnist/v0"`, "node version live root"} {
		if !strings.Contains(body, want) {
			t.Errorf("drawing lacks %q", want)
		}
	}

	g := serve(t, fx, Options{Layout: noLayout{}})
	var nv lineageView
	g.getJSON(t, "/artifacts/mnist/v1/lineage", &nv)
	if nv.Layout != nil || !strings.Contains(nv.Note, "no layout") {
		t.Errorf("without a layout engine: layout %v, note %q", nv.Layout, nv.Note)
	}
	var graph lineageGraphJSON
	if err := json.Unmarshal(nv.Graph, &graph); err != nil || graph.Format != lineage.GraphFormat || len(graph.Nodes) == 0 {
		t.Errorf("graph JSON: %v %+v", err, graph)
	}
}

type lineageGraphJSON struct {
	Format int               `json:"format"`
	Nodes  []json.RawMessage `json:"nodes"`
}
