package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// twoClones returns two projects sharing a fresh file remote: a, which
// committed model cnn and linked it into registry/model/classifier and
// pushed, and b, which fetched that.
func twoClones(t *testing.T) (a, b string) {
	t.Helper()
	_, a, b = sharingRemote(t)
	writeFiles(t, a, map[string]string{"w/x": "zero"})
	mustTroveAs(t, a, "ana", "commit", "cnn", "--type", "model", "w")
	mustTroveAs(t, a, "ana", "link", "cnn:latest", "registry/model/classifier")
	mustTroveAs(t, a, "ana", "push")
	mustTroveAs(t, b, "bob", "fetch")
	return a, b
}

// TestRegistryAliasConflictSettles is the audit's case: both clones link
// a version of their own as candidate, and move prod differently. The
// second push lands every link, keeps the remote's aliases, says which of
// its moves were not applied and how to apply them again, and exits 1;
// after it the clone is clean: fetch and push succeed, and the move can be
// made again.
func TestRegistryAliasConflictSettles(t *testing.T) {
	a, b := twoClones(t)
	writeFiles(t, b, map[string]string{"w/x": "bee"})
	mustTroveAs(t, b, "bob", "commit", "cnn", "w")
	mustTroveAs(t, b, "bob", "link", "cnn:latest", "registry/model/classifier", "--alias", "candidate")
	writeFiles(t, a, map[string]string{"w/x": "ay"})
	mustTroveAs(t, a, "ana", "commit", "cnn", "w")
	mustTroveAs(t, a, "ana", "link", "cnn:latest", "registry/model/classifier", "--alias", "candidate")
	mustTroveAs(t, a, "ana", "registry", "alias", "set", "registry/model/classifier:v0", "prod")
	mustTroveAs(t, a, "ana", "push")
	mustTroveAs(t, b, "bob", "registry", "alias", "set", "registry/model/classifier:v1", "prod")

	r := troveAs(t, b, "bob", "push")
	if r.code != exitError {
		t.Fatalf("push with moves the remote made first: exit %d, want %d\n%s%s", r.code, exitError, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"collection classifier: alias candidate: set on v1 here (that link is v2 now), set on v1 on the remote; yours was not applied, the remote's stands (v1); to apply yours: trove registry alias set registry/model/classifier:v2 candidate",
		"collection classifier: alias prod: set on v1 here (that link is v2 now), set on v0 on the remote; yours was not applied, the remote's stands (v0); to apply yours: trove registry alias set registry/model/classifier:v2 prod",
		"registry/model/classifier:v1 is registry/model/classifier:v2 on origin (others linked first)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("push does not say %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "registry changes not applied: 2 of yours") || strings.Contains(r.stderr, "lost to a concurrent change") {
		t.Errorf("push error: %s", r.stderr)
	}
	var p pushJSON
	troveJSON(t, b, &p, "push")
	if len(p.RegistryConflicts) != 0 {
		t.Errorf("the next push still conflicts: %v", p.RegistryConflicts)
	}
	mustTroveAs(t, b, "bob", "fetch")

	// Every link reached the remote; the aliases are the remote's.
	mustTroveAs(t, a, "ana", "fetch")
	var c collectionJSON
	troveJSON(t, a, &c, "registry", "show", "registry/model/classifier")
	if c.Links != 3 || c.Aliases["prod"] != "v0" || c.Aliases["candidate"] != "v1" {
		t.Fatalf("remote collection: %d links, aliases %v; want 3, prod=v0 candidate=v1", c.Links, c.Aliases)
	}
	// The command the push gave applies the move again.
	mustTroveAs(t, b, "bob", "registry", "alias", "set", "registry/model/classifier:v2", "prod")
	mustTroveAs(t, b, "bob", "push")
	mustTroveAs(t, a, "ana", "fetch")
	troveJSON(t, a, &c, "registry", "show", "registry/model/classifier")
	if c.Aliases["prod"] != "v2" {
		t.Fatalf("prod after applying it again: %v", c.Aliases)
	}
}

// TestRegistryFetchGoesOn: a local registry change that conflicts with the
// remote's does not stop a fetch: the other registries are fetched (so
// registry paths resolve to what the remote holds now), and the change not
// applied is reported as a warning.
func TestRegistryFetchGoesOn(t *testing.T) {
	a, b := twoClones(t)
	// Both create "evals" (which sorts before "model"), with other
	// descriptions; a pushes it and then a new link in model.
	mustTroveAs(t, a, "ana", "registry", "create", "evals", "--types", "model", "-d", "ana's evals")
	mustTroveAs(t, b, "bob", "registry", "create", "evals", "--types", "model", "-d", "bob's evals")
	mustTroveAs(t, b, "bob", "link", "cnn:v0", "registry/evals/ours")
	writeFiles(t, a, map[string]string{"w/x": "one"})
	mustTroveAs(t, a, "ana", "commit", "cnn", "w")
	mustTroveAs(t, a, "ana", "link", "cnn:v1", "registry/model/classifier")
	mustTroveAs(t, a, "ana", "push")

	r := troveAs(t, b, "bob", "fetch")
	if r.code != 0 {
		t.Fatalf("fetch: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	want := `trove: warning: registry evals: description: "bob's evals" here, "ana's evals" on the remote (created there by ana at the same time); yours was not applied, the remote's stands ("ana's evals")`
	if !strings.Contains(r.stderr, want) {
		t.Errorf("fetch does not warn %q:\n%s", want, r.stderr)
	}
	var v struct {
		Version string `json:"version"`
	}
	troveJSON(t, b, &v, "show", "registry/model/classifier:latest")
	if v.Version != "v1" {
		t.Errorf("registry/model/classifier:latest is cnn:%s after fetch, want v1 (the registry was not fetched)", v.Version)
	}
	var g registryJSON
	troveJSON(t, b, &g, "registry", "show", "evals")
	if g.Description != "ana's evals" || len(g.Collections) != 1 || g.Collections[0].Name != "ours" {
		t.Errorf("evals here: %+v", g)
	}
	// b's link in its own evals lands in ana's on push; nothing conflicts.
	mustTroveAs(t, b, "bob", "push")
	mustTroveAs(t, a, "ana", "fetch")
	troveJSON(t, a, &g, "registry", "show", "evals")
	if g.Description != "ana's evals" || len(g.Collections) != 1 {
		t.Errorf("evals on the remote: %+v", g)
	}
}

// TestRegistryShowNumbersNow: after a push renumbered linked versions,
// registry show names each link's version as numbered now (as trove show
// resolves the link), keeps the number at link time apart, and says when
// a linked version was deleted.
func TestRegistryShowNumbersNow(t *testing.T) {
	a, b := twoClones(t)
	writeFiles(t, a, map[string]string{"w/x": "ay"})
	mustTroveAs(t, a, "ana", "commit", "cnn", "w")
	mustTroveAs(t, a, "ana", "link", "cnn:v1", "registry/model/conc")
	writeFiles(t, b, map[string]string{"w/x": "bee"})
	mustTroveAs(t, b, "bob", "commit", "cnn", "w")
	mustTroveAs(t, b, "bob", "link", "cnn:v1", "registry/model/conc")
	mustTroveAs(t, a, "ana", "push")
	mustTroveAs(t, b, "bob", "push") // b's cnn:v1 is cnn:v2 now
	mustTroveAs(t, a, "ana", "fetch")

	for _, dir := range []string{a, b} {
		var c collectionJSON
		troveJSON(t, dir, &c, "registry", "show", "registry/model/conc")
		seen := map[string]bool{}
		for _, l := range c.Log {
			var v struct {
				Version string `json:"version"`
			}
			troveJSON(t, dir, &v, "show", "registry/model/conc:"+l.Version)
			if l.ArtifactVersion != v.Version || l.ArtifactState != "live" || seen[l.ArtifactVersion] {
				t.Errorf("link %s names cnn:%s (%s); trove show resolves it to cnn:%s; seen %v", l.Version, l.ArtifactVersion, l.ArtifactState, v.Version, seen)
			}
			seen[l.ArtifactVersion] = true
		}
		if len(c.Log) != 2 || c.Log[0].ArtifactVersion != "v2" || c.Log[0].ArtifactVersionThen != "v1" {
			t.Errorf("log %+v, want b's link naming cnn:v2, linked as v1", c.Log)
		}
		out := mustTrove(t, dir, "registry", "show", "registry/model/conc")
		if !strings.Contains(out, "cnn:v2") || !strings.Contains(out, "cnn:v1") {
			t.Errorf("registry show does not name cnn:v1 and cnn:v2:\n%s", out)
		}
	}

	// A deleted version says so.
	mustTroveAs(t, a, "ana", "unlink", "registry/model/conc:v0")
	mustTroveAs(t, a, "ana", "delete", "cnn:v1")
	var c collectionJSON
	troveJSON(t, a, &c, "registry", "show", "registry/model/conc")
	if l := c.Log[1]; l.ArtifactVersion != "v1" || l.ArtifactState != "deleted" {
		t.Errorf("link to a deleted version: %+v", l)
	}
	if out := mustTrove(t, a, "registry", "show", "registry/model/conc"); !strings.Contains(out, "cnn:v1 (deleted)") {
		t.Errorf("registry show does not say the version was deleted:\n%s", out)
	}
}

// TestPushNamesRegistries: a push says which registries it put on the
// remote, and one that changes nothing in a registry writes nothing.
func TestPushNamesRegistries(t *testing.T) {
	url, a, _ := sharingRemote(t)
	writeFiles(t, a, map[string]string{"data/x.csv": "1"})
	mustTrove(t, a, "commit", "ds", "--type", "dataset", "data")
	mustTrove(t, a, "link", "ds:v0", "registry/dataset/digits", "--alias", "prod")
	if out := mustTrove(t, a, "push"); !strings.Contains(out, "registry dataset -> origin\n") {
		t.Fatalf("push of a new link does not name its registry:\n%s", out)
	}
	onRemote := filepath.Join(strings.TrimPrefix(url, "file://"), "refs", "registry", "dataset")
	before, err := os.Stat(onRemote)
	if err != nil {
		t.Fatal(err)
	}

	var again struct{ Registries []string }
	troveJSON(t, a, &again, "push")
	if len(again.Registries) != 0 {
		t.Fatalf("a push with no registry change says it pushed %v", again.Registries)
	}
	if after, err := os.Stat(onRemote); err != nil || !after.ModTime().Equal(before.ModTime()) {
		t.Fatalf("a push with no registry change rewrote the remote's registry (%v)", err)
	}

	writeFiles(t, a, map[string]string{"data/x.csv": "2"})
	mustTrove(t, a, "commit", "ds", "data")
	mustTrove(t, a, "link", "ds:v1", "registry/dataset/digits")
	troveJSON(t, a, &again, "push")
	if !slices.Equal(again.Registries, []string{"dataset"}) {
		t.Fatalf("push after a new link: registries %v, want [dataset]", again.Registries)
	}
}
