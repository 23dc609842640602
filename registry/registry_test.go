package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
)

// memKV is a map-backed refs.KV for this package's tests; repo and the CLI
// tests run the same code on Pebble.
type memKV struct {
	mu sync.Mutex
	m  map[string][]byte
}

func newMemKV() *memKV { return &memKV{m: map[string][]byte{}} }

func (k *memKV) clone() *memKV {
	k.mu.Lock()
	defer k.mu.Unlock()
	return &memKV{m: maps.Clone(k.m)}
}

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

func (k *memKV) Update(ctx context.Context, fn func(refs.Txn) error) error {
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

// TestScripts runs the scripts in testdata/registry. Every command runs
// against the store named by on=NAME (default "main"); user=U acts as U
// (default "ana"). Directives:
//
//	commit NAME TYPE CONTENT              make an artifact version
//	delete-version NAME vN                mark an artifact version deleted
//	create REG [types=a,b] [any] [desc=D] registry create
//	add-type REG TYPE...
//	protect REG ALIAS | unprotect REG ALIAS
//	admin add|rm REG USER
//	link NAME:SEL registry/REG/COLL [alias=a,b] [admin]
//	unlink registry/REG/COLL:SEL [admin]
//	alias set registry/REG/COLL:SEL ALIAS [admin]
//	alias rm registry/REG/COLL ALIAS [admin]
//	resolve SPEC...                       through refs.ParseSpec and Resolve
//	show REG | ls | encode REG
//	holds NAME:SEL | linked
//	fork to=NAME                          copy the store (for merges)
//	merge REG base=S local=S remote=S     print the merged registry (base=none: no base)
func TestScripts(t *testing.T) {
	datadriven.Walk(t, "testdata/registry", func(t *testing.T, file string) {
		ctx := context.Background()
		stores := map[string]*memKV{"main": newMemKV()}
		clock := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
		step := 0
		datadriven.RunTest(t, file, func(t *testing.T, d *datadriven.TestData) string {
			var pos []string
			opt := map[string][]string{}
			for _, a := range d.CmdArgs {
				if a.Vals == nil {
					if a.Key == "any" || a.Key == "admin" {
						opt[a.Key] = []string{}
					} else {
						pos = append(pos, a.Key)
					}
				} else {
					opt[a.Key] = a.Vals
				}
			}
			arg := func(i int) string {
				if i >= len(pos) {
					d.Fatalf(t, "missing argument %d", i)
				}
				return pos[i]
			}
			one := func(k, def string) string {
				if v, ok := opt[k]; ok && len(v) > 0 {
					return v[0]
				}
				return def
			}
			_, admin := opt["admin"]
			kv := stores[one("on", "main")]
			if kv == nil {
				d.Fatalf(t, "no store %q", one("on", ""))
			}
			clock = clock.Add(time.Hour)
			step++
			rs := New(kv, Options{User: one("user", "ana"), Now: func() time.Time { return clock }})
			out := func(err error) string {
				if err != nil {
					return "error: " + err.Error() + "\n"
				}
				return "ok\n"
			}
			// version resolves NAME:SEL as the CLI does before linking.
			version := func(spec string) (string, refs.Version, string, error) {
				name, sel, _ := strings.Cut(spec, ":")
				l, err := refs.New(kv).Log(ctx, name)
				if err != nil {
					return name, refs.Version{}, "", err
				}
				v, err := l.Resolve(sel)
				return name, v, l.Type, err
			}
			coll := func(s string) (reg, c, sel string) {
				sp, err := refs.ParseSpec(s)
				if err != nil || sp.Collection == "" {
					d.Fatalf(t, "%q is not a registry path: %v", s, err)
				}
				return sp.Registry, sp.Collection, sp.Selector
			}

			switch d.Cmd {
			case "commit":
				res, err := refs.New(kv).Commit(ctx, refs.CommitRequest{
					Name: arg(0), Type: arg(1),
					Record:  objects.Sum(fmt.Appendf(nil, "record %s %s %d", arg(0), arg(2), step)),
					Root:    objects.Sum([]byte(arg(2))),
					Created: clock,
				})
				if err != nil {
					return out(err)
				}
				return fmt.Sprintf("%s:v%d\n", arg(0), res.Version.N)

			case "delete-version":
				return out(kv.Update(ctx, func(tx refs.Txn) error {
					k := []byte("artifacts/" + arg(0))
					b, _, err := tx.Get(k)
					if err != nil {
						return err
					}
					l, err := refs.DecodeLog(b)
					if err != nil {
						return err
					}
					n, _ := refs.ParseVersionNumber(arg(1))
					for i := range l.Versions {
						if l.Versions[i].N == n {
							l.Versions[i].State = refs.StateDeleted
						}
					}
					enc, err := l.Encode()
					if err != nil {
						return err
					}
					return tx.Set(k, enc)
				}))

			case "create":
				_, any := opt["any"]
				_, err := rs.Create(ctx, CreateRequest{Name: arg(0), Types: opt["types"], AnyType: any, Description: one("desc", "")})
				return out(err)

			case "add-type":
				added, err := rs.AddTypes(ctx, arg(0), pos[1:]...)
				if err != nil {
					return out(err)
				}
				return fmt.Sprintf("added %v\n", added)

			case "protect":
				changed, err := rs.Protect(ctx, arg(0), arg(1))
				if err != nil {
					return out(err)
				}
				return fmt.Sprintf("changed=%v\n", changed)

			case "unprotect":
				return out(rs.Unprotect(ctx, arg(0), arg(1)))

			case "admin":
				switch arg(0) {
				case "add":
					changed, err := rs.AddAdmin(ctx, arg(1), arg(2))
					if err != nil {
						return out(err)
					}
					return fmt.Sprintf("changed=%v\n", changed)
				case "rm":
					return out(rs.RemoveAdmin(ctx, arg(1), arg(2)))
				}
				d.Fatalf(t, "admin %s?", arg(0))

			case "link":
				name, v, typ, err := version(arg(0))
				if err != nil {
					return out(err)
				}
				reg, c, _ := coll(arg(1))
				res, err := rs.Link(ctx, LinkRequest{
					Registry: reg, Collection: c,
					Artifact: name, Version: v.N, Type: typ, Record: v.Record,
					Aliases: opt["alias"], Admin: admin,
				})
				if err != nil {
					return out(err)
				}
				var b strings.Builder
				fmt.Fprintf(&b, "%s:v%d", path(reg, c), res.Link.N)
				if res.Existing {
					b.WriteString(" (already linked)")
				}
				if res.CreatedCollection {
					b.WriteString(" (new collection)")
				}
				for _, a := range sortedKeys(res.Moved) {
					fmt.Fprintf(&b, " moved %s from v%d", a, res.Moved[a])
				}
				return b.String() + "\n"

			case "unlink":
				reg, c, sel := coll(arg(0))
				res, err := rs.Unlink(ctx, reg, c, sel, admin)
				if err != nil {
					return out(err)
				}
				return fmt.Sprintf("unlinked v%d (%s:v%d) removed aliases %v\n", res.Link.N, res.Link.Artifact, res.Link.Version, res.RemovedAliases)

			case "alias":
				switch arg(0) {
				case "set":
					reg, c, sel := coll(arg(1))
					l, prev, err := rs.SetAlias(ctx, reg, c, sel, arg(2), admin)
					if err != nil {
						return out(err)
					}
					return fmt.Sprintf("%s -> v%d (was %d)\n", arg(2), l.N, prev)
				case "rm":
					reg, c, _ := coll(arg(1))
					n, err := rs.RemoveAlias(ctx, reg, c, arg(2), admin)
					if err != nil {
						return out(err)
					}
					return fmt.Sprintf("removed %s (was v%d)\n", arg(2), n)
				}
				d.Fatalf(t, "alias %s?", arg(0))

			case "resolve":
				var b strings.Builder
				for _, s := range pos {
					sp, err := refs.ParseSpec(s)
					if err != nil {
						fmt.Fprintf(&b, "%s: error: %v\n", s, err)
						continue
					}
					tg, err := Resolve(ctx, kv, sp.Registry, sp.Collection, sp.Selector)
					if err != nil {
						fmt.Fprintf(&b, "%s: error: %v\n", s, err)
						continue
					}
					fmt.Fprintf(&b, "%s: link v%d -> %s:v%d\n", s, tg.Link.N, tg.Artifact, tg.Version.N)
				}
				return b.String()

			case "show":
				g, err := rs.Get(ctx, arg(0))
				if err != nil {
					return out(err)
				}
				return showRegistry(g, func(r objects.ID) string { return recordName(ctx, kv, r) })

			case "ls":
				es, err := rs.List(ctx)
				if err != nil {
					return out(err)
				}
				var b strings.Builder
				for _, e := range es {
					fmt.Fprintf(&b, "%s core=%v types=%v any=%v collections=%d\n", e.Name, e.Core, e.Registry.Types, e.Registry.AnyType, len(e.Registry.Collections))
				}
				return b.String()

			case "encode":
				b, _, err := kv.Get(key(arg(0)))
				if err != nil {
					return out(err)
				}
				return string(b) + "\n"

			case "holds":
				_, v, _, err := version(arg(0))
				if err != nil {
					return out(err)
				}
				hs, err := Holds(ctx, kv, v.Record)
				if err != nil {
					return out(err)
				}
				var b strings.Builder
				for _, h := range hs {
					fmt.Fprintf(&b, "%s aliases=%v protected=%v blocks=%v\n", h, h.Aliases, h.Protected, h.Blocks())
				}
				if len(hs) == 0 {
					b.WriteString("none\n")
				}
				return b.String()

			case "linked":
				m, err := LinkedRecords(ctx, kv)
				if err != nil {
					return out(err)
				}
				var lines []string
				for r, live := range m {
					lines = append(lines, fmt.Sprintf("%s live=%v", recordName(ctx, kv, r), live))
				}
				sort.Strings(lines)
				return strings.Join(lines, "\n") + "\n"

			case "fork":
				stores[one("to", "")] = kv.clone()
				return "ok\n"

			case "merge":
				get := func(store string) *Registry {
					if one(store, "") == "none" {
						return nil
					}
					s := stores[one(store, "")]
					if s == nil {
						d.Fatalf(t, "no store for %s", store)
					}
					g, _, err := load(s.Get, arg(0))
					if err != nil {
						d.Fatalf(t, "%s: %v", store, err)
					}
					return g
				}
				m, rep, err := Merge(get("base"), get("local"), get("remote"))
				if err != nil {
					return out(err)
				}
				var b strings.Builder
				for _, r := range rep.Renumbered {
					fmt.Fprintf(&b, "renumbered %s v%d -> v%d collapsed=%v\n", r.Collection, r.From, r.To, r.Collapsed)
				}
				for _, a := range rep.Dropped {
					fmt.Fprintf(&b, "dropped %s\n", a)
				}
				for _, r := range rep.Renamed {
					fmt.Fprintf(&b, "renamed %s -> %s (%s; the remote's is %s)\n", r.From, r.To, r.Type, r.RemoteType)
				}
				for _, n := range rep.NotApplied {
					fmt.Fprintf(&b, "not applied: %s\n", n.Message(arg(0), nil))
				}
				if _, err := m.Encode(); err != nil {
					return out(err)
				}
				rec := stores[one("local", "")]
				b.WriteString(showRegistry(m, func(r objects.ID) string { return recordName(ctx, rec, r) }))
				return b.String()
			}
			d.Fatalf(t, "unknown directive %q", d.Cmd)
			return ""
		})
	})
}

// recordName names a record as NAME:vN by searching the artifact logs.
func recordName(ctx context.Context, kv refs.KV, r objects.ID) string {
	name := r.Short()
	refs.New(kv).Artifacts(ctx, func(a string, l *refs.Log) error {
		for _, v := range l.Versions {
			if v.Record == r {
				name = fmt.Sprintf("%s:v%d", a, v.N)
			}
		}
		return nil
	})
	return name
}

func showRegistry(g *Registry, rec func(objects.ID) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "counter=%d types=%v any=%v protected=%v admins=%v", g.Counter, g.Types, g.AnyType, g.Protected, g.Admins)
	if g.Description != "" {
		fmt.Fprintf(&b, " desc=%q", g.Description)
	}
	b.WriteString("\n")
	for _, name := range g.CollectionNames() {
		c := g.Collections[name]
		fmt.Fprintf(&b, "%s type=%s next=%d\n", name, c.Type, c.Next)
		for _, l := range c.Links {
			fmt.Fprintf(&b, "  v%d %s (linked as v%d) %s by=%s aliases=%v\n", l.N, rec(l.Record), l.Version, l.State, l.By, c.AliasesOf(l.N))
		}
	}
	return b.String()
}

