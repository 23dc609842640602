package registry

import (
	"context"
	"testing"
	"time"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
)

// TestVersionsNow: a link names the version its record has now, not the
// number it had at link time; a deleted version says so, and a record or
// artifact that is not here is unknown.
func TestVersionsNow(t *testing.T) {
	ctx := context.Background()
	kv := newMemKV()
	rec := func(s string) objects.ID { return objects.Sum([]byte(s)) }
	t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	for _, r := range []string{"a", "b", "c"} {
		if _, err := refs.New(kv).Commit(ctx, refs.CommitRequest{Name: "cnn", Type: "model", Record: rec(r), Root: rec("root " + r), Created: t0}); err != nil {
			t.Fatal(err)
		}
	}
	rs := New(kv, Options{User: "ana", Now: func() time.Time { return t0 }})
	for _, req := range []LinkRequest{
		{Artifact: "cnn", Version: 1, Record: rec("b")},  // v0: renumbered to v3 below
		{Artifact: "cnn", Version: 0, Record: rec("a")},  // v1: deleted below
		{Artifact: "cnn", Version: 2, Record: rec("c")},  // v2: keeps its number
		{Artifact: "cnn", Version: 7, Record: rec("x")},  // v3: not in the log
		{Artifact: "gone", Version: 4, Record: rec("g")}, // v4: no such artifact
	} {
		req.Registry, req.Collection, req.Type = CoreModel, "c", "model"
		if _, err := rs.Link(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	// As after a fetch: b was someone else's v1 first, so ours is v3 now;
	// a was deleted.
	l, err := refs.New(kv).Log(ctx, "cnn")
	if err != nil {
		t.Fatal(err)
	}
	l.Versions[0].State, l.Versions[0].Reason, l.Versions[0].Deleted = refs.StateDeleted, refs.ReasonDeleted, t0
	b := l.Versions[1]
	l.Versions[1] = refs.Version{N: 1, Record: rec("theirs"), Root: rec("root theirs"), Created: t0, State: refs.StateLive}
	b.N = 3
	l.Versions = append(l.Versions, b)
	l.Next = 4
	if err := refs.New(kv).Replace(ctx, "cnn", l); err != nil {
		t.Fatal(err)
	}

	c, err := rs.Collection(ctx, CoreModel, "c")
	if err != nil {
		t.Fatal(err)
	}
	got, err := VersionsNow(ctx, kv, c)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]LinkedVersion{
		0: {3, refs.StateLive},
		1: {0, refs.StateDeleted},
		2: {2, refs.StateLive},
		3: {7, StateUnknown},
		4: {4, StateUnknown},
	}
	for n, w := range want {
		if got[n] != w {
			t.Errorf("link v%d names %+v now, want %+v", n, got[n], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d links, want %d", len(got), len(want))
	}
}
