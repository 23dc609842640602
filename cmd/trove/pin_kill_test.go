package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKilledPin: a pin killed while it writes the new version's files
// (kill -9, the OOM killer) leaves the pin as it was, and what it wrote is
// trove's: checkout puts the pinned version back without --force, the
// files only the new version has and the temp files go, and the pin made
// again succeeds.
func TestKilledPin(t *testing.T) {
	dir := newProject(t)
	src := filepath.Join(t.TempDir(), "src")
	// Version 1 changes every file and adds newN files, whose number in
	// the folder tells how far a pin of it got.
	const n, added = 600, 120
	files := func(gen int) map[string]string {
		m := map[string]string{}
		for i := range n {
			m[fmt.Sprintf("d%02d/f%04d", i%12, i)] = fmt.Sprintf("generation %d of file %d\n", gen, i)
			if gen == 1 && i%(n/added) == 0 {
				m[fmt.Sprintf("d%02d/new%04d", i%12, i)] = fmt.Sprintf("new in generation %d: %d\n", gen, i)
			}
		}
		return m
	}
	writeFiles(t, src, files(0))
	mustTrove(t, dir, "commit", "ds", "--type", "dataset", src)
	writeFiles(t, src, files(1))
	mustTrove(t, dir, "commit", "ds", src)
	mustTrove(t, dir, "pin", "ds:v0", "data")

	written := func() int {
		m, _ := filepath.Glob(filepath.Join(dir, "data", "d*", "new*"))
		return len(m)
	}
	landed := 0
	for _, upTo := range []int{1, added / 3, 2 * added / 3} {
		cmd := troveProc(t, dir, "pin", "ds:v1", "data")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(time.Minute); written() < upTo && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if lock, _ := os.ReadFile(filepath.Join(dir, "trove.lock")); err == nil || strings.Contains(string(lock), "\tds\tv1\t") {
			// Done, or all but done (trove.lock written), before the kill.
			mustTrove(t, dir, "pin", "ds:v0", "data")
			continue
		}
		r := trove(t, dir, "checkout", "--json")
		if r.code != 0 {
			t.Fatalf("checkout after a pin killed with %d of %d new files written: exit %d\n%s%s", upTo, added, r.code, r.stdout, r.stderr)
		}
		var co checkoutJSON
		if err := json.Unmarshal([]byte(r.stdout), &co); err != nil || len(co.Pins) != 1 {
			t.Fatalf("checkout --json: %v\n%s", err, r.stdout)
		}
		if co.Pins[0].Written > 0 {
			landed++
		}
		mustTrove(t, dir, "verify", "ds:v0", filepath.Join(dir, "data"))
	}
	if landed == 0 {
		t.Errorf("no kill landed while the pin wrote")
	}
	mustTrove(t, dir, "pin", "ds:v1", "data")
	mustTrove(t, dir, "verify", "ds:v1", filepath.Join(dir, "data"))
}

// TestPinKilledBeforeRecording: a pin killed after its files were all
// written and known, but before it wrote trove.lock and the checkout
// state, leaves the new version's files in the folder as trove's; the
// checkout of the pinned version removes those the pinned one lacks, as
// the state said that version was being materialised there.
func TestPinKilledBeforeRecording(t *testing.T) {
	dir := newProject(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a.txt": "a0"})
	mustTrove(t, dir, "commit", "ds", "--type", "dataset", src)
	writeFiles(t, src, map[string]string{"a.txt": "a1", "only1.txt": "new"})
	mustTrove(t, dir, "commit", "ds", src)
	mustTrove(t, dir, "pin", "ds:v0", "data")
	lock, err := os.ReadFile(filepath.Join(dir, "trove.lock"))
	if err != nil {
		t.Fatal(err)
	}
	statePath := filepath.Join(dir, ".trove", "checkout")
	state, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	mustTrove(t, dir, "pin", "ds:v1", "data")

	// Put back trove.lock and the state as the killed pin left them: v0
	// pinned and placed, v1 being materialised.
	var show struct{ Digest string }
	troveJSON(t, dir, &show, "show", "ds:v1")
	pending := strings.Replace(string(state), `}}}`, `,"pending":"`+show.Digest+`"}}}`, 1)
	if pending == string(state) {
		t.Fatalf("checkout state of an unexpected shape: %s", state)
	}
	writeFiles(t, dir, map[string]string{"trove.lock": string(lock), ".trove/checkout": pending})

	var co checkoutJSON
	troveJSON(t, dir, &co, "checkout")
	if len(co.Pins) != 1 || co.Pins[0].Written != 1 || co.Pins[0].Removed != 1 {
		t.Errorf("checkout: %+v, want a.txt written and only1.txt removed", co.Pins)
	}
	mustTrove(t, dir, "verify", "ds:v0", filepath.Join(dir, "data"))
}
