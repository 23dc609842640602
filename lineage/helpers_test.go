package lineage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/repo"
)

// env is a repository with a lineage store on a fake clock.
type env struct {
	r     *repo.Repo
	s     *Store
	clock time.Time
}

// newEnv opens a fresh repository in a temp folder. The clock advances a
// minute on every reading, so ids sort in creation order.
func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	r, err := repo.Init(ctx, t.TempDir(), repo.InitOptions{Project: "p"}, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	e := &env{r: r, clock: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)}
	e.s = storeFor(r, func() time.Time { e.clock = e.clock.Add(time.Minute); return e.clock }, rand.NewChaCha8([32]byte{1}))
	return e
}

func storeFor(r *repo.Repo, now func() time.Time, rnd interface{ Read([]byte) (int, error) }) *Store {
	return New(Options{
		Refs: r.RefsKV(), Edges: r.MetaKV(repo.NSLineage), Objects: r.Store(), Logs: r.Refs(),
		Now: now, Rand: rnd,
	})
}

// recordOf is the (fake) record id of version name:vN in tests.
func recordOf(name string, n int) objects.ID {
	return objects.Sum(fmt.Appendf(nil, "record %s:v%d", name, n))
}

// version appends a version to artifact name's log and returns it.
func (e *env) version(t testing.TB, name, typ string) VersionRef {
	t.Helper()
	ctx := context.Background()
	n := 0
	if l, err := e.r.Refs().Log(ctx, name); err == nil {
		n = l.Next
	}
	res, err := e.r.Refs().Commit(ctx, refs.CommitRequest{
		Name: name, Type: typ, Record: recordOf(name, n), Root: objects.Sum(fmt.Appendf(nil, "root %s:v%d", name, n)),
		Created: e.clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	return VersionRef{Record: res.Version.Record, Artifact: name, Version: res.Version.N}
}
