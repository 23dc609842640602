package objects

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"
)

// deleteRange removes every key of namespace ns, as a damaged index would.
func deleteRange(t *testing.T, s *Store, ns byte) {
	t.Helper()
	if err := s.db.DeleteRange([]byte{ns}, []byte{ns + 1}, pebble.Sync); err != nil {
		t.Fatal(err)
	}
}

// problemsMention reports whether some problem's text contains every want.
func problemsMention(ps []Problem, want ...string) bool {
	for _, p := range ps {
		s := p.String()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return true
		}
	}
	return false
}

func TestCheckClean(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{PackSize: 64 << 10, Compression: true})
	putAll(t, s, append(testChunks("clean", 12, 20000), bytes.Repeat([]byte("z"), 50000)))
	w := s.NewWriter()
	m, _ := w.PutBlob(ctx, TypeFileMap, []byte("map"))
	w.SetFileMap(Sum([]byte("file")), m)
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var calls int
	var last, total int64
	r, err := s.Check(ctx, func(done, all int64) { calls++; last, total = done, all })
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || len(r.Warnings) != 0 {
		t.Fatalf("clean store: problems %v, warnings %v", r.Problems, r.Warnings)
	}
	if r.Blobs != 13 || r.Inline != 1 || r.FileMaps != 1 || r.Packs < 4 {
		t.Errorf("report %+v", r)
	}
	if calls != r.Packs+1 || last != total || total != r.Bytes {
		t.Errorf("progress: %d calls, last %d of %d, read %d", calls, last, total, r.Bytes)
	}
}

func TestCheckFindsDamage(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		damage func(t *testing.T, s *Store, ids []ID) []string // returns what a problem must mention
	}{
		{"flipped blob byte", func(t *testing.T, s *Store, ids []ID) []string {
			info, _ := s.Stat(ids[1])
			patchFile(t, s.PackPath(info.Pack), info.Offset+7, 1)
			return []string{ids[1].String(), s.PackPath(info.Pack), "hash to"}
		}},
		{"flipped table byte", func(t *testing.T, s *Store, ids []ID) []string {
			info, _ := s.Stat(ids[0])
			fi, _ := os.Stat(s.PackPath(info.Pack))
			patchFile(t, s.PackPath(info.Pack), fi.Size()-60, 1)
			return []string{s.PackPath(info.Pack), "table hash"}
		}},
		{"missing pack", func(t *testing.T, s *Store, ids []ID) []string {
			info, _ := s.Stat(ids[2])
			if err := os.Remove(s.PackPath(info.Pack)); err != nil {
				t.Fatal(err)
			}
			return []string{ids[2].String(), s.PackPath(info.Pack), "missing"}
		}},
		{"pack under a wrong name", func(t *testing.T, s *Store, ids []ID) []string {
			a, _ := s.Stat(ids[0])
			b, _ := s.Stat(ids[len(ids)-1])
			if a.Pack == b.Pack {
				t.Fatal("want two packs")
			}
			pb := s.PackPath(b.Pack)
			if err := os.Chmod(pb, 0o644); err != nil {
				t.Fatal(err)
			}
			copyFile(t, s.PackPath(a.Pack), pb) // a sound pack, misnamed
			return []string{pb, "not its name"}
		}},
		{"index entry at a wrong offset", func(t *testing.T, s *Store, ids []ID) []string {
			e, _, _ := s.lookup(ids[0])
			e.Offset += 10
			if err := s.db.Set(idKey(nsIndex, ids[0]), e.encode(), pebble.Sync); err != nil {
				t.Fatal(err)
			}
			return []string{ids[0].String(), "no such blob"}
		}},
		{"index entry with wrong lengths", func(t *testing.T, s *Store, ids []ID) []string {
			e, _, _ := s.lookup(ids[0])
			e.StoredLen, e.RawLen = 5, 5
			if err := s.db.Set(idKey(nsIndex, ids[0]), e.encode(), pebble.Sync); err != nil {
				t.Fatal(err)
			}
			return []string{ids[0].String(), "disagrees"}
		}},
		{"undecodable index entry", func(t *testing.T, s *Store, ids []ID) []string {
			if err := s.db.Set(idKey(nsIndex, ids[0]), []byte{9, 9}, pebble.Sync); err != nil {
				t.Fatal(err)
			}
			return []string{ids[0].String(), "index entry of 2 bytes"}
		}},
		{"damaged inline blob", func(t *testing.T, s *Store, ids []ID) []string {
			id := Sum([]byte("tree"))
			if err := s.db.Set(idKey(nsBlob, id), encodeInline(TypeTree, []byte("tre3")), pebble.Sync); err != nil {
				t.Fatal(err)
			}
			return []string{"inline", id.String(), "hash to"}
		}},
		{"file map naming a missing blob", func(t *testing.T, s *Store, ids []ID) []string {
			digest := Sum([]byte("file"))
			if err := s.db.Set(idKey(nsFileMap, digest), encodeFileMap(Sum([]byte("gone"))), pebble.Sync); err != nil {
				t.Fatal(err)
			}
			return []string{digest.String(), Sum([]byte("gone")).String(), "missing"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, Options{PackSize: 40000})
			ids := putAll(t, s, testChunks("damage", 6, 15000))
			want := tt.damage(t, s, ids)
			r, err := s.Check(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK() || !problemsMention(r.Problems, want...) {
				t.Fatalf("want a problem mentioning %q, have %v", want, r.Problems)
			}
			for _, p := range r.Problems {
				if !errors.Is(p.Err, ErrCorrupt) && !strings.Contains(p.String(), "open") {
					t.Errorf("problem not classified as corruption: %v", p)
				}
			}
		})
	}
}

