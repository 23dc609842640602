package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestDeleteAndGC: delete refuses held versions, says deletion is final
// after GC; gc --dry-run prints the plan, gc frees it, fsck passes, and
// version numbers are never reused.
func TestDeleteAndGC(t *testing.T) {
	dir := newProject(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"big.bin": string(randomBytes(1, 3<<20)), "s.txt": "shared"})
	mustTrove(t, dir, "commit", "ds", "--type", "dataset", src, "--alias", "best")
	writeFiles(t, src, map[string]string{"big.bin": string(randomBytes(2, 3<<20))})
	mustTrove(t, dir, "commit", "ds", src)

	// Custom aliases hold a version unless told.
	r := trove(t, dir, "delete", "ds:v0")
	if r.code == 0 || !strings.Contains(r.stderr, "custom aliases best") || !strings.Contains(r.stderr, "--delete-aliases") {
		t.Fatalf("delete with an alias: exit %d: %s", r.code, r.stderr)
	}
	// So does a registry link.
	mustTrove(t, dir, "link", "ds:v0", "registry/dataset/things")
	r = trove(t, dir, "delete", "ds:v0", "--delete-aliases")
	if r.code == 0 || !strings.Contains(r.stderr, "registry link registry/dataset/things:v0") {
		t.Fatalf("delete of a linked version: exit %d: %s", r.code, r.stderr)
	}
	mustTrove(t, dir, "unlink", "registry/dataset/things:v0")

	// Dry run: the plan names what goes; nothing goes.
	out := mustTrove(t, dir, "delete", "ds:v0", "--delete-aliases")
	if !strings.Contains(out, "deleted ds:v0 and released its aliases best") || !strings.Contains(out, "final") {
		t.Fatalf("delete said:\n%s", out)
	}
	if r := trove(t, dir, "show", "ds:v0"); r.code == 0 || !strings.Contains(r.stderr, "was deleted") {
		t.Fatalf("show of a deleted version: exit %d %s", r.code, r.stderr)
	}
	plan := mustTrove(t, dir, "gc", "--dry-run")
	if !strings.Contains(plan, "pack") || !strings.Contains(plan, "free") {
		t.Fatalf("gc --dry-run:\n%s", plan)
	}
	var dry gcJSON
	troveJSON(t, dir, &dry, "gc", "--dry-run")
	if dry.Bytes < 3<<20 || dry.Objects == 0 || !dry.DryRun {
		t.Fatalf("dry run frees %d objects, %d bytes", dry.Objects, dry.Bytes)
	}
	var done gcJSON
	troveJSON(t, dir, &done, "gc")
	if done.Bytes != dry.Bytes || done.Objects != dry.Objects {
		t.Fatalf("gc freed %d objects, %d bytes; the plan said %d, %d", done.Objects, done.Bytes, dry.Objects, dry.Bytes)
	}
	mustTrove(t, dir, "fsck")
	mustTrove(t, dir, "pull", "ds:v1", "-o", filepath.Join(dir, "out"))
	troveJSON(t, dir, &done, "gc")
	if done.Objects != 0 {
		t.Fatalf("a second gc freed %d objects", done.Objects)
	}
	// Numbers are never reused.
	writeFiles(t, src, map[string]string{"big.bin": "small now"})
	if out := mustTrove(t, dir, "commit", "ds", src); !strings.HasPrefix(out, "ds:v2 ") {
		t.Fatalf("commit after delete: %s", out)
	}
}

