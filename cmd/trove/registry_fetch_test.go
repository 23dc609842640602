package main

import (
	"os"
	"strings"
	"testing"
)

// unfetchedRegistries returns the remote's URL and two projects on it: a,
// which made the custom registry vision, linked model cnn into
// registry/vision/detector and registry/model/classifier, and pushed; and
// b, which has never fetched.
func unfetchedRegistries(t *testing.T) (url, a, b string) {
	t.Helper()
	url, a, b = sharingRemote(t)
	writeFiles(t, a, map[string]string{"w/x": "weights"})
	mustTroveAs(t, a, "ana", "commit", "cnn", "--type", "model", "w")
	mustTroveAs(t, a, "ana", "registry", "create", "vision", "--types", "model", "-d", "vision models")
	mustTroveAs(t, a, "ana", "link", "cnn:latest", "registry/vision/detector", "--alias", "prod")
	mustTroveAs(t, a, "ana", "link", "cnn:latest", "registry/model/classifier")
	mustTroveAs(t, a, "ana", "push")
	return url, a, b
}

// TestRegistryCommandsFetchOnDemand: in a project that has never fetched,
// the registry commands that name a registry read the remote's, as the
// version commands do for artifacts: show finds what a teammate pushed,
// create refuses a name the remote has taken (instead of starting a
// second registry of that name that would conflict at the next push),
// and alias and link change the remote's collection. registry ls, which
// names none, says that the remote's are not fetched.
func TestRegistryCommandsFetchOnDemand(t *testing.T) {
	_, _, b := unfetchedRegistries(t)

	out := mustTroveAs(t, b, "bob", "registry", "ls")
	if !strings.Contains(out, "the registries of remote origin are not fetched here yet: 'trove fetch' brings them") {
		t.Errorf("registry ls before any fetch does not say the remote's are missing:\n%s", out)
	}

	var g registryJSON
	troveJSON(t, b, &g, "registry", "show", "vision")
	if g.Description != "vision models" || len(g.Collections) != 1 || g.Collections[0].Name != "detector" {
		t.Fatalf("registry show vision in a project that never fetched: %+v", g)
	}
	var c collectionJSON
	troveJSON(t, b, &c, "registry", "show", "registry/model/classifier")
	if c.Links != 1 || c.Latest != "v0" {
		t.Fatalf("registry show of a core registry's collection pushed elsewhere: %+v", c)
	}
	out = mustTroveAs(t, b, "bob", "registry", "ls")
	if strings.Contains(out, "not fetched") || !strings.Contains(out, "vision") {
		t.Errorf("registry ls after the registries came:\n%s", out)
	}

	r := troveAs(t, b, "bob", "registry", "create", "vision", "--any-type")
	if r.code == 0 || !strings.Contains(r.stderr, "vision") || !strings.Contains(r.stderr, "exists") {
		t.Errorf("registry create of a name the remote has: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestRegistryAliasFetchesFirst: an alias set in a project that never
// fetched the registry lands on the remote's collection, and the push
// that follows is clean.
func TestRegistryAliasFetchesFirst(t *testing.T) {
	_, a, b := unfetchedRegistries(t)
	mustTroveAs(t, b, "bob", "registry", "alias", "set", "registry/vision/detector:v0", "staging")
	mustTroveAs(t, b, "bob", "push")
	mustTroveAs(t, a, "ana", "fetch")
	var c collectionJSON
	troveJSON(t, a, &c, "registry", "show", "registry/vision/detector")
	if c.Aliases["staging"] != "v0" || c.Aliases["prod"] != "v0" {
		t.Fatalf("aliases after bob's push: %v", c.Aliases)
	}
}

// TestRegistryShowOffline: with the remote out of reach, registry show
// still answers with what is here, and warns that it could not fetch;
// a registry known nowhere here is an error that says both.
func TestRegistryShowOffline(t *testing.T) {
	url, _, b := unfetchedRegistries(t)
	dir := strings.TrimPrefix(url, "file://")
	if err := os.Rename(dir, dir+".away"); err != nil {
		t.Fatal(err)
	}
	r := troveAs(t, b, "bob", "registry", "show", "model")
	if r.code != 0 || !strings.Contains(r.stdout, "model") {
		t.Fatalf("registry show model offline: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "warning: registry model is not here and could not be fetched") {
		t.Errorf("registry show offline does not warn:\n%s", r.stderr)
	}
	r = troveAs(t, b, "bob", "registry", "show", "vision")
	if r.code == 0 || !strings.Contains(r.stderr, "could not be fetched") || !strings.Contains(r.stderr, `no such registry: "vision"`) {
		t.Errorf("registry show of a registry known nowhere here, offline: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
