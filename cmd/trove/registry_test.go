package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// troveAs runs trove in dir as user (TROVE_USER), without touching the
// process environment.
func troveAs(t *testing.T, dir, user string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		if k == "TROVE_USER" {
			return user
		}
		return os.Getenv(k)
	}
	full := append([]string{"trove", "-C", dir, "--no-progress"}, args...)
	code := run(context.Background(), full, env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: getenv})
	return result{code, out.String(), errb.String()}
}

func mustTroveAs(t *testing.T, dir, user string, args ...string) string {
	t.Helper()
	r := troveAs(t, dir, user, args...)
	if r.code != 0 {
		t.Fatalf("trove %s (as %s): exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), user, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// registryProject makes a project with model cnn v0, v1 and dataset mnist v0.
func registryProject(t *testing.T) string {
	t.Helper()
	dir := newProject(t)
	writeFiles(t, dir, map[string]string{"w/weights.bin": "weights one\n", "w/config.json": "{}\n"})
	mustTrove(t, dir, "commit", "cnn", "--type", "model", "w")
	writeFiles(t, dir, map[string]string{"w/weights.bin": "weights two\n"})
	mustTrove(t, dir, "commit", "cnn", "w")
	writeFiles(t, dir, map[string]string{"d/train.csv": "a,b\n1,2\n"})
	mustTrove(t, dir, "commit", "mnist", "--type", "dataset", "d")
	return dir
}

// TestRegistryWorkflow: link, resolve registry paths in every command that
// takes a version name, show, unlink.
func TestRegistryWorkflow(t *testing.T) {
	dir := registryProject(t)

	// The core registries exist from the start.
	var regs []registryJSON
	troveJSON(t, dir, &regs, "registry", "ls")
	if len(regs) != 2 || regs[0].Name != "dataset" || regs[1].Name != "model" || !regs[1].Core || regs[1].Types[0] != "model" {
		t.Fatalf("registry ls = %+v", regs)
	}
	out := mustTrove(t, dir, "registry", "ls")
	if !strings.Contains(out, "NAME") || !strings.Contains(out, "model") || !strings.Contains(out, "core") {
		t.Fatalf("registry ls table:\n%s", out)
	}

	var l0 linkResultJSON
	troveJSON(t, dir, &l0, "link", "cnn:v0", "registry/model/classifier", "--alias", "staging")
	if l0.Version != "v0" || !l0.CreatedCollection || l0.ArtifactVersion != "v0" || l0.TTL != "off" || l0.Aliases[0] != "staging" {
		t.Fatalf("first link = %+v", l0)
	}
	out = mustTrove(t, dir, "link", "cnn:latest", "registry/model/classifier")
	if !strings.Contains(out, "cnn:v1 -> registry/model/classifier:v1") || !strings.Contains(out, "TTL") {
		t.Fatalf("second link said:\n%s", out)
	}
	// The same version again adds no link.
	out = mustTrove(t, dir, "link", "cnn:v1", "registry/model/classifier")
	if !strings.Contains(out, "linked already as registry/model/classifier:v1") {
		t.Fatalf("relink said:\n%s", out)
	}

	// W&B's spelling works as a link target too.
	var lw linkResultJSON
	troveJSON(t, dir, &lw, "link", "registry/model/classifier:v0", "acme/wandb-registry-model/other")
	if lw.Collection != "registry/model/other" || lw.Version != "v0" || lw.Artifact != "cnn" || lw.ArtifactVersion != "v0" {
		t.Fatalf("link from a registry path to a W&B path = %+v", lw)
	}

	// Registry paths resolve wherever a version name is accepted.
	for spec, want := range map[string]string{
		"registry/model/classifier":                    "v1",
		"registry/model/classifier:latest":             "v1",
		"registry/model/classifier:v0":                 "v0",
		"registry/model/classifier:staging":            "v0",
		"acme/wandb-registry-model/classifier:staging": "v0",
		"acme/wandb-registry-model/classifier:v1":      "v1",
		"some-org/wandb-registry-model/classifier":     "v1",
	} {
		var s showJSON
		troveJSON(t, dir, &s, "show", spec)
		if s.Artifact != "cnn" || s.Version != want {
			t.Errorf("show %s = %s:%s, want cnn:%s", spec, s.Artifact, s.Version, want)
		}
	}
	var files []fileJSON
	troveJSON(t, dir, &files, "ls", "registry/model/classifier:staging")
	if len(files) != 2 {
		t.Fatalf("ls = %+v", files)
	}
	out = mustTrove(t, dir, "diff", "registry/model/classifier:v0", "registry/model/classifier:latest")
	if strings.TrimSpace(out) != "M weights.bin" {
		t.Fatalf("diff = %q", out)
	}
	pulled := filepath.Join(dir, "pulled")
	mustTrove(t, dir, "pull", "acme/wandb-registry-model/classifier:staging", "-o", pulled)
	if b, err := os.ReadFile(filepath.Join(pulled, "weights.bin")); err != nil || string(b) != "weights one\n" {
		t.Fatalf("pulled weights.bin = %q, %v", b, err)
	}
	mustTrove(t, dir, "verify", "registry/model/classifier:v0", pulled)
	if r := trove(t, dir, "verify", "registry/model/classifier:latest", pulled); r.code != exitMismatch {
		t.Fatalf("verify against the other link: exit %d", r.code)
	}

	// show: the registry and the collection, as tables and JSON.
	out = mustTrove(t, dir, "registry", "show", "model")
	for _, want := range []string{"model (core registry)", "accepts:    model", "COLLECTION", "classifier", "staging=v0"} {
		if !strings.Contains(out, want) {
			t.Errorf("registry show lacks %q:\n%s", want, out)
		}
	}
	var c collectionJSON
	troveJSON(t, dir, &c, "registry", "show", "registry/model/classifier")
	if c.Type != "model" || c.Links != 2 || c.Latest != "v1" || len(c.Log) != 2 || c.Log[0].Version != "v1" || c.Log[1].Aliases[0] != "staging" {
		t.Fatalf("collection = %+v", c)
	}
	out = mustTrove(t, dir, "registry", "show", "registry/model/classifier")
	if !strings.Contains(out, "VERSION") || !strings.Contains(out, "cnn:v1") || !strings.Contains(out, "latest") {
		t.Fatalf("collection table:\n%s", out)
	}

	// Collection aliases move as artifact aliases do.
	out = mustTrove(t, dir, "registry", "alias", "set", "registry/model/classifier:v1", "staging")
	if !strings.Contains(out, "moved from v0") {
		t.Fatalf("alias set said %q", out)
	}
	mustTrove(t, dir, "registry", "alias", "rm", "registry/model/classifier", "staging")
	if r := trove(t, dir, "show", "registry/model/classifier:staging"); r.code == 0 || !strings.Contains(r.stderr, `no alias "staging"`) {
		t.Fatalf("removed alias still resolves: %d %s", r.code, r.stderr)
	}

	// Unlink: latest falls back, the number is not reused.
	mustTrove(t, dir, "unlink", "registry/model/classifier:v1")
	var s showJSON
	troveJSON(t, dir, &s, "show", "registry/model/classifier")
	if s.Version != "v0" {
		t.Fatalf("latest after unlink = %s", s.Version)
	}
	if r := trove(t, dir, "show", "registry/model/classifier:v1"); r.code == 0 || !strings.Contains(r.stderr, "unlinked") {
		t.Fatalf("unlinked link resolves: %d %s", r.code, r.stderr)
	}
	troveJSON(t, dir, &l0, "link", "cnn:v1", "registry/model/classifier")
	if l0.Version != "v2" {
		t.Fatalf("link after unlink got %s, want v2", l0.Version)
	}
	mustTrove(t, dir, "fsck")
}

func TestRegistryCustom(t *testing.T) {
	dir := registryProject(t)
	writeFiles(t, dir, map[string]string{"e/scores.json": "{}\n"})
	mustTrove(t, dir, "commit", "scores", "--type", "eval", "e")

	var g registryJSON
	mustTroveAs(t, dir, "ana", "registry", "create", "evals", "--types", "eval", "-d", "held-out evaluations")
	troveJSON(t, dir, &g, "registry", "show", "evals")
	if g.Core || len(g.Types) != 1 || g.Types[0] != "eval" || g.Admins[0] != "ana" || g.Description != "held-out evaluations" {
		t.Fatalf("created = %+v", g)
	}
	mustTroveAs(t, dir, "ana", "registry", "create", "misc", "--any-type")

	// A type mismatch is refused, clearly, and writes nothing.
	r := trove(t, dir, "link", "cnn:v0", "registry/evals/models")
	if r.code != exitUsage || !strings.Contains(r.stderr, `accepts type eval; cnn:v0 has type "model"`) {
		t.Fatalf("type mismatch: exit %d: %s", r.code, r.stderr)
	}
	if r := troveAs(t, dir, "bob", "registry", "add-type", "evals", "model"); r.code != exitUsage || !strings.Contains(r.stderr, "not an admin") {
		t.Fatalf("add-type by non-admin: exit %d: %s", r.code, r.stderr)
	}
	mustTroveAs(t, dir, "ana", "registry", "add-type", "evals", "model")
	mustTrove(t, dir, "link", "cnn:v0", "registry/evals/models")
	mustTrove(t, dir, "link", "scores:v0", "registry/evals/scores")
	r = trove(t, dir, "link", "cnn:v1", "registry/evals/scores")
	if r.code != exitUsage || !strings.Contains(r.stderr, `collection registry/evals/scores holds type "eval"`) {
		t.Fatalf("collection type mismatch: exit %d: %s", r.code, r.stderr)
	}
	mustTrove(t, dir, "link", "mnist", "registry/misc/anything")

	var regs []registryJSON
	troveJSON(t, dir, &regs, "registry", "ls")
	if len(regs) != 4 || regs[0].Name != "dataset" || regs[1].Name != "evals" || regs[2].Name != "misc" || !regs[2].AnyType {
		t.Fatalf("ls = %+v", regs)
	}
}

// TestRegistryProtect: protected aliases need --admin as an admin and
// block deletion (as Holds reports it).
func TestRegistryProtect(t *testing.T) {
	dir := registryProject(t)
	if r := troveAs(t, dir, "ana", "registry", "protect", "model", "production"); r.code != exitUsage || !strings.Contains(r.stderr, "no admins") {
		t.Fatalf("protect without admins: exit %d: %s", r.code, r.stderr)
	}
	mustTroveAs(t, dir, "ana", "registry", "admin", "add", "model", "ana")
	if r := troveAs(t, dir, "bob", "registry", "admin", "add", "model", "bob"); r.code != exitUsage {
		t.Fatalf("bob made himself admin: exit %d: %s", r.code, r.stderr)
	}
	mustTroveAs(t, dir, "ana", "registry", "protect", "model", "production")

	for _, tc := range []struct {
		user string
		args []string
		want string
	}{
		{"ana", []string{"link", "cnn:v0", "registry/model/prod", "--alias", "production"}, "needs --admin"},
		{"bob", []string{"link", "cnn:v0", "registry/model/prod", "--alias", "production", "--admin"}, `"bob" is not an admin`},
	} {
		if r := troveAs(t, dir, tc.user, tc.args...); r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Fatalf("%v as %s: exit %d: %s", tc.args, tc.user, r.code, r.stderr)
		}
	}
	// Nothing was written by the refusals: the collection does not exist.
	if r := trove(t, dir, "registry", "show", "registry/model/prod"); r.code != exitUsage || !strings.Contains(r.stderr, "no such collection") {
		t.Fatalf("refused link left a collection: exit %d: %s", r.code, r.stderr)
	}
	mustTroveAs(t, dir, "ana", "link", "cnn:v0", "registry/model/prod", "--alias", "production", "--admin")
	mustTroveAs(t, dir, "bob", "link", "cnn:v1", "registry/model/prod")
	for _, args := range [][]string{
		{"registry", "alias", "set", "registry/model/prod:v1", "production"},
		{"registry", "alias", "rm", "registry/model/prod", "production"},
		{"unlink", "registry/model/prod:v0"},
	} {
		if r := troveAs(t, dir, "bob", args...); r.code != exitUsage || !strings.Contains(r.stderr, "protected") {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
		if r := troveAs(t, dir, "bob", append(args, "--admin")...); r.code != exitUsage || !strings.Contains(r.stderr, "not an admin") {
			t.Fatalf("%v --admin as bob: exit %d: %s", args, r.code, r.stderr)
		}
	}
	out := mustTroveAs(t, dir, "ana", "registry", "alias", "set", "registry/model/prod:v1", "production", "--admin")
	if !strings.Contains(out, "moved from v0") {
		t.Fatalf("alias set said %q", out)
	}
	var s showJSON
	troveJSON(t, dir, &s, "show", "acme/wandb-registry-model/prod:production")
	if s.Version != "v1" {
		t.Fatalf("production = %s", s.Version)
	}
	var g registryJSON
	troveJSON(t, dir, &g, "registry", "show", "model")
	if len(g.Protected) != 1 || g.Protected[0] != "production" || len(g.Admins) != 1 {
		t.Fatalf("settings = %+v", g)
	}
}

// TestRegistryBadInput: each bad input is a clear error with exit status 2
// and writes nothing.
func TestRegistryBadInput(t *testing.T) {
	dir := registryProject(t)
	mustTrove(t, dir, "link", "cnn:v0", "registry/model/c")
	snapshot := func() string {
		var b strings.Builder
		for _, args := range [][]string{{"registry", "ls", "--json"}, {"registry", "show", "registry/model/c", "--json"}} {
			b.WriteString(mustTrove(t, dir, args...))
		}
		return b.String()
	}
	before := snapshot()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad registry name", []string{"registry", "create", "bad name", "--any-type"}, "registry name"},
		{"long registry name", []string{"registry", "create", strings.Repeat("r", 129), "--any-type"}, "128"},
		{"both type flags", []string{"registry", "create", "x", "--any-type", "--types", "a"}, "cannot be set along with"},
		{"no type flag", []string{"registry", "create", "x"}, "types"},
		{"bad type", []string{"registry", "create", "x", "--types", "a b"}, "type"},
		{"core exists", []string{"registry", "create", "model", "--any-type"}, "core registry"},
		{"bad collection name", []string{"link", "cnn:v0", "registry/model/bad:coll:x"}, "alias"},
		{"bad collection chars", []string{"link", "cnn:v0", "registry/model/b@d"}, "collection name"},
		{"missing version", []string{"link", "cnn:v7", "registry/model/c"}, "no version v7"},
		{"missing artifact", []string{"link", "nope:v0", "registry/model/c"}, "nope"},
		{"missing registry", []string{"link", "cnn:v0", "registry/nope/c"}, "no such registry"},
		{"target with selector", []string{"link", "cnn:v0", "registry/model/c:v0"}, "without :v0"},
		{"target not a registry", []string{"link", "cnn:v0", "cnn"}, "not a registry path"},
		{"reserved alias", []string{"link", "cnn:v1", "registry/model/c", "--alias", "latest"}, "latest"},
		{"type mismatch", []string{"link", "mnist:v0", "registry/model/c"}, "accepts type model"},
		{"alias on missing registry", []string{"registry", "alias", "set", "registry/nope/c:v0", "best"}, "no such registry"},
		{"alias on missing collection", []string{"registry", "alias", "set", "registry/model/nope:v0", "best"}, "no such collection"},
		{"alias on missing link", []string{"registry", "alias", "set", "registry/model/c:v5", "best"}, "no link v5"},
		{"alias rm missing", []string{"registry", "alias", "rm", "registry/model/c", "best"}, `no alias "best"`},
		{"unlink without version", []string{"unlink", "registry/model/c"}, "name the link"},
		{"unlink missing", []string{"unlink", "registry/model/c:v3"}, "no link v3"},
		{"show missing registry", []string{"registry", "show", "nope"}, "no such registry"},
		{"add-type missing registry", []string{"registry", "add-type", "nope", "t"}, "no such registry"},
		{"protect reserved", []string{"registry", "protect", "model", "v1"}, "version number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := trove(t, dir, tc.args...)
			if r.code != exitUsage {
				t.Fatalf("exit %d, want %d\nstderr: %s", r.code, exitUsage, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("error does not mention %q:\n%s", tc.want, r.stderr)
			}
		})
	}
	if after := snapshot(); after != before {
		t.Fatalf("bad input changed the registries:\nbefore %s\nafter %s", before, after)
	}
	mustTrove(t, dir, "fsck")
}

// TestRegistryPathNamesNothing: a registry path whose registry,
// collection or link does not exist, or that is malformed, is bad input
// to every command that takes a version name: exit status 2, an error
// naming what is wrong and how to find what exists, nothing written.
func TestRegistryPathNamesNothing(t *testing.T) {
	dir := registryProject(t)
	mustTrove(t, dir, "link", "cnn:v0", "registry/model/c")
	run := startRun(t, dir)
	out := filepath.Join(dir, "out")
	commands := [][]string{
		{"show", "X"},
		{"ls", "X"},
		{"manifest", "X"},
		{"diff", "X", "cnn:v0"},
		{"diff", "cnn:v0", "X"},
		{"pull", "X", "-o", out},
		{"verify", "X", dir},
		{"use", "X", "--run", run},
		{"lineage", "X"},
		{"pin", "X", "data/p"},
		{"link", "X", "registry/model/other"},
	}
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"registry/NOPE/coll:v0", []string{`no such registry: "NOPE"`, "trove registry ls"}},
		{"registry/NOPE/coll:latest", []string{`no such registry: "NOPE"`, "trove registry ls"}},
		{"acme/wandb-registry-NOPE/coll:prod", []string{`no such registry: "NOPE"`, "trove registry ls"}},
		{"registry/model/nope:v0", []string{"no such collection: registry/model/nope", "trove registry show model"}},
		{"registry/model/c:v9", []string{"registry/model/c:v9", "no link v9 (links run v0..v0)"}},
		{"registry/model/c:best", []string{"registry/model/c:best", `no alias "best"`}},
		{"registry/onlyone", []string{"registry/REG/COLL", "trove registry ls"}},
		{"registry/model:v0", []string{"registry/REG/COLL", "trove registry ls"}},
		{"registry/model/c/extra:v0", []string{"registry/REG/COLL", "trove registry ls"}},
		{"wandb-registry-model/c:v0", []string{"ORG/wandb-registry-REG/COLL"}},
		{"registry/model/b@d:v0", []string{`collection name "b@d"`}},
	} {
		for _, args := range commands {
			args := slices.Clone(args)
			args[slices.Index(args, "X")] = tc.path
			t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
				r := trove(t, dir, args...)
				if r.code != exitUsage {
					t.Fatalf("exit %d, want %d\nstderr: %s", r.code, exitUsage, r.stderr)
				}
				for _, w := range tc.want {
					if !strings.Contains(r.stderr, w) {
						t.Errorf("error does not mention %q:\n%s", w, r.stderr)
					}
				}
			})
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused pull wrote files")
	}
	if _, err := os.Stat(filepath.Join(dir, "trove.lock")); err == nil {
		t.Error("a refused pin wrote trove.lock")
	}
	var rs runShow
	troveJSON(t, dir, &rs, "run", "show", run)
	if len(rs.Inputs) != 0 {
		t.Errorf("refused uses recorded inputs: %+v", rs.Inputs)
	}
	var c collectionJSON
	troveJSON(t, dir, &c, "registry", "show", "registry/model/c")
	if c.Links != 1 {
		t.Errorf("registry/model/c has %d links after refused links, want 1", c.Links)
	}
}

