package web

import (
	"fmt"
	"testing"
	"time"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
)

// hugeFolder commits a version whose top folder holds n files, building
// the tree directly (the files' content is never needed to list them).
func hugeFolder(t *testing.T, b *builder, name string, n int) {
	t.Helper()
	w := b.r.Store().NewWriter()
	defer w.Abort()
	dw := manifest.NewDirWriter(b.ctx, w)
	for i := range n {
		err := dw.Add(manifest.Entry{Name: fmt.Sprintf("f%07d.bin", i), Kind: manifest.KindFile, Mode: manifest.ModeFile,
			Size: int64(i % 4096), Digest: objects.Sum(fmt.Appendf(nil, "file %d", i))})
		if err != nil {
			t.Fatal(err)
		}
	}
	root, size, files, err := dw.Finish()
	if err != nil {
		t.Fatal(err)
	}
	rec := &manifest.Record{Artifact: name, Type: "dataset", Root: root, Files: files, Size: size,
		Created: b.now, Creator: manifest.Creator{User: testUser}}
	enc, err := rec.Encode()
	if err != nil {
		t.Fatal(err)
	}
	id, err := w.PutBlob(b.ctx, objects.TypeRecord, enc)
	if err != nil {
		t.Fatal(err)
	}
	// Order matters: the record and tree are durable before the log names
	// them.
	if err := w.Flush(b.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.r.Refs().Commit(b.ctx, refs.CommitRequest{Name: name, Type: "dataset", Record: id, Root: root, Created: b.now}); err != nil {
		t.Fatal(err)
	}
}

// TestWebHugeFolder browses a version whose one folder holds a million
// files (a hundred thousand with -short): any page of it, first, middle
// or last, lists the right names, because listing reads only the tree
// nodes that hold the page (manifest.ListDir).
func TestWebHugeFolder(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	b := newBuilder(t)
	start := time.Now()
	hugeFolder(t, b, "huge", n)
	t.Logf("built a folder of %d files in %v", n, time.Since(start))
	f := serve(t, b.done(), Options{})

	for _, tt := range []struct {
		after      string
		first, end string
	}{
		{"", "f0000000.bin", "f0000199.bin"},
		{fmt.Sprintf("f%07d.bin", n/2), fmt.Sprintf("f%07d.bin", n/2+1), fmt.Sprintf("f%07d.bin", n/2+200)},
		{fmt.Sprintf("f%07d.bin", n-3), fmt.Sprintf("f%07d.bin", n-2), fmt.Sprintf("f%07d.bin", n-1)},
	} {
		start := time.Now()
		var v filesView
		f.getJSON(t, "/artifacts/huge/v0/files?after="+tt.after, &v)
		t.Logf("page after %q: %d entries in %v", tt.after, len(v.Entries), time.Since(start))
		if len(v.Entries) == 0 || v.Entries[0].Name != tt.first || v.Entries[len(v.Entries)-1].Name != tt.end {
			t.Errorf("page after %q: %d entries from %v", tt.after, len(v.Entries), v.Entries[:min(2, len(v.Entries))])
		}
		if v.Files != int64(n) {
			t.Errorf("folder counts %d files, want %d", v.Files, n)
		}
	}
	var big filesView
	f.getJSON(t, "/artifacts/huge/v0/files?limit=999999", &big)
	if len(big.Entries) != maxFileLimit || big.Next != big.Entries[maxFileLimit-1].Name {
		t.Errorf("limit above the maximum: %d entries, next %q", len(big.Entries), big.Next)
	}
	// Past what an int holds it is still a number, capped like the rest.
	var huge filesView
	f.getJSON(t, "/artifacts/huge/v0/files?limit=99999999999999999999", &huge)
	if len(huge.Entries) != maxFileLimit {
		t.Errorf("limit past an int: %d entries", len(huge.Entries))
	}
	// The version page shows the first entries of the folder, not all.
	var vv versionView
	f.getJSON(t, "/artifacts/huge/v0", &vv)
	if len(vv.Root) != rootEntries || !vv.RootMore {
		t.Errorf("version page lists %d root entries (more: %v)", len(vv.Root), vv.RootMore)
	}
}
