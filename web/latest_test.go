package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trove-ml/trove/repo"
)

// TestWebLatestSkipsExpired: "latest" in the UI is trove's "latest"
// (repo.Repo.Latest): the newest live version whose TTL has not run out.
// An artifact whose newest version expired shows the version below it as
// latest, in the list, on the versions page and at /artifacts/X/latest;
// one whose every version expired has no latest.
func TestWebLatestSkipsExpired(t *testing.T) {
	b := newBuilder(t)
	b.commit(repo.CommitOptions{Name: "ds", Type: "dataset", Paths: []string{b.files(map[string]string{"a": "old"})}})
	b.commit(repo.CommitOptions{Name: "ds", Type: "dataset", Paths: []string{b.files(map[string]string{"a": "new"})}, TTL: "1h"})
	b.commit(repo.CommitOptions{Name: "tmp", Type: "dataset", Paths: []string{b.files(map[string]string{"a": "tmp"})}, TTL: "1h"})
	f := b.done()
	// The server's clock, and the repository's, run two hours ahead: v1
	// of ds and v0 of tmp have expired (GC has not deleted them yet).
	later := func() time.Time { return time.Now().Add(2 * time.Hour) }
	serve(t, f, Options{
		Now: later,
		Open: func(ctx context.Context) (*repo.Repo, error) {
			return repo.Open(ctx, f.root, repo.Options{LockTimeout: 5 * time.Second, Now: later})
		},
	})

	var list artifactsView
	f.getJSON(t, "/artifacts", &list)
	latest := map[string]*versionNumber{}
	for _, a := range list.Artifacts {
		latest[a.Name] = a.Latest
	}
	if l := latest["ds"]; l == nil || *l != 0 {
		t.Errorf("artifact list: ds latest %v, want v0 (v1 expired)", l)
	}
	if l, ok := latest["tmp"]; !ok || l != nil {
		t.Errorf("artifact list: tmp latest %v (listed %v), want none (its only version expired)", l, ok)
	}

	var vs versionsView
	f.getJSON(t, "/artifacts/ds", &vs)
	aliases := map[versionNumber][]string{}
	for _, row := range vs.Versions {
		aliases[row.Version] = row.Aliases
		if row.Version == 1 && row.Remaining != "expired" {
			t.Errorf("versions page: v1 remaining %q, want expired", row.Remaining)
		}
	}
	if !strings.Contains(strings.Join(aliases[0], ","), "latest") || strings.Contains(strings.Join(aliases[1], ","), "latest") {
		t.Errorf("versions page: aliases %v, want latest on v0 only", aliases)
	}

	var v versionView
	f.getJSON(t, "/artifacts/ds/latest", &v)
	if v.Version != 0 || v.Record != f.recs["ds:v0"].String() {
		t.Errorf("/artifacts/ds/latest is %s (record %s), want v0 (%s)", v.Version, v.Record, f.recs["ds:v0"])
	}
	if resp, body := f.get(t, "/artifacts/ds/latest"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "ds</span>:v0") {
		t.Errorf("/artifacts/ds/latest: %s, want the page of ds:v0\n%s", resp.Status, body)
	}
	var lv lineageView
	f.getJSON(t, "/artifacts/ds/latest/lineage", &lv)
	if lv.Version != 0 {
		t.Errorf("/artifacts/ds/latest/lineage is of %s, want v0", lv.Version)
	}
	// Named by number, the expired version still shows: GC has not
	// deleted it.
	var v1 versionView
	f.getJSON(t, "/artifacts/ds/v1", &v1)
	if v1.Version != 1 || v1.Remaining != "expired" {
		t.Errorf("/artifacts/ds/v1: %s remaining %q, want v1 expired", v1.Version, v1.Remaining)
	}

	if resp, body := f.get(t, "/artifacts/tmp/latest"); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "expired") {
		t.Errorf("/artifacts/tmp/latest: %s, want 404 saying every version expired\n%s", resp.Status, body)
	}
}
