package lineage

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/trove-ml/trove/refs"
)

// TestGraph runs the scripts in testdata/graph. Directives:
//
//	version NAME [type=T] [n=K]          append K versions to artifact NAME
//	run ALIAS [job=J] [name=N] [in=a:v0,…] [out=b:v1,…] [end=running|CODE|SIGNAME]
//	add ALIAS in|out NAME:vN             add an input or output to a run
//	lineage NAME:vN [dir=up|down|both] [depth=N] [format=text|json|dot]
//	runs-of NAME:vN                      who logged and used a version
//	drop-edges                           delete the whole edge index
//	reindex                              rebuild it from the runs
//
// Output replaces run ids with #ALIAS and record ids with @NAME:vN.
func TestGraph(t *testing.T) {
	datadriven.Walk(t, "testdata/graph", func(t *testing.T, path string) {
		ctx := context.Background()
		e := newEnv(t)
		aliases := map[string]string{} // run id -> alias
		ids := map[string]string{}     // alias -> run id
		records := map[string]string{} // record hex -> NAME:vN
		parseVersion := func(s string) VersionRef {
			i := strings.LastIndex(s, ":v")
			n, err := strconv.Atoi(s[i+2:])
			if i < 0 || err != nil {
				t.Fatalf("bad version %q", s)
			}
			v := VersionRef{Record: recordOf(s[:i], n), Artifact: s[:i], Version: n}
			records[v.Record.String()] = s
			return v
		}
		readable := func(s string) string {
			for id, a := range aliases {
				s = strings.ReplaceAll(s, id, "#"+a)
			}
			for rec, name := range records {
				s = strings.ReplaceAll(s, rec, "@"+name)
				s = strings.ReplaceAll(s, rec[:12], "@"+name)
			}
			return s
		}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			arg := func(key, def string) string {
				for _, a := range d.CmdArgs {
					if a.Key == key {
						return strings.Join(a.Vals, ",")
					}
				}
				return def
			}
			list := func(key string) []string {
				for _, a := range d.CmdArgs {
					if a.Key == key {
						return a.Vals
					}
				}
				return nil
			}
			switch d.Cmd {
			case "version":
				n, _ := strconv.Atoi(arg("n", "1"))
				var out []string
				for range n {
					v := e.version(t, d.CmdArgs[0].Key, arg("type", "dataset"))
					records[v.Record.String()] = v.String()
					out = append(out, v.String())
				}
				return strings.Join(out, " ") + "\n"

			case "run":
				alias := d.CmdArgs[0].Key
				r, err := e.s.Start(ctx, StartOptions{Name: arg("name", ""), JobType: arg("job", ""), Command: []string{"python", alias + ".py"}})
				if err != nil {
					return "error: " + err.Error() + "\n"
				}
				aliases[r.ID], ids[alias] = alias, r.ID
				for _, v := range list("in") {
					if _, err := e.s.AddInput(ctx, r.ID, parseVersion(v)); err != nil {
						return "error: " + readable(err.Error()) + "\n"
					}
				}
				for _, v := range list("out") {
					if _, err := e.s.AddOutput(ctx, r.ID, parseVersion(v)); err != nil {
						return "error: " + readable(err.Error()) + "\n"
					}
				}
				end := arg("end", "0")
				if end == "running" {
					return "running\n"
				}
				var ed End
				if code, err := strconv.Atoi(end); err == nil {
					ed.ExitCode = code
				} else {
					ed.Signal = end
				}
				fin, err := e.s.Finish(ctx, r.ID, ed)
				if err != nil {
					return "error: " + readable(err.Error()) + "\n"
				}
				return fin.Outcome() + "\n"

			case "add":
				alias, dir, v := d.CmdArgs[0].Key, d.CmdArgs[1].Key, parseVersion(d.CmdArgs[2].Key)
				id, ok := ids[alias]
				if !ok {
					id = alias
				}
				add := e.s.AddInput
				if dir == "out" {
					add = e.s.AddOutput
				}
				added, err := add(ctx, id, v)
				if err != nil {
					return "error: " + readable(err.Error()) + "\n"
				}
				if !added {
					return "already there\n"
				}
				return "added\n"

			case "lineage":
				o := GraphOptions{}
				switch arg("dir", "both") {
				case "up":
					o.Direction = Upstream
				case "down":
					o.Direction = Downstream
				}
				o.Depth, _ = strconv.Atoi(arg("depth", "0"))
				g, err := e.s.Graph(ctx, parseVersion(d.CmdArgs[0].Key), o)
				if err != nil {
					return "error: " + readable(err.Error()) + "\n"
				}
				var b strings.Builder
				switch arg("format", "text") {
				case "json":
					err = g.WriteJSON(&b)
				case "dot":
					err = g.WriteDOT(&b)
				default:
					err = g.WriteText(&b)
				}
				if err != nil {
					t.Fatal(err)
				}
				return readable(b.String())

			case "runs-of":
				v := parseVersion(d.CmdArgs[0].Key)
				var b strings.Builder
				for _, l := range []struct {
					what string
					fn   func(context.Context, [32]byte) ([]*Run, error)
				}{{"logged by", func(ctx context.Context, id [32]byte) ([]*Run, error) { return e.s.LoggedBy(ctx, id) }},
					{"used by", func(ctx context.Context, id [32]byte) ([]*Run, error) { return e.s.UsedBy(ctx, id) }}} {
					runs, err := l.fn(ctx, v.Record)
					if err != nil {
						return "error: " + err.Error() + "\n"
					}
					fmt.Fprintf(&b, "%s:", l.what)
					for _, r := range runs {
						fmt.Fprintf(&b, " %s(%s)", r.ID, r.Outcome())
					}
					b.WriteString("\n")
				}
				return readable(b.String())

			case "drop-edges":
				var keys [][]byte
				e.s.edges.Scan(ctx, nil, func(k, _ []byte) error {
					keys = append(keys, append([]byte(nil), k...))
					return nil
				})
				err := e.s.edges.Update(ctx, func(tx refs.Txn) error {
					for _, k := range keys {
						if err := tx.Delete(k); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				return fmt.Sprintf("dropped %d keys\n", len(keys))

			case "reindex":
				st, err := e.s.Reindex(ctx)
				if err != nil {
					return "error: " + err.Error() + "\n"
				}
				return fmt.Sprintf("%d runs, %d edges; %d keys added, %d removed\n", st.Runs, st.Edges, st.Added, st.Removed)

			case "runs":
				var out []string
				err := e.s.Runs(ctx, func(r *Run) error {
					in, outs, err := e.s.Versions(ctx, r.ID)
					out = append(out, fmt.Sprintf("%s %s in=%d out=%d", r.ID, r.Outcome(), len(in), len(outs)))
					return err
				})
				if err != nil {
					return "error: " + err.Error() + "\n"
				}
				sort.Strings(out)
				return readable(strings.Join(out, "\n")) + "\n"
			}
			t.Fatalf("%s: unknown directive %q", d.Pos, d.Cmd)
			return ""
		})
	})
}
