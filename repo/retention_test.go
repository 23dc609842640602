package repo

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/trove-ml/trove/refs"
)

// TestCommitLeavesExpiredVersions: a commit compares its content with the
// version "latest" resolves to, skipping versions whose TTL ran out, but
// records nothing about them: only GC deletes, so until it runs a longer
// TTL still saves an expired version (PRODUCT.md, TTL).
func TestCommitLeavesExpiredVersions(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r, err := Init(ctx, t.TempDir(), InitOptions{}, Options{PackSize: 1 << 20, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	src := t.TempDir()
	write(t, filepath.Join(src, "a"), []byte("one"))
	commit := func(ttl string) *CommitResult {
		t.Helper()
		res, err := r.Commit(ctx, CommitOptions{Name: "m", Type: "model", Paths: []string{src}, TTL: ttl})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	state := func(n int) string {
		t.Helper()
		l, err := r.Refs().Log(ctx, "m")
		if err != nil {
			t.Fatal(err)
		}
		v, ok := l.Version(n)
		if !ok {
			t.Fatalf("v%d is not in the log", n)
		}
		return v.State
	}

	commit("1h") // v0
	now = now.Add(2 * time.Hour)
	if _, err := r.Resolve(ctx, "m:v0"); !errors.Is(err, ErrExpired) {
		t.Fatalf("resolve of the expired v0: %v", err)
	}

	// Equal to the expired latest: a new version, and v0 left as it was.
	if res := commit(""); res.Unchanged || res.Version.N != 1 {
		t.Fatalf("commit equal to the expired v0: unchanged %v, v%d; want a new v1", res.Unchanged, res.Version.N)
	}
	if st := state(0); st != refs.StateLive {
		t.Fatalf("the commit recorded the expired v0 %v; only GC may", st)
	}
	// Equal to the live latest: no new version.
	if res := commit(""); !res.Unchanged || res.Version.N != 1 {
		t.Fatalf("commit equal to v1: unchanged %v, v%d", res.Unchanged, res.Version.N)
	}

	// v1 expires too: "latest" resolves to nothing, and equal content
	// makes v2.
	if err := r.Refs().SetTTL(ctx, "m", []int{1}, "1h"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Hour)
	if res := commit(""); res.Unchanged || res.Version.N != 2 {
		t.Fatalf("commit with every version expired: unchanged %v, v%d; want v2", res.Unchanged, res.Version.N)
	}

	// A longer TTL saves v0, which resolves again.
	if err := r.Refs().SetTTL(ctx, "m", []int{0}, "never"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Resolve(ctx, "m:v0"); err != nil {
		t.Fatalf("v0 after its TTL was extended: %v", err)
	}
}
