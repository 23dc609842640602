package repo

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAliasesAgreeWithResolve: the aliases Aliases lists resolve to the
// version it names, and the ones it says are released do not resolve;
// "latest" is the newest version that resolves. Expiry comes from a fake
// clock moved past TTLs set on some versions.
func TestAliasesAgreeWithResolve(t *testing.T) {
	for _, c := range []struct {
		name    string
		expire  []int  // versions given a TTL of 1s (of v0…v5)
		aliases string // what Aliases lists
	}{
		{"none expired", nil, "keep=v2 latest=v5"},
		{"expired alias and latest", []int{2, 5}, "keep=released(v2 expired on 2026-03-01 00:00:01 UTC (TTL 1s, override)) latest=v4"},
		{"expired below latest", []int{4}, "keep=v2 latest=v5"},
		{"every version expired", []int{0, 1, 2, 3, 4, 5}, "keep=released(v2 expired on 2026-03-01 00:00:01 UTC (TTL 1s, override))"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			r, err := Init(ctx, t.TempDir(), InitOptions{}, Options{PackSize: 1 << 20, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			src := t.TempDir()
			for i := range 6 {
				write(t, filepath.Join(src, "f"), []byte(fmt.Sprint("content ", i)))
				if _, err := r.Commit(ctx, CommitOptions{Name: "cc", Type: "dataset", Paths: []string{src}}); err != nil {
					t.Fatal(err)
				}
			}
			if _, _, err := r.Refs().SetAlias(ctx, "cc", "v2", "keep"); err != nil {
				t.Fatal(err)
			}
			if len(c.expire) > 0 {
				if err := r.Refs().SetTTL(ctx, "cc", c.expire, "1s"); err != nil {
					t.Fatal(err)
				}
			}
			now = now.Add(2 * time.Second)

			l, err := r.Refs().Log(ctx, "cc")
			if err != nil {
				t.Fatal(err)
			}
			als, err := r.Aliases(ctx, "cc", l)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, al := range als {
				if al.Released != "" {
					got = append(got, fmt.Sprintf("%s=released(%s)", al.Name, al.Released))
				} else {
					got = append(got, fmt.Sprintf("%s=v%d", al.Name, al.Version.N))
				}
				// Agreement with resolution, alias by alias.
				res, err := r.Resolve(ctx, "cc:"+al.Name)
				switch {
				case al.Released != "" && err == nil:
					t.Errorf("%s is listed released, but resolves to %s", al.Name, res)
				case al.Released == "" && err != nil:
					t.Errorf("%s is listed as v%d, but does not resolve: %v", al.Name, al.Version.N, err)
				case al.Released == "" && res.Version.N != al.Version.N:
					t.Errorf("%s is listed as v%d, but resolves to %s", al.Name, al.Version.N, res)
				}
			}
			if g := strings.Join(got, " "); g != c.aliases {
				t.Errorf("Aliases = %s\nwant       %s", g, c.aliases)
			}
			if _, err := r.Resolve(ctx, "cc"); (err == nil) != strings.Contains(c.aliases, "latest=") {
				t.Errorf("cc resolves: %v, but latest listed: %s", err, c.aliases)
			}
		})
	}
}
