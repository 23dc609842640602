package reference

import (
	"context"
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/trove-ml/trove/manifest"
)

// A spooled listing gives what the source listed, in its order, as often
// as asked, and leaves no file behind.
func TestSpool(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.txt": "A", "a/b": "B", "a-b": "AB", "sub/c": "C", "sub/d/e": "E"})
	src, err := fileResolver(nil, 2).Source("file://"+dir, SourceOptions{Path: "raw"})
	if err != nil {
		t.Fatal(err)
	}
	want, wantEnts, err := listAll(t, src)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	sp, err := src.Spool(context.Background(), tmp)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the spool left %d names in its folder", len(left))
	}
	if sp.String() != src.String() || sp.Len() != int64(len(want)) {
		t.Errorf("spool %q of %d entries, want %q of %d", sp.String(), sp.Len(), src.String(), len(want))
	}
	for range 2 {
		var got []listed
		var ents []manifest.Entry
		err := sp.List(context.Background(), func(p string, e manifest.Entry) error {
			got = append(got, flatten(p, e))
			ents = append(ents, e)
			return nil
		})
		if err != nil || !reflect.DeepEqual(got, want) || !reflect.DeepEqual(ents, wantEnts) {
			t.Fatalf("spooled listing %v (%v), want %v", got, err, want)
		}
	}
	stop := errors.New("stop")
	if err := sp.List(context.Background(), func(string, manifest.Entry) error { return stop }); err != stop {
		t.Errorf("fn's error came back as %v", err)
	}
	// A listing that fails spools nothing.
	bad, err := fileResolver(nil, 2).Source("file://"+dir+"/missing", SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.Spool(context.Background(), tmp); err == nil {
		t.Error("spooling a missing folder succeeded")
	}
}
