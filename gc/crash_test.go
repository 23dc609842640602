package gc_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/trove-ml/trove/gc"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/retention"
)

// errKilled stands for the process dying at a step.
var errKilled = errors.New("killed")

// killAt returns a Step hook that fails the k-th step (from 0) and
// counts the steps it saw.
func killAt(k int, seen *int) func(string) error {
	return func(string) error {
		*seen++
		if *seen-1 == k {
			return errKilled
		}
		return nil
	}
}

// garbage builds a store with shared and unshared content, a deleted
// version, an expired one, a policy-retired one, a pack to rewrite and a
// stray pack.
func garbage(t *testing.T) *world {
	w := newWorld(t)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.commit("a", "", nil, []file{{"x", 300000, 1}, {"y", 100000, 2}}))
	must(w.commit("a", "1d", nil, []file{{"x", 300000, 1}, {"z", 250000, 3}}))
	must(w.commit("a", "", nil, []file{{"w", 200000, 4}}))
	must(w.commit("b", "", []string{"best"}, []file{{"p", 500000, 5}}))
	must(w.commit("b", "", nil, []file{{"q", 150000, 6}}))
	must(w.commit("b", "", nil, []file{{"r", 150000, 7}}))
	w.clock = w.clock.Add(2 * retention.Day)
	w.set.Policies = map[string]retention.Policy{"b": {KeepLast: 1}}
	if _, err := w.refs.Delete(context.Background(), deleteReq("a", 0)); err != nil {
		t.Fatal(err)
	}
	// A stray: a pack written, never indexed (a crash between the two).
	wr := w.st.NewWriter()
	data := content(77, 70000)
	wr.PutChunk(context.Background(), objects.Sum(data), data, nil)
	must(nil, wr.Flush(context.Background()))
	return w
}

// TestLocalKilledAtEveryStep kills a local GC before each step that changes
// something, reopens the store as a new process would, checks it (no
// problem, and every live version whole), and runs GC again to the end.
// The result must equal an uninterrupted GC's.
func TestLocalKilledAtEveryStep(t *testing.T) {
	ref := garbage(t)
	steps := 0
	if _, _, err := ref.collect(gc.Options{Step: killAt(-1, &steps)}); err != nil {
		t.Fatal(err)
	}
	if f := ref.fsck(); f != "" {
		t.Fatal(f)
	}
	wantPacks, wantBytes := ref.usage()
	if steps < 5 {
		t.Fatalf("only %d steps: the scenario lacks garbage", steps)
	}
	for k := 0; k < steps; k++ {
		t.Run(fmt.Sprint("step", k), func(t *testing.T) {
			w := garbage(t)
			seen := 0
			_, _, err := w.collect(gc.Options{Step: killAt(k, &seen)})
			if !errors.Is(err, errKilled) {
				t.Fatalf("not killed: %v", err)
			}
			w.reopen()
			if f := w.fsck(); f != "" {
				t.Fatalf("after a kill at step %d:\n%s", k, f)
			}
			if _, _, err := w.collect(gc.Options{}); err != nil {
				t.Fatalf("next GC: %v", err)
			}
			if f := w.fsck(); f != "" {
				t.Fatal(f)
			}
			if n, b := w.usage(); n != wantPacks || b != wantBytes {
				t.Fatalf("after a kill and a second GC: %d packs, %d bytes; uninterrupted: %d, %d", n, b, wantPacks, wantBytes)
			}
		})
	}
}

