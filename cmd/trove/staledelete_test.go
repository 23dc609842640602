package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStaleDeletionsDoNotReachRemote: a clone that has not fetched since
// another one linked a version, extended its TTL or aliased it, expires or
// deletes it on what it knew; its push must not delete it on the remote,
// and says so. (A registry link that turned the TTL off, a protected
// alias and a `ttl set never` were all lost this way.)
func TestStaleDeletionsDoNotReachRemote(t *testing.T) {
	_, x, y := sharingRemote(t)
	src := t.TempDir()
	for i, name := range []string{"linked", "extended", "aliased", "plain"} {
		writeFiles(t, src, map[string]string{"w.bin": name + strings.Repeat("x", i)})
		ttl := "1s"
		if name == "aliased" || name == "plain" {
			ttl = "never"
		}
		mustTrove(t, x, "commit", name, "--type", "model", src, "--ttl", ttl)
	}
	mustTrove(t, x, "push")

	// y, up to date, holds three of them in three ways, and pushes.
	mustTrove(t, y, "fetch")
	mustTrove(t, y, "link", "linked:v0", "registry/model/clf", "--alias", "best")
	mustTrove(t, y, "ttl", "set", "extended:v0", "never")
	mustTrove(t, y, "alias", "set", "aliased:v0", "prod")
	mustTrove(t, y, "push")

	// x, stale, expires two of them and deletes the other two, then pushes.
	time.Sleep(1100 * time.Millisecond)
	gc := mustTrove(t, x, "gc")
	if !strings.Contains(gc, "expired linked:v0") || !strings.Contains(gc, "expired extended:v0") {
		t.Fatalf("x's gc did not expire the stale versions:\n%s", gc)
	}
	mustTrove(t, x, "delete", "aliased:v0")
	mustTrove(t, x, "delete", "plain:v0")
	var res pushJSON
	troveJSON(t, x, &res, "push")
	why := map[string]string{}
	for _, a := range res.Artifacts {
		for _, k := range a.Kept {
			why[a.Name+":"+k.Version] = k.Why
		}
	}
	for name, want := range map[string]string{
		"linked:v0":   "registry/model/clf:v0 links it on origin",
		"extended:v0": "its TTL was set to never on the remote",
		"aliased:v0":  `alias "prod" was set on it on the remote`,
	} {
		if !strings.Contains(why[name], want) {
			t.Errorf("push kept %s for %q, want %q", name, why[name], want)
		}
	}
	if _, ok := why["plain:v0"]; ok || len(why) != 3 {
		t.Errorf("push kept %v; plain:v0, which nothing holds, must go", why)
	}
	text := mustTrove(t, x, "push")
	if strings.Contains(text, "was not deleted") {
		t.Errorf("a second push reports the kept versions again:\n%s", text)
	}

	// Everyone still gets the held versions; the plain one is gone.
	mustTrove(t, y, "fetch")
	for _, name := range []string{"registry/model/clf:best", "extended:v0", "aliased:prod"} {
		mustTrove(t, y, "pull", name, "-o", filepath.Join(t.TempDir(), "out"))
	}
	// Live again where they went; the link (which turns linked:v0's TTL
	// off) comes with a fetch.
	mustTrove(t, x, "fetch")
	for _, name := range []string{"linked:v0", "extended:v0", "aliased:prod", "registry/model/clf:best"} {
		mustTrove(t, x, "pull", name, "-o", filepath.Join(t.TempDir(), "out"))
	}
	if gc := mustTrove(t, x, "gc"); strings.Contains(gc, "expired") {
		t.Errorf("x's gc after the fetch expires again:\n%s", gc)
	}
	if r := trove(t, y, "show", "plain:v0"); r.code == 0 || !strings.Contains(r.stderr, "deleted") {
		t.Errorf("plain:v0 on the remote: exit %d, %s", r.code, r.stderr)
	}
}