func TestRegistryHelp(t *testing.T) {
	dir := newProject(t)
	out := mustTrove(t, dir, "registry", "--help")
	for _, want := range []string{"guard against mistakes", "IAM", "wandb-registry-", "EXIT STATUS"} {
		if !strings.Contains(out, want) {
			t.Errorf("registry --help lacks %q:\n%s", want, out)
		}
	}
	out = mustTrove(t, dir, "link", "--help")
	if !strings.Contains(out, "TTL") || !strings.Contains(out, "--admin") {
		t.Errorf("link --help:\n%s", out)
	}
}

// TestRegistryJSONEverywhere: every registry command prints JSON with
// --json.
func TestRegistryJSONEverywhere(t *testing.T) {
	dir := registryProject(t)
	for _, args := range [][]string{
		{"registry", "create", "evals", "--types", "eval"},
		{"registry", "add-type", "evals", "model"},
		{"registry", "admin", "add", "model", "ana"},
		{"registry", "protect", "model", "production"},
		{"link", "cnn:v0", "registry/model/c", "--alias", "best"},
		{"registry", "alias", "set", "registry/model/c:v0", "prod"},
		{"registry", "alias", "rm", "registry/model/c", "prod"},
		{"unlink", "registry/model/c:v0"},
		{"registry", "unprotect", "model", "production"},
		{"registry", "ls"},
		{"registry", "show", "model"},
		{"registry", "show", "registry/model/c"},
	} {
		out := mustTroveAs(t, dir, "ana", append(args, "--json")...)
		if !json.Valid([]byte(out)) {
			t.Fatalf("%v --json printed:\n%s", args, out)
		}
	}
}

