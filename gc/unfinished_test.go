package gc_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trove-ml/trove/remote"
	filebucket "github.com/trove-ml/trove/remote/file"
	"github.com/trove-ml/trove/retention"
)

// What uploads killed mid-way leave in the bucket (here a file remote's
// temp files, as a killed push or GC leaves them) goes at the first GC
// after the grace period; a younger one, which may be an upload in
// progress, stays until then. A dry run lists without removing.
func TestRemoteRemovesUnfinishedUploads(t *testing.T) {
	rw := newRemoteWorld(t)
	ana := rw.clone("ana")
	if _, err := commitFiles(t, ana, "a", "", map[string][2]int{"x": {1, 200000}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ana.Push(t.Context(), pushOrigin); err != nil {
		t.Fatal(err)
	}
	fb, ok := remote.As[*filebucket.Bucket](rw.bucket)
	if !ok {
		t.Fatal("the test bucket is not a file bucket")
	}
	leftover := func(dir string, size int, age time.Duration) string {
		t.Helper()
		p := filepath.Join(fb.Root(), dir, remote.ReservedPrefix+"tmp-"+strings.ReplaceAll(dir, "/", "-"))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, bytes.Repeat([]byte{7}, size), 0o644); err != nil {
			t.Fatal(err)
		}
		at := rw.clock.Now().Add(-age)
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
		return p
	}
	old := leftover("packs/ab", 3000, 2*retention.Day)
	young := leftover("index", 500, time.Hour)
	exists := func(p string) bool { _, err := os.Lstat(p); return err == nil }

	p, _, err := rw.collectRemote(ana, retention.Day, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Unfinished) != 1 || p.Unfinished[0].Key != "packs/ab/" || p.UnfinishedBytes() != 3000 {
		t.Errorf("planned: %+v, want the 3000-byte leftover in packs/ab/", p.Unfinished)
	}
	var text strings.Builder
	if err := p.WriteText(&text, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "remove unfinished upload to packs/ab/") || !strings.Contains(text.String(), "1 unfinished uploads, 2.9 KiB, now") ||
		!strings.Contains(text.String(), "keep   1 unfinished uploads written to less than 1d ago") {
		t.Errorf("dry run does not say what it would remove:\n%s", text.String())
	}
	if !exists(old) || !exists(young) {
		t.Fatal("a dry run removed a leftover")
	}

	_, res, err := rw.collectRemote(ana, retention.Day, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Unfinished != 1 || res.UnfinishedBytes != 3000 || len(res.Problems) != 0 {
		t.Errorf("removed %d (%d bytes), problems %q; want 1 (3000 bytes)", res.Unfinished, res.UnfinishedBytes, res.Problems)
	}
	if exists(old) {
		t.Error("the old leftover is still there")
	}
	if !exists(young) {
		t.Error("the young leftover, maybe an upload in progress, was removed")
	}

	rw.clock.advance(retention.Day)
	if _, res, err = rw.collectRemote(ana, retention.Day, false, nil); err != nil {
		t.Fatal(err)
	}
	if res.Unfinished != 1 || exists(young) {
		t.Errorf("a grace period later: removed %d, young leftover there: %v", res.Unfinished, exists(young))
	}
	if f := rw.verifyRemote(); f != "" {
		t.Fatal(f)
	}
}
