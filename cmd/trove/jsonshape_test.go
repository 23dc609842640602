package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// versionRE is how every --json document spells a version number.
var versionRE = regexp.MustCompile(`^v[0-9]+$`)

// jsonShapeProblems walks a decoded --json document and lists what breaks
// the rules every command keeps (docs/CLI.md, "JSON: what stays stable"):
// no null anywhere (lists are [] when empty), and every version number a
// "vN" string: fields that hold one, lists of them, and both sides of the
// maps from one version to another.
func jsonShapeProblems(v any, at string) []string {
	var out []string
	isVN := func(x any) bool {
		s, ok := x.(string)
		return ok && versionRE.MatchString(s)
	}
	switch v := v.(type) {
	case nil:
		out = append(out, at+" is null")
	case []any:
		for i, e := range v {
			out = append(out, jsonShapeProblems(e, fmt.Sprintf("%s[%d]", at, i))...)
		}
	case map[string]any:
		for k, e := range v {
			p := at + "." + k
			out = append(out, jsonShapeProblems(e, p)...)
			switch k {
			case "version", "versionThen", "artifactVersion", "artifactVersionThen", "latest", "previous":
				// A number is never a version; an object (a Pin as
				// pin's previous) is checked on its own.
				if _, isObj := e.(map[string]any); !isObj && !isVN(e) {
					out = append(out, fmt.Sprintf("%s = %v, want \"vN\"", p, e))
				}
			case "versions", "new", "expires":
				if l, ok := e.([]any); ok { // log's versions is a count
					for i, x := range l {
						if !isVN(x) {
							out = append(out, fmt.Sprintf("%s[%d] = %v, want \"vN\"", p, i, x))
						}
					}
				}
			case "renumbered", "collapsed", "movedAliases", "aliases":
				m, ok := e.(map[string]any)
				if !ok {
					continue // aliases is a list of names elsewhere
				}
				for mk, mv := range m {
					if !isVN(mv) || (k == "renumbered" || k == "collapsed") && !versionRE.MatchString(mk) {
						out = append(out, fmt.Sprintf("%s: %q -> %v, want \"vN\"", p, mk, mv))
					}
				}
			}
		}
	}
	return out
}

// TestJSONShapeCheck makes sure the shape check catches what it is for.
func TestJSONShapeCheck(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want int
	}{
		{`{"version": "v1", "aliases": ["a"], "report": {"missing": []}}`, 0},
		{`{"report": {"missing": null}}`, 1},
		{`{"pin": {"version": 1}}`, 1},
		{`{"artifacts": [{"versions": [0, "v1"], "renumbered": {"3": "v4"}}]}`, 2},
		{`{"movedAliases": {"best": 0}}`, 1},
		{`[{"name": "mnist", "versions": 2, "latest": "v1"}]`, 0},
		{`{"version": "mnist:v1"}`, 1},
	} {
		var v any
		if err := json.Unmarshal([]byte(tc.doc), &v); err != nil {
			t.Fatal(err)
		}
		if got := jsonShapeProblems(v, "$"); len(got) != tc.want {
			t.Errorf("%s: %d problems %v, want %d", tc.doc, len(got), got, tc.want)
		}
	}
}

