package gc_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/repo"
	"github.com/trove-ml/trove/retention"
)

// TestRemotePlans runs the scripts in testdata/remote: clones sharing a
// bucket on a fake clock commit, push, delete and collect; "verify" pulls
// every live version from a fresh clone.
func TestRemotePlans(t *testing.T) {
	datadriven.Walk(t, "testdata/remote", func(t *testing.T, path string) {
		rw := newRemoteWorld(t)
		clones := map[string]*repo.Repo{}
		get := func(n string) *repo.Repo {
			if clones[n] == nil {
				clones[n] = rw.clone(n)
			}
			return clones[n]
		}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			ctx := context.Background()
			arg := func(k string) string {
				for _, a := range d.CmdArgs {
					if a.Key == k {
						if len(a.Vals) == 0 {
							return "true"
						}
						return a.Vals[0]
					}
				}
				return ""
			}
			r := get(arg("as"))
			switch d.Cmd {
			case "commit":
				files := map[string][2]int{}
				for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
					f := strings.Fields(line)
					size, _ := strconv.Atoi(f[1])
					seed, _ := strconv.Atoi(f[2])
					files[f[0]] = [2]int{seed, size}
				}
				v, err := commitFiles(t, r, arg("name"), arg("ttl"), files)
				if err != nil {
					return "error: " + err.Error()
				}
				return fmt.Sprintf("%s:v%d", arg("name"), v.N)
			case "push":
				res, err := r.Push(ctx, repo.PushOptions{Remote: "origin"})
				if err != nil {
					return "error: " + err.Error()
				}
				return fmt.Sprintf("pushed %d packs", res.Packs)
			case "fetch":
				if _, err := r.Fetch(ctx, repo.FetchOptions{Remote: "origin"}); err != nil {
					return "error: " + err.Error()
				}
				return "ok"
			case "delete":
				n, _ := strconv.Atoi(strings.TrimPrefix(arg("v"), "v"))
				_, err := r.Refs().Delete(ctx, refs.DeleteRequest{Name: arg("name"), Versions: []int{n}, Reason: refs.ReasonDeleted,
					At: func(refs.Version) time.Time { return rw.clock.Now() }})
				if err != nil {
					return "error: " + err.Error()
				}
				return "ok"
			case "advance":
				dur, _ := retention.ParseDuration(arg("by"))
				return rw.clock.advance(dur).Format(time.RFC3339)
			case "land":
				if err := rw.land(arg("name"), arg("copy")); err != nil {
					return "error: " + err.Error()
				}
				return "ok"
			case "gc":
				grace := 24 * time.Hour
				if g := arg("grace"); g != "" {
					grace, _ = retention.ParseDuration(g)
				}
				var step func(string) error
				if at := arg("land-at"); at != "" {
					// A push that read the indexes before GC took them
					// out lands its ref in the middle of the GC.
					step = func(s string) error {
						if s == at {
							return rw.land(arg("name"), arg("copy"))
						}
						return nil
					}
				}
				p, res, err := rw.collectRemote(r, grace, arg("dry-run") == "true", step)
				if err != nil {
					return "error: " + err.Error()
				}
				return summary(p, res)
			case "usage":
				return rw.remoteUsage()
			case "verify":
				if f := rw.verifyRemote(); f != "" {
					return f
				}
				return "ok"
			}
			return "unknown command " + d.Cmd
		})
	})
}
