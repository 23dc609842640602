package refs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/trove-ml/trove/objects"
)

// memKV is a map-backed KV for the tests of this package; repo's tests run
// the same code on Pebble.
type memKV struct {
	mu sync.Mutex
	m  map[string][]byte
}

func newMemKV() *memKV { return &memKV{m: map[string][]byte{}} }

func (k *memKV) Get(key []byte) ([]byte, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[string(key)]
	return bytes.Clone(v), ok, nil
}

func (k *memKV) Scan(ctx context.Context, prefix []byte, fn func(k, v []byte) error) error {
	k.mu.Lock()
	var keys []string
	for key := range k.m {
		if strings.HasPrefix(key, string(prefix)) {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	vals := make([][]byte, len(keys))
	for i, key := range keys {
		vals[i] = k.m[key]
	}
	k.mu.Unlock()
	for i := range keys {
		if err := fn([]byte(keys[i]), vals[i]); err != nil {
			return err
		}
	}
	return nil
}

type memTxn struct {
	k      *memKV
	writes map[string][]byte // nil value: delete
}

func (t *memTxn) Get(key []byte) ([]byte, bool, error) {
	if v, ok := t.writes[string(key)]; ok {
		return v, v != nil, nil
	}
	v, ok := t.k.m[string(key)]
	return bytes.Clone(v), ok, nil
}
func (t *memTxn) Set(key, val []byte) error { t.writes[string(key)] = bytes.Clone(val); return nil }
func (t *memTxn) Delete(key []byte) error   { t.writes[string(key)] = nil; return nil }

func (k *memKV) Update(ctx context.Context, fn func(Txn) error) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	tx := &memTxn{k: k, writes: map[string][]byte{}}
	if err := fn(tx); err != nil {
		return err
	}
	for key, v := range tx.writes {
		if v == nil {
			delete(k.m, key)
		} else {
			k.m[key] = v
		}
	}
	return nil
}

// TestRefs runs the scripts in testdata/refs. Directives:
//
//	commit name type root [alias=a,b] [tag=t] [expired=(0,1)]
//	alias set name sel alias | alias rm name alias
//	tag name sel [add=a] [rm=b]
//	resolve name sel
//	show name
func TestRefs(t *testing.T) {
	datadriven.Walk(t, "testdata/refs", func(t *testing.T, path string) {
		ctx := context.Background()
		r := New(newMemKV())
		clock := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			args := d.CmdArgs
			arg := func(i int) string {
				if i >= len(args) {
					t.Fatalf("%s: missing argument %d", d.Pos, i)
				}
				return args[i].Key
			}
			list := func(key string) []string {
				for _, a := range args {
					if a.Key == key {
						return a.Vals
					}
				}
				return nil
			}
			switch d.Cmd {
			case "commit":
				clock = clock.Add(time.Hour)
				root := objects.Sum([]byte(arg(2)))
				res, err := r.Commit(ctx, CommitRequest{
					Name: arg(0), Type: arg(1), Root: root, Record: objects.Sum([]byte(arg(2) + clock.String())),
					Created: clock, Aliases: list("alias"), Tags: list("tag"), Expired: numbers(t, list("expired")),
				})
				if err != nil {
					return "error: " + err.Error()
				}
				s := fmt.Sprintf("v%d", res.Version.N)
				if res.Unchanged {
					s += " unchanged"
				}
				for _, a := range sortedKeys(res.Moved) {
					s += fmt.Sprintf(" moved %s from v%d", a, res.Moved[a])
				}
				return s
			case "alias":
				switch arg(0) {
				case "set":
					v, prev, err := r.SetAlias(ctx, arg(1), arg(2), arg(3))
					if err != nil {
						return "error: " + err.Error()
					}
					return fmt.Sprintf("%s -> v%d (was %d)", arg(3), v.N, prev)
				case "rm":
					n, err := r.RemoveAlias(ctx, arg(1), arg(2))
					if err != nil {
						return "error: " + err.Error()
					}
					return fmt.Sprintf("removed %s from v%d", arg(2), n)
				}
			case "tag":
				v, err := r.SetTags(ctx, arg(0), arg(1), list("add"), list("rm"))
				if err != nil {
					return "error: " + err.Error()
				}
				return fmt.Sprintf("v%d", v.N)
			case "resolve":
				l, err := r.Log(ctx, arg(0))
				if err != nil {
					return "error: " + err.Error()
				}
				v, err := l.Resolve(arg(1))
				if err != nil {
					return "error: " + err.Error()
				}
				return fmt.Sprintf("v%d", v.N)
			case "show":
				l, err := r.Log(ctx, arg(0))
				if err != nil {
					return "error: " + err.Error()
				}
				var b strings.Builder
				fmt.Fprintf(&b, "type=%s next=%d counter=%d\n", l.Type, l.Next, l.Counter)
				for _, v := range l.Versions {
					fmt.Fprintf(&b, "v%d %s aliases=%v tags=%v\n", v.N, v.State, l.AliasesOf(v.N), l.TagsOf(v.N))
				}
				return b.String()
			}
			t.Fatalf("%s: unknown directive %q", d.Pos, d.Cmd)
			return ""
		})
	})
}