// TestFirstPushKeepsNumbers: versions deleted before the first push do not
// hand their numbers to the versions after them.
func TestFirstPushKeepsNumbers(t *testing.T) {
	dir := newProject(t)
	for i := range 4 {
		writeFiles(t, dir, map[string]string{"f": strings.Repeat("n", i+1)})
		mustTrove(t, dir, "commit", "a", "--type", "dataset", filepath.Join(dir, "f"))
	}
	mustTrove(t, dir, "delete", "a:v0")
	mustTrove(t, dir, "delete", "a:v1")
	mustTrove(t, dir, "gc")
	url := fileRemote(t)
	mustTrove(t, dir, "remote", "add", "origin", url)
	var res pushJSON
	troveJSON(t, dir, &res, "push")
	if len(res.Artifacts) != 1 || strings.Join(res.Artifacts[0].Versions, ",") != "v2,v3" || len(res.Artifacts[0].Renumbered) != 0 {
		t.Fatalf("push: %+v, want v2 and v3 pushed as themselves", res.Artifacts)
	}
	other := newProject(t)
	mustTrove(t, other, "remote", "add", "origin", url)
	mustTrove(t, other, "fetch")
	out := filepath.Join(t.TempDir(), "out")
	mustTrove(t, other, "pull", "a:v3", "-o", out)
	if b, err := os.ReadFile(filepath.Join(out, "f")); err != nil || string(b) != "nnnn" {
		t.Errorf("a:v3 on the remote holds %q (%v), want the fourth commit's", b, err)
	}
	if r := trove(t, other, "show", "a:v0"); r.code == 0 || !strings.Contains(r.stderr, "deleted") {
		t.Errorf("a:v0 on the remote: exit %d, %s; want deleted", r.code, r.stderr)
	}
}

