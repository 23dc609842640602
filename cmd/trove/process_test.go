package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/trove-ml/trove/repo"
)

// TestConcurrentCommits: two processes committing to one repository both
// succeed, with distinct version numbers.
func TestConcurrentCommits(t *testing.T) {
	dir := newProject(t)
	writeFiles(t, dir, map[string]string{"a/f": string(randomBytes(1, 1<<20)), "b/f": string(randomBytes(2, 1<<20))})
	var wg sync.WaitGroup
	outs := make([]string, 2)
	errs := make([]error, 2)
	for i, d := range []string{"a", "b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out, stderr bytes.Buffer
			cmd := troveProc(t, dir, "commit", "ds", "--type", "dataset", d)
			cmd.Stdout, cmd.Stderr = &out, &stderr
			errs[i] = cmd.Run()
			outs[i] = out.String() + stderr.String()
		}()
	}
	wg.Wait()
	for i := range errs {
		if errs[i] != nil {
			t.Fatalf("commit %d: %v\n%s", i, errs[i], outs[i])
		}
	}
	var got []string
	for _, o := range outs {
		got = append(got, strings.Fields(o)[0])
	}
	sort.Strings(got)
	if strings.Join(got, " ") != "ds:v0 ds:v1" {
		t.Fatalf("versions %v, want ds:v0 and ds:v1", got)
	}
}

// TestLockTimeout: a second process waits for the repository, then gives up
// with exit status 4 and a message saying why.
func TestLockTimeout(t *testing.T) {
	dir := newProject(t)
	r, err := repo.Open(context.Background(), dir, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := troveProc(t, dir, "--lock-timeout", "300ms", "log")
	cmd.Stderr = &stderr
	err = cmd.Run()
	r.Close()
	if cmd.ProcessState.ExitCode() != exitLocked || !strings.Contains(stderr.String(), "another trove process") {
		t.Fatalf("exit %d (%v): %s", cmd.ProcessState.ExitCode(), err, stderr.String())
	}
	// Once released, the next command works.
	mustTrove(t, dir, "log")
}

// TestKilledCommit: a commit killed mid-way leaves no version, and the
// next commands work.
func TestKilledCommit(t *testing.T) {
	dir := newProject(t)
	for i := range 8 {
		writeFiles(t, dir, map[string]string{filepath.Join("data", "f"+string(rune('a'+i))): string(randomBytes(i, 12<<20))})
	}
	for _, delay := range []time.Duration{20 * time.Millisecond, 80 * time.Millisecond, 200 * time.Millisecond} {
		cmd := troveProc(t, dir, "commit", "ds", "--type", "dataset", "data")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	if r := trove(t, dir, "log", "ds"); r.code == 0 && !strings.Contains(r.stdout, "v0") {
		t.Fatalf("log after kills: %s", r.stdout)
	}
	r := trove(t, dir, "fsck")
	if r.code != 0 {
		t.Fatalf("fsck after killed commits: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	mustTrove(t, dir, "commit", "ds", "--type", "dataset", "data")
	out := filepath.Join(dir, "out")
	mustTrove(t, dir, "pull", "ds", "-o", out)
	mustTrove(t, dir, "verify", "ds", out)
}

// TestFileSizeLimit: a commit that cannot write (the file size limit stands
// in for a full disk) fails cleanly and leaves no version.
func TestFileSizeLimit(t *testing.T) {
	dir := newProject(t)
	writeFiles(t, dir, map[string]string{"data/f": string(randomBytes(3, 4<<20))})
	cmd := troveProc(t, dir, "commit", "ds", "--type", "dataset", "data")
	// 1 MiB file size limit for the child only: pack writes fail with EFBIG.
	cmd.Args = append([]string{"bash", "-c", `ulimit -f 1024; exec "$@"`, "bash"}, cmd.Args...)
	cmd.Path = "/bin/bash"
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("commit under a 1 MiB file size limit succeeded:\n%s", out)
	}
	if r := trove(t, dir, "log", "ds"); r.code == 0 {
		t.Fatalf("failed commit left a version:\n%s", r.stdout)
	}
	mustTrove(t, dir, "fsck")
	mustTrove(t, dir, "commit", "ds", "--type", "dataset", "data")
}

// TestFileChangingDuringCommit: a file rewritten while trove reads it is
// either committed as one of the states it was in, or refused; never a
// digest of a mix.
func TestFileChangingDuringCommit(t *testing.T) {
	dir := newProject(t)
	states := [][]byte{randomBytes(10, 16<<20), randomBytes(11, 16<<20)}
	path := filepath.Join(dir, "data", "model.bin")
	writeFiles(t, dir, map[string]string{"data/model.bin": string(states[0])})
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			// Rewrite in place, 1 MiB at a time, alternating states.
			s := states[i%2]
			for off := 0; off < len(s); off += 1 << 20 {
				f.WriteAt(s[off:off+1<<20], int64(off))
			}
		}
	}()
	var refused, committed int
	for range 4 {
		r := trove(t, dir, "commit", "m", "--type", "model", "data", "--json")
		if r.code != 0 {
			if !strings.Contains(r.stderr, "changed while it was read") {
				t.Fatalf("unexpected failure: %s", r.stderr)
			}
			refused++
			continue
		}
		committed++
	}
	close(stop)
	<-done
	if committed > 0 {
		var files []fileJSON
		troveJSON(t, dir, &files, "ls", "m")
		if d := files[0].Digest; d != b3(states[0]) && d != b3(states[1]) {
			t.Fatalf("committed digest %s is neither state of the file", d)
		}
	}
	t.Logf("%d refused, %d committed", refused, committed)
}
