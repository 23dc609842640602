package retention

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
)

func TestParseTTL(t *testing.T) {
	for _, c := range []struct {
		in, want string
		bad      bool
	}{
		{in: "30d", want: "30d"},
		{in: "12h", want: "12h"},
		{in: "36h", want: "1d12h"},
		{in: "1d12h", want: "1d12h"},
		{in: "90s", want: "1m30s"},
		{in: "never", want: "never"},
		{in: "inherit", want: "inherit"},
		{in: "", bad: true},
		{in: "0d", bad: true},
		{in: "3w", bad: true},
		{in: "d", bad: true},
		{in: "-1d", bad: true},
		{in: "10", bad: true},
		{in: "99999999999999999999d", bad: true},
		{in: "106752d", bad: true}, // past ~292 years
	} {
		got, err := ParseTTL(c.in)
		if c.bad {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("ParseTTL(%q) = %v, %v; want ErrInvalid", c.in, got, err)
			}
			continue
		}
		if err != nil || got.String() != c.want {
			t.Errorf("ParseTTL(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestFormatRemaining(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 40 * time.Second: "40s", 5*time.Hour + 2*time.Minute + 9*time.Second: "5h 2m",
		30*Day - time.Second: "29d 23h",
	} {
		if got := FormatRemaining(d); got != want {
			t.Errorf("FormatRemaining(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestSettings(t *testing.T) {
	if _, err := NewSettings("inherit", nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("default inherit accepted: %v", err)
	}
	if _, err := NewSettings("", &Config{Policies: map[string]Policy{"m": {KeepLast: 0}}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("keep-last 0 accepted: %v", err)
	}
	s, err := NewSettings("90d", &Config{TTLAdmins: []string{"ana"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MaySet("ana"); err != nil {
		t.Error(err)
	}
	if err := s.MaySet("bob"); !errors.Is(err, ErrNotAdmin) || !strings.Contains(err.Error(), "ana") {
		t.Errorf("bob may set: %v", err)
	}
}

// TestEvaluate pins the order in which a TTL is found, expiry at the
// boundary, and policies with their holds.
func TestEvaluate(t *testing.T) {
	day0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := func(b byte) objects.ID { return objects.ID{b} }
	l := &refs.Log{Next: 6, Aliases: map[string]int{"best": 1}, Versions: []refs.Version{
		{N: 0, Record: rec(0), Created: day0, State: refs.StateLive},               // record 10d
		{N: 1, Record: rec(1), Created: day0, State: refs.StateLive},               // record inherit → default 20d
		{N: 2, Record: rec(2), Created: day0, State: refs.StateLive, TTL: "never"}, // override wins over record 1d
		{N: 3, Record: rec(3), Created: day0, State: refs.StateLive},               // linked: never
		{N: 4, Record: rec(4), Created: day0, State: refs.StateDeleted, Reason: refs.ReasonDeleted},
		{N: 5, Record: rec(5), Created: day0.Add(Day), State: refs.StateLive, TTL: "bad"},
	}}
	recTTL := map[objects.ID]string{rec(0): "10d", rec(1): "inherit", rec(2): "1d", rec(3): "1d"}
	get := func(_ context.Context, v refs.Version) (string, error) { return recTTL[v.Record], nil }
	set, _ := NewSettings("20d", &Config{Policies: map[string]Policy{"m": {KeepLast: 1}}})
	h := Holds{Linked: map[objects.ID]bool{rec(3): false}}
	sts, err := Evaluate(context.Background(), "m", l, set, h, get, day0.Add(10*Day))
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		n       int
		ttl     string
		src     Source
		expired bool
		policy  bool
	}
	for i, w := range []want{
		{0, "10d", SourceRecord, true, false},  // exactly at expiry: expired
		{1, "20d", SourceDefault, false, true}, // beyond keep-last 1, no hold (aliases don't hold without keep-aliased)
		{2, "never", SourceOverride, false, true},
		{3, "never", SourceRegistry, false, true}, // an unlinked link turns the TTL off but holds nothing
		{5, "never", SourceOverride, false, false},
	} {
		st := sts[i]
		if st.Version.N != w.n || st.TTL.String() != w.ttl || st.Source != w.src || st.Expired != w.expired || st.ByPolicy != w.policy {
			t.Errorf("v%d: ttl %s from %s, expired %v, policy %v; want %+v", st.Version.N, st.TTL, st.Source, st.Expired, st.ByPolicy, w)
		}
	}
	if sts[4].Problem == "" {
		t.Error("a TTL that does not parse is not reported")
	}
	if got, _ := Latest(sts); got.Version.N != 5 {
		t.Errorf("latest = v%d", got.Version.N)
	}
	// keep-aliased: the alias holds v1.
	set.Policies["m"] = Policy{KeepLast: 1, KeepAliased: true}
	sts, _ = Evaluate(context.Background(), "m", l, set, h, get, day0.Add(10*Day))
	if st, _ := Find(sts, 1); st.ByPolicy || len(st.HeldBy) != 1 {
		t.Errorf("aliased v1: policy %v, held by %v", st.ByPolicy, st.HeldBy)
	}
}
