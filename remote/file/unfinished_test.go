package file_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/file"
)

// A Put whose process is killed mid-way leaves its temp file: List does
// not show it, ListUnfinished does, with the bytes it holds, and
// RemoveUnfinished takes it away.
func TestUnfinishedAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	b := open(t)
	ctx := context.Background()
	if _, err := b.Put(ctx, "packs/ab/done", strings.NewReader("whole"), 5, remote.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperStalledPut$")
	cmd.Env = append(os.Environ(), "TROVE_TEST_HELPER_ROOT="+b.Root())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The helper prints a line once its Put has written the first part.
	line := make([]byte, 6)
	if _, err := io.ReadFull(stdout, line); err != nil || string(line) != "ready\n" {
		_ = cmd.Process.Kill()
		t.Fatalf("helper: %q, %v", line, err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	var keys []string
	if err := b.List(ctx, "", func(oi remote.ObjectInfo) error { keys = append(keys, oi.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != "packs/ab/done" {
		t.Errorf("List: %q, want only packs/ab/done", keys)
	}
	var got []remote.Unfinished
	if err := b.ListUnfinished(ctx, func(u remote.Unfinished) error { got = append(got, u); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("ListUnfinished: %+v, want the killed Put's temp file", got)
	}
	u := got[0]
	if u.Key != "packs/cd/" || u.Size != stalledPart || time.Since(u.Started) > time.Minute || u.Started.After(time.Now()) {
		t.Errorf("unfinished put: %+v, want key packs/cd/, %d bytes, started just now", u, stalledPart)
	}
	if err := b.RemoveUnfinished(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(b.Root(), filepath.FromSlash(u.ID))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temp file still there: %v", err)
	}
	if err := b.RemoveUnfinished(ctx, u); err != nil {
		t.Errorf("removing it again: %v", err)
	}
	got = nil
	if err := b.ListUnfinished(ctx, func(u remote.Unfinished) error { got = append(got, u); return nil }); err != nil || len(got) != 0 {
		t.Errorf("after removal: %+v, %v", got, err)
	}
	if _, err := b.Stat(ctx, "packs/ab/done"); err != nil {
		t.Errorf("the published object: %v", err)
	}
}

// stalledPart is what the helper's Put writes before it stalls.
const stalledPart = 3 << 20

func TestHelperStalledPut(t *testing.T) {
	root := os.Getenv("TROVE_TEST_HELPER_ROOT")
	if root == "" {
		t.Skip("helper process for TestUnfinishedAfterKill")
	}
	b, err := file.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	r := io.MultiReader(bytes.NewReader(make([]byte, stalledPart)), stallReader{})
	_, _ = b.Put(context.Background(), "packs/cd/stalled", r, 2*stalledPart, remote.PutOptions{})
}

// stallReader reports that the part before it is written, then blocks
// until the process is killed.
type stallReader struct{}

func (stallReader) Read([]byte) (int, error) {
	os.Stdout.WriteString("ready\n")
	select {}
}

// RemoveUnfinished never removes an object or anything outside the root,
// whatever ID it is given.
func TestRemoveUnfinishedRefusesObjects(t *testing.T) {
	b := open(t)
	ctx := context.Background()
	if _, err := b.Put(ctx, "packs/ab/obj", strings.NewReader("x"), 1, remote.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(filepath.Dir(b.Root()), remote.ReservedPrefix+"tmp-outside")
	if err := os.WriteFile(outside, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{
		"packs/ab/obj", "packs/ab", "", "/" + outside, "../" + filepath.Base(outside),
		"packs/../../" + filepath.Base(outside), remote.ReservedPrefix + "locks/" + remote.ReservedPrefix + "tmp-x",
	} {
		if err := b.RemoveUnfinished(ctx, remote.Unfinished{ID: id}); !errors.Is(err, remote.ErrInvalidKey) {
			t.Errorf("RemoveUnfinished(%q) = %v, want ErrInvalidKey", id, err)
		}
	}
	if _, err := b.Stat(ctx, "packs/ab/obj"); err != nil {
		t.Errorf("object: %v", err)
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("file outside the root: %v", err)
	}
}
