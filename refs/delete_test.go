package refs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trove-ml/trove/objects"
)

func TestDeleteAndTTL(t *testing.T) {
	ctx := context.Background()
	r := New(newMemKV())
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		_, err := r.Commit(ctx, CommitRequest{Name: "m", Type: "model", Record: objects.ID{byte(i)}, Root: objects.ID{byte(i + 10)}, Created: at})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := r.SetAlias(ctx, "m", "v1", "best"); err != nil {
		t.Fatal(err)
	}
	if err := r.SetTTL(ctx, "m", []int{0, 1}, "30d"); err != nil {
		t.Fatal(err)
	}
	// A refusing check deletes nothing.
	refuse := errors.New("held")
	_, err := r.Delete(ctx, DeleteRequest{Name: "m", Versions: []int{0, 1}, Reason: ReasonDeleted,
		Check: func(l *Log, v Version) error {
			if len(l.AliasesOf(v.N)) > 0 {
				return refuse
			}
			return nil
		}})
	if !errors.Is(err, refuse) {
		t.Fatalf("delete of an aliased version: %v", err)
	}
	l, _ := r.Log(ctx, "m")
	if v, _ := l.Version(0); v.State != StateLive || v.TTL != "30d" {
		t.Fatalf("v0 after a refused delete: %+v", v)
	}
	done, err := r.Delete(ctx, DeleteRequest{Name: "m", Versions: []int{1}, Reason: ReasonExpired, At: func(Version) time.Time { return at.Add(30 * 24 * time.Hour) }})
	if err != nil || len(done) != 1 {
		t.Fatalf("delete: %v %v", done, err)
	}
	l, _ = r.Log(ctx, "m")
	if _, ok := l.Aliases["best"]; ok {
		t.Fatal("alias of a deleted version kept")
	}
	_, err = l.Resolve("v1")
	if !errors.Is(err, ErrDeleted) || !strings.Contains(err.Error(), "expired on 2026-03-31") {
		t.Fatalf("resolve v1: %v", err)
	}
	// Again: nothing to do, no error, no write.
	before := l.Counter
	if done, err := r.Delete(ctx, DeleteRequest{Name: "m", Versions: []int{1}, Reason: ReasonDeleted}); err != nil || len(done) != 0 {
		t.Fatalf("second delete: %v %v", done, err)
	}
	if l, _ = r.Log(ctx, "m"); l.Counter != before {
		t.Fatal("a delete of nothing wrote the log")
	}
	if err := r.SetTTL(ctx, "m", []int{1}, "never"); !errors.Is(err, ErrDeleted) {
		t.Fatalf("ttl of a deleted version: %v", err)
	}
	if _, err := r.Delete(ctx, DeleteRequest{Name: "m", Versions: []int{7}}); !errors.Is(err, ErrNoVersion) {
		t.Fatalf("delete v7: %v", err)
	}
	// Numbers are never reused.
	res, _ := r.Commit(ctx, CommitRequest{Name: "m", Type: "model", Record: objects.ID{9}, Root: objects.ID{19}, Created: at})
	if res.Version.N != 3 {
		t.Fatalf("next version v%d", res.Version.N)
	}
	// Old logs (no ttl, no deletion fields) still decode; a live version
	// carrying a deletion does not.
	if _, err := DecodeLog([]byte(`{"format":1,"type":"t","counter":1,"next":1,"versions":[{"n":0,"record":"` + strings.Repeat("00", 32) + `","root":"` + strings.Repeat("00", 32) + `","created":"2026-01-01T00:00:00Z","state":"live"}]}`)); err != nil {
		t.Fatalf("old log: %v", err)
	}
	if _, err := DecodeLog([]byte(`{"format":1,"type":"t","counter":1,"next":1,"versions":[{"n":0,"record":"` + strings.Repeat("00", 32) + `","root":"` + strings.Repeat("00", 32) + `","created":"2026-01-01T00:00:00Z","state":"live","reason":"expired"}]}`)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("live version with a reason: %v", err)
	}
}

func TestMergeTTL(t *testing.T) {
	rec := func(b byte) objects.ID { return objects.ID{b} }
	v := func(n int, r byte, ttl string) Version {
		return Version{N: n, Record: rec(r), Root: rec(r + 100), State: StateLive, TTL: ttl}
	}
	base := &Log{Type: "t", Next: 2, Versions: []Version{v(0, 1, ""), v(1, 2, "")}}
	local := &Log{Type: "t", Next: 2, Versions: []Version{v(0, 1, "never"), v(1, 2, "1d")}}
	remote := &Log{Type: "t", Next: 2, Versions: []Version{v(0, 1, ""), v(1, 2, "7d")}}
	m, err := Merge(base, local, remote, MergeOptions{Include: func(Version) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Remote.Versions[0].TTL; got != "never" {
		t.Errorf("a local TTL change did not reach the remote: %q", got)
	}
	if got := m.Remote.Versions[1].TTL; got != "7d" || len(m.Conflicts) != 1 {
		t.Errorf("conflicting TTLs: kept %q, conflicts %v", got, m.Conflicts)
	}
	// A local deletion carries its reason.
	local.Versions[0].State, local.Versions[0].Reason = StateDeleted, ReasonExpired
	m, _ = Merge(base, local, remote, MergeOptions{Include: func(Version) bool { return true }})
	if v := m.Remote.Versions[0]; v.State != StateDeleted || v.Reason != ReasonExpired {
		t.Errorf("deletion pushed as %+v", v)
	}
}