func sortedKeys(m map[string]int) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestLogCanonical(t *testing.T) {
	l := &Log{Type: "dataset", Next: 2, Versions: []Version{{N: 0, State: StateLive}, {N: 1, State: StateLive}},
		Aliases: map[string]int{"b": 1, "a": 0}, Tags: map[string][]int{"x": {1, 0, 1}}}
	a, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeLog(a)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := back.Encode()
	if !bytes.Equal(a, b) {
		t.Fatalf("re-encoding differs:\n%s\n%s", a, b)
	}
	if !strings.Contains(string(a), `"tags":{"x":[0,1]}`) {
		t.Fatalf("tags not sorted and unique: %s", a)
	}
}

func TestDecodeLogRejects(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"not json", `{`},
		{"future format", `{"format":9,"type":"d","counter":1,"next":0,"versions":[]}`},
		{"unknown field", `{"format":1,"type":"d","counter":1,"next":0,"versions":[],"x":1}`},
		{"number reused", `{"format":1,"type":"d","counter":1,"next":2,"versions":[{"n":1,"record":"` + zeros + `","root":"` + zeros + `","created":"2026-01-01T00:00:00Z","state":"live"},{"n":1,"record":"` + zeros + `","root":"` + zeros + `","created":"2026-01-01T00:00:00Z","state":"live"}]}`},
		{"number past next", `{"format":1,"type":"d","counter":1,"next":0,"versions":[{"n":0,"record":"` + zeros + `","root":"` + zeros + `","created":"2026-01-01T00:00:00Z","state":"live"}]}`},
		{"dangling alias", `{"format":1,"type":"d","counter":1,"next":0,"versions":[],"aliases":{"best":3}}`},
		// A commit counting on from it would overflow into negative numbers.
		{"next past the limit", `{"format":1,"type":"d","counter":1,"next":9223372036854775807,"versions":[]}`},
		{"negative next", `{"format":1,"type":"d","counter":1,"next":-1,"versions":[]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := DecodeLog([]byte(tc.in)); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("DecodeLog = %v, want ErrCorrupt", err)
			}
		})
	}
}

var zeros = strings.Repeat("0", 64)

// TestCommitAtTheLimit: a log whose numbers are used up refuses a new
// version, and is left as it was, rather than being written with a number
// no reader accepts.
func TestCommitAtTheLimit(t *testing.T) {
	ctx := context.Background()
	kv := newMemKV()
	r := New(kv)
	l := &Log{Type: "d", Next: MaxVersions}
	if err := r.Replace(ctx, "m", l); err != nil {
		t.Fatal(err)
	}
	_, err := r.Commit(ctx, CommitRequest{Name: "m", Type: "d", Root: objects.Sum([]byte("x")), Record: objects.Sum([]byte("r")), Created: time.Now()})
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("commit past the last number = %v, want an error", err)
	}
	got, err := r.Log(ctx, "m")
	if err != nil || got.Next != MaxVersions || len(got.Versions) != 0 {
		t.Fatalf("log after the refused commit: %+v, %v", got, err)
	}
}

func FuzzDecodeLog(f *testing.F) {
	f.Add([]byte(`{"format":1,"type":"d","counter":1,"next":1,"versions":[{"n":0,"record":"` + zeros + `","root":"` + zeros + `","created":"2026-01-01T00:00:00Z","state":"live"}],"aliases":{"a":0},"tags":{"t":[0]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := DecodeLog(b)
		if err != nil {
			return
		}
		enc, err := l.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeLog(enc); err != nil {
			t.Fatalf("re-encoded log does not decode: %v", err)
		}
	})
}

func TestParseSpec(t *testing.T) {
	datadriven.RunTest(t, "testdata/spec", func(t *testing.T, d *datadriven.TestData) string {
		var b strings.Builder
		for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
			sp, err := ParseSpec(line)
			if err != nil {
				fmt.Fprintf(&b, "%s: error: %v\n", line, err)
				continue
			}
			fmt.Fprintf(&b, "%s: entity=%q project=%q name=%q registry=%q collection=%q selector=%q digest=%v canonical=%s\n",
				line, sp.Entity, sp.Project, sp.Name, sp.Registry, sp.Collection, sp.Selector, sp.MaybeDigest, sp)
		}
		return b.String()
	})
}

func TestParseVersionNumber(t *testing.T) {
	for s, want := range map[string]int{"v0": 0, "v7": 7, "v12": 12, "v": -1, "v01": -1, "v-1": -1, "v+1": -1, "x1": -1, "V1": -1} {
		n, ok := ParseVersionNumber(s)
		if !ok {
			n = -1
		}
		if n != want {
			t.Errorf("ParseVersionNumber(%q) = %d, want %d", s, n, want)
		}
	}
}

// numbers parses version numbers given as directive arguments.
func numbers(t *testing.T, ss []string) []int {
	t.Helper()
	var ns []int
	for _, s := range ss {
		n, ok := ParseVersionNumber("v" + s)
		if !ok {
			t.Fatalf("bad version number %q", s)
		}
		ns = append(ns, n)
	}
	return ns
}
