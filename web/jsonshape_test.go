package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// versionRE is how the UI's JSON spells a version number, as every
// --json document of the command line does (docs/CLI.md).
var versionRE = regexp.MustCompile(`^v[0-9]+$`)

// versionKeys are the fields of the UI's JSON that hold a version number
// (or a registry link's number in its collection) when they are not an
// object: "version" is an object in a registry link, "latest" one in a
// registry's collection list. "before" and "more" are cursors: versions on
// an artifact's versions page, run ids on the runs pages.
var versionKeys = map[string]bool{
	"version": true, "latest": true, "n": true, "link": true,
	"then": true, "current": true, "againstVersion": true,
	"before": true, "more": true,
}

// versionProblems walks a decoded JSON document and lists every version
// number in it that is not a "vN" string. cursors says whether "before"
// and "more" are versions here. It adds the path of each version it
// checked to seen, with list indices left out ("$.links[].n").
func versionProblems(v any, at string, cursors bool, seen map[string]bool) []string {
	var out []string
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			out = append(out, versionProblems(e, at+"[]", cursors, seen)...)
		}
	case map[string]any:
		for k, e := range v {
			p := at + "." + k
			out = append(out, versionProblems(e, p, cursors, seen)...)
			if !versionKeys[k] || !cursors && (k == "before" || k == "more") {
				continue
			}
			if _, isObj := e.(map[string]any); isObj {
				continue // checked on its own
			}
			seen[p] = true
			if s, ok := e.(string); !ok || !versionRE.MatchString(s) {
				out = append(out, fmt.Sprintf("%s = %#v, want \"vN\"", p, e))
			}
		}
	}
	return out
}

// TestVersionShapeCheck makes sure the check catches what it is for.
func TestVersionShapeCheck(t *testing.T) {
	for _, tc := range []struct {
		doc     string
		cursors bool
		want    int
	}{
		{`{"version": "v1", "versions": 2, "next": 3, "limit": 50}`, true, 0},
		{`{"version": 1}`, true, 1},
		{`{"version": 0}`, true, 1},
		{`{"version": "1"}`, true, 1},
		{`{"version": "mnist:v1"}`, true, 1},
		{`{"links": [{"n": 0, "version": {"then": 1, "current": "v1"}}], "latest": 0}`, true, 3},
		{`{"graph": {"nodes": [{"kind": "version", "version": 2}, {"kind": "run"}]}}`, true, 1},
		{`{"links": [{"link": 1}], "againstVersion": 2}`, true, 2},
		{`{"before": 4, "more": 2}`, true, 2},
		{`{"before": "01M8C6JGKNYMN55QF42DFF2S4S"}`, false, 0},
		{`{"collectionList": [{"latest": {"n": "v0"}}]}`, true, 0},
	} {
		var v any
		if err := json.Unmarshal([]byte(tc.doc), &v); err != nil {
			t.Fatal(err)
		}
		if got := versionProblems(v, "$", tc.cursors, map[string]bool{}); len(got) != tc.want {
			t.Errorf("%s: %d problems %v, want %d", tc.doc, len(got), got, tc.want)
		}
	}
}

// TestWebJSONVersions fetches every kind of page of the demo repository as
// JSON and checks that each version number in it, the lineage graph's
// included, is a "vN" string, never a number: the shape of the command
// line's --json. It also checks that every field known to hold a version
// was met, so that the check cannot pass by seeing none.
func TestWebJSONVersions(t *testing.T) {
	f := serve(t, demoRepo(t), Options{})
	pages := []string{
		"/artifacts",
		"/artifacts/mnist",
		"/artifacts/mnist?limit=1",
		"/artifacts/mnist?before=v1",
		"/artifacts/mnist/v1",
		"/artifacts/mnist/best",
		"/artifacts/cnn/v1",
		"/artifacts/mnist/v1/files",
		"/artifacts/mnist/v1/files?path=train",
		"/artifacts/mnist/v1/file?path=stats.json",
		"/artifacts/mnist/v1/diff",
		"/artifacts/mnist/v0/diff?against=cnn:v1",
		"/artifacts/mnist/v1/lineage?depth=5",
		"/runs",
		"/registries",
		"/registries/model",
		"/registries/model/mnist-classifier",
	}
	for _, id := range f.runs {
		pages = append(pages, "/runs/"+id)
	}
	seen := map[string]bool{}
	for _, p := range pages {
		resp, body := f.get(t, withQuery(p, "format=json"))
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %s\n%s", p, resp.Status, body)
			continue
		}
		var v any
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Errorf("%s: %v\n%s", p, err, body)
			continue
		}
		cursors := strings.HasPrefix(p, "/artifacts/")
		for _, problem := range versionProblems(v, "$", cursors, seen) {
			t.Errorf("%s: %s", p, problem)
		}
	}
	for _, want := range []string{
		"$.artifacts[].latest",                       // /artifacts
		"$.versions[].version", "$.more", "$.before", // /artifacts/NAME
		"$.version", "$.links[].link", // /artifacts/NAME/SEL
		"$.againstVersion",                                    // …/diff
		"$.graph.nodes[].version",                             // …/lineage
		"$.inputVersions[].then", "$.inputVersions[].current", // /runs/ID
		"$.outputVersions[].then", "$.outputVersions[].current",
		"$.collectionList[].latest.n", "$.collectionList[].latest.version.current", // /registries/REG
		"$.links[].n", "$.links[].version.then", "$.latest", // /registries/REG/COLL
	} {
		if !seen[want] {
			var got []string
			for p := range seen {
				got = append(got, p)
			}
			sort.Strings(got)
			t.Errorf("no page had a version at %s; versions were at %v", want, got)
		}
	}
}