// TestRemoteKilledAtEveryStep kills a remote GC before each step, then
// checks that every live version still pulls from a fresh clone, and that
// the next GCs complete and leave it so.
func TestRemoteKilledAtEveryStep(t *testing.T) {
	setup := func(t *testing.T) (*remoteWorld, func()) {
		rw := newRemoteWorld(t)
		ana := rw.clone("ana")
		for i, f := range []map[string][2]int{
			{"x": {1, 300000}, "y": {2, 100000}},
			{"x": {1, 300000}, "z": {3, 200000}},
			{"w": {4, 250000}},
		} {
			ttl := ""
			if i == 1 {
				ttl = "1d"
			}
			if _, err := commitFiles(t, ana, "a", ttl, f); err != nil {
				t.Fatal(err)
			}
			if _, err := ana.Push(context.Background(), pushOrigin); err != nil {
				t.Fatal(err)
			}
			rw.clock.advance(retention.Day)
		}
		if _, err := ana.Refs().Delete(context.Background(), deleteReq("a", 0)); err != nil {
			t.Fatal(err)
		}
		if _, err := ana.Push(context.Background(), pushOrigin); err != nil {
			t.Fatal(err)
		}
		// Condemn now, so that the next GC also deletes (its due step).
		if _, _, err := rw.collectRemote(ana, retention.Day, false, nil); err != nil {
			t.Fatal(err)
		}
		rw.clock.advance(2 * retention.Day)
		if _, err := commitFiles(t, ana, "a", "", map[string][2]int{"v": {5, 120000}}); err != nil {
			t.Fatal(err)
		}
		if _, err := ana.Push(context.Background(), pushOrigin); err != nil {
			t.Fatal(err)
		}
		rw.clock.advance(2 * retention.Day)
		return rw, func() {}
	}
	// The uninterrupted run, followed by the same two GCs, says what the
	// remote holds in the end.
	rw, _ := setup(t)
	steps := 0
	ref := rw.clone("gc")
	if _, _, err := rw.collectRemote(ref, retention.Day, false, killAt(-1, &steps)); err != nil {
		t.Fatal(err)
	}
	if steps < 4 {
		t.Fatalf("only %d steps", steps)
	}
	for i := 0; i < 2; i++ {
		rw.clock.advance(2 * retention.Day)
		if _, _, err := rw.collectRemote(ref, retention.Day, false, nil); err != nil {
			t.Fatal(err)
		}
	}
	want := rw.remoteUsage()
	t.Logf("uninterrupted: %s", want)
	for k := 0; k < steps; k++ {
		t.Run(fmt.Sprint("step", k), func(t *testing.T) {
			rw, _ := setup(t)
			g := rw.clone("gc")
			seen := 0
			if _, _, err := rw.collectRemote(g, retention.Day, false, killAt(k, &seen)); !errors.Is(err, errKilled) {
				t.Fatalf("not killed: %v", err)
			}
			if f := rw.verifyRemote(); f != "" {
				t.Fatalf("after a kill at step %d: %s", k, f)
			}
			for i := 0; i < 2; i++ {
				rw.clock.advance(2 * retention.Day)
				if _, _, err := rw.collectRemote(g, retention.Day, false, nil); err != nil {
					t.Fatalf("next GC: %v", err)
				}
			}
			if f := rw.verifyRemote(); f != "" {
				t.Fatal(f)
			}
			if got := rw.remoteUsage(); got != want {
				t.Fatalf("after a kill at step %d and two GCs the remote holds %s; uninterrupted, %s", k, got, want)
			}
		})
	}
}

var _ remote.Bucket = (*clockBucket)(nil)

// TestLocalStrayEqualsRepack: a GC killed after writing a rewritten pack's
// file and before indexing it leaves that file as a stray; the next GC
// rewrites the same pack into the same bytes, hence the same name, and
// adopts the file. The stray it planned to delete is then live and must
// be kept, not fail the GC.
func TestLocalStrayEqualsRepack(t *testing.T) {
	safety := gc.DefaultSafety()
	// One pack of a live and a dead file, past the threshold.
	scenario := func() *world {
		w := newWorld(t)
		if _, err := w.commit("a", "", nil, []file{{"x", 100000, 1}, {"y", 60000, 2}}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.commit("a", "", nil, []file{{"x", 100000, 1}}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.refs.Delete(context.Background(), deleteReq("a", 0)); err != nil {
			t.Fatal(err)
		}
		w.clock = w.clock.Add(30 * retention.Day)
		return w
	}
	ref := scenario()
	before := packNames(t, ref)
	if _, _, err := ref.collect(gc.Options{Safety: &safety}); err != nil {
		t.Fatal(err)
	}
	var written []string
	for name := range packNames(t, ref) {
		if !before[name] {
			written = append(written, name)
		}
	}
	if len(written) == 0 {
		t.Fatal("the GC rewrote no pack: the scenario lacks a repack")
	}
	wantPacks, wantBytes := ref.usage()

	w := scenario()
	old := epoch // a month before the GC, on its clock
	for _, name := range written {
		rel, err := filepath.Rel(ref.dir, name)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(w.dir, rel)
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o444); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(dst, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := w.collect(gc.Options{Safety: &safety}); err != nil {
		t.Fatalf("GC with the stray copy of its own repack: %v", err)
	}
	if f := w.fsck(); f != "" {
		t.Fatal(f)
	}
	if gotPacks, gotBytes := w.usage(); gotPacks != wantPacks || gotBytes != wantBytes {
		t.Errorf("after GC: %d packs, %d bytes; an uninterrupted GC leaves %d, %d", gotPacks, gotBytes, wantPacks, wantBytes)
	}
}

// packNames returns the paths of w's pack files.
func packNames(t *testing.T, w *world) map[string]bool {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(w.dir, "packs", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, n := range names {
		set[n] = true
	}
	return set
}
