package workspace

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/trove-ml/trove/gitpair"
	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/repo"
)

// CheckoutOptions say which trove.lock to materialise.
type CheckoutOptions struct {
	// Rev, when set, reads trove.lock as it is in this Git commit (a
	// branch, tag, HEAD~1, a hash) instead of the work tree's. The Git
	// work tree and index are not touched.
	Rev string
	// Force replaces what is at the pinned versions' paths whatever it
	// is (repo.PullOptions.Force): files you changed there, and folders
	// in the way of a file. Without it a pin whose path holds something
	// trove did not place, or that changed since, fails with
	// repo.ErrInTheWay and nothing of it is written.
	Force bool
}

// checkoutForceHint is how a user forces a checkout, for repo.ErrInTheWay.
const checkoutForceHint = "run 'trove checkout --force'"

// CheckoutResult says what Checkout did. Like the package's other results,
// it is printed by the command line in a JSON shape of its own
// (docs/CLI.md).
type CheckoutResult struct {
	// Commit is the Git commit whose lock was read, when Rev was given.
	Commit string
	// Pins lists every pin, sorted by path.
	Pins []CheckedOut
}

// CheckedOut says what was done at one pin's path.
type CheckedOut struct {
	Pin gitpair.Pin
	// Version is the version materialised, as numbered here (NAME:vN);
	// it differs from the pin's number when a push renumbered it.
	Version string
	// Written and Skipped count files written and already up to date;
	// Removed counts files of the previously materialised version that
	// this one lacks, removed because nobody had changed them.
	Written int64
	Skipped int64
	Removed int64
	// Bytes counts bytes written.
	Bytes int64
	// Error says why this pin could not be materialised.
	Error string
	// Warning, if not empty, says what needs attention though the pin
	// was materialised: its version's TTL ran out.
	Warning string
}

// Checkout materialises every pin of trove.lock (the work tree's, or
// Git commit o.Rev's) at its path, writing only files that differ (see
// repo.Pull), fetching from the default remote what is missing here. A
// file at a version's path that differs from the version's is replaced
// only if trove placed it and nobody changed it since, or with o.Force;
// otherwise that pin fails with repo.ErrInTheWay, and nothing of it is
// written. Where another version was materialised before, files only it
// had are removed if they are unchanged; anything else in the folder is
// left alone. A pin that fails does not stop the others: the result lists
// each pin, and the error joins every pin's error.
func (w *Workspace) Checkout(ctx context.Context, o CheckoutOptions) (*CheckoutResult, error) {
	res := &CheckoutResult{Pins: []CheckedOut{}}
	var lock *gitpair.Lock
	if o.Rev != "" {
		g, err := gitpair.FindGit(w.dir)
		if err != nil {
			return nil, err
		}
		rel, err := g.Rel(w.dir)
		if err != nil {
			return nil, err
		}
		if lock, res.Commit, err = g.LockAt(ctx, o.Rev, rel); err != nil {
			return nil, err
		}
	} else {
		var err error
		if lock, err = w.lock(); err != nil {
			return nil, err
		}
	}
	st := w.loadState()
	var errs []error
	for _, p := range lock.Pins {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		co, err := w.checkoutPin(ctx, p, st, o.Force)
		if err != nil {
			co.Error = err.Error()
			errs = append(errs, err)
		}
		res.Pins = append(res.Pins, co)
	}
	if err := w.saveState(st); err != nil {
		errs = append(errs, fmt.Errorf("checkout: record what was materialised: %w", err))
	}
	return res, errors.Join(errs...)
}

func (w *Workspace) checkoutPin(ctx context.Context, p gitpair.Pin, st *state, force bool) (CheckedOut, error) {
	co := CheckedOut{Pin: p}
	v, err := w.find(ctx, p, true)
	if err != nil {
		return co, err
	}
	co, err = w.materialise(ctx, p, v, st, repo.PullOptions{Force: force, ForceHint: checkoutForceHint})
	co.Warning = w.expiry(ctx, p, v)
	return co, err
}

// materialise writes version v at pin p's path, pulling with o (whose
// Dir it sets), and records it in st.
func (w *Workspace) materialise(ctx context.Context, p gitpair.Pin, v *repo.Resolved, st *state, o repo.PullOptions) (CheckedOut, error) {
	co := CheckedOut{Pin: p, Version: v.String()}
	dir, err := w.diskPath(p.Path)
	if err != nil {
		return co, err
	}
	o.Dir = dir
	o.Refs = w.refs
	prev := st.Paths[p.Path] // zero if nothing was materialised there
	if prev.Pending != v.Record.Root {
		pending := prev
		pending.Pending = v.Record.Root
		st.Paths[p.Path] = pending
		if err := w.saveState(st); err != nil {
			return co, fmt.Errorf("%s: record what is being materialised: %w", p.Path, err)
		}
	}
	pr, err := w.r.Pull(ctx, v, o)
	if err != nil {
		return co, fmt.Errorf("%s: %w", p.Path, err)
	}
	co.Written, co.Skipped, co.Bytes = pr.Written, pr.Skipped, pr.Bytes
	// Best effort: without the old version's trees (a repository that
	// never had them) nothing is removed, and nothing is lost. A pin or
	// checkout killed while it wrote, or before it recorded what it had
	// written, left a version's files as well.
	for _, root := range append(pr.Superseded, prev.Root, prev.Pending) {
		if !root.IsZero() && root != v.Record.Root {
			n, _ := w.removeStale(ctx, dir, root, v.Record.Root)
			co.Removed += n
		}
	}
	st.Paths[p.Path] = pathRecord{Record: v.Version.Record, Root: v.Record.Root}
	return co, nil
}

// removeStale removes from dir the files and symbolic links that tree old
// has and tree new lacks, when they still hold old's content, and then
// the folders old had that are left empty.
func (w *Workspace) removeStale(ctx context.Context, dir string, old, new objects.ID) (int64, error) {
	var removed int64
	var dirs []string
	err := manifest.Diff(ctx, w.r.Blobs(), old, new, func(c manifest.Change) error {
		if c.Op != manifest.Removed {
			return nil
		}
		d := filepath.Join(dir, filepath.FromSlash(c.Path))
		switch c.Old.Kind {
		case manifest.KindDir:
			dirs = append(dirs, d)
		case manifest.KindFile:
			if unchangedFile(d, *c.Old) && os.Remove(d) == nil {
				removed++
			}
		case manifest.KindSymlink:
			if t, err := os.Readlink(d); err == nil && t == c.Old.Target && os.Remove(d) == nil {
				removed++
			}
		}
		return nil
	})
	// Deepest first, and only empty ones: a folder holding anything the
	// user put there stays.
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		os.Remove(d)
	}
	return removed, err
}

// unchangedFile reports whether the regular file at d holds exactly e's
// content.
func unchangedFile(d string, e manifest.Entry) bool {
	fi, err := os.Lstat(d)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != e.Size {
		return false
	}
	f, err := os.Open(d)
	if err != nil {
		return false
	}
	defer f.Close()
	h := objects.NewHasher()
	if _, err := io.Copy(h, f); err != nil {
		return false
	}
	return h.Sum() == e.Digest
}

// exists reports whether something is at path d.
func exists(d string) bool {
	_, err := os.Lstat(d)
	return !errors.Is(err, fs.ErrNotExist)
}
