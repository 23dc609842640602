package repo

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// countingProgress records, per phase, what its meters were told.
type countingProgress struct {
	mu     sync.Mutex
	phases map[string]*countingMeter
}

type countingMeter struct {
	p           *countingProgress
	done, total int64
}

func (p *countingProgress) Start(phase string, total int64, _ bool) Meter {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := &countingMeter{p: p, total: total}
	p.phases[phase] = m
	return m
}

func (m *countingMeter) Add(n int64) {
	m.p.mu.Lock()
	m.done += n
	m.p.mu.Unlock()
}

func (m *countingMeter) SetTotal(total int64) {
	m.p.mu.Lock()
	m.total = total
	m.p.mu.Unlock()
}

func (m *countingMeter) Done() {}

// TestFsckProgress: fsck's progress ends at the bytes of the packs it
// read, as a progress line or bar shows them, not at a multiple of them.
func TestFsckProgress(t *testing.T) {
	ctx := context.Background()
	progress := &countingProgress{phases: map[string]*countingMeter{}}
	r, err := Init(ctx, t.TempDir(), InitOptions{}, Options{PackSize: 1 << 20, Progress: progress})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	src := filepath.Join(t.TempDir(), "data")
	write(t, filepath.Join(src, "big.bin"), noise(3, 5<<20))
	if _, err := r.Commit(ctx, CommitOptions{Name: "data", Type: "dataset", Paths: []string{src}}); err != nil {
		t.Fatal(err)
	}
	rep, err := r.Fsck(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("fsck: %v, %+v", err, rep)
	}
	m := progress.phases["checking packs"]
	if m == nil {
		t.Fatal("fsck reported no progress checking packs")
	}
	if rep.Packs < 2 || m.done != m.total || m.total < 5<<20 {
		t.Errorf("checking %d packs: progress %d of %d bytes, want all of the packs' bytes", rep.Packs, m.done, m.total)
	}
}

// TestFsckNamesMissingContent: fsck checks that the store holds the
// content of every file of every live version, a file stored whole and
// every chunk of a file map, and names each file whose content is not
// there.
func TestFsckNamesMissingContent(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	src := filepath.Join(t.TempDir(), "data")
	a, big := noise(1, 3000), noise(3, 600<<10)
	write(t, filepath.Join(src, "a"), a)
	write(t, filepath.Join(src, "b"), noise(2, 3000))
	write(t, filepath.Join(src, "big"), big)
	commitSrc(t, r, src)
	if rep, err := r.Fsck(ctx); err != nil || len(rep.Problems) != 0 {
		t.Fatalf("fsck of a sound repository: %v, %v", rep, err)
	}

	drop := func(id objects.ID) {
		t.Helper()
		info, err := r.store.Stat(id)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.store.DropUnreachable(ctx, objects.Drop{Packed: []objects.ID{id}, Pack: []objects.ID{info.Pack}}); err != nil {
			t.Fatal(err)
		}
	}
	drop(objects.Sum(a))
	mapID, ok, err := r.store.FileMap(objects.Sum(big))
	if err != nil || !ok {
		t.Fatalf("big has no file map: %v", err)
	}
	var chunk objects.ID
	if err := manifest.ReadFileMap(ctx, blobs{st: r.store}, mapID, func(_ int64, id objects.ID, _ uint32) error {
		chunk = id // the last
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	drop(chunk)

	rep, err := r.Fsck(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(rep.Problems, "\n")
	for _, want := range []string{": a: content " + objects.Sum(a).Short() + " missing", ": big: chunks missing: [" + chunk.Short() + "]"} {
		if !strings.Contains(got, want) {
			t.Errorf("fsck problems\n%s\ndo not say %q", got, want)
		}
	}
	if len(rep.Problems) != 2 {
		t.Errorf("fsck found %d problems, want 2 (b is whole):\n%s", len(rep.Problems), got)
	}
}
