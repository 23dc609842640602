package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/urfave/cli/v3"
)

// cliDocPath is the reference of trove's command line for scripts, which
// the help of every --json flag points at (jsonUsage).
const cliDocPath = "../../docs/CLI.md"

// jsonCommands returns the path ("alias ls") of every command under cmd
// that has a --json flag, in tree order.
func jsonCommands(cmd *cli.Command) []string {
	var out []string
	var walk func(c *cli.Command, path []string)
	walk = func(c *cli.Command, path []string) {
		for _, sub := range c.Commands {
			p := append(append([]string(nil), path...), sub.Name)
			if hasFlag(sub, "json") {
				out = append(out, strings.Join(p, " "))
			}
			walk(sub, p)
		}
	}
	walk(cmd, nil)
	return out
}

// hasFlag reports whether cmd declares a flag called name, alone or in a
// group of mutually exclusive flags.
func hasFlag(cmd *cli.Command, name string) bool {
	flags := append([]cli.Flag(nil), cmd.Flags...)
	for _, g := range cmd.MutuallyExclusiveFlags {
		for _, fs := range g.Flags {
			flags = append(flags, fs...)
		}
	}
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
}

// cliDocSection returns the section of doc under the heading
// "### trove PATH", up to the next heading of level 2 or 3, and whether
// there is one.
func cliDocSection(doc, path string) (string, bool) {
	heading := "### trove " + path
	lines := strings.Split(doc, "\n")
	for i, l := range lines {
		if strings.TrimRight(l, " ") != heading {
			continue
		}
		end := len(lines)
		for j := i + 1; j < len(lines); j++ {
			if strings.HasPrefix(lines[j], "## ") || strings.HasPrefix(lines[j], "### ") {
				end = j
				break
			}
		}
		return strings.Join(lines[i+1:end], "\n"), true
	}
	return "", false
}

func readCLIDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(cliDocPath)
	if err != nil {
		t.Fatalf("jsonUsage promises docs/CLI.md: %v", err)
	}
	return string(b)
}

// TestCLIDocSections checks that docs/CLI.md has a section
// "### trove PATH" for every command with a --json flag.
func TestCLIDocSections(t *testing.T) {
	doc := readCLIDoc(t)
	cmds := jsonCommands(newApp(env{getenv: os.Getenv}))
	if len(cmds) < 10 {
		t.Fatalf("found only %d commands with --json (%v): is the walk broken?", len(cmds), cmds)
	}
	for _, c := range cmds {
		if _, ok := cliDocSection(doc, c); !ok {
			t.Errorf("docs/CLI.md has no section %q for a command with --json: document its JSON there", "### trove "+c)
		}
	}
}

// jsonDataMaps are the fields whose value is an object keyed by data
// (alias -> version), not by field names.
var jsonDataMaps = map[string]bool{
	"movedAliases": true, "aliases": true, "config": true,
	"metadata": true, "renumbered": true, "collapsed": true,
}

// jsonKeys adds to keys every field name in v, at any depth.
func jsonKeys(v any, keys map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			keys[k] = true
			if _, isMap := e.(map[string]any); !isMap || !jsonDataMaps[k] {
				jsonKeys(e, keys)
			}
		}
	case []any:
		for _, e := range v {
			jsonKeys(e, keys)
		}
	}
}

// cliDocShared returns the description of the shared object called name
// ("**Pin**" up to the next object or section) in doc, or "".
func cliDocShared(doc, name string) string {
	lines := strings.Split(doc, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "**"+name+"**") {
			continue
		}
		end := len(lines)
		for j := i + 1; j < len(lines); j++ {
			if strings.HasPrefix(lines[j], "**") || strings.HasPrefix(lines[j], "## ") || strings.HasPrefix(lines[j], "### ") {
				end = j
				break
			}
		}
		return strings.Join(lines[i:end], "\n")
	}
	return ""
}

