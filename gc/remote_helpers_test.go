package gc_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trove-ml/trove/gc"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/registry"
	"github.com/trove-ml/trove/remote"
	filebucket "github.com/trove-ml/trove/remote/file"
	"github.com/trove-ml/trove/repo"
	"github.com/trove-ml/trove/retention"
)

// clock is a fake clock shared by goroutines.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// clockBucket reports, as every object's modification time, the fake
// clock's time when it was put: the store's clock, made fake.
type clockBucket struct {
	remote.Bucket
	clock *clock
	mu    sync.Mutex
	put   map[string]time.Time
}

func newClockBucket(t testing.TB, c *clock) *clockBucket {
	b, err := filebucket.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &clockBucket{Bucket: b, clock: c, put: map[string]time.Time{}}
}

func (b *clockBucket) Unwrap() remote.Bucket { return b.Bucket }

func (b *clockBucket) fix(oi remote.ObjectInfo) remote.ObjectInfo {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t, ok := b.put[oi.Key]; ok {
		oi.ModTime = t
	}
	return oi
}

func (b *clockBucket) List(ctx context.Context, prefix string, fn func(remote.ObjectInfo) error) error {
	return b.Bucket.List(ctx, prefix, func(oi remote.ObjectInfo) error { return fn(b.fix(oi)) })
}

func (b *clockBucket) Stat(ctx context.Context, key string) (remote.ObjectInfo, error) {
	oi, err := b.Bucket.Stat(ctx, key)
	if err != nil {
		return oi, err
	}
	return b.fix(oi), nil
}

func (b *clockBucket) Put(ctx context.Context, key string, r io.Reader, size int64, o remote.PutOptions) (remote.ObjectInfo, error) {
	now := b.clock.Now()
	oi, err := b.Bucket.Put(ctx, key, r, size, o)
	if err == nil {
		b.mu.Lock()
		b.put[key] = now
		b.mu.Unlock()
		oi.ModTime = now
	}
	return oi, err
}

// remoteWorld is a bucket remote on a fake clock and the repositories
// sharing it.
type remoteWorld struct {
	t      testing.TB
	clock  *clock
	bucket *clockBucket
}

func newRemoteWorld(t testing.TB) *remoteWorld {
	c := &clock{now: epoch}
	return &remoteWorld{t: t, clock: c, bucket: newClockBucket(t, c)}
}

// clone makes a repository with the remote "origin" configured.
func (rw *remoteWorld) clone(user string) *repo.Repo {
	rw.t.Helper()
	ctx := context.Background()
	r, err := repo.Init(ctx, rw.t.TempDir(), repo.InitOptions{Project: "p"}, repo.Options{
		Now: rw.clock.Now, User: user, Workers: 2, LockTimeout: -1,
		OpenBucket: func(context.Context, string, repo.RemoteConfig) (remote.Bucket, error) { return rw.bucket, nil },
	})
	if err != nil {
		rw.t.Fatal(err)
	}
	rw.t.Cleanup(func() { r.Close() })
	if err := r.AddRemote("origin", repo.RemoteConfig{URL: "file:///fake"}); err != nil {
		rw.t.Fatal(err)
	}
	return r
}

