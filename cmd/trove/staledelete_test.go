package main

import (
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
	url := fileRemote(t)
	x, y := newProject(t), newProject(t)
	for _, d := range []string{x, y} {
		mustTrove(t, d, "remote", "add", "origin", url)
	}
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