// TestDamagedRemoteRegistryHoldsDeletions: a registry on the remote that
// cannot be read may link any version, so deletions wait for it: the
// push says so and exits 1, the version stays deleted here, and the push
// after the registry is readable again takes the deletion.
func TestDamagedRemoteRegistryHoldsDeletions(t *testing.T) {
	url := fileRemote(t)
	x := newProject(t)
	mustTrove(t, x, "remote", "add", "origin", url)
	writeFiles(t, x, map[string]string{"d/w": "weights"})
	mustTrove(t, x, "commit", "m", "--type", "model", filepath.Join(x, "d"))
	mustTrove(t, x, "link", "m:v0", "registry/model/clf")
	mustTrove(t, x, "push")
	reg := filepath.Join(strings.TrimPrefix(url, "file://"), "refs", "registry", "model")
	good, err := os.ReadFile(reg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(reg, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustTrove(t, x, "unlink", "registry/model/clf:v0")
	mustTrove(t, x, "delete", "m:v0")
	var res pushJSON
	r := trove(t, x, "push", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("push --json: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if r.code == 0 || len(res.Artifacts) != 1 || len(res.Artifacts[0].Pending) != 1 || !strings.Contains(res.Artifacts[0].Pending[0].Why, "registry model on origin") {
		t.Fatalf("push with a damaged remote registry: %+v (exit %d, %s)", res.Artifacts, r.code, r.stderr)
	}
	if r := trove(t, x, "show", "m:v0"); r.code == 0 {
		t.Fatal("the deletion was undone here")
	}
	if err := os.WriteFile(reg, good, 0o644); err != nil {
		t.Fatal(err)
	}
	mustTrove(t, x, "push")
	c := newProject(t)
	mustTrove(t, c, "remote", "add", "origin", url)
	mustTrove(t, c, "fetch")
	if r := trove(t, c, "show", "m:v0"); r.code == 0 || !strings.Contains(r.stderr, "deleted") {
		t.Errorf("once the registry was readable, the deletion did not reach the remote: exit %d %s", r.code, r.stderr)
	}
}

// TestLinkToRemoteDeletedVersion: a link made before this clone learnt
// that the remote deleted its version is not published (it would be a
// link to nothing, breaking the collection's aliases and latest for
// everyone); the push says so and exits 1.
func TestLinkToRemoteDeletedVersion(t *testing.T) {
	url, a, b := sharingRemote(t)
	src := t.TempDir()
	for i := range 2 {
		writeFiles(t, src, map[string]string{"w": strings.Repeat("w", i+1)})
		mustTrove(t, a, "commit", "cnn", "--type", "model", src)
	}
	mustTrove(t, a, "push")
	mustTrove(t, b, "fetch")
	mustTrove(t, a, "delete", "cnn:v0")
	mustTrove(t, a, "push")

	mustTrove(t, b, "link", "cnn:v0", "registry/model/clf", "--alias", "prod")
	mustTrove(t, b, "link", "cnn:v1", "registry/model/other")
	r := trove(t, b, "push")
	if r.code != exitError || !strings.Contains(r.stdout+r.stderr, "link of cnn:v0 as registry/model/clf:v0 not pushed: origin deleted that version; its aliases prod went with it") {
		t.Fatalf("push of a link to a version the remote deleted: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	c := newProject(t)
	mustTrove(t, c, "remote", "add", "origin", url)
	mustTrove(t, c, "fetch")
	if r := trove(t, c, "show", "registry/model/clf:prod"); r.code == 0 {
		t.Errorf("the dead link reached the remote:\n%s", r.stdout)
	}
	mustTrove(t, c, "show", "registry/model/other:latest") // the good link did
	if r := trove(t, b, "push"); r.code != 0 {
		t.Errorf("the next push: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestAliasOnRemoteDeletedVersion: an alias set here on a version the
// remote deleted meanwhile is not applied, and the push says so and
// exits 1 (it used to vanish silently).
func TestAliasOnRemoteDeletedVersion(t *testing.T) {
	_, a, b := sharingRemote(t)
	src := t.TempDir()
	for i := range 3 {
		writeFiles(t, src, map[string]string{"w": strings.Repeat("q", i+1)})
		mustTrove(t, a, "commit", "qq", "--type", "model", src)
	}
	mustTrove(t, a, "push")
	mustTrove(t, b, "fetch")
	mustTrove(t, a, "delete", "qq:v1")
	mustTrove(t, a, "push")
	mustTrove(t, b, "alias", "set", "qq:v1", "best2")
	r := trove(t, b, "push")
	if r.code != exitError || !strings.Contains(r.stdout+r.stderr, `alias "best2": set here on v1, which the remote deleted; not applied`) {
		t.Fatalf("push of an alias on a deleted version: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestPushListsWhatItPushed: a push lists the versions it put on the
// remote, not every version the remote already had.
func TestPushListsWhatItPushed(t *testing.T) {
	dir := newProject(t)
	mustTrove(t, dir, "remote", "add", "origin", fileRemote(t))
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"f": "1"})
	mustTrove(t, dir, "commit", "a", "--type", "dataset", src)
	mustTrove(t, dir, "push")
	writeFiles(t, src, map[string]string{"f": "2"})
	mustTrove(t, dir, "commit", "a", src)
	var res pushJSON
	troveJSON(t, dir, &res, "push")
	if len(res.Artifacts) != 1 || strings.Join(res.Artifacts[0].Versions, ",") != "v1" {
		t.Errorf("second push lists %+v, want only v1", res.Artifacts)
	}
	if out := mustTrove(t, dir, "push"); strings.Contains(out, "a:v0 -> origin") || strings.Contains(out, "a:v1 -> origin") {
		t.Errorf("a push with nothing new lists versions:\n%s", out)
	}
}

// TestUnlinkRefusedHoldsDeletion: a stale clone unlinks a link and deletes
// its version; meanwhile another clone set an alias on that link, so the
// registry merge does not apply the unlink, and the deletion must not go
// either (the link would name a deleted version).
func TestUnlinkRefusedHoldsDeletion(t *testing.T) {
	url, x, y := sharingRemote(t)
	src := t.TempDir()
	for i := range 2 {
		writeFiles(t, src, map[string]string{"w": strings.Repeat("m", i+1)})
		mustTrove(t, x, "commit", "m", "--type", "model", src)
	}
	mustTrove(t, x, "link", "m:v0", "registry/model/clf")
	mustTrove(t, x, "push")
	mustTrove(t, y, "fetch")
	mustTrove(t, y, "registry", "alias", "set", "registry/model/clf:v0", "prod")
	mustTrove(t, y, "push")

	mustTrove(t, x, "unlink", "registry/model/clf:v0")
	mustTrove(t, x, "delete", "m:v0")
	trove(t, x, "push") // exit 1: the unlink was not applied
	c := newProject(t)
	mustTrove(t, c, "remote", "add", "origin", url)
	mustTrove(t, c, "fetch")
	mustTrove(t, c, "pull", "registry/model/clf:prod", "-o", filepath.Join(t.TempDir(), "out"))
}
