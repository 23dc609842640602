package workspace

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/trove-ml/trove/gitpair"
	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/repo"
)

// Status is the state of every pin of trove.lock.
type Status struct {
	// Remote is the remote "unpushed" refers to; empty when none is
	// configured (then nothing counts as unpushed).
	Remote string
	// Pins lists every pin, sorted by path.
	Pins []PinStatus
}

// Clean reports whether every pin is clean.
func (s *Status) Clean() bool {
	for _, p := range s.Pins {
		if !p.Clean() {
			return false
		}
	}
	return true
}

// PinStatus is the state of one pin.
type PinStatus struct {
	Pin gitpair.Pin
	// Version is the pinned version as numbered here (NAME:vN), empty if
	// it cannot be found here.
	Version string
	// Unavailable says why the pinned version cannot be found here
	// (deleted, or not fetched yet); the other checks are then skipped.
	Unavailable string
	// Missing: nothing is at the pin's path.
	Missing bool
	// Modified: the folder differs from the version; Changes lists how.
	Modified bool
	Changes  *repo.VerifyReport
	// Placed, for a modified pin, names the version trove last
	// materialised at the path (NAME:vN, from .trove/checkout), or is
	// empty when that is not known. When it is the pinned version, the
	// changed files were changed since, and only 'trove checkout --force'
	// puts the version's back.
	Placed string
	// Stale: Placed is another version (trove.lock changed, by a Git
	// checkout, merge or rebase, without a trove checkout after it), and
	// every changed file lies at a path where the two versions differ:
	// the folder holds Placed's files, which a plain 'trove checkout'
	// replaces (it refuses any changed since trove placed it).
	Stale bool
	// HashedBytes counts the bytes of the folder's files that were read to
	// check them: files the stat cache vouches for (unchanged since trove
	// last read or wrote them) are not read, so an unchanged folder costs
	// nothing but a stat of each file.
	HashedBytes int64
	// Behind: the pin's alias now names another version, AliasNow
	// ('trove pin --update PATH' moves the pin there).
	Behind   bool
	AliasNow string
	// AliasError says why the alias no longer resolves, if it does not.
	AliasError string
	// Expired says that the version's TTL ran out and how to extend it:
	// the pin keeps it from GC, but it no longer resolves by name.
	Expired string
	// Unpushed: the default remote was not last seen holding the version,
	// so a clone of the code could not get its data.
	Unpushed bool
}

// Clean reports whether nothing about the pin needs attention.
func (s PinStatus) Clean() bool {
	return s.Unavailable == "" && !s.Missing && !s.Modified && !s.Behind && s.AliasError == "" && s.Expired == "" && !s.Unpushed
}

// Status checks every pin of the work tree's trove.lock without touching
// the network: whether its path is missing or differs from the version
// (as repo.Verify, but trusting the stat cache as commit and pull do: a
// file is read only when its stat changed since trove last read or wrote
// it, and is remembered then), whether its alias now names another
// version, and whether the default remote holds the version (as last
// seen: 'trove fetch' or 'trove push' refresh that).
func (w *Workspace) Status(ctx context.Context) (*Status, error) {
	l, err := w.lock()
	if err != nil {
		return nil, err
	}
	st := &Status{Pins: []PinStatus{}}
	// The remote a push without --remote goes to: origin, or the only
	// one. With several and no origin there is no default to check.
	if _, ok := w.r.Config.Remotes["origin"]; ok {
		st.Remote = "origin"
	} else if names := w.r.RemoteNames(); len(names) == 1 {
		st.Remote = names[0]
	}
	for _, p := range l.Pins {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ps, err := w.pinStatus(ctx, p, st.Remote)
		if err != nil {
			return nil, err
		}
		st.Pins = append(st.Pins, ps)
	}
	return st, nil
}

func (w *Workspace) pinStatus(ctx context.Context, p gitpair.Pin, remote string) (PinStatus, error) {
	ps := PinStatus{Pin: p}
	v, err := w.find(ctx, p, false)
	if errors.Is(err, ErrPinGone) {
		ps.Unavailable = err.Error()
		d := w.pathOf(p)
		ps.Missing = d == "" || !exists(d)
		return ps, nil
	}
	if err != nil {
		return ps, err
	}
	ps.Version = v.String()
	ps.Expired = w.expiry(ctx, p, v)
	dir, err := w.diskPath(p.Path)
	if err != nil {
		return ps, err
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		ps.Missing = true
	} else {
		rep, err := w.r.VerifyWith(ctx, v, dir, repo.VerifyOptions{StatCache: true})
		if err != nil {
			return ps, err
		}
		ps.HashedBytes = rep.Bytes
		if !rep.OK() {
			ps.Modified, ps.Changes = true, rep
			ps.Placed, ps.Stale = w.placed(ctx, p, v, rep)
		}
	}
	if now, err := w.r.Resolve(ctx, p.Follows()); err != nil {
		ps.AliasError = err.Error()
	} else if now.Version.Record != v.Version.Record && now.Version.Root != p.Digest {
		ps.Behind, ps.AliasNow = true, now.String()
	}
	if remote != "" {
		ok, err := w.r.Pushed(ctx, remote, p.Artifact, p.Record, p.Digest)
		if err != nil {
			return ps, err
		}
		ps.Unpushed = !ok
	}
	return ps, nil
}

func (w *Workspace) pathOf(p gitpair.Pin) string {
	d, err := w.diskPath(p.Path)
	if err != nil {
		return ""
	}
	return d
}

// placed says what trove last materialised at pin p's path (the checkout
// state), by name, and whether the changes rep found against v are all
// that version's files: each changed file lies at a path where it and v
// differ. It reads only local trees (manifest.Diff skips equal subtrees),
// never the folder's files, so status stays offline and cheap; whether
// such a file changed since trove placed it is the checkout's to find.
func (w *Workspace) placed(ctx context.Context, p gitpair.Pin, v *repo.Resolved, rep *repo.VerifyReport) (string, bool) {
	prev, ok := w.loadState().Paths[p.Path]
	switch {
	case !ok:
		return "", false
	case prev.Root == v.Record.Root:
		return v.String(), false
	}
	name := w.nameOf(ctx, prev.Record)
	differ := map[string]bool{}
	err := manifest.Diff(ctx, w.r.Blobs(), prev.Root, v.Record.Root, func(c manifest.Change) error {
		if c.Op == manifest.Modified || c.Op == manifest.TypeChanged {
			differ[c.Path] = true
		}
		return nil
	})
	if err != nil {
		return "", false // the other version's trees are not here: not known
	}
	for _, c := range rep.Changed {
		if !differ[c] {
			return name, false
		}
	}
	return name, true
}

// nameOf names a version by its record: NAME:vN as numbered here, else
// "a version of NAME", else "another version".
func (w *Workspace) nameOf(ctx context.Context, record objects.ID) string {
	rec, err := w.r.Record(ctx, record)
	if err != nil {
		return "another version"
	}
	if l, err := w.r.Refs().Log(ctx, rec.Artifact); err == nil {
		for _, v := range l.Versions {
			if v.Record == record {
				return fmt.Sprintf("%s:v%d", rec.Artifact, v.N)
			}
		}
	}
	return "a version of " + rec.Artifact
}