func sortedKeys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestConcurrentLinks: links made at once in one store get distinct
// numbers and none is lost.
func TestConcurrentLinks(t *testing.T) {
	ctx := context.Background()
	kv := newMemKV()
	const n = 32
	var recs []objects.ID
	for i := range n {
		res, err := refs.New(kv).Commit(ctx, refs.CommitRequest{Name: "m", Type: "model", Record: objects.Sum(fmt.Appendf(nil, "r%d", i)), Root: objects.Sum(fmt.Appendf(nil, "c%d", i)), Created: time.Unix(0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, res.Version.Record)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			rs := New(kv, Options{User: fmt.Sprintf("u%d", i)})
			_, err := rs.Link(ctx, LinkRequest{Registry: CoreModel, Collection: "c", Artifact: "m", Version: i, Type: "model", Record: recs[i]})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	c, err := New(kv, Options{}).Collection(ctx, CoreModel, "c")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[objects.ID]bool{}
	for i, l := range c.Links {
		if l.N != i {
			t.Fatalf("link %d has number %d", i, l.N)
		}
		seen[l.Record] = true
	}
	if len(c.Links) != n || len(seen) != n || c.Next != n {
		t.Fatalf("%d links, %d distinct, next %d; want %d", len(c.Links), len(seen), c.Next, n)
	}
}

// TestNothingWrittenOnError: every refused change leaves the store as it
// was, byte for byte.
func TestNothingWrittenOnError(t *testing.T) {
	ctx := context.Background()
	kv := newMemKV()
	res, err := refs.New(kv).Commit(ctx, refs.CommitRequest{Name: "ds", Type: "dataset", Record: objects.Sum([]byte("r")), Root: objects.Sum([]byte("c")), Created: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	rs := New(kv, Options{User: "ana"})
	if _, err := rs.Create(ctx, CreateRequest{Name: "evals", Types: []string{"eval"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Create(ctx, CreateRequest{Name: "mixed", AnyType: true}); err != nil {
		t.Fatal(err)
	}
	for _, reg := range []string{CoreDataset, "mixed"} {
		if _, err := rs.Link(ctx, LinkRequest{Registry: reg, Collection: "mnist", Artifact: "ds", Type: "dataset", Record: res.Version.Record}); err != nil {
			t.Fatal(err)
		}
	}
	before := kv.clone().m
	link := func(reg, coll, typ string, aliases ...string) error {
		_, err := rs.Link(ctx, LinkRequest{Registry: reg, Collection: coll, Artifact: "ds", Type: typ, Record: res.Version.Record, Aliases: aliases})
		return err
	}
	bob := New(kv, Options{User: "bob"})
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"bad registry name", link("bad name", "c", "dataset"), ErrInvalid},
		{"long collection name", link(CoreDataset, strings.Repeat("c", 129), "dataset"), ErrInvalid},
		{"missing registry", link("nope", "c", "dataset"), ErrNotFound},
		{"registry type", link("evals", "c", "dataset"), ErrTypeMismatch},
		{"collection type", link("mixed", "mnist", "model"), ErrTypeMismatch},
		{"reserved alias latest", link(CoreDataset, "mnist", "dataset", "x", "latest"), refs.ErrReservedAlias},
		{"reserved alias", link(CoreDataset, "mnist", "dataset", "v3"), refs.ErrReservedAlias},
		{"zero record", func() error {
			_, err := rs.Link(ctx, LinkRequest{Registry: CoreDataset, Collection: "c", Artifact: "ds", Type: "dataset"})
			return err
		}(), ErrInvalid},
		{"alias on missing registry", func() error {
			_, _, err := rs.SetAlias(ctx, "nope", "c", "v0", "best", false)
			return err
		}(), ErrNotFound},
		{"alias on missing collection", func() error {
			_, _, err := rs.SetAlias(ctx, CoreDataset, "nope", "v0", "best", false)
			return err
		}(), ErrNoCollection},
		{"alias on missing link", func() error {
			_, _, err := rs.SetAlias(ctx, CoreDataset, "mnist", "v7", "best", false)
			return err
		}(), ErrNoLink},
		{"create existing", func() error {
			_, err := rs.Create(ctx, CreateRequest{Name: "evals", AnyType: true})
			return err
		}(), ErrExists},
		{"create core", func() error {
			_, err := rs.Create(ctx, CreateRequest{Name: CoreModel, AnyType: true})
			return err
		}(), ErrExists},
		{"create both", func() error {
			_, err := rs.Create(ctx, CreateRequest{Name: "x", AnyType: true, Types: []string{"a"}})
			return err
		}(), ErrInvalid},
		{"non-admin add-type", func() error {
			_, err := bob.AddTypes(ctx, "evals", "t")
			return err
		}(), ErrNotAdmin},
		{"protect without admins", func() error {
			_, err := rs.Protect(ctx, CoreDataset, "production")
			return err
		}(), ErrNotAdmin},
		{"no user", func() error {
			_, err := New(kv, Options{}).AddTypes(ctx, "evals", "t")
			return err
		}(), ErrInvalid},
		{"unlink without selector", func() error {
			_, err := rs.Unlink(ctx, CoreDataset, "mnist", "", false)
			return err
		}(), ErrInvalid},
		{"remove last admin", rs.RemoveAdmin(ctx, "evals", "ana"), ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, tc.want) {
				t.Fatalf("err = %v, want %v", tc.err, tc.want)
			}
		})
	}
	after := kv.clone().m
	if !maps.EqualFunc(before, after, bytes.Equal) {
		t.Fatalf("a refused change wrote to the store")
	}
}
