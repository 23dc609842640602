package retention

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
)

// TestPinHoldsAgainstExpiry: an expired version stays expired (it no
// longer resolves), but a pin, by record or by content digest, keeps it
// from going; a registry link turns the TTL off instead.
func TestPinHoldsAgainstExpiry(t *testing.T) {
	day0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rec, root := objects.ID{1}, objects.ID{2}
	l := &refs.Log{Next: 1, Versions: []refs.Version{{N: 0, Record: rec, Root: root, Created: day0, State: refs.StateLive, TTL: "1d"}}}
	set, _ := NewSettings("", nil)
	for _, c := range []struct {
		name    string
		h       Holds
		expired bool
		goes    bool
		heldBy  string
	}{
		{"nothing holds it", Holds{}, true, true, ""},
		{"pinned by record", Holds{Pinned: map[objects.ID][]string{rec: {"data/a", "data/b"}}}, true, false, "pin data/a, pin data/b"},
		{"pinned by digest", Holds{PinnedRoots: map[objects.ID][]string{root: {"data/a"}}}, true, false, "pin data/a"},
		{"pinned elsewhere", Holds{Pinned: map[objects.ID][]string{{9}: {"data/x"}}}, true, true, ""},
		{"linked", Holds{Linked: map[objects.ID]bool{rec: true}}, false, false, ""},
	} {
		sts, err := Evaluate(context.Background(), "m", l, set, c.h, nil, day0.Add(2*Day))
		if err != nil {
			t.Fatal(err)
		}
		st := sts[0]
		if st.Expired != c.expired || st.Goes() != c.goes || strings.Join(st.HeldBy, ", ") != c.heldBy {
			t.Errorf("%s: expired %v, goes %v, held by %q; want %v, %v, %q", c.name, st.Expired, st.Goes(), st.HeldBy, c.expired, c.goes, c.heldBy)
		}
		if _, ok := Latest(sts); ok == c.expired {
			t.Errorf("%s: latest %v, expired %v", c.name, ok, c.expired)
		}
	}
}