// TestJSONShapes runs every command with --json, in states where its
// lists are empty and where versions were renumbered, and checks each
// document with jsonShapeProblems.
func TestJSONShapes(t *testing.T) {
	t.Setenv("TROVE_TEST_AS_MAIN", "1") // push --background's child is this binary
	url := fileRemote(t)
	a, _ := gitProject(t)
	b := newProject(t)
	for _, d := range []string{a, b} {
		mustTrove(t, d, "remote", "add", "origin", url)
	}
	src := filepath.Join(a, "src")
	writeFiles(t, src, map[string]string{"x.txt": "x\n"})
	// b pushes ds first: a's versions are renumbered after b's.
	writeFiles(t, b, map[string]string{"d/y.txt": "y\n"})
	mustTrove(t, b, "commit", "ds", "--type", "dataset", filepath.Join(b, "d"))
	mustTrove(t, b, "push")

	out := filepath.Join(a, "out")
	steps := []struct {
		dir  string
		args []string
	}{
		{a, []string{"log"}},
		{a, []string{"runs"}},
		{a, []string{"registry", "ls"}},
		{a, []string{"status"}},
		{a, []string{"checkout"}},
		{a, []string{"hooks", "install"}},
		{a, []string{"hooks", "uninstall"}},
		{a, []string{"retention", "show"}},
		{a, []string{"gc", "--dry-run"}},
		{a, []string{"commit", "ds", "--type", "dataset", src, "--alias", "best"}},
		{a, []string{"commit", "ds", src, "-m", "same"}},
		{a, []string{"commit", "other", "--type", "dataset", src, "--alias", "best"}},
		{a, []string{"commit", "other", "--type", "dataset", filepath.Join(a, "train.py"), "--alias", "best"}},
		{a, []string{"log"}},
		{a, []string{"log", "other"}},
		{a, []string{"show", "other:v0"}},
		{a, []string{"ls", "ds"}},
		{a, []string{"diff", "ds:v0", "ds:v0"}},
		{a, []string{"alias", "ls", "other"}},
		{a, []string{"ttl", "show", "ds"}},
		{a, []string{"ttl", "set", "ds:v0", "30d"}},
		{a, []string{"pull", "ds", "-o", out}},
		{a, []string{"verify", "ds", out}},
		{a, []string{"fsck"}},
		{a, []string{"lineage", "ds"}},
		{a, []string{"registry", "create", "vis", "--types", "dataset"}},
		{a, []string{"registry", "show", "vis"}},
		{a, []string{"registry", "add-type", "vis", "dataset"}},
		{a, []string{"link", "other:v0", "registry/vis/c", "--alias", "prod"}},
		{a, []string{"link", "other:v1", "registry/vis/c", "--alias", "prod"}},
		{a, []string{"registry", "alias", "set", "registry/vis/c:v0", "staging"}},
		{a, []string{"registry", "alias", "set", "registry/vis/c:v1", "staging"}},
		{a, []string{"registry", "alias", "rm", "registry/vis/c", "staging"}},
		{a, []string{"registry", "show", "registry/vis/c"}},
		{a, []string{"unlink", "registry/vis/c:v0"}},
		{a, []string{"pin", "ds", "data/ds"}},
		{a, []string{"status"}},
		{a, []string{"checkout"}},
		{a, []string{"remote", "ls"}},
		{a, []string{"fetch"}}, // renumbers a's ds after b's
		{a, []string{"push"}},
		{a, []string{"push", "--background"}},
		{a, []string{"push", "--wait"}},
		{a, []string{"push", "--wait"}},
		{a, []string{"cache", "prune", "--to", "0", "--dry-run"}},
		{a, []string{"runs"}},
		{a, []string{"delete", "other:v0", "--delete-aliases"}},
		{a, []string{"unpin", "data/ds"}},
		{b, []string{"fetch"}},
		{b, []string{"verify", "ds:v0", out}}, // differs: exit 3
	}
	for _, s := range steps {
		r := trove(t, s.dir, append(s.args, "--json")...)
		if r.code != exitOK && r.code != exitMismatch {
			t.Errorf("trove %s --json: exit %d\n%s", strings.Join(s.args, " "), r.code, r.stderr)
			continue
		}
		var v any
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
			t.Errorf("trove %s --json: %v\n%s", strings.Join(s.args, " "), err, r.stdout)
			continue
		}
		for _, p := range jsonShapeProblems(v, "$") {
			t.Errorf("trove %s --json: %s", strings.Join(s.args, " "), p)
		}
	}
}

