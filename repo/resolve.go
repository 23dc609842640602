package repo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/registry"
)

// ErrAmbiguous means a digest prefix matches more than one version.
var ErrAmbiguous = errors.New("repo: ambiguous version digest")

// Resolved is a version found by name.
type Resolved struct {
	// Name is the artifact's name.
	Name string
	// Log is the artifact's log as read.
	Log *refs.Log
	// Version is the log entry.
	Version refs.Version
	// Record is the decoded version record.
	Record *manifest.Record
}

// String names the version as NAME:vN.
func (v *Resolved) String() string { return fmt.Sprintf("%s:v%d", v.Name, v.Version.N) }

// Resolve finds the version a name designates (see refs.ParseSpec for the
// accepted spellings).
func (r *Repo) Resolve(ctx context.Context, name string) (*Resolved, error) {
	sp, err := refs.ParseSpec(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if sp.Collection != "" {
		// Registry paths name a link; package registry finds the linked
		// version in its artifact's log.
		t, err := registry.Resolve(ctx, r.RefsKV(), sp.Registry, sp.Collection, sp.Selector)
		if err != nil {
			return nil, err
		}
		return r.resolved(ctx, t.Artifact, t.Log, t.Version)
	}
	if sp.Entity != "" {
		if err := validName("entity name", sp.Entity); err != nil {
			return nil, fmt.Errorf("%w (in %q)", err, name)
		}
	}
	if sp.Entity != "" && r.Config.Entity != "" && sp.Entity != r.Config.Entity {
		return nil, fmt.Errorf("%w: %q names entity %q; this repository is entity %q", refs.ErrNotFound, name, sp.Entity, r.Config.Entity)
	}
	if sp.Project != "" && sp.Project != r.Config.Project {
		return nil, fmt.Errorf("%w: %q names project %q; this repository is project %q", refs.ErrNotFound, name, sp.Project, r.Config.Project)
	}
	l, err := r.refs.Log(ctx, sp.Name)
	if errors.Is(err, refs.ErrNotFound) && sp.MaybeDigest {
		return r.resolveDigest(ctx, sp.Name)
	}
	if err != nil {
		return nil, err
	}
	v, err := l.Resolve(sp.Selector)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	// An expired version does not resolve; "latest" skips it.
	if v, err = r.checkExpiry(ctx, sp.Name, sp.Selector, l, v); err != nil {
		return nil, err
	}
	return r.resolved(ctx, sp.Name, l, v)
}

func (r *Repo) resolved(ctx context.Context, name string, l *refs.Log, v refs.Version) (*Resolved, error) {
	rec, err := r.Record(ctx, v.Record)
	if err != nil {
		return nil, fmt.Errorf("%s:v%d: %w", name, v.N, err)
	}
	return &Resolved{Name: name, Log: l, Version: v, Record: rec}, nil
}

// Record loads and decodes a version record.
func (r *Repo) Record(ctx context.Context, id objects.ID) (*manifest.Record, error) {
	b, _, err := r.store.Get(ctx, id, nil)
	if err != nil {
		return nil, fmt.Errorf("version record %s: %w", id.Short(), err)
	}
	rec, err := manifest.DecodeRecord(b)
	if err != nil {
		return nil, fmt.Errorf("version record %s: %w", id.Short(), err)
	}
	return rec, nil
}

// digestMatch is a live version whose content digest matched.
type digestMatch struct {
	name string
	l    *refs.Log
	v    refs.Version
}

// findDigest lists the live versions whose content digest starts with
// prefix, by artifact name and number.
func (r *Repo) findDigest(ctx context.Context, prefix string) ([]digestMatch, error) {
	var found []digestMatch
	err := r.refs.Artifacts(ctx, func(name string, l *refs.Log) error {
		for _, v := range l.Versions {
			if v.State == refs.StateLive && strings.HasPrefix(v.Root.String(), prefix) {
				found = append(found, digestMatch{name, l, v})
			}
		}
		return nil
	})
	sort.Slice(found, func(i, j int) bool {
		if found[i].name != found[j].name {
			return found[i].name < found[j].name
		}
		return found[i].v.N < found[j].v.N
	})
	return found, err
}

// resolveDigest finds the live version whose content digest starts with
// prefix. Versions of one content in several artifacts are ambiguous.
func (r *Repo) resolveDigest(ctx context.Context, prefix string) (*Resolved, error) {
	found, err := r.findDigest(ctx, prefix)
	if err != nil {
		return nil, err
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%w: no artifact named %q and no version whose digest starts with it", refs.ErrNotFound, prefix)
	case 1:
		return r.resolved(ctx, found[0].name, found[0].l, found[0].v)
	}
	var names []string
	for _, m := range found {
		names = append(names, fmt.Sprintf("%s:v%d", m.name, m.v.N))
	}
	return nil, fmt.Errorf("%w: %q matches %s; use NAME:vN", ErrAmbiguous, prefix, strings.Join(names, ", "))
}

// ResolveContent returns a live version whose content digest is root: the
// first by artifact name and number when several artifacts hold that
// content, since they hold the same files. It is how a stored file's URL
// (trove://DIGEST/PATH) is read, where any of them will do.
func (r *Repo) ResolveContent(ctx context.Context, root objects.ID) (*Resolved, error) {
	found, err := r.findDigest(ctx, root.String())
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("%w: no version here has content %s (fetch the artifact that has it)", refs.ErrNotFound, root)
	}
	return r.resolved(ctx, found[0].name, found[0].l, found[0].v)
}
