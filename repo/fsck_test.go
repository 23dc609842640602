package repo

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
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
