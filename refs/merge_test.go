package refs

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/trove-ml/trove/objects"
)

// parseLog reads a log from lines such as:
//
//	v0 A            version 0, record "A", content "A"
//	v1 B root=A     version 1, record "B", content "A"
//	v2 C deleted
//	alias best=1
//	tag raw=0,1
func parseLog(t *testing.T, lines []string) *Log {
	l := &Log{Type: "dataset"}
	for _, line := range lines {
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case f[0] == "alias":
			a, n, _ := strings.Cut(f[1], "=")
			if l.Aliases == nil {
				l.Aliases = map[string]int{}
			}
			l.Aliases[a], _ = strconv.Atoi(n)
		case f[0] == "tag":
			tg, ns, _ := strings.Cut(f[1], "=")
			for _, s := range strings.Split(ns, ",") {
				n, _ := strconv.Atoi(s)
				l.addTag(tg, n)
			}
		case f[0] == "type":
			l.Type = f[1]
		default:
			n, ok := ParseVersionNumber(f[0])
			if !ok {
				t.Fatalf("bad line %q", line)
			}
			v := Version{N: n, Record: rec(f[1]), Root: rec("content-" + f[1]), State: StateLive, Created: time.Unix(0, 0).UTC()}
			for _, o := range f[2:] {
				switch {
				case o == "deleted":
					v.State, v.Reason = StateDeleted, ReasonDeleted
				case o == "expired":
					v.State, v.Reason = StateDeleted, ReasonExpired
				case strings.HasPrefix(o, "ttl="):
					v.TTL = strings.TrimPrefix(o, "ttl=")
				case strings.HasPrefix(o, "root="):
					v.Root = rec("content-" + strings.TrimPrefix(o, "root="))
				}
			}
			l.Versions = append(l.Versions, v)
			l.Next = max(l.Next, n+1)
		}
	}
	return l
}

var recNames = map[objects.ID]string{}

func rec(name string) objects.ID {
	id := objects.Sum([]byte(name))
	recNames[id] = name
	return id
}

func formatLog(l *Log) string {
	var b strings.Builder
	for _, v := range l.Versions {
		fmt.Fprintf(&b, "  v%d %s", v.N, recNames[v.Record])
		if v.State != StateLive {
			b.WriteString(" " + v.State)
		}
		b.WriteString("\n")
	}
	var as []string
	for a, n := range l.Aliases {
		as = append(as, fmt.Sprintf("%s=v%d", a, n))
	}
	sort.Strings(as)
	var ts []string
	for tg, ns := range l.Tags {
		ts = append(ts, fmt.Sprintf("%s=%v", tg, ns))
	}
	sort.Strings(ts)
	fmt.Fprintf(&b, "  next=%d aliases=%v tags=%v\n", l.Next, as, ts)
	return b.String()
}

// TestMerge runs testdata/merge. Input sections "base:", "local:",
// "remote:" describe logs (see parseLog); the directive's include=A,B
// argument lists the local records to push (default: all).
func TestMerge(t *testing.T) {
	datadriven.RunTest(t, "testdata/merge", func(t *testing.T, d *datadriven.TestData) string {
		sections := map[string][]string{}
		cur := ""
		for _, line := range strings.Split(d.Input, "\n") {
			if strings.HasSuffix(line, ":") {
				cur = strings.TrimSuffix(line, ":")
				sections[cur] = []string{}
				continue
			}
			sections[cur] = append(sections[cur], line)
		}
		var base, remote *Log
		if s, ok := sections["base"]; ok {
			base = parseLog(t, s)
		}
		if s, ok := sections["remote"]; ok {
			remote = parseLog(t, s)
		}
		local := parseLog(t, sections["local"])
		include := func(Version) bool { return true }
		for _, a := range d.CmdArgs {
			if a.Key == "include" {
				want := map[objects.ID]bool{}
				for _, v := range a.Vals {
					want[rec(v)] = true
				}
				include = func(v Version) bool { return want[v.Record] }
			}
		}
		var held func(Version) string
		for _, a := range d.CmdArgs {
			if a.Key == "held" {
				want := map[objects.ID]bool{}
				for _, v := range a.Vals {
					want[rec(v)] = true
				}
				held = func(v Version) string {
					if want[v.Record] {
						return "a registry link on the remote"
					}
					return ""
				}
			}
		}
		var unsure func(Version) string
		for _, a := range d.CmdArgs {
			if a.Key == "unsure" {
				want := map[objects.ID]bool{}
				for _, v := range a.Vals {
					want[rec(v)] = true
				}
				unsure = func(v Version) string {
					if want[v.Record] {
						return "a registry there could not be read"
					}
					return ""
				}
			}
		}
		res, err := Merge(base, local, remote, MergeOptions{Include: include, Held: held, Unsure: unsure})
		if err != nil {
			return "error: " + err.Error() + "\n"
		}
		var b strings.Builder
		b.WriteString("remote:\n" + formatLog(res.Remote))
		b.WriteString("local:\n" + formatLog(res.Local))
		var rn []string
		for r, p := range res.Renumbered {
			rn = append(rn, fmt.Sprintf("%s v%d->v%d", recNames[r], p[0], p[1]))
		}
		sort.Strings(rn)
		for _, s := range rn {
			b.WriteString("renumbered " + s + "\n")
		}
		for r, n := range res.Collapsed {
			fmt.Fprintf(&b, "collapsed %s into v%d\n", recNames[r], n)
		}
		for _, c := range res.Conflicts {
			b.WriteString("conflict " + c + "\n")
		}
		for _, k := range res.Kept {
			fmt.Fprintf(&b, "kept v%d %s: %s\n", k.N, recNames[k.Record], k.Why)
		}
		for _, k := range res.Pending {
			fmt.Fprintf(&b, "pending v%d %s: %s\n", k.N, recNames[k.Record], k.Why)
		}
		if res.Remote.Counter <= max(counterOf(remote), counterOf(base)) {
			b.WriteString("BUG: counter did not grow\n")
		}
		return b.String()
	})
}

func counterOf(l *Log) uint64 {
	if l == nil {
		return 0
	}
	return l.Counter
}
