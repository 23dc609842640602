package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
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
	// Version 1 changes every file and adds some.
	files := func(gen int) map[string]string {
		m := map[string]string{}
		for i := range 600 {
			m[fmt.Sprintf("d%02d/f%04d", i%12, i)] = fmt.Sprintf("generation %d of file %d\n", gen, i)
			if gen == 1 && i%5 == 0 {
				m[fmt.Sprintf("d%02d/new%04d", i%12, i)] = fmt.Sprintf("new in generation %d: %d\n", gen, i)
			}
		}
		return m
	}
	writeFiles(t, src, files(0))
	mustTrove(t, dir, "commit", "ds", "--type", "dataset", src)
	writeFiles(t, src, files(1))
	mustTrove(t, dir, "commit", "ds", src)

	// How long a whole pin takes here, as a process: the kills land at
	// fractions of it, most of which the pin spends writing.
	mustTrove(t, dir, "pin", "ds:v1", "data")
	mustTrove(t, dir, "pin", "ds:v0", "data")
	start := time.Now()
	if out, err := troveProc(t, dir, "pin", "ds:v1", "data").CombinedOutput(); err != nil {
		t.Fatalf("pin: %v\n%s", err, out)
	}
	whole := time.Since(start)
	mustTrove(t, dir, "pin", "ds:v0", "data")

	landed := 0
	for _, frac := range []float64{0.35, 0.55, 0.75, 0.9} {
		cmd := troveProc(t, dir, "pin", "ds:v1", "data")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(frac * float64(whole)))
		cmd.Process.Signal(syscall.SIGKILL)
		if cmd.Wait() == nil { // done before the kill
			mustTrove(t, dir, "pin", "ds:v0", "data")
			continue
		}
		r := trove(t, dir, "checkout", "--json")
		if r.code != 0 {
			t.Fatalf("checkout after a pin killed at %.0f%% of its time: exit %d\n%s%s", 100*frac, r.code, r.stdout, r.stderr)
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
		t.Errorf("no kill landed while the pin wrote (a whole pin took %v)", whole)
	}
	if testing.Verbose() {
		t.Logf("a whole pin took %v; %d kills of 4 landed while it wrote", whole, landed)
	}
	mustTrove(t, dir, "pin", "ds:v1", "data")
	mustTrove(t, dir, "verify", "ds:v1", filepath.Join(dir, "data"))
}
