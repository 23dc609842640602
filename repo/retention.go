package repo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"time"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/registry"
	"github.com/trove-ml/trove/retention"
)

// What the repository does for retention (package retention decides):
// settings from .trove/config, expiry at read time, and the TTL guard
// rail. Expired versions do not resolve; GC records them deleted.

// Retention returns the retention settings in force: the default TTL
// ("defaults.ttl") and the "retention" part of .trove/config. Errors wrap
// retention.ErrInvalid and name the setting.
func (r *Repo) Retention() (retention.Settings, error) {
	return retention.NewSettings(r.Config.Defaults.TTL, r.Config.Retention)
}

// Now returns the repository's clock (Options.Now).
func (r *Repo) Now() time.Time { return r.opts.Now() }

// User returns who works in the repository (Options.User).
func (r *Repo) User() string { return r.opts.User }

// UpdateConfig changes .trove/config through fn, which edits a copy; the
// file is replaced atomically, and only if fn succeeds and the result's
// retention settings are valid.
func (r *Repo) UpdateConfig(fn func(c *Config) error) error {
	c := *r.Config
	c.Remotes = maps.Clone(r.Config.Remotes)
	if r.Config.Retention != nil {
		rc := *r.Config.Retention
		rc.TTLAdmins = slices.Clone(rc.TTLAdmins)
		rc.Policies = maps.Clone(rc.Policies)
		c.Retention = &rc
	}
	if err := fn(&c); err != nil {
		return err
	}
	if _, err := retention.NewSettings(c.Defaults.TTL, c.Retention); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := c.save(filepath.Join(r.Dir, "config")); err != nil {
		return err
	}
	r.Config = &c
	return nil
}

// MaySetTTL checks the TTL guard rail for the repository's user: an error
// wrapping retention.ErrNotAdmin when the project names TTL admins and the
// user is not one.
func (r *Repo) MaySetTTL() error {
	set, err := r.Retention()
	if err != nil {
		return err
	}
	return set.MaySet(r.opts.User)
}

// LinkedRecords returns the records registry links name (see
// registry.LinkedRecords).
func (r *Repo) LinkedRecords(ctx context.Context) (map[objects.ID]bool, error) {
	return registry.LinkedRecords(ctx, r.RefsKV())
}

// RecordTTL returns the TTL a version's record was committed with ("" if
// none, or if the record is not here).
func (r *Repo) RecordTTL(ctx context.Context, v refs.Version) (string, error) {
	rec, err := r.Record(ctx, v.Record)
	if errors.Is(err, objects.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return rec.TTL, nil
}

// Statuses evaluates retention for the live versions of one artifact's
// log at the repository's now, with registry links as holds (pins are
// the caller's to add: they live in the work tree).
func (r *Repo) Statuses(ctx context.Context, name string, l *refs.Log, pins retention.Holds) ([]retention.Status, error) {
	set, err := r.Retention()
	if err != nil {
		return nil, err
	}
	linked, err := r.LinkedRecords(ctx)
	if err != nil {
		return nil, err
	}
	pins.Linked = linked
	return retention.Evaluate(ctx, name, l, set, pins, r.RecordTTL, r.opts.Now())
}

// ErrExpired means a version's TTL ran out: it no longer resolves, and the
// next GC deletes it.
var ErrExpired = errors.New("repo: version expired")

// checkExpiry refuses a resolved version whose TTL ran out, and moves
// "latest" to the newest version that has not. sel is what was asked for.
// It reads the record of v only (and, for "latest", of the versions below
// it until one has not expired), however long the log.
func (r *Repo) checkExpiry(ctx context.Context, name, sel string, l *refs.Log, v refs.Version) (refs.Version, error) {
	set, err := r.Retention()
	if err != nil {
		return v, err
	}
	linked, err := r.LinkedRecords(ctx)
	if err != nil {
		return v, err
	}
	now := r.opts.Now()
	eval := func(v refs.Version) (retention.Status, error) {
		sts, err := retention.Evaluate(ctx, name, &refs.Log{Versions: []refs.Version{v}}, set, retention.Holds{Linked: linked}, r.RecordTTL, now)
		if err != nil || len(sts) == 0 {
			return retention.Status{}, err
		}
		return sts[0], nil
	}
	st, err := eval(v)
	if err != nil || !st.Expired {
		return v, err
	}
	if sel == "" || sel == "latest" {
		for i := len(l.Versions) - 1; i >= 0; i-- {
			c := l.Versions[i]
			if c.N >= v.N || c.State != refs.StateLive {
				continue
			}
			cst, err := eval(c)
			if err != nil {
				return v, err
			}
			if !cst.Expired {
				return c, nil
			}
		}
		return v, fmt.Errorf("%w: %s: every live version has expired (the newest, v%d, %s)", ErrExpired, name, v.N, st.Why(retention.Policy{}))
	}
	what := fmt.Sprintf("%s:v%d", name, v.N)
	if _, isNum := refs.ParseVersionNumber(sel); !isNum {
		what = fmt.Sprintf("%s:%s (v%d; the alias was released)", name, sel, v.N)
	}
	return v, fmt.Errorf("%w: %s %s; the next GC deletes it (trove ttl set can extend a TTL before then)", ErrExpired, what, st.Why(retention.Policy{}))
}

// Latest returns the version "latest" names in l, the log of artifact
// name: the newest live version whose TTL has not run out. ok is false
// when there is none. Like Resolve, it reads records only from the newest
// version down to the first that has not expired.
func (r *Repo) Latest(ctx context.Context, name string, l *refs.Log) (v refs.Version, ok bool, err error) {
	v, ok = l.Latest()
	if !ok {
		return v, false, nil
	}
	v, err = r.checkExpiry(ctx, name, "latest", l, v)
	if errors.Is(err, ErrExpired) {
		return refs.Version{}, false, nil
	}
	return v, err == nil, err
}

// beforeCommit applies the TTL guard rail to a commit: an explicit TTL
// needs a TTL admin when the project names some. (CheckCommit checked the
// TTL's spelling.) Versions whose TTL ran out are not touched: only GC
// records them deleted, so `trove ttl set` can still save one until then
// (see commitBase).
func (r *Repo) beforeCommit(o *CommitOptions) error {
	if o.TTL != "" && o.TTL != retention.Inherit {
		if err := r.MaySetTTL(); err != nil {
			return fmt.Errorf("--ttl: %w, or commit without --ttl to inherit the project default", err)
		}
	}
	return nil
}

// commitBase returns what a commit to l, the log of artifact name,
// compares its content with: the version "latest" resolves to (nil if
// none), and the numbers of the live versions above it, whose TTL ran
// out. Content equal to an expired version makes a new version instead of
// naming one that no longer resolves.
func (r *Repo) commitBase(ctx context.Context, name string, l *refs.Log) (*refs.Version, []int, error) {
	v, ok, err := r.Latest(ctx, name, l)
	if err != nil {
		return nil, nil, err
	}
	var base *refs.Version
	if ok {
		base = &v
	}
	var expired []int
	for _, c := range l.Versions {
		if c.State == refs.StateLive && (base == nil || c.N > base.N) {
			expired = append(expired, c.N)
		}
	}
	return base, expired, nil
}