// TestJSONVersionsAndLists pins down the spellings the shape check cannot
// see: what renumbering, moved aliases, remotes and background pushes
// print.
func TestJSONVersionsAndLists(t *testing.T) {
	t.Setenv("TROVE_TEST_AS_MAIN", "1")
	url := fileRemote(t)
	a, b := newProject(t), newProject(t)
	for _, d := range []string{a, b} {
		mustTrove(t, d, "remote", "add", "origin", url)
	}
	writeFiles(t, b, map[string]string{"d/y.txt": "y\n"})
	mustTrove(t, b, "commit", "ds", "--type", "dataset", filepath.Join(b, "d"))
	mustTrove(t, b, "push")
	writeFiles(t, a, map[string]string{"d/x.txt": "x\n", "e/z.txt": "z\n"})
	mustTrove(t, a, "commit", "ds", "--type", "dataset", filepath.Join(a, "d"), "--alias", "best")

	var c commitJSON
	troveJSON(t, a, &c, "commit", "ds", filepath.Join(a, "e"), "--alias", "best")
	if c.Version != "v1" || len(c.Moved) != 1 || c.Moved["best"] != "v0" {
		t.Errorf("commit taking best from v0: %+v, want movedAliases best -> v0", c)
	}
	mustTrove(t, a, "link", "ds:v0", "registry/dataset/c", "--alias", "prod")
	var l map[string]any
	troveJSON(t, a, &l, "link", "ds:v1", "registry/dataset/c", "--alias", "prod")
	if m, ok := l["movedAliases"].(map[string]any); !ok || m["prod"] != "v0" || l["moved"] != nil {
		t.Errorf("link taking prod from v0: %v, want movedAliases prod -> v0", l)
	}

	var rs []map[string]any
	troveJSON(t, a, &rs, "remote", "ls")
	if len(rs) != 1 || rs[0]["name"] != "origin" || rs[0]["url"] != url {
		t.Errorf("remote ls = %v, want [{name: origin, url: %s}]", rs, url)
	}

	// a's v0 and v1 come after b's v0 on the remote.
	var p pushJSON
	troveJSON(t, a, &p, "push")
	if len(p.Artifacts) != 1 || strings.Join(p.Artifacts[0].Versions, ",") != "v1,v2" ||
		p.Artifacts[0].Renumbered["v0"] != "v1" || p.Artifacts[0].Renumbered["v1"] != "v2" {
		t.Errorf("push = %+v, want versions v1,v2 renumbered v0->v1, v1->v2", p)
	}
	writeFiles(t, b, map[string]string{"d/y.txt": "y2\n"})
	mustTrove(t, b, "commit", "ds", filepath.Join(b, "d"))
	var f fetchJSON
	troveJSON(t, b, &f, "fetch")
	if len(f.Artifacts) != 1 || strings.Join(f.Artifacts[0].New, ",") != "v1,v2" || f.Artifacts[0].Renumbered["v1"] != "v3" {
		t.Errorf("fetch = %+v, want new v1,v2 and renumbered v1->v3", f)
	}

	// push --background and --wait honour --json.
	type waitJSON struct { // backgroundPushJSON, whose embedded pushJSON cannot be decoded into
		PID       int
		Log       string
		ExitCode  *int
		Error     string
		Remote    string
		Artifacts []pushedArtifactJSON
	}
	var started, ended waitJSON
	troveJSON(t, b, &started, "push", "--background")
	if started.PID == 0 || started.Log == "" || started.Remote != "" || started.Artifacts != nil {
		t.Errorf("push --background --json = %+v", started)
	}
	out := mustTrove(t, b, "push", "--wait", "--json")
	if err := json.Unmarshal([]byte(out), &ended); err != nil || ended.PID != started.PID || ended.ExitCode == nil || *ended.ExitCode != 0 ||
		ended.Remote != "origin" || len(ended.Artifacts) != 1 || !strings.HasSuffix(strings.Join(ended.Artifacts[0].Versions, ","), "v3") {
		t.Errorf("push --wait --json = %v %+v\n%s", err, ended, out)
	}
	if strings.Contains(out, "->") { // the log stays text, and out of the JSON
		t.Errorf("push --wait --json printed the log:\n%s", out)
	}
	if log := mustTrove(t, b, "push", "--wait"); !strings.Contains(log, "ds:v3 -> origin") {
		t.Errorf("push --wait after a --json start said %q, want the text log", log)
	}
	// A failed background push: its error, and its exit status.
	mustTrove(t, b, "remote", "add", "gone", "file://"+filepath.Join(t.TempDir(), "gone"), "--no-probe")
	troveJSON(t, b, &started, "push", "-r", "gone", "--background")
	r := trove(t, b, "push", "--wait", "--json")
	var failed waitJSON
	if r.code != exitError || json.Unmarshal([]byte(r.stdout), &failed) != nil || failed.ExitCode == nil || *failed.ExitCode != exitError ||
		!strings.Contains(failed.Error, "gone") {
		t.Errorf("push --wait --json of a failed push: exit %d, %+v\n%s%s", r.code, failed, r.stdout, r.stderr)
	}
	var none waitJSON
	troveJSON(t, a, &none, "push", "--wait")
	if none.PID != 0 || none.ExitCode != nil {
		t.Errorf("push --wait --json without a background push = %+v", none)
	}
}
