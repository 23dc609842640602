package main

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// browseSetup pushes two versions of artifact ds from one project and
// returns a second project that shares the remote and has fetched nothing.
func browseSetup(t *testing.T) (url, a, b string) {
	t.Helper()
	url, a, b = sharingRemote(t)
	writeFiles(t, a, map[string]string{"data/keep.txt": "same", "data/sub/x.csv": "1,2\n", "data/old.txt": "old"})
	mustTrove(t, a, "commit", "ds", "--type", "dataset", "data", "-m", "first")
	writeFiles(t, a, map[string]string{"data/sub/x.csv": "1,2,3\n", "data/new.txt": "new"})
	mustTrove(t, a, "commit", "ds", "--type", "dataset", "data", "--alias", "best")
	mustTrove(t, a, "push")
	return url, a, b
}

// TestBrowseFetchedVersion: a version fetched and not pulled has its
// record here and its trees and content on the remote; ls, manifest
// (both formats) and diff read them from there.
func TestBrowseFetchedVersion(t *testing.T) {
	url, a, b := browseSetup(t)
	mustTrove(t, b, "fetch")

	// Offline, it says what is missing and why it could not be had.
	dir := strings.TrimPrefix(url, "file://")
	if err := os.Rename(dir, dir+".away"); err != nil {
		t.Fatal(err)
	}
	if r := trove(t, b, "ls", "ds:best"); r.code != 1 || !strings.Contains(r.stderr, "ds:v1: ") || !strings.Contains(r.stderr, "was not pulled, and the remote could not be read") {
		t.Fatalf("ls of a fetched version with the remote away: exit %d, %q", r.code, r.stderr)
	}
	if err := os.Rename(dir+".away", dir); err != nil {
		t.Fatal(err)
	}

	if got, want := mustTrove(t, b, "ls", "ds:best"), mustTrove(t, a, "ls", "ds:best"); got != want {
		t.Fatalf("ls of the fetched version:\n%s\nwant, as in the project that made it:\n%s", got, want)
	}
	if got := mustTrove(t, b, "ls", "ds:v1", "sub"); !strings.Contains(got, "sub/x.csv") {
		t.Fatalf("ls ds:v1 sub: %q", got)
	}
	if got, want := mustTrove(t, b, "manifest", "ds:v0"), mustTrove(t, a, "manifest", "ds:v0"); got != want {
		t.Fatalf("manifest of the fetched version:\n%s\nwant:\n%s", got, want)
	}
	if got, want := mustTrove(t, b, "diff", "ds:v0", "ds:v1"), "+ new.txt\nM sub/x.csv\n"; got != want {
		t.Fatalf("diff of two fetched versions: %q, want %q", got, want)
	}

	// W&B's manifest needs each file's MD5, so the content comes too,
	// once: the MD5s are remembered, and the next export reads nothing,
	// so it works with the remote away.
	var wb struct {
		Contents map[string]struct{ Digest string } `json:"contents"`
	}
	first := mustTrove(t, b, "manifest", "ds:v1", "--format", "wandb")
	if err := json.Unmarshal([]byte(first), &wb); err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum([]byte("1,2,3\n"))
	if got, want := wb.Contents["sub/x.csv"].Digest, base64.StdEncoding.EncodeToString(sum[:]); got != want {
		t.Fatalf("W&B digest of sub/x.csv: %q, want %q", got, want)
	}
	mustTrove(t, b, "cache", "prune", "--to", "0")
	if err := os.Rename(dir, dir+".away"); err != nil {
		t.Fatal(err)
	}
	if again := mustTrove(t, b, "manifest", "ds:v1", "--format", "wandb"); again != first {
		t.Fatalf("second export, content evicted and remote away:\n%s\nwant\n%s", again, first)
	}
	if err := os.Rename(dir+".away", dir); err != nil {
		t.Fatal(err)
	}
	mustTrove(t, b, "fsck")
}

