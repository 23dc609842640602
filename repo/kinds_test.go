package repo

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trove-ml/trove/objects"
)

func TestKindHintsOf(t *testing.T) {
	var k kindHints
	jpg := k.of("photos/0001.jpg")
	for _, tc := range []struct {
		name string
		same bool // shares the hint of photos/0001.jpg
	}{
		{"other/0002.jpg", true},
		{"upper/0003.JPG", true},
		{"x.png", false},
		{"jpg", false},            // no extension: the kind of names without one
		{"dir.jpg/README", false}, // the folder's extension is not the file's
	} {
		if got := k.of(tc.name); (got == jpg) != tc.same || got == nil {
			t.Errorf("of(%q) = %p, of(photos/0001.jpg) = %p: want same %v", tc.name, got, jpg, tc.same)
		}
	}
	if k.of("README") != k.of("dir.jpg/LICENSE") {
		t.Error("two names without an extension got different hints")
	}
	for i := len(k.m); i < maxKinds; i++ {
		if k.of(fmt.Sprintf("x.%d", i)) == nil {
			t.Fatalf("kind %d of %d: no hint", i, maxKinds)
		}
	}
	if h := k.of("x.more"); h != nil {
		t.Error("a hint past maxKinds kinds")
	}
	if k.of("y.JPG") != jpg {
		t.Error("a kind met before the cap lost its hint")
	}
}

// TestCommitCompressesByKind commits a folder of incompressible photos
// before a folder of labels: the photos' kind gives up on compression,
// and the labels are compressed all the same.
func TestCommitCompressesByKind(t *testing.T) {
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "data")
	for i := range 48 {
		write(t, filepath.Join(src, "a-photos", fmt.Sprintf("%02d.jpg", i)), noise(byte(i), 8192))
	}
	var labels [][]byte
	for i := range 24 {
		b := []byte(strings.Repeat(fmt.Sprintf("image_%02d.jpg,cat\n", i), 400))
		labels = append(labels, b)
		write(t, filepath.Join(src, "b-labels", fmt.Sprintf("%02d.csv", i)), b)
	}
	r, err := Init(ctx, t.TempDir(), InitOptions{}, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Commit(ctx, CommitOptions{Name: "ds", Type: "dataset", Paths: []string{src}}); err != nil {
		t.Fatal(err)
	}
	for i, b := range labels {
		info, err := r.Store().Stat(objects.Sum(b))
		if err != nil {
			t.Fatal(err)
		}
		if !info.Compressed {
			t.Errorf("b-labels/%02d.csv stored uncompressed (%d bytes) after the photos' kind gave up", i, info.StoredSize)
		}
	}
}