// TestStrayPack puts a pack in the store that the index does not know, as a
// crash between renaming a pack and indexing it leaves it.
func TestStrayPack(t *testing.T) {
	ctx := context.Background()
	other := openStore(t, Options{})
	chunks := testChunks("stray", 4, 3000)
	ids := putAll(t, other, chunks)
	info, _ := other.Stat(ids[0])

	s := openStore(t, Options{})
	putAll(t, s, testChunks("own", 2, 3000))
	dst := s.PackPath(info.Pack)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, other.PackPath(info.Pack), dst)

	r, err := s.Check(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("a stray pack is not a problem: %v", r.Problems)
	}
	if len(r.Warnings) != 1 || r.Warnings[0].ID != info.Pack || !strings.Contains(r.Warnings[0].String(), "stray") {
		t.Fatalf("warnings %v, want the stray pack %s", r.Warnings, info.Pack)
	}
	if ok, _ := s.Has(ids[0]); ok {
		t.Fatal("stray pack's chunk visible before RebuildIndex")
	}
	// RebuildIndex adopts it.
	if err := s.RebuildIndex(ctx); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		got, _, err := s.Get(ctx, id, nil)
		if err != nil || !bytes.Equal(got, chunks[i]) {
			t.Fatalf("adopted chunk %d: %v", i, err)
		}
	}
	if r, err := s.Check(ctx, nil); err != nil || !r.OK() || len(r.Warnings) != 0 {
		t.Fatalf("Check after adoption: %v %v %v", err, r.Problems, r.Warnings)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRebuildIndex(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{PackSize: 50000, Compression: true})
	chunks := append(testChunks("rebuild", 20, 12000), bytes.Repeat([]byte("compress me "), 2000))
	ids := putAll(t, s, chunks)
	var before []PackInfo
	_ = s.Packs(ctx, func(p PackInfo) error { before = append(before, p); return nil })

	deleteRange(t, s, nsIndex)
	deleteRange(t, s, nsPack)
	if ok, _ := s.Has(ids[0]); ok {
		t.Fatal("index not deleted")
	}
	if err := s.RebuildIndex(ctx); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		got, _, err := s.Get(ctx, id, nil)
		if err != nil || !bytes.Equal(got, chunks[i]) {
			t.Fatalf("chunk %d after rebuild: %v", i, err)
		}
	}
	var after []PackInfo
	_ = s.Packs(ctx, func(p PackInfo) error { after = append(after, p); return nil })
	if len(after) != len(before) {
		t.Fatalf("%d packs after rebuild, %d before", len(after), len(before))
	}
	for i := range after {
		a, b := after[i], before[i]
		if a.ID != b.ID || a.Size != b.Size || a.Count != b.Count || a.BlobBytes != b.BlobBytes {
			t.Errorf("pack %d: %+v after rebuild, %+v before", i, a, b)
		}
	}
	if r, err := s.Check(ctx, nil); err != nil || !r.OK() || len(r.Warnings) != 0 {
		t.Fatalf("Check after rebuild: %v %v %v", err, r.Problems, r.Warnings)
	}

	// A pack with a damaged table is left out and named; the rest work.
	info, _ := s.Stat(ids[0])
	fi, _ := os.Stat(s.PackPath(info.Pack))
	patchFile(t, s.PackPath(info.Pack), fi.Size()-60, 1)
	err := s.RebuildIndex(ctx)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), s.PackPath(info.Pack)) {
		t.Fatalf("RebuildIndex with a damaged pack = %v", err)
	}
	if ok, _ := s.Has(ids[0]); ok {
		t.Error("blob of the damaged pack still indexed")
	}
	if _, _, err := s.Get(ctx, ids[len(ids)-1], nil); err != nil {
		t.Errorf("blob of a sound pack: %v", err)
	}
}
