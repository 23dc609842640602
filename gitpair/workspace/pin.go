package workspace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/trove-ml/trove/gitpair"
	"github.com/trove-ml/trove/repo"
)

// PinResult says what Pin or Update did.
type PinResult struct {
	// Pin is the pin now in trove.lock.
	Pin gitpair.Pin
	// Previous is the pin it replaced, if any.
	Previous *gitpair.Pin
	// Checkout says what was written at the path.
	Checkout CheckedOut
	// Ignored is the line added to the project's .gitignore, if one was
	// (the pinned files belong to trove, not Git).
	Ignored string
}

// Pin resolves name (any spelling Repo.Resolve accepts; fetched from the
// default remote when unknown here), records the version in trove.lock at
// path p (from PinPath) and materialises it there. A pin already at p is
// replaced. Order: the lock is checked first (a path nesting in another
// pin is gitpair.ErrBadPin and changes nothing), then the files are
// written, then trove.lock, then .gitignore; a failure leaves the lock as
// it was.
func (w *Workspace) Pin(ctx context.Context, name, p string) (*PinResult, error) {
	v, err := w.r.ResolveOrFetch(ctx, name)
	if err != nil {
		return nil, err
	}
	pin, err := pinFor(p, name, v)
	if err != nil {
		return nil, err
	}
	return w.setPin(ctx, pin, v)
}

// Update moves the pin at path p to the version its alias names now
// (fetching the artifact's log from the default remote first, when there
// is one, so that moves others pushed count) and materialises it. It
// fails with ErrNotPinned if p is not pinned.
func (w *Workspace) Update(ctx context.Context, p string) (*PinResult, error) {
	l, err := w.lock()
	if err != nil {
		return nil, err
	}
	old, ok := l.Find(p)
	if !ok {
		return nil, fmt.Errorf("%w: %s (see trove.lock, or pin it with 'trove pin NAME:ALIAS %s')", ErrNotPinned, p, p)
	}
	if len(w.r.Config.Remotes) > 0 && !strings.Contains(old.Alias, "/") {
		// Best effort: offline, the alias as known here is what counts.
		w.r.Fetch(ctx, repo.FetchOptions{Names: []string{old.Artifact}})
	}
	v, err := w.r.ResolveOrFetch(ctx, old.Follows())
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", p, old.Follows(), err)
	}
	pin, err := pinFor(p, old.Follows(), v)
	if err != nil {
		return nil, err
	}
	return w.setPin(ctx, pin, v)
}

func (w *Workspace) setPin(ctx context.Context, pin gitpair.Pin, v *repo.Resolved) (*PinResult, error) {
	l, err := w.lock()
	if err != nil {
		return nil, err
	}
	res := &PinResult{Pin: pin}
	if prev, ok := l.Find(pin.Path); ok {
		res.Previous = &prev
	}
	if err := l.Set(pin); err != nil {
		return nil, err
	}
	st := w.loadState()
	// No Force: a pin never replaces what the user changed at its path.
	co, err := w.materialise(ctx, pin, v, st, repo.PullOptions{})
	res.Checkout = co
	if err != nil {
		return nil, err
	}
	if err := gitpair.WriteLock(w.dir, l); err != nil {
		return nil, err
	}
	if err := w.saveState(st); err != nil {
		return nil, err
	}
	if res.Ignored, err = w.ignore(pin.Path); err != nil {
		return res, err
	}
	return res, nil
}

// Unpin removes the pin at path p from trove.lock and its line from
// .gitignore. The files stay where they are. It fails with ErrNotPinned
// if p is not pinned.
func (w *Workspace) Unpin(ctx context.Context, p string) (gitpair.Pin, error) {
	if err := ctx.Err(); err != nil {
		return gitpair.Pin{}, err
	}
	l, err := w.lock()
	if err != nil {
		return gitpair.Pin{}, err
	}
	old, ok := l.Find(p)
	if !ok {
		return gitpair.Pin{}, fmt.Errorf("%w: %s", ErrNotPinned, p)
	}
	l.Remove(p)
	if err := gitpair.WriteLock(w.dir, l); err != nil {
		return old, err
	}
	return old, w.unignore(p)
}

// ignoreLine is the .gitignore line that keeps a pin's files out of Git.
func ignoreLine(p string) string { return "/" + p + "/" }

// ignore adds the pin's line to the project's .gitignore when the project
// is in a Git work tree and the line is not there yet. It returns the line
// added, if any.
func (w *Workspace) ignore(p string) (string, error) {
	if _, err := gitpair.FindGit(w.dir); err != nil {
		return "", nil // not a Git work tree: nothing to ignore
	}
	name := filepath.Join(w.dir, ".gitignore")
	b, err := os.ReadFile(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	line := ignoreLine(p)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSuffix(l, "\r") == line {
			return "", nil
		}
	}
	if len(b) > 0 && !bytes.HasSuffix(b, []byte("\n")) {
		b = append(b, '\n')
	}
	b = append(b, []byte(line+"\n")...)
	if err := writeFile(name, b); err != nil {
		return "", fmt.Errorf("update %s: %w", name, err)
	}
	return line, nil
}

// unignore removes the pin's line from .gitignore, if it is there.
func (w *Workspace) unignore(p string) error {
	name := filepath.Join(w.dir, ".gitignore")
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	lines := strings.SplitAfter(string(b), "\n")
	var out strings.Builder
	found := false
	for _, l := range lines {
		if strings.TrimRight(l, "\r\n") == ignoreLine(p) {
			found = true
			continue
		}
		out.WriteString(l)
	}
	if !found {
		return nil
	}
	return writeFile(name, []byte(out.String()))
}

// writeFile replaces a small text file atomically, keeping its mode.
func writeFile(name string, b []byte) error {
	mode := fs.FileMode(0o644)
	if fi, err := os.Stat(name); err == nil {
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
