package objects

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/trove-ml/trove/objects/pack"
)

// format1Store is testdata/store-pack1.tar.gz: a store written by trove
// before pack format 2, holding one format 1 pack (named by the BLAKE3 of
// the whole file) with these chunks, the third zstd-compressed, and one
// inline tree.
var format1Store = struct {
	pack   string
	chunks map[string]int // id → length
	inline string
}{
	pack: "b782e12e0c66e70f246d4cb4cc31c88dc00bd74cb5505fe6641fa3a9785a4d8f",
	chunks: map[string]int{
		"cc7e42d1b76a2cc57cc80d962b8d35fb6baeead820835fd4f6be9099dac5065a": 3000,
		"e8fc635343f53a3b6513948f9686b62678b23e75e414de3bca6825a70c0d0057": 5000,
		"3381318690335d562dd16e000b4a26399049cc23c974b09993dd22baffc68ced": 11200,
		"672af5e6a7114fa2c56963eb22a44ae29b95f3d5e9c03a57c3ca6ffb18efac0b": 100,
	},
	inline: "d0dc323ab1637aaf300ec7d34cc686b6115ba1ea1461e729951e393222a3bc4b",
}

// untar extracts a .tar.gz of regular files and folders into dir.
func untar(t *testing.T, archive, dir string) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, filepath.FromSlash(h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, h.FileInfo().Mode().Perm()); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestFormat1Store opens a store whose pack is format 1 and checks that it
// reads, checks clean, takes new (format 2) packs beside the old one, and
// still checks clean and rebuilds its index with both namings.
func TestFormat1Store(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	untar(t, filepath.Join("testdata", "store-pack1.tar.gz"), dir)
	s := openStore(t, Options{Dir: dir})

	readAll := func() {
		t.Helper()
		for hexID, n := range format1Store.chunks {
			id, err := ParseID(hexID)
			if err != nil {
				t.Fatal(err)
			}
			b, typ, err := s.Get(ctx, id, nil)
			if err != nil || typ != TypeChunk || len(b) != n {
				t.Fatalf("Get(%s) = %d bytes of %s, %v; want %d bytes", id.Short(), len(b), typ, err, n)
			}
		}
		id, _ := ParseID(format1Store.inline)
		if _, typ, err := s.Get(ctx, id, nil); err != nil || typ != TypeTree {
			t.Fatalf("Get(inline %s) = %s, %v", id.Short(), typ, err)
		}
	}
	check := func(wantPacks int) {
		t.Helper()
		r, err := s.Check(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK() || len(r.Warnings) != 0 || r.Packs != wantPacks {
			t.Fatalf("Check: %d packs, problems %v, warnings %v", r.Packs, r.Problems, r.Warnings)
		}
	}

	old, _ := ParseID(format1Store.pack)
	data, err := os.ReadFile(s.PackPath(old))
	if err != nil {
		t.Fatal(err)
	}
	if tab, err := pack.Read(bytes.NewReader(data), int64(len(data))); err != nil || tab.Version != 1 || Sum(data) != old {
		t.Fatalf("fixture: pack %s is not a format 1 pack named by its file's hash (%v)", old.Short(), err)
	}
	readAll()
	check(1)

	ids := putAll(t, s, testChunks("after format 1", 3, 5000))
	info, err := s.Stat(ids[0])
	if err != nil {
		t.Fatal(err)
	}
	data, err = os.ReadFile(s.PackPath(info.Pack))
	if err != nil {
		t.Fatal(err)
	}
	if tab, err := pack.Read(bytes.NewReader(data), int64(len(data))); err != nil || tab.Version != pack.Version || ID(tab.Sum) != info.Pack {
		t.Fatalf("new pack %s: want format %d named by its table's hash (%v)", info.Pack.Short(), pack.Version, err)
	}
	check(2)

	if err := s.RebuildIndex(ctx); err != nil {
		t.Fatal(err)
	}
	readAll()
	check(2)

	// A format 1 pack is still held to its name: the hash of its file.
	misnamed := s.PackPath(info.Pack)
	if err := os.Chmod(misnamed, 0o644); err != nil {
		t.Fatal(err)
	}
	copyFile(t, s.PackPath(old), misnamed)
	r, err := s.Check(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK() || !problemsMention(r.Problems, misnamed, "file hashes to", "not its name") {
		t.Fatalf("want a problem naming %s as misnamed, have %v", misnamed, r.Problems)
	}
}
