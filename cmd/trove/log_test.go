package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestLogMarksExpired: a version whose TTL ran out and that GC has not
// collected yet is marked expired by log, in text and JSON; "latest" is
// shown where it resolves, on the newest version that has not expired;
// every command naming the expired version says when it expired and
// exits 1.
func TestLogMarksExpired(t *testing.T) {
	dir := newProject(t)
	src := t.TempDir()
	for _, v := range []struct {
		content string
		flags   []string
	}{
		{"one", []string{"--type", "model", "--ttl", "30d"}},
		{"two", []string{"--ttl", "1s", "--alias", "best"}},
	} {
		writeFiles(t, src, map[string]string{"a": v.content})
		mustTrove(t, dir, append([]string{"commit", "m", src}, v.flags...)...)
	}
	time.Sleep(1100 * time.Millisecond) // the TTL counts from creation, on the real clock

	var log []versionJSON
	troveJSON(t, dir, &log, "log", "m")
	if len(log) != 2 || log[0].Version != "v1" || log[1].Version != "v0" {
		t.Fatalf("log --json: %+v", log)
	}
	v1, v0 := log[0], log[1]
	if !v1.Expired || v1.Expires == nil || v1.Expires.After(time.Now()) {
		t.Errorf("v1: expired %v, expires %v; want expired in the past", v1.Expired, v1.Expires)
	}
	if v0.Expired || v0.Expires == nil || v0.Expires.Before(time.Now().Add(29*24*time.Hour)) {
		t.Errorf("v0: expired %v, expires %v; want a month ahead", v0.Expired, v0.Expires)
	}
	if strings.Join(v0.Aliases, ",") != "latest" || strings.Join(v1.Aliases, ",") != "best" {
		t.Errorf("aliases: v0 %q, v1 %q; want latest on v0, which resolves", v0.Aliases, v1.Aliases)
	}

	text := mustTrove(t, dir, "log", "m")
	wantMark := "v1 (expired " + v1.Expires.UTC().Format(time.DateOnly) + ")"
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "v1"):
			if !strings.HasPrefix(line, wantMark) {
				t.Errorf("log: v1 line %q does not start with %q", line, wantMark)
			}
		case strings.HasPrefix(line, "v0"):
			if strings.Contains(line, "expired") || !strings.Contains(line, "latest") {
				t.Errorf("log: v0 line %q", line)
			}
		}
	}
	var arts []artifactJSON
	troveJSON(t, dir, &arts, "log")
	if len(arts) != 1 || arts[0].Latest != "v0" {
		t.Errorf("log of every artifact: %+v; want latest v0", arts)
	}

	out := t.TempDir()
	for _, args := range [][]string{
		{"show", "m:v1"},
		{"show", "m:best"},
		{"ls", "m:v1"},
		{"diff", "m:v0", "m:v1"},
		{"pull", "m:v1", "-o", out},
		{"verify", "m:v1", out},
		{"lineage", "m:v1"},
		{"pin", "m:v1", "data/m"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := trove(t, dir, args...)
			if r.code != exitError || !strings.Contains(r.stderr, "v1") || !strings.Contains(r.stderr, "expired on") ||
				!strings.Contains(r.stderr, "next GC deletes it") {
				t.Fatalf("exit %d, want %d; stderr %q", r.code, exitError, r.stderr)
			}
		})
	}
	if ents, err := os.ReadDir(out); err != nil || len(ents) != 0 {
		t.Errorf("pull of an expired version wrote %d entries (%v)", len(ents), err)
	}
	mustTrove(t, dir, "show", "m")
}
