package repo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/retention"
)

// Alias is one of an artifact's aliases as resolution sees it.
type Alias struct {
	// Name is the alias: "latest" or a custom one.
	Name string
	// Version is the version the alias resolves to. For a released alias
	// it is the version it was set on, which no longer resolves.
	Version refs.Version
	// Released, when not empty, says why the alias resolves to nothing:
	// its version's TTL ran out ("expired on …"), which releases it,
	// though the log still names it until GC records the version deleted.
	Released string
	// Expired is when the version of a released alias expired.
	Expired time.Time
}

// Aliases returns the aliases of l, the log of artifact name, as Resolve
// sees them at the repository's now, sorted by name: "latest" names the
// newest live version that has not expired (there is no "latest" when
// every one has), and a custom alias on an expired version is Released.
// Resolve of NAME:ALIAS succeeds exactly for the aliases not released.
func (r *Repo) Aliases(ctx context.Context, name string, l *refs.Log) ([]Alias, error) {
	var out []Alias
	if v, ok, err := r.Latest(ctx, name, l); err != nil {
		return nil, err
	} else if ok {
		out = append(out, Alias{Name: "latest", Version: v})
	}
	var sts []retention.Status // evaluated once, when an alias is found released
	for a, n := range l.Aliases {
		v, ok := l.Version(n)
		if !ok {
			return nil, fmt.Errorf("%s: alias %s names v%d, which the log lacks", name, a, n)
		}
		al := Alias{Name: a, Version: v}
		if v.State != refs.StateLive {
			// Deletion releases aliases; a log that still has one is read
			// as released too.
			al.Released = fmt.Sprintf("v%d was deleted", n)
			out = append(out, al)
			continue
		}
		// The check Resolve makes, so that the list agrees with it.
		_, err := r.checkExpiry(ctx, name, a, l, v)
		switch {
		case errors.Is(err, ErrExpired):
			if sts == nil {
				if sts, err = r.Statuses(ctx, name, l, retention.Holds{}); err != nil {
					return nil, err
				}
			}
			st, _ := retention.Find(sts, n)
			al.Released, al.Expired = fmt.Sprintf("v%d %s", n, st.Why(retention.Policy{})), st.Expires
		case err != nil:
			return nil, err
		}
		out = append(out, al)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
