package objects

import (
	"context"
	"testing"
)

// TestRemovalEpoch: every kind of removal moves the epoch on, reads and
// additions do not, a failed or empty removal does not, and the epoch
// survives a reopen.
func TestRemovalEpoch(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, Options{PackSize: 1 << 30, Dir: dir})
	want := uint64(1)
	check := func(what string) {
		t.Helper()
		if got := s.RemovalEpoch(); got != want {
			t.Fatalf("after %s: epoch %d, want %d", what, got, want)
		}
	}
	check("open")
	ids := putAll(t, s, testChunks("ep", 6, 20000))
	if _, _, err := s.Get(ctx, ids[0], nil); err != nil {
		t.Fatal(err)
	}
	check("put and get")

	if err := s.DropUnreachable(ctx, Drop{}); err != nil {
		t.Fatal(err)
	}
	check("an empty drop")

	var p ID
	for k := range packOf(t, s, ids) {
		p = k
	}
	if err := s.DeletePack(ctx, p, ids[:1]); err == nil {
		t.Fatal("DeletePack of a pack with live entries succeeded")
	}
	check("a refused delete")

	if err := s.DropUnreachable(ctx, Drop{Packed: ids[:2], Pack: []ID{p, p}}); err != nil {
		t.Fatal(err)
	}
	want++
	check("drop")
	info, err := s.RewritePack(ctx, p, ids[2:], ids[:2])
	if err != nil {
		t.Fatal(err)
	}
	want++
	check("rewrite")
	if err := s.DeletePack(ctx, info.ID, ids[2:]); err != nil {
		t.Fatal(err)
	}
	want++
	check("delete")
	if err := s.RebuildIndex(ctx); err != nil {
		t.Fatal(err)
	}
	want++
	check("index rebuild")

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, Options{PackSize: 1 << 30, Dir: dir})
	check("reopen")
}