// TestCLIDocFields runs commands whose JSON is a fixed struct and checks
// that each field name they print is named (as `key`, or in a path as
// `report.key`) in their section of docs/CLI.md, or in the shared objects
// the section says it prints.
func TestCLIDocFields(t *testing.T) {
	t.Setenv("TROVE_TEST_AS_MAIN", "1") // push --background's child is this binary
	doc := readCLIDoc(t)
	dir := newProject(t)
	writeFiles(t, dir, map[string]string{"data/a.csv": "a,b\n1,2\n", "data/sub/b.txt": "hello\n"})
	mustTrove(t, dir, "commit", "mnist", "--type", "dataset", filepath.Join(dir, "data"), "--alias", "raw")
	writeFiles(t, dir, map[string]string{"data/a.csv": "a,b\n1,2\n3,4\n"})
	// Another project pushes mnist first, so this one's are renumbered.
	url := fileRemote(t)
	other := newProject(t)
	writeFiles(t, other, map[string]string{"d/x.txt": "x\n"})
	mustTrove(t, other, "commit", "mnist", "--type", "dataset", filepath.Join(other, "d"))
	mustTrove(t, other, "remote", "add", "origin", url)
	mustTrove(t, other, "push")
	mustTrove(t, dir, "remote", "add", "origin", url)

	for _, tc := range []struct {
		before []string // a command to run first, if any
		path   string   // the command's path, as in its heading
		args   []string // its arguments, before --json
		shared []string // shared objects whose fields the section prints
	}{
		// A new version that takes "best" from v0 (movedAliases), then the
		// same content again with -m (unchanged, notApplied).
		{[]string{"alias", "set", "mnist:v0", "best"}, "commit", []string{"mnist", filepath.Join(dir, "data"), "--alias", "best"}, nil},
		{nil, "commit", []string{"mnist", filepath.Join(dir, "data"), "-m", "again"}, nil},
		{nil, "alias ls", []string{"mnist"}, nil},
		{nil, "fsck", nil, nil},
		{nil, "verify", []string{"mnist:v1", filepath.Join(dir, "data")}, nil},
		{nil, "remote ls", nil, nil},
		{nil, "lineage", []string{"mnist"}, nil},
		{[]string{"link", "mnist:v0", "registry/dataset/c", "--alias", "prod"}, "link", []string{"mnist:v1", "registry/dataset/c", "--alias", "prod"}, nil},
		{nil, "registry show", []string{"registry/dataset/c"}, []string{"Collection", "Link"}},
		{nil, "unlink", []string{"registry/dataset/c:v0"}, nil},
		{nil, "pin", []string{"mnist:v0", filepath.Join(dir, "pinned")}, []string{"Pin", "Checked-out pin"}},
		{nil, "pin", []string{"mnist:v1", filepath.Join(dir, "pinned")}, []string{"Pin", "Checked-out pin"}},
		{nil, "checkout", nil, []string{"Pin", "Checked-out pin"}},
		{[]string{"pull", "mnist:v0", "-o", filepath.Join(dir, "pinned")}, "status", nil, []string{"Pin"}},
		{nil, "push", nil, nil},
		{nil, "push", []string{"--background"}, nil},
		{nil, "push", []string{"--wait"}, nil},
		{nil, "fetch", nil, nil},
	} {
		section, ok := cliDocSection(doc, tc.path)
		if !ok {
			t.Errorf("docs/CLI.md has no section for trove %s", tc.path)
			continue
		}
		for _, s := range tc.shared {
			o := cliDocShared(doc, s)
			if o == "" {
				t.Errorf("docs/CLI.md has no shared object %q", s)
			}
			section += "\n" + o
		}
		if tc.before != nil {
			mustTrove(t, dir, tc.before...)
		}
		var v any
		r := trove(t, dir, append(append(strings.Fields(tc.path), tc.args...), "--json")...)
		if r.code != exitOK && r.code != exitMismatch {
			t.Errorf("trove %s %v --json: exit %d\n%s", tc.path, tc.args, r.code, r.stderr)
			continue
		}
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
			t.Errorf("trove %s %v --json: %v\n%s", tc.path, tc.args, err, r.stdout)
			continue
		}
		keys := map[string]bool{}
		jsonKeys(v, keys)
		if len(keys) == 0 {
			t.Errorf("trove %s --json printed no keys: %v", tc.path, v)
		}
		var missing []string
		for k := range keys {
			// Named alone (`files`) or in a path (`report.files`).
			if !strings.Contains(section, "`"+k+"`") && !strings.Contains(section, "."+k+"`") && !strings.Contains(section, "`"+k+".") {
				missing = append(missing, k)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("trove %s --json prints %v, which its section of docs/CLI.md does not name", tc.path, missing)
		}
	}
}

// TestCLIDocSectionCheck makes sure the section check finds a missing
// section: with a heading taken out, the doc must fail it.
func TestCLIDocSectionCheck(t *testing.T) {
	doc := readCLIDoc(t)
	if _, ok := cliDocSection(doc, "alias ls"); !ok {
		t.Fatal("no section for trove alias ls")
	}
	cut := strings.Replace(doc, "### trove alias ls\n", "", 1)
	if _, ok := cliDocSection(cut, "alias ls"); ok {
		t.Error("a doc without \"### trove alias ls\" still passes for alias ls")
	}
	// A heading only prefixed by another does not count.
	if _, ok := cliDocSection("### trove registry alias set\n", "registry alias"); ok {
		t.Error(`"### trove registry alias set" passes for "registry alias"`)
	}
}
