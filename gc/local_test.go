package gc_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/trove-ml/trove/gc"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/retention"
)

// TestLocalPlans runs the GC scripts in testdata/local: commits of
// synthetic files on a fake clock, deletions and TTLs, and the plan (and
// outcome) of each collection. Regenerate with -rewrite and review the diff.
func TestLocalPlans(t *testing.T) {
	datadriven.Walk(t, "testdata/local", func(t *testing.T, path string) {
		w := newWorld(t)
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			return w.run(t, d)
		})
	})
}

func (w *world) run(t *testing.T, d *datadriven.TestData) string {
	ctx := context.Background()
	arg := func(key string) string {
		for _, a := range d.CmdArgs {
			if a.Key == key {
				if len(a.Vals) == 0 {
					return "true"
				}
				return strings.Join(a.Vals, ",")
			}
		}
		return ""
	}
	switch d.Cmd {
	case "commit":
		// commit name=A [ttl=30d] [alias=best]
		// one file a line: NAME SIZE SEED
		var files []file
		for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
			f := strings.Fields(line)
			if len(f) != 3 {
				return "bad file line: " + line
			}
			size, _ := strconv.Atoi(f[1])
			seed, _ := strconv.Atoi(f[2])
			files = append(files, file{f[0], size, seed})
		}
		var aliases []string
		if a := arg("alias"); a != "" {
			aliases = strings.Split(a, ",")
		}
		v, err := w.commit(arg("name"), arg("ttl"), aliases, files)
		if err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprintf("%s:v%d", arg("name"), v.N)
	case "advance":
		dur, err := retention.ParseDuration(arg("by"))
		if err != nil {
			return "error: " + err.Error()
		}
		w.clock = w.clock.Add(dur)
		return w.clock.Format(time.RFC3339)
	case "delete":
		n, _ := strconv.Atoi(strings.TrimPrefix(arg("v"), "v"))
		vs, err := w.refs.Delete(ctx, refs.DeleteRequest{Name: arg("name"), Versions: []int{n}, Reason: refs.ReasonDeleted,
			At: func(refs.Version) time.Time { return w.clock }})
		if err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprintf("deleted %d", len(vs))
	case "pin":
		// pin name=A v=vN path=P: a trove.lock pin on the version.
		l, err := w.refs.Log(ctx, arg("name"))
		if err != nil {
			return "error: " + err.Error()
		}
		v, err := l.Resolve(arg("v"))
		if err != nil {
			return "error: " + err.Error()
		}
		w.pin(arg("path"), v)
		return "ok"
	case "unpin":
		w.unpin(arg("path"))
		return "ok"
	case "default-ttl":
		t, err := retention.ParseTTL(arg("ttl"))
		if err != nil {
			return "error: " + err.Error()
		}
		w.set.DefaultTTL = t
		return "ok"
	case "policy":
		n, _ := strconv.Atoi(arg("keep-last"))
		if w.set.Policies == nil {
			w.set.Policies = map[string]retention.Policy{}
		}
		w.set.Policies[arg("name")] = retention.Policy{KeepLast: n, KeepAliased: arg("keep-aliased") == "true"}
		return "ok"
	case "gc":
		s := gc.DefaultSafety()
		if g := arg("grace"); g != "" {
			dur, err := retention.ParseDuration(g)
			if err != nil {
				return "error: " + err.Error()
			}
			s.Grace = dur
		}
		if th := arg("threshold"); th != "" {
			s.RepackThreshold, _ = strconv.ParseFloat(th, 64)
		}
		o := gc.Options{Safety: &s, Now: w.now}
		p, err := gc.PlanLocal(ctx, w.st, w.roots(), o)
		if err != nil {
			return "error: " + err.Error()
		}
		var b strings.Builder
		_ = p.WriteText(&b, arg("verbose") == "true")
		if arg("dry-run") == "true" {
			return b.String()
		}
		res, err := gc.ExecuteLocal(ctx, w.st, w.refs, p, w.roots(), o)
		if err != nil {
			return b.String() + "error: " + err.Error() + "\n"
		}
		n, bytes := w.usage()
		fmt.Fprintf(&b, "done   %d expired, %d packs deleted, %d rewritten; %d objects, %d bytes freed; %d packs, %d bytes left\n",
			len(res.Expired), res.PacksDeleted, res.PacksRewritten, res.Objects, res.Bytes, n, bytes)
		if f := w.fsck(); f != "" {
			fmt.Fprintf(&b, "fsck: %s\n", f)
		}
		return b.String()
	case "fsck":
		if f := w.fsck(); f != "" {
			return f
		}
		return "ok"
	case "resolve":
		l, err := w.refs.Log(ctx, arg("name"))
		if err != nil {
			return "error: " + err.Error()
		}
		v, err := l.Resolve(arg("sel"))
		if err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprintf("v%d", v.N)
	case "usage":
		n, bytes := w.usage()
		return fmt.Sprintf("%d packs, %d bytes", n, bytes)
	case "stray":
		// Write a pack nothing indexes, as a crash between a pack's rename
		// and its index batch leaves.
		wr := w.st.NewWriter()
		data := content(999, 1000)
		if _, err := wr.PutChunk(ctx, objects.Sum(data), data, nil); err != nil {
			return "error: " + err.Error()
		}
		if err := wr.Flush(ctx); err != nil {
			return "error: " + err.Error()
		}
		if err := w.st.DropUnreachable(ctx, objects.Drop{}); err != nil {
			return "error: " + err.Error()
		}
		return "ok"
	}
	return "unknown command " + d.Cmd
}
