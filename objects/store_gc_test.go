package objects

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"
	"time"
)

// packOf returns the pack each id is indexed in.
func packOf(t *testing.T, s *Store, ids []ID) map[ID][]ID {
	t.Helper()
	out := map[ID][]ID{}
	for _, id := range ids {
		e, ok, err := s.lookup(id)
		if err != nil || !ok {
			t.Fatalf("lookup %s: %v %v", id, ok, err)
		}
		out[e.Pack] = append(out[e.Pack], id)
	}
	return out
}

func checkOK(t *testing.T, s *Store, wantWarnings int) {
	t.Helper()
	r, err := s.Check(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || len(r.Warnings) != wantWarnings {
		t.Fatalf("check: problems %v, warnings %v (want %d)", r.Problems, r.Warnings, wantWarnings)
	}
}

func TestRewritePack(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{PackSize: 1 << 30})
	chunks := testChunks("rw", 8, 20000)
	ids := putAll(t, s, chunks)
	packs := packOf(t, s, ids)
	if len(packs) != 1 {
		t.Fatalf("want one pack, got %d", len(packs))
	}
	var old ID
	for p := range packs {
		old = p
	}
	keep, drop := ids[:3], ids[3:]
	info, err := s.RewritePack(ctx, old, keep, drop)
	if err != nil {
		t.Fatal(err)
	}
	if info.Count != 3 || info.ID == old {
		t.Fatalf("new pack %+v", info)
	}
	if _, err := os.Stat(s.PackPath(old)); !os.IsNotExist(err) {
		t.Fatalf("old pack still there: %v", err)
	}
	for i, id := range keep {
		b, _, err := s.Get(ctx, id, nil)
		if err != nil || !slices.Equal(b, chunks[i]) {
			t.Fatalf("kept blob %d: %v", i, err)
		}
	}
	for _, id := range drop {
		if ok, _ := s.Has(id); ok {
			t.Fatalf("dropped blob %s still indexed", id)
		}
	}
	checkOK(t, s, 0)
}

func TestDeletePackRefusesLiveEntries(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{PackSize: 1 << 30})
	ids := putAll(t, s, testChunks("del", 4, 20000))
	var p ID
	for k := range packOf(t, s, ids) {
		p = k
	}
	if err := s.DeletePack(ctx, p, ids[:2]); err == nil {
		t.Fatal("deleted a pack with live index entries")
	}
	checkOK(t, s, 0)
	if err := s.DeletePack(ctx, p, ids); err != nil {
		t.Fatal(err)
	}
	checkOK(t, s, 0)
	if err := s.DeletePack(ctx, p, ids); err != nil { // a retried GC
		t.Fatalf("deleting a deleted pack: %v", err)
	}
}

// TestRewriteCrashPoints recreates the states a crash inside RewritePack
// leaves, by its written order: after the new pack is installed but before
// the index batch (a stray new pack), and after the batch but before the
// old file is removed (a stray old pack). Check passes with a warning, and
// GC's stray removal (RemoveStrayPack) cleans up.
func TestRewriteCrashPoints(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, Options{Dir: dir, PackSize: 1 << 30})
	ids := putAll(t, s, testChunks("crash", 6, 20000))
	var old ID
	for k := range packOf(t, s, ids) {
		old = k
	}

	// Crash 1: new pack durable, not indexed.
	np, err := s.writeRepacked(ctx, old, ids[:2])
	if err != nil {
		t.Fatal(err)
	}
	checkOK(t, s, 1)
	if err := s.RemoveStrayPack(ctx, np.info.ID); err != nil {
		t.Fatal(err)
	}
	checkOK(t, s, 0)

	// Crash 2: batch committed, old file not yet removed.
	saved, err := os.ReadFile(s.PackPath(old))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RewritePack(ctx, old, ids[:2], ids[2:]); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.PackPath(old), saved, 0o444); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openStore(t, Options{Dir: dir, PackSize: 1 << 30})
	checkOK(t, s, 1)
	if err := s.RemoveStrayPack(ctx, old); err != nil {
		t.Fatal(err)
	}
	checkOK(t, s, 0)
	if err := s.RemoveStrayPack(ctx, packOfIDs(t, s, ids[:1])); !errors.Is(err, ErrNotStray) {
		t.Fatalf("RemoveStrayPack of a pack the index names = %v, want ErrNotStray", err)
	}
}

func packOfIDs(t *testing.T, s *Store, ids []ID) ID {
	for p := range packOf(t, s, ids) {
		return p
	}
	return ID{}
}

func TestDropUnreachable(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{PackSize: 1 << 30})
	ids := putAll(t, s, testChunks("drop", 3, 20000))
	w := s.NewWriter()
	blob, err := w.PutBlob(ctx, TypeTree, []byte("a tree"))
	if err != nil {
		t.Fatal(err)
	}
	w.SetFileMap(ids[0], blob)
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	p := packOfIDs(t, s, ids)
	// An entry that names another pack than the caller saw stays.
	err = s.DropUnreachable(ctx, Drop{Packed: ids[:2], Pack: []ID{p, {1}}, Inline: []ID{blob}, FileMaps: []ID{ids[0]}})
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Has(ids[0]); ok {
		t.Fatal("entry 0 not dropped")
	}
	if ok, _ := s.Has(ids[1]); !ok {
		t.Fatal("entry 1 dropped though it names another pack than given")
	}
	if ok, _ := s.Has(blob); ok {
		t.Fatal("inline blob not dropped")
	}
	if _, ok, _ := s.FileMap(ids[0]); ok {
		t.Fatal("file map key not dropped")
	}
	checkOK(t, s, 0)
}

func TestAccessTimes(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := openStore(t, Options{PackSize: 1 << 30, Now: func() time.Time { return now }})
	ids := putAll(t, s, testChunks("at", 2, 20000))
	p := packOfIDs(t, s, ids)
	read := func() time.Time {
		var got time.Time
		if err := s.PackAccess(ctx, func(id ID, at time.Time) error {
			if id == p {
				got = at
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if !read().IsZero() {
		t.Fatal("access time before any read")
	}
	if _, _, err := s.Get(ctx, ids[0], nil); err != nil {
		t.Fatal(err)
	}
	if got := read(); !got.Equal(now) {
		t.Fatalf("access time %v, want %v", got, now)
	}
	first := now
	now = now.Add(30 * time.Second) // within the granularity: not recorded
	s.Get(ctx, ids[1], nil)
	if got := read(); !got.Equal(first) {
		t.Fatalf("access time %v, want %v (throttled)", got, first)
	}
	now = now.Add(time.Minute)
	s.Get(ctx, ids[1], nil)
	if got := read(); !got.Equal(now) {
		t.Fatalf("access time %v, want %v", got, now)
	}
	if err := s.DeletePack(ctx, p, ids); err != nil {
		t.Fatal(err)
	}
	if got := read(); !got.IsZero() {
		t.Fatal("access time outlived its pack")
	}
}