// TestConcurrentLinks: processes linking into one collection at once all
// succeed, with distinct collection versions.
func TestConcurrentLinks(t *testing.T) {
	dir := newProject(t)
	const n = 4
	for i := range n {
		writeFiles(t, dir, map[string]string{"m/w": strings.Repeat("w", i+1)})
		mustTrove(t, dir, "commit", "cnn", "--type", "model", "m")
	}
	var wg sync.WaitGroup
	outs := make([]linkResultJSON, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			var out, stderr bytes.Buffer
			cmd := troveProc(t, dir, "link", fmt.Sprintf("cnn:v%d", i), "registry/model/c", "--json")
			cmd.Stdout, cmd.Stderr = &out, &stderr
			if errs[i] = cmd.Run(); errs[i] != nil {
				errs[i] = fmt.Errorf("%w: %s", errs[i], stderr.String())
				return
			}
			errs[i] = json.Unmarshal(out.Bytes(), &outs[i])
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("link %d: %v", i, errs[i])
		}
		seen[outs[i].Version] = true
	}
	var c collectionJSON
	troveJSON(t, dir, &c, "registry", "show", "registry/model/c")
	if len(seen) != n || c.Links != n || c.Next != n {
		t.Fatalf("links %v; collection has %d links, next %d", seen, c.Links, c.Next)
	}
}

