package retention

import (
	"errors"
	"strings"
	"testing"

	"github.com/trove-ml/trove/refs"
)

// TestDeleteCheckSays names each hold with what releases it, for pins in
// this work tree and on other branches alike.
func TestDeleteCheckSays(t *testing.T) {
	l := &refs.Log{Aliases: map[string]int{"best": 0}}
	v := refs.Version{N: 0}
	for _, tc := range []struct {
		check DeleteCheck
		want  []string // "" entries: allowed
	}{
		{DeleteCheck{ReleaseAliases: true}, nil},
		{DeleteCheck{}, []string{"custom aliases best", "--delete-aliases"}},
		{DeleteCheck{ReleaseAliases: true, Links: []string{"registry/model/clf:v2"}}, []string{"registry link registry/model/clf:v2 (trove unlink it first)"}},
		{DeleteCheck{ReleaseAliases: true, Pins: []string{"data/ds"}}, []string{"the pin at data/ds in trove.lock (trove unpin data/ds first)"}},
		{DeleteCheck{ReleaseAliases: true, Pins: []string{"data/ds (on main and 1 more branch)"}}, []string{"the pin at data/ds in trove.lock on main and 1 more branch (trove unpin data/ds there first)"}},
	} {
		err := tc.check.Check("ds", l, v)
		if tc.want == nil {
			if err != nil {
				t.Errorf("%+v: %v, want allowed", tc.check, err)
			}
			continue
		}
		if !errors.Is(err, ErrHeld) {
			t.Errorf("%+v: %v, want ErrHeld", tc.check, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: %q lacks %q", tc.check, err, w)
			}
		}
	}
}