// commitFiles writes files (name → seed, size) into a fresh folder and
// commits them.
func commitFiles(t testing.TB, r *repo.Repo, name, ttl string, files map[string][2]int) (refs.Version, error) {
	dir := t.TempDir()
	for n, f := range files {
		if err := os.WriteFile(filepath.Join(dir, n), content(f[0], f[1]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := r.Commit(context.Background(), repo.CommitOptions{Name: name, Type: "dataset", Paths: []string{dir}, TTL: ttl})
	if err != nil {
		return refs.Version{}, err
	}
	return res.Version, nil
}

// collectRemote runs a remote GC from r.
func (rw *remoteWorld) collectRemote(r *repo.Repo, grace time.Duration, dryRun bool, step func(string) error) (*gc.RemotePlan, *gc.RemoteResult, error) {
	ctx := context.Background()
	name, rep, err := r.OpenRemote(ctx, "origin")
	if err != nil {
		return nil, nil, err
	}
	set, err := r.Retention()
	if err != nil {
		return nil, nil, err
	}
	linked, err := r.LinkedRecords(ctx)
	if err != nil {
		return nil, nil, err
	}
	s := gc.DefaultRemoteSafety()
	s.Grace = grace
	o := gc.RemoteOptions{
		Options: gc.Options{Safety: &s, Now: rw.clock.Now, Step: step},
		Name:    name, Local: r.Store(), Settings: set, Holds: retention.Holds{Linked: linked},
		LinkedRecords: registry.LinkedRecords, Cache: r.RemoteCache(name), TempDir: rw.t.TempDir(), By: "gc",
	}
	return gc.CollectRemote(ctx, rep, o, dryRun)
}

// verifyRemote checks, from a fresh clone, that every version the remote
// holds live (and not expired) can be fetched and pulled, every byte
// verified. It returns "" or what is wrong.
func (rw *remoteWorld) verifyRemote() string {
	ctx := context.Background()
	r := rw.clone("verifier")
	if _, err := r.Fetch(ctx, repo.FetchOptions{Remote: "origin"}); err != nil {
		if strings.Contains(err.Error(), "holds no trove data") {
			return ""
		}
		return "fetch: " + err.Error()
	}
	var probs []string
	var names []string
	err := r.Refs().Artifacts(ctx, func(name string, l *refs.Log) error {
		for _, v := range l.Versions {
			if v.State == refs.StateLive {
				names = append(names, fmt.Sprintf("%s:v%d", name, v.N))
			}
		}
		return nil
	})
	if err != nil {
		return err.Error()
	}
	sort.Strings(names)
	for _, n := range names {
		v, err := r.Resolve(ctx, n)
		if err != nil {
			if strings.Contains(err.Error(), "expired") {
				continue
			}
			probs = append(probs, fmt.Sprintf("%s: %v", n, err))
			continue
		}
		if _, err := r.Pull(ctx, v, repo.PullOptions{Dir: rw.t.TempDir()}); err != nil {
			probs = append(probs, fmt.Sprintf("%s: pull: %v", n, err))
		}
	}
	return strings.Join(probs, "\n")
}

// remoteUsage counts the remote's packs and their bytes, indexes and
// condemnation records.
func (rw *remoteWorld) remoteUsage() string {
	ctx := context.Background()
	var packs, indexes, recs int
	var bytes int64
	rw.bucket.List(ctx, "", func(oi remote.ObjectInfo) error {
		switch {
		case strings.HasPrefix(oi.Key, "packs/"):
			packs++
			bytes += oi.Size
		case strings.HasPrefix(oi.Key, "index/"):
			indexes++
		case strings.HasPrefix(oi.Key, "gc/condemned/"):
			recs++
		}
		return nil
	})
	return fmt.Sprintf("%d packs (%d bytes), %d indexes, %d condemnation records", packs, bytes, indexes, recs)
}

// summary writes a remote plan without ids (record ids, and so remote
// pack ids, depend on the machine's host name).
func summary(p *gc.RemotePlan, res *gc.RemoteResult) string {
	var b bytes.Buffer
	for _, g := range p.Going {
		fmt.Fprintf(&b, "expire %s\n", g)
	}
	count := map[gc.Action]int{}
	for _, pk := range p.Packs {
		count[pk.Action]++
	}
	for _, pk := range p.Due {
		if pk.Missing {
			count["forget"]++
		} else {
			count["due "+pk.Action]++
		}
	}
	var acts []string
	for a, n := range count {
		acts = append(acts, fmt.Sprintf("%s %d", a, n))
	}
	sort.Strings(acts)
	fmt.Fprintf(&b, "roots %d versions: %d blobs reachable\n", p.Versions, p.Reachable)
	fmt.Fprintf(&b, "packs %s\n", strings.Join(acts, ", "))
	if p.IndexesReplaced > 0 {
		fmt.Fprintf(&b, "indexes replaced %d\n", p.IndexesReplaced)
	}
	for _, pr := range p.Problems {
		fmt.Fprintf(&b, "problem %s\n", pr)
	}
	if res != nil {
		fmt.Fprintf(&b, "done: %d expired, %d condemned, %d rewritten, %d deleted, %d rescued, %d bytes freed\n",
			len(res.Expired), res.Condemned, res.Rewritten, res.Deleted, res.Rescued, res.Bytes)
	}
	return b.String()
}

// land writes, straight to the remote, a ref of artifact name whose one
// live version is the version copy ("m:v0") of the remote's logs, live
// or deleted: what a push that skipped uploading blobs it believed the
// remote had (its index cache said so) writes.
func (rw *remoteWorld) land(name, copy string) error {
	ctx := context.Background()
	art, num, _ := strings.Cut(copy, ":v")
	rep := remote.NewRepository(rw.bucket)
	ref, err := rep.GetRef(ctx, "artifacts/"+art)
	if err != nil {
		return err
	}
	l, err := refs.DecodeLog(ref.Body)
	if err != nil {
		return err
	}
	var n int
	fmt.Sscan(num, &n)
	v, ok := l.Version(n)
	if !ok {
		return fmt.Errorf("no %s", copy)
	}
	nl := &refs.Log{Type: l.Type, Next: 1, Counter: 1, Versions: []refs.Version{{N: 0, Record: v.Record, Root: v.Root, Created: v.Created, State: refs.StateLive}}}
	body, err := nl.Encode()
	if err != nil {
		return err
	}
	return rep.PutRef(ctx, "artifacts/"+name, body, "")
}

var _ = objects.ID{}

var pushOrigin = repo.PushOptions{Remote: "origin"}
