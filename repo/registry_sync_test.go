package repo

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/registry"
	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/faulty"
	"github.com/trove-ml/trove/remote/file"
)

// linkLatest links the latest version of artifact name into
// registry/REG/COLL as user.
func linkLatest(t *testing.T, r *Repo, user, name, reg, coll string) {
	t.Helper()
	ctx := context.Background()
	v, err := r.Resolve(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	_, err = registry.New(r.RefsKV(), registry.Options{User: user}).Link(ctx, registry.LinkRequest{
		Registry: reg, Collection: coll, Artifact: v.Name, Version: v.Version.N, Type: v.Record.Type, Record: v.Version.Record,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func liveLinks(t *testing.T, r *Repo, reg, coll string) int {
	t.Helper()
	c, err := registry.New(r.RefsKV(), registry.Options{}).Collection(context.Background(), reg, coll)
	if err != nil {
		t.Fatal(err)
	}
	return c.LiveCount()
}

// TestRegistrySyncGoesOn: a registry that cannot be merged (here: its
// local ref is damaged) is reported by push and fetch, which sync every
// other registry all the same: before, the first failing registry ended
// the loop, and the registries after it were never pushed or fetched.
func TestRegistrySyncGoesOn(t *testing.T) {
	ctx := context.Background()
	_, open := fileRemote(t)
	a := open()
	commitAndPush(t, a, "ds", map[string][]byte{"a.txt": []byte("a")})
	if _, err := registry.New(a.RefsKV(), registry.Options{User: "ana"}).Create(ctx, registry.CreateRequest{Name: "aaa", AnyType: true}); err != nil {
		t.Fatal(err)
	}
	linkLatest(t, a, "ana", "ds", "aaa", "c")
	linkLatest(t, a, "ana", "ds", registry.CoreDataset, "c")
	if _, err := a.Push(ctx, PushOptions{}); err != nil {
		t.Fatal(err)
	}
	b := open()
	if _, err := b.Fetch(ctx, FetchOptions{}); err != nil {
		t.Fatal(err)
	}
	// b links a version of its own; then b's "aaa" (which sorts first) is
	// damaged, and a links a new version.
	linkLatest(t, b, "bob", "ds:v0", registry.CoreDataset, "mine")
	err := b.RefsKV().Update(ctx, func(tx refs.Txn) error { return tx.Set([]byte("registry/aaa"), []byte("{damaged")) })
	if err != nil {
		t.Fatal(err)
	}
	commitAndPush(t, a, "ds", map[string][]byte{"a.txt": []byte("a2")})
	linkLatest(t, a, "ana", "ds", registry.CoreDataset, "c")
	if _, err := a.Push(ctx, PushOptions{}); err != nil {
		t.Fatal(err)
	}

	res, err := b.Fetch(ctx, FetchOptions{})
	if err == nil || !strings.Contains(err.Error(), "1 registry not fetched (the others were): registry aaa:") {
		t.Fatalf("fetch with a damaged registry: %v", err)
	}
	if res == nil || len(res.RegistryErrors) != 1 || !strings.HasPrefix(res.RegistryErrors[0], "registry aaa: ") {
		t.Fatalf("fetch result: %+v", res)
	}
	if n := liveLinks(t, b, registry.CoreDataset, "c"); n != 2 {
		t.Fatalf("registry dataset after fetch: %d links, want the remote's 2", n)
	}

	pres, err := b.Push(ctx, PushOptions{})
	if err == nil || !strings.Contains(err.Error(), "1 registry not pushed (the others were): registry aaa:") {
		t.Fatalf("push with a damaged registry: %v", err)
	}
	if len(pres.RegistryErrors) != 1 {
		t.Fatalf("push result: %+v", pres)
	}
	if _, err := a.Fetch(ctx, FetchOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := liveLinks(t, a, registry.CoreDataset, "mine"); n != 1 {
		t.Fatalf("b's link did not reach the remote: %d links", n)
	}
}

// TestFetchSkipsBadRegistryNames: a registry ref on the remote under a
// name no trove gives a registry is skipped, as such artifact logs are,
// and never becomes a local ref (which would break every later listing
// of registries here).
func TestFetchSkipsBadRegistryNames(t *testing.T) {
	ctx := context.Background()
	bucketDir, open := fileRemote(t)
	a := open()
	commitAndPush(t, a, "ds", map[string][]byte{"a.txt": []byte("a")})
	linkLatest(t, a, "ana", "ds", registry.CoreDataset, "c")
	if _, err := a.Push(ctx, PushOptions{}); err != nil {
		t.Fatal(err)
	}
	regFile := filepath.Join(bucketDir, "refs", "registry", registry.CoreDataset)
	body, err := os.ReadFile(regFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"sub/deep", "bad name"} {
		write(t, filepath.Join(filepath.Dir(regFile), filepath.FromSlash(bad)), body)
	}
	b := open()
	res, err := b.Fetch(ctx, FetchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Skipped) != 2 || !strings.Contains(strings.Join(res.Skipped, "\n"), "registry/bad name") {
		t.Errorf("skipped %q, want both bad names", res.Skipped)
	}
	es, err := registry.New(b.RefsKV(), registry.Options{}).List(ctx)
	if err != nil {
		t.Fatalf("registries here after the fetch: %v", err)
	}
	if len(es) != 2 || es[0].Registry.Collections["c"] == nil {
		t.Errorf("registries here: %+v", es)
	}
}

// TestRegistriesReadOnce: a push or fetch reads each remote registry once.
// It reads them all to learn which versions their links hold
// (remoteHolds) and syncs them after; the sync starts from those reads,
// where it used to list and read every registry a second time.
func TestRegistriesReadOnce(t *testing.T) {
	ctx := context.Background()
	b, err := file.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fb := faulty.New(b) // no faults: it counts the calls
	open := openWithRemote(t, Options{}, func() (remote.Bucket, error) { return fb, nil })
	a := open()
	commitAndPush(t, a, "ds", map[string][]byte{"a.txt": []byte("a")})
	regs := registry.New(a.RefsKV(), registry.Options{User: "ana"})
	addRegistries := func(names ...string) {
		t.Helper()
		for _, n := range names {
			if _, err := regs.Create(ctx, registry.CreateRequest{Name: n, AnyType: true}); err != nil {
				t.Fatal(err)
			}
			linkLatest(t, a, "ana", "ds", n, "c")
		}
		if _, err := a.Push(ctx, PushOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// reads counts the Gets and Stats of a push and of a fetch that change
	// nothing.
	reads := func() (push, fetch int) {
		t.Helper()
		before := fb.Calls(faulty.Get) + fb.Calls(faulty.Stat)
		if _, err := a.Push(ctx, PushOptions{}); err != nil {
			t.Fatal(err)
		}
		mid := fb.Calls(faulty.Get) + fb.Calls(faulty.Stat)
		if _, err := a.Fetch(ctx, FetchOptions{}); err != nil {
			t.Fatal(err)
		}
		return mid - before, fb.Calls(faulty.Get) + fb.Calls(faulty.Stat) - mid
	}
	addRegistries("r1")
	push1, fetch1 := reads()
	addRegistries("r2", "r3", "r4")
	push4, fetch4 := reads()
	// Reading one registry costs a Stat and a Get (remote.GetRef).
	if got := (push4 - push1) / 3; got != 2 {
		t.Errorf("a push reads each more registry with %d requests, want 2 (%d for one registry, %d for four)", got, push1, push4)
	}
	if got := (fetch4 - fetch1) / 3; got != 2 {
		t.Errorf("a fetch reads each more registry with %d requests, want 2 (%d for one registry, %d for four)", got, fetch1, fetch4)
	}
}