// TestBrowseUnfetched: in a project that has never fetched, the read
// commands fetch the artifact they are asked about, as pull does.
func TestBrowseUnfetched(t *testing.T) {
	url, _, b := browseSetup(t)
	if got := mustTrove(t, b, "log"); !strings.Contains(got, "trove fetch") {
		t.Fatalf("log in a project with a remote and nothing fetched should say to fetch: %q", got)
	}
	if got := mustTrove(t, b, "log", "ds"); !strings.Contains(got, "v1") || !strings.Contains(got, "first") {
		t.Fatalf("log ds: %q", got)
	}
	b2 := projectOn(t, url)
	var show struct{ Version, Description string }
	troveJSON(t, b2, &show, "show", "ds:v0")
	if show.Version != "v0" || show.Description != "first" {
		t.Fatalf("show ds:v0 in a project that never fetched: %+v", show)
	}
	b3 := projectOn(t, url)
	if got := mustTrove(t, b3, "ls", "ds:best"); !strings.Contains(got, "new.txt") {
		t.Fatalf("ls ds:best in a project that never fetched: %q", got)
	}

	b4 := projectOn(t, url)
	if got := mustTrove(t, b4, "lineage", "ds:v1"); !strings.Contains(got, "ds:v1") {
		t.Fatalf("lineage ds:v1 in a project that never fetched: %q", got)
	}

	r := trove(t, b3, "show", "nosuch")
	if r.code != 2 || !strings.Contains(r.stderr, `"nosuch", here or on remote origin`) {
		t.Fatalf("show of an artifact neither here nor on the remote: exit %d, %q", r.code, r.stderr)
	}
}

// projectOn returns a new project whose remote origin is url, which has
// fetched nothing from it.
func projectOn(t *testing.T, url string) string {
	t.Helper()
	dir := newProject(t)
	mustTrove(t, dir, "remote", "add", "origin", url)
	return dir
}

// TestRegistryPathUnfetched: in a project that has never fetched, a
// registry path resolves, as in W&B's download from a registry: the
// registry comes from the remote with the artifacts it links.
func TestRegistryPathUnfetched(t *testing.T) {
	url, a, b := sharingRemote(t)
	writeFiles(t, a, map[string]string{"w/m.bin": "weights"})
	mustTrove(t, a, "commit", "cnn", "--type", "model", "w")
	mustTrove(t, a, "link", "cnn:v0", "registry/model/classifier", "--alias", "production")
	mustTrove(t, a, "push")

	out := filepath.Join(b, "out")
	mustTrove(t, b, "pull", "acme/wandb-registry-model/classifier:production", "-o", out)
	if got, err := os.ReadFile(filepath.Join(out, "m.bin")); err != nil || string(got) != "weights" {
		t.Fatalf("pull by registry path in a project that never fetched: %q, %v", got, err)
	}
	c := projectOn(t, url)
	if got := mustTrove(t, c, "show", "registry/model/classifier:latest"); !strings.Contains(got, "cnn:v0") {
		t.Fatalf("show by registry path in a project that never fetched:\n%s", got)
	}
	if r := trove(t, c, "show", "registry/model/nosuch:latest"); r.code != 2 || !strings.Contains(r.stderr, "no such collection") {
		t.Fatalf("show of a collection neither here nor there: exit %d, %q", r.code, r.stderr)
	}
}

// TestChangeUnfetched: aliases, tags and TTLs can be changed in a project
// that has never fetched: the artifact comes from the remote first, and
// the change goes back with the next push.
func TestChangeUnfetched(t *testing.T) {
	_, a, b := browseSetup(t)
	mustTrove(t, b, "alias", "set", "ds:v0", "gold")
	mustTrove(t, b, "tag", "add", "ds:v1", "reviewed")
	if got := mustTrove(t, b, "ttl", "show", "ds"); !strings.Contains(got, "v1") {
		t.Fatalf("ttl show ds in a project that never fetched:\n%s", got)
	}
	mustTrove(t, b, "push")
	mustTrove(t, a, "fetch")
	var v0, v1 struct {
		Aliases, Tags []string
	}
	troveJSON(t, a, &v0, "show", "ds:v0")
	troveJSON(t, a, &v1, "show", "ds:v1")
	if !slices.Contains(v0.Aliases, "gold") || !slices.Contains(v1.Tags, "reviewed") {
		t.Fatalf("changes made in a project that never fetched did not reach the remote: v0 %+v, v1 %+v", v0, v1)
	}
}

// TestVerifyUnfetched: a folder pulled elsewhere is verified in a project
// that has never fetched: the version comes from the remote, and its
// trees are read from there.
func TestVerifyUnfetched(t *testing.T) {
	_, a, b := browseSetup(t)
	out := filepath.Join(a, "out")
	mustTrove(t, a, "pull", "ds:best", "-o", out)
	if got := mustTrove(t, b, "verify", "ds:best", out); !strings.Contains(got, "matches") {
		t.Fatalf("verify in a project that never fetched: %q", got)
	}
	writeFiles(t, out, map[string]string{"new.txt": "edited"})
	if r := trove(t, b, "verify", "ds:best", out); r.code != 3 || !strings.Contains(r.stdout, "new.txt") {
		t.Fatalf("verify of a changed folder: exit %d, %q", r.code, r.stdout)
	}
}