// TestTTLLifecycle: --ttl at commit, ttl show with the time left, the
// project default for inherit (old versions included), expiry (no longer
// resolves, latest moves, aliases released), ttl set to rescue, gc.
func TestTTLLifecycle(t *testing.T) {
	dir := newProject(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a": "one"})
	mustTrove(t, dir, "commit", "m", "--type", "model", src, "--ttl", "30d")
	writeFiles(t, src, map[string]string{"a": "two"})
	mustTrove(t, dir, "commit", "m", src, "--alias", "best")
	out := mustTrove(t, dir, "ttl", "show", "m")
	if !strings.Contains(out, "30d") || !strings.Contains(out, "29d 23h") || !strings.Contains(out, "never") {
		t.Fatalf("ttl show:\n%s", out)
	}
	mustTrove(t, dir, "config", "set", "ttl.default", "90d")
	if got := mustTrove(t, dir, "config", "get", "ttl.default"); got != "90d\n" {
		t.Fatalf("config get: %q", got)
	}
	var sts []ttlVersionJSON
	troveJSON(t, dir, &sts, "ttl", "show", "m:best")
	if len(sts) != 1 || sts[0].TTL != "90d" || sts[0].Source != "default" || sts[0].Remaining == "" {
		t.Fatalf("ttl show m:best: %+v", sts)
	}
	if r := trove(t, dir, "ttl", "set", "m:v0", "3w"); r.code != exitUsage {
		t.Fatalf("ttl set 3w: exit %d", r.code)
	}

	// Expire v1 (best, latest): a TTL of one second, counted from creation.
	mustTrove(t, dir, "ttl", "set", "m:v1", "1s")
	time.Sleep(1100 * time.Millisecond)
	r := trove(t, dir, "show", "m:best")
	if r.code == 0 || !strings.Contains(r.stderr, "expired on") || !strings.Contains(r.stderr, "released") {
		t.Fatalf("show of an expired alias: exit %d %s", r.code, r.stderr)
	}
	if out := mustTrove(t, dir, "show", "m"); !strings.Contains(out, "m:v0") {
		t.Fatalf("latest did not move past the expired version:\n%s", out)
	}
	// A longer TTL saves it while GC has not run.
	mustTrove(t, dir, "ttl", "set", "m:v1", "never")
	mustTrove(t, dir, "show", "m:best")
	mustTrove(t, dir, "ttl", "set", "m:v1", "1s")
	time.Sleep(1100 * time.Millisecond)
	out = mustTrove(t, dir, "gc")
	if !strings.Contains(out, "expired m:v1") {
		t.Fatalf("gc:\n%s", out)
	}
	if r := trove(t, dir, "show", "m:v1"); r.code == 0 || !strings.Contains(r.stderr, "expired on") || !strings.Contains(r.stderr, "deleted") {
		t.Fatalf("show after gc: %s", r.stderr)
	}
	if r := trove(t, dir, "ttl", "set", "m:v1", "never"); r.code == 0 {
		t.Fatal("ttl set on a collected version succeeded")
	}
	mustTrove(t, dir, "fsck")
}

// TestTTLAdmins: the guard rail restricts TTLs, the default and policies
// to the admins the project names.
func TestTTLAdmins(t *testing.T) {
	dir := newProject(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a": "one"})
	t.Setenv("TROVE_USER", "ana")
	mustTrove(t, dir, "config", "set", "ttl.admins", "ana")
	mustTrove(t, dir, "commit", "m", "--type", "model", src, "--ttl", "30d")
	t.Setenv("TROVE_USER", "bob")
	for _, args := range [][]string{
		{"commit", "m", src, "--ttl", "1d"},
		{"ttl", "set", "m:v0", "never"},
		{"config", "set", "ttl.default", "1d"},
		{"config", "set", "ttl.admins", "bob"},
		{"retention", "set", "m", "--keep-last", "1"},
	} {
		r := trove(t, dir, args...)
		if r.code == 0 || !strings.Contains(r.stderr, "admins") {
			t.Errorf("bob: trove %s: exit %d %s", strings.Join(args, " "), r.code, r.stderr)
		}
		// Only a commit can do without: the others have nothing to inherit.
		if hint := strings.Contains(r.stderr, "commit without --ttl"); hint != (args[0] == "commit") {
			t.Errorf("bob: trove %s: the commit-only hint is %v: %s", strings.Join(args, " "), hint, r.stderr)
		}
	}
	writeFiles(t, src, map[string]string{"a": "two"})
	mustTrove(t, dir, "commit", "m", src) // inherit needs no admin
}

// TestRetentionPolicy: keep-last expires older versions nothing holds.
func TestRetentionPolicy(t *testing.T) {
	dir := newProject(t)
	src := t.TempDir()
	for i := 0; i < 4; i++ {
		writeFiles(t, src, map[string]string{"a": fmt.Sprint(i)})
		args := []string{"commit", "m", "--type", "model", src}
		if i == 0 {
			args = append(args, "--alias", "first")
		}
		mustTrove(t, dir, args...)
	}
	if r := trove(t, dir, "retention", "set", "m", "--keep-last", "0"); r.code != exitUsage {
		t.Fatalf("keep-last 0: exit %d", r.code)
	}
	mustTrove(t, dir, "retention", "set", "m", "--keep-last", "2", "--keep-aliased")
	if out := mustTrove(t, dir, "retention", "show", "m"); !strings.Contains(out, "deletes v1\n") || !strings.Contains(out, "kept: v0 (alias first)") {
		t.Fatalf("retention show:\n%s", out)
	}
	out := mustTrove(t, dir, "gc")
	if !strings.Contains(out, "expired m:v1 retention policy keep-last 2, keep-aliased") {
		t.Fatalf("gc:\n%s", out)
	}
	mustTrove(t, dir, "show", "m:first")
	if r := trove(t, dir, "show", "m:v1"); r.code == 0 || !strings.Contains(r.stderr, "retention policy") {
		t.Fatalf("show m:v1: %s", r.stderr)
	}
}

// TestRemoteGCAndCachePrune: GC on a file remote condemns, then deletes a
// grace period later; cache prune evicts what the remote holds, and pull
// fetches it again.
func TestRemoteGCAndCachePrune(t *testing.T) {
	url := fileRemote(t)
	a := newProject(t)
	src := t.TempDir()
	mustTrove(t, a, "remote", "add", "origin", url)
	writeFiles(t, src, map[string]string{"big.bin": string(randomBytes(3, 2<<20))})
	mustTrove(t, a, "commit", "ds", "--type", "dataset", src)
	writeFiles(t, src, map[string]string{"big.bin": string(randomBytes(4, 2<<20))})
	mustTrove(t, a, "commit", "ds", src)
	mustTrove(t, a, "push")
	mustTrove(t, a, "delete", "ds:v0")
	mustTrove(t, a, "push")

	var plan gcJSON
	troveJSON(t, a, &plan, "gc", "--remote", "origin", "--dry-run")
	if plan.Young == 0 || plan.Condemned != 0 {
		t.Fatalf("remote dry run with the default grace: %+v", plan)
	}
	if r := trove(t, a, "gc", "--remote", "origin", "--grace", "0", "--dry-run"); !strings.Contains(r.stderr, "warning: --grace 0s on a remote") {
		t.Errorf("a remote gc with no grace period does not warn: %s", r.stderr)
	}
	if r := trove(t, a, "gc", "--remote", "origin", "--grace", "2h", "--dry-run"); strings.Contains(r.stderr, "warning") {
		t.Errorf("a remote gc with a grace of hours warns: %s", r.stderr)
	}
	troveJSON(t, a, &plan, "gc", "--remote", "origin", "--grace", "0")
	if plan.Condemned == 0 || plan.Deleted != 0 {
		t.Fatalf("first remote gc: %+v", plan)
	}
	troveJSON(t, a, &plan, "gc", "--remote", "origin", "--grace", "0")
	if plan.Deleted == 0 || plan.Bytes < 2<<20 {
		t.Fatalf("second remote gc: %+v", plan)
	}
	b := newProject(t)
	mustTrove(t, b, "remote", "add", "origin", url)
	mustTrove(t, b, "pull", "ds:v1", "-o", filepath.Join(b, "out"))

	// Evict everything the remote holds; pull fetches it again. (v0 is
	// collected here first: the remote no longer holds it.)
	mustTrove(t, a, "gc")
	var pr pruneJSON
	troveJSON(t, a, &pr, "cache", "prune", "--to", "0", "--dry-run")
	if pr.Chunks == 0 || pr.Bytes < 2<<20 {
		t.Fatalf("prune dry run: %+v", pr)
	}
	troveJSON(t, a, &pr, "cache", "prune", "--to", "0")
	if pr.After > 1<<20 {
		t.Fatalf("prune left %d bytes", pr.After)
	}
	out := filepath.Join(t.TempDir(), "out")
	mustTrove(t, a, "pull", "ds:v1", "-o", out)
	mustTrove(t, a, "verify", "ds:v1", out)

	// A version not pushed is never evicted.
	writeFiles(t, src, map[string]string{"big.bin": string(randomBytes(5, 2<<20))})
	mustTrove(t, a, "commit", "ds", src)
	troveJSON(t, a, &pr, "cache", "prune", "--to", "0")
	if pr.After < 2<<20 {
		t.Fatalf("prune evicted a version the remote lacks: %d bytes left", pr.After)
	}
}

// TestGCKilled kills a GC process at random moments; the store must pass
// fsck after every kill and the next GC must complete.
func TestGCKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	rnd := rand.New(rand.NewPCG(7, 7))
	for round := 0; round < 6; round++ {
		dir := newProject(t)
		src := t.TempDir()
		for i := 0; i < 6; i++ {
			writeFiles(t, src, map[string]string{"f.bin": string(randomBytes(10*round+i, 1<<20)), "g.bin": string(randomBytes(99, 300<<10))})
			mustTrove(t, dir, "commit", "ds", "--type", "dataset", src)
		}
		for _, v := range []string{"ds:v0", "ds:v2", "ds:v3"} {
			mustTrove(t, dir, "delete", v)
		}
		cmd := troveProc(t, dir, "gc")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rnd.IntN(60)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		mustTrove(t, dir, "fsck")
		mustTrove(t, dir, "gc")
		mustTrove(t, dir, "fsck")
		for _, v := range []string{"ds:v1", "ds:v4", "ds:v5"} {
			mustTrove(t, dir, "pull", v, "-o", filepath.Join(t.TempDir(), "o"))
		}
	}
}

// TestGCBesideCommitsAndPushes runs, in separate processes and at once,
// commits and pushes in two clones and GCs on the remote and locally;
// afterwards every version the remote holds must pull in a fresh clone.
func TestGCBesideCommitsAndPushes(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	url := fileRemote(t)
	clones := []string{newProject(t), newProject(t)}
	for _, c := range clones {
		mustTrove(t, c, "remote", "add", "origin", url)
	}
	run := func(dir string, args ...string) error {
		out, err := troveProc(t, dir, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("trove %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	var condemned, deleted, rescued int
	stop := make(chan struct{})
	for ci, c := range clones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(ci), 1))
			src := t.TempDir()
			for i := 0; i < 14; i++ {
				time.Sleep(time.Duration(rnd.IntN(400)) * time.Millisecond)
				os.WriteFile(filepath.Join(src, "f.bin"), randomBytes(rnd.IntN(4), 200<<10+rnd.IntN(2)*100<<10), 0o644)
				name := fmt.Sprintf("a%d", ci)
				if err := run(c, "commit", name, "--type", "dataset", src); err != nil {
					fail(err)
					continue
				}
				if i%3 == 2 {
					// Delete an older version; the next push propagates it.
					_ = run(c, "delete", fmt.Sprintf("%s:v%d", name, i-2))
					_ = run(c, "gc")
				}
				if err := run(c, "push"); err != nil && !strings.Contains(err.Error(), "moved concurrently") {
					fail(err)
				}
			}
		}()
	}
	gcDone := make(chan struct{})
	go func() {
		defer close(gcDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			// A grace period longer than any push here takes (each is a
			// process pushing well under a megabyte to a local folder).
			cmd := troveProc(t, clones[0], "gc", "--remote", "origin", "--grace", "4s", "--json")
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				if !strings.Contains(stderr.String(), "holds no trove data") {
					fail(fmt.Errorf("gc --remote: %v: %s", err, stderr.String()))
				}
				time.Sleep(100 * time.Millisecond)
				continue
			}
			var res gcJSON
			if json.Unmarshal(out, &res) == nil {
				mu.Lock()
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
	for _, err := range errs {
		t.Error(err)
	}
	t.Logf("remote GCs beside the writers condemned %d packs, deleted %d, rescued %d", condemned, deleted, rescued)
	fresh := newProject(t)
	mustTrove(t, fresh, "remote", "add", "origin", url)
	mustTrove(t, fresh, "fetch")
	for _, name := range []string{"a0", "a1"} {
		var log []struct {
			Version string
			State   string
		}
		r := trove(t, fresh, "log", name, "--json")
		if r.code != 0 {
			continue
		}
		if err := json.Unmarshal([]byte(r.stdout), &log); err != nil {
			t.Fatal(err)
		}
		for _, v := range log {
			if v.State != "" && v.State != "live" {
				continue
			}
			mustTrove(t, fresh, "pull", name+":"+v.Version, "-o", filepath.Join(t.TempDir(), "o"))
		}
	}
	for _, c := range clones {
		mustTrove(t, c, "fsck")
	}
}

var _ = exec.Command
var _ = context.Background

// TestTTLUpstream: ttl set --upstream follows lineage to the versions a
// version was made from.
func TestTTLUpstream(t *testing.T) {
	dir := newProject(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"d.txt": "data"})
	mustTrove(t, dir, "commit", "ds", "--type", "dataset", src)
	id := startRun(t, dir)
	t.Setenv(runIDEnv, id)
	mustTrove(t, dir, "use", "ds")
	writeFiles(t, src, map[string]string{"m.bin": "weights"})
	mustTrove(t, dir, "commit", "model", "--type", "model", filepath.Join(src, "m.bin"))
	t.Setenv(runIDEnv, "")
	out := mustTrove(t, dir, "ttl", "set", "model:v0", "7d", "--upstream")
	if !strings.Contains(out, "model:v0: ttl 7d") || !strings.Contains(out, "ds:v0: ttl 7d") {
		t.Fatalf("ttl set --upstream:\n%s", out)
	}
	var sts []ttlVersionJSON
	troveJSON(t, dir, &sts, "ttl", "show", "ds")
	if len(sts) != 1 || sts[0].TTL != "7d" || sts[0].Source != "override" {
		t.Fatalf("ds after --upstream: %+v", sts)
	}
	// Downstream of the model there is nothing else.
	out = mustTrove(t, dir, "ttl", "set", "model:v0", "never", "--downstream")
	if strings.Contains(out, "ds:") {
		t.Fatalf("--downstream reached upstream:\n%s", out)
	}
}

// TestCommitAfterGCStoresAgain: files whose stat cache entries name
// content that GC has collected since are read and stored again by the
// next commit, in one go, while a file whose content survived is not read;
// the commit after that reads nothing.
func TestCommitAfterGCStoresAgain(t *testing.T) {
	dir := newProject(t)
	src := t.TempDir()
	gone := string(randomBytes(3, 1<<20))
	writeFiles(t, src, map[string]string{"gone.bin": gone, "kept.txt": "kept"})
	// Stat cache entries are trusted once the file is older than the
	// moment it was read by more than the racy window (50 ms).
	time.Sleep(100 * time.Millisecond)
	mustTrove(t, dir, "commit", "ds", "--type", "dataset", src)
	keep := t.TempDir()
	writeFiles(t, keep, map[string]string{"kept.txt": "kept"})
	mustTrove(t, dir, "commit", "other", "--type", "dataset", keep)
	mustTrove(t, dir, "delete", "ds:v0")
	var g gcJSON
	troveJSON(t, dir, &g, "gc")
	if g.Bytes < 1<<20 {
		t.Fatalf("gc freed %d bytes: the test needs gone.bin collected", g.Bytes)
	}

	// The files did not change: both stat cache entries still match.
	var c commitJSON
	troveJSON(t, dir, &c, "commit", "ds", src)
	if c.Version != "v1" || c.Read != int64(len(gone)) || c.Stored < int64(len(gone)) {
		t.Fatalf("commit after gc: %+v; want v1 reading and storing gone.bin's %d bytes alone", c, len(gone))
	}
	mustTrove(t, dir, "fsck")
	out := filepath.Join(t.TempDir(), "out")
	mustTrove(t, dir, "pull", "ds:v1", "-o", out)
	if b, err := os.ReadFile(filepath.Join(out, "gone.bin")); err != nil || string(b) != gone {
		t.Fatalf("pulled gone.bin: %d bytes, %v", len(b), err)
	}
	troveJSON(t, dir, &c, "commit", "ds", src)
	if !c.Unchanged || c.Read != 0 {
		t.Fatalf("second commit after gc: %+v; want unchanged, nothing read", c)
	}
}
