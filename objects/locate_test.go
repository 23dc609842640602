package objects

import (
	"context"
	"errors"
	"slices"
	"testing"
)

func TestLocate(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{PackSize: 1 << 30})
	chunks := testChunks("locate", 4, 3000)
	ids := putAll(t, s, chunks)

	// A file of the last two chunks, with its file map, and a tree kept
	// inline.
	w := s.NewWriter()
	digest := Sum(slices.Concat(chunks[2], chunks[3]))
	mapID, err := w.PutBlob(ctx, TypeFileMap, []byte("a file map's bytes"))
	if err != nil {
		t.Fatal(err)
	}
	w.SetFileMap(digest, mapID)
	tree, err := w.PutBlob(ctx, TypeTree, []byte("a tree"))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	absent := Sum([]byte("never stored"))

	tests := []struct {
		name         string
		id           ID
		packed       bool
		fileMap      ID
		want         []byte // GetLocated's bytes; nil: ErrNotFound
		wantNotFound bool
	}{
		{name: "packed chunk", id: ids[1], packed: true, want: chunks[1]},
		{name: "same chunk again", id: ids[1], packed: true, want: chunks[1]},
		{name: "first chunk", id: ids[0], packed: true, want: chunks[0]},
		{name: "file with a file map", id: digest, fileMap: mapID, wantNotFound: true},
		{name: "inline blob", id: tree, want: []byte("a tree")},
		{name: "absent", id: absent, wantNotFound: true},
	}
	asked := make([]ID, len(tests))
	for i, tc := range tests {
		asked[i] = tc.id
	}
	locs, err := s.LocateFiles(asked)
	if err != nil {
		t.Fatal(err)
	}
	if len(locs) != len(tests) {
		t.Fatalf("Locate gave %d locations for %d ids", len(locs), len(tests))
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := locs[i]
			if l.ID != tc.id || l.Packed() != tc.packed || l.FileMap != tc.fileMap || l.HasFileMap() != (tc.fileMap != ID{}) {
				t.Fatalf("location %+v: want id %s, packed %v, file map %s", l, tc.id.Short(), tc.packed, tc.fileMap.Short())
			}
			for _, hash := range []bool{true, false} {
				got, _, err := s.GetLocated(ctx, l, nil, hash)
				if tc.wantNotFound {
					if !errors.Is(err, ErrNotFound) {
						t.Fatalf("GetLocated (hash %v): %v, want ErrNotFound", hash, err)
					}
					continue
				}
				if err != nil || !slices.Equal(got, tc.want) {
					t.Fatalf("GetLocated (hash %v): %q, %v", hash, got, err)
				}
			}
		})
	}
	// Locate, for blobs, does not look for file maps.
	plain, err := s.Locate([]ID{digest, ids[0]})
	if err != nil {
		t.Fatal(err)
	}
	if plain[0].HasFileMap() || plain[0].Packed() || !plain[1].Packed() {
		t.Fatalf("Locate of a file digest and a chunk: %+v", plain)
	}
	if locs, err := s.Locate(nil); err != nil || len(locs) != 0 {
		t.Fatalf("Locate(nil) = %v, %v", locs, err)
	}
}

// A location taken before a blob moved to another pack still reads it:
// the pack it names is gone, so GetLocated must look the blob up again
// rather than report the store corrupt.
func TestGetLocatedAfterRewrite(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{PackSize: 1 << 30})
	chunks := testChunks("moved", 4, 5000)
	ids := putAll(t, s, chunks)
	locs, err := s.Locate(ids[:1])
	if err != nil {
		t.Fatal(err)
	}
	var old ID
	for p := range packOf(t, s, ids) {
		old = p
	}
	if _, err := s.RewritePack(ctx, old, ids[:1], ids[1:]); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.GetLocated(ctx, locs[0], nil, true)
	if err != nil || !slices.Equal(got, chunks[0]) {
		t.Fatalf("GetLocated of a blob moved since Locate: %v", err)
	}
}

// GetLocated verifies what it reads like Get, and leaves the hash out
// only when asked to.
func TestGetLocatedCorrupt(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{PackSize: 1 << 30})
	chunks := testChunks("bad", 1, 5000)
	ids := putAll(t, s, chunks)
	locs, err := s.Locate(ids)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Stat(ids[0])
	if err != nil {
		t.Fatal(err)
	}
	patchFile(t, s.PackPath(info.Pack), info.Offset+10, 0xff)
	if _, _, err := s.GetLocated(ctx, locs[0], nil, true); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("GetLocated of a flipped byte: %v, want ErrCorrupt", err)
	}
	if _, _, err := s.GetLocated(ctx, locs[0], nil, false); err != nil {
		t.Fatalf("GetLocated without the hash: %v", err)
	}
}
