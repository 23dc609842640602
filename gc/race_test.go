package gc_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trove-ml/trove/gc"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/repo"
)

// inFlight bounds the fake clock by the oldest push in progress: the
// grace period's contract is that a push finishes within it, so the clock
// may not run past a running push's start plus the grace period.
type inFlight struct {
	mu    sync.Mutex
	clock *clock
	grace time.Duration
	start map[int]time.Time
	next  int
}

func (f *inFlight) begin() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	f.start[f.next] = f.clock.Now()
	return f.next
}

func (f *inFlight) end(id int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.start, id)
}

// advance moves the clock by up to d, never past any running push's
// start plus the grace period, less a second.
func (f *inFlight) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	limit := f.clock.Now().Add(d)
	for _, s := range f.start {
		if l := s.Add(f.grace - time.Second); l.Before(limit) {
			limit = l
		}
	}
	if by := limit.Sub(f.clock.Now()); by > 0 {
		f.clock.advance(by)
	}
}

// TestRemoteGCBesideWriters runs a remote GC over and over while two
// clones commit, push and delete, with random interleavings on a fake
// clock that GC drives forward (never faster than pushes finish: the grace
// period's contract). Content is drawn from a small pool, so new versions
// often equal deleted ones: the dedup race. At the end, after a last GC,
// every version the remote holds live must pull, every byte verified, and
// the writers' stores must pass fsck. Nothing reachable may be deleted.
func TestRemoteGCBesideWriters(t *testing.T) {
	rounds := 4
	if testing.Short() {
		rounds = 1
	}
	for round := range rounds {
		t.Run(fmt.Sprint("seed", round), func(t *testing.T) { raceRound(t, uint64(round)) })
	}
}

func raceRound(t *testing.T, seed uint64) {
	ctx := context.Background()
	rw := newRemoteWorld(t)
	const grace = 6 * time.Hour
	fl := &inFlight{clock: rw.clock, grace: grace, start: map[int]time.Time{}}
	writers := []*repo.Repo{rw.clone("ana"), rw.clone("bob")}
	collector := rw.clone("gc")
	const ops = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	var transient []string // errors a writer may see while a race is being repaired
	var runs, condemned, deleted, rescued int
	var history []string
	note := func(who string, err error) {
		mu.Lock()
		transient = append(transient, fmt.Sprintf("%s: %v", who, err))
		mu.Unlock()
	}
	for wi, r := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(seed, uint64(wi)))
			name := fmt.Sprintf("art%d", wi)
			for i := 0; i < ops; i++ {
				id := fl.begin()
				switch op := rnd.IntN(10); {
				case op < 5: // commit content from the pool, push
					files := map[string][2]int{"f.bin": {rnd.IntN(6), 120000 + rnd.IntN(3)*70000}}
					if _, err := commitFiles(t, r, name, "", files); err != nil {
						t.Errorf("commit: %v", err)
					}
					if _, err := r.Push(ctx, repo.PushOptions{Remote: "origin"}); err != nil {
						note(name+" push", err)
					}
				case op < 7: // delete an old version, push
					l, err := r.Refs().Log(ctx, name)
					if err == nil && len(l.Versions) > 1 {
						v := l.Versions[rnd.IntN(len(l.Versions)-1)]
						_, err = r.Refs().Delete(ctx, refs.DeleteRequest{Name: name, Versions: []int{v.N}, Reason: refs.ReasonDeleted})
						if err != nil {
							t.Errorf("delete: %v", err)
						}
						if _, err := r.Push(ctx, repo.PushOptions{Remote: "origin"}); err != nil {
							note(name+" push", err)
						}
					}
				case op < 8: // fetch the other's work
					if _, err := r.Fetch(ctx, repo.FetchOptions{Remote: "origin"}); err != nil {
						note(name+" fetch", err)
					}
				default: // collect here
					s := gc.DefaultSafety()
					roots, err := gc.FindRoots(ctx, r.Refs(), storeGetter{r.Store()}, gc.RootOptions{Now: rw.clock.Now()})
					if err == nil {
						var p *gc.Plan
						if p, err = gc.PlanLocal(ctx, r.Store(), roots, gc.Options{Safety: &s, Now: rw.clock.Now}); err == nil {
							_, err = gc.ExecuteLocal(ctx, r.Store(), r.Refs(), p, roots, gc.Options{Safety: &s, Now: rw.clock.Now})
						}
					}
					if err != nil {
						t.Errorf("local gc: %v", err)
					}
				}
				fl.end(id)
			}
		}()
	}
	stop := make(chan struct{})
	gcDone := make(chan struct{})
	go func() {
		defer close(gcDone)
		rnd := rand.New(rand.NewPCG(seed, 99))
		for {
			select {
			case <-stop:
				return
			default:
			}
			fl.advance(time.Duration(rnd.IntN(int(grace / 2))))
			run := runs
			_, res, err := rw.collectRemote(collector, grace, false, func(s string) error {
				mu.Lock()
				history = append(history, fmt.Sprintf("gc %d %s: %s", run, rw.clock.Now().Format("01-02T15"), s))
				mu.Unlock()
				return nil
			})
			if err != nil && strings.Contains(err.Error(), "not found") {
				mu.Lock()
				for _, h := range history {
					t.Log(h)
				}
				mu.Unlock()
			}
			// A GC that found the roots moved on every replan gave way to
			// the writers, as it must: no error of the test's.
			if err != nil && !strings.Contains(err.Error(), "holds no trove data") && !errors.Is(err, gc.ErrRootsChanged) {
				t.Errorf("remote gc: %v", err)
				return
			}
			if res != nil {
				mu.Lock()
				runs++
				condemned += res.Condemned
				deleted += res.Deleted
				rescued += res.Rescued
				mu.Unlock()
			}
		}
	}()
	wg.Wait()
	close(stop)
	<-gcDone
	// Quiet now: the last GCs repair any race (rescue) and delete what is due.
	for i := 0; i < 3; i++ {
		rw.clock.advance(grace)
		if _, _, err := rw.collectRemote(collector, grace, false, nil); err != nil {
			t.Fatalf("last remote gc: %v", err)
		}
	}
	if f := rw.verifyRemote(); f != "" {
		t.Fatalf("after GC beside writers (transient errors seen: %d):\n%s\n%s", len(transient), f, strings.Join(transient, "\n"))
	}
	for wi, r := range writers {
		rep, err := r.Fsck(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range rep.Problems {
			// The other writer's versions were fetched, not pulled: their
			// content is on the remote only. A writer's own must be whole.
			if strings.HasPrefix(p, fmt.Sprintf("art%d:", wi)) || !strings.HasPrefix(p, "art") {
				t.Errorf("%s: fsck: %s", r.User(), p)
			}
		}
	}
	t.Logf("%d GCs beside writers: %d packs condemned, %d deleted, %d rescued; now %s; %d transient errors while racing: %v",
		runs, condemned, deleted, rescued, rw.remoteUsage(), len(transient), transient)
}