// TestLineageShowsLinks: a version linked into a registry says so in its
// lineage, and registry paths are accepted by lineage and use.
func TestLineageShowsLinks(t *testing.T) {
	dir := newProject(t)
	writeFiles(t, dir, map[string]string{"m/w": "weights"})
	mustTrove(t, dir, "commit", "clf", "--type", "model", "m")
	mustTrove(t, dir, "link", "clf:v0", "registry/model/classifier", "--alias", "production")
	out := mustTrove(t, dir, "lineage", "registry/model/classifier:production")
	if !strings.Contains(out, "registry/model/classifier:v0 production") {
		t.Fatalf("lineage does not show the link:\n%s", out)
	}
	var g struct {
		Nodes []struct {
			Links []string `json:"links"`
		} `json:"nodes"`
	}
	troveJSON(t, dir, &g, "lineage", "clf:v0", "--format", "json")
	found := false
	for _, n := range g.Nodes {
		found = found || len(n.Links) > 0
	}
	if !found {
		t.Fatalf("lineage JSON has no links: %+v", g)
	}
	// A run can use a version by its registry name, W&B's spelling too.
	troveOnPath(t)
	mustTrove(t, dir, "run", "--name", "eval", "--", "trove", "use", "acme/wandb-registry-model/classifier:production")
	if out := mustTrove(t, dir, "lineage", "clf:v0"); !strings.Contains(out, "eval") {
		t.Fatalf("lineage lacks the run that used the version by its registry name:\n%s", out)
	}
}
