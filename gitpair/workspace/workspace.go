package workspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/trove-ml/trove/gitpair"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/repo"
	"github.com/trove-ml/trove/retention"
)

// Sentinel errors callers branch on.
var (
	// ErrPinGone means a pinned version cannot be had: it was deleted
	// (or expired and was collected), or neither this repository nor the
	// remote knows it. The message names the path and says what to do.
	ErrPinGone = errors.New("workspace: pinned version is gone")
	// ErrNotPinned means no pin has the path given.
	ErrNotPinned = errors.New("workspace: path is not pinned")
	// ErrUnsafePath means materialising a pin would write through a
	// symbolic link, possibly outside the project.
	ErrUnsafePath = errors.New("workspace: unsafe pin path")
)

// Workspace is a project folder (the one holding .trove and trove.lock)
// with its repository open.
type Workspace struct {
	r *repo.Repo
	// dir is the project folder with symbolic links resolved.
	dir string
	// refs fetches referenced objects when a pinned version has some.
	refs repo.RefFetcher
}

// SetRefs gives the workspace what fetches referenced objects from their
// sources: without it, pinning or checking out a version that holds
// references fails (repo.PullOptions.Refs).
func (w *Workspace) SetRefs(f repo.RefFetcher) { w.refs = f }

// New returns the workspace of an open repository: its Root folder.
func New(r *repo.Repo) (*Workspace, error) {
	dir, err := filepath.EvalSymlinks(r.Root)
	if err != nil {
		return nil, err
	}
	return &Workspace{r: r, dir: dir}, nil
}

// Dir returns the project folder.
func (w *Workspace) Dir() string { return w.dir }

// PinPath maps a path given by the user (absolute) to a pin's path,
// relative to the project folder. It fails with gitpair.ErrBadPin for a
// path outside the project folder, the folder itself, or a path inside
// .git or .trove.
func (w *Workspace) PinPath(abs string) (string, error) {
	real, err := resolveExisting(filepath.Clean(abs))
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(w.dir, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", fmt.Errorf("%w: %s is outside the project folder %s; pins live inside it, beside trove.lock", gitpair.ErrBadPin, abs, w.dir)
	}
	p := filepath.ToSlash(rel)
	if err := gitpair.CheckPath(p); err != nil {
		return "", fmt.Errorf("%w: %v", gitpair.ErrBadPin, err)
	}
	return p, nil
}

// resolveExisting resolves symbolic links in the longest existing prefix
// of p and appends the rest.
func resolveExisting(p string) (string, error) {
	rest := ""
	for d := p; ; {
		if r, err := filepath.EvalSymlinks(d); err == nil {
			return filepath.Join(r, rest), nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return p, nil
		}
		rest = filepath.Join(filepath.Base(d), rest)
		d = parent
	}
}

// diskPath returns where pin path p lives, refusing a path whose existing
// folders include a symbolic link: a lock from someone else's commit must
// not make trove write outside the project.
func (w *Workspace) diskPath(p string) (string, error) {
	if err := gitpair.CheckPath(p); err != nil {
		return "", fmt.Errorf("%w: %v", gitpair.ErrBadPin, err)
	}
	d := w.dir
	for _, el := range strings.Split(p, "/") {
		d = filepath.Join(d, el)
		fi, err := os.Lstat(d)
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return "", fmt.Errorf("%w: %s: %s is a symbolic link; trove materialises pins only into real folders", ErrUnsafePath, p, d)
		}
		if !fi.IsDir() {
			return "", fmt.Errorf("%w: %s: %s is a file, not a folder", ErrUnsafePath, p, d)
		}
	}
	return filepath.Join(w.dir, filepath.FromSlash(p)), nil
}

// lock reads the project's trove.lock.
func (w *Workspace) lock() (*gitpair.Lock, error) { return gitpair.ReadLock(w.dir) }

// find returns the live version a pin names: the version whose record is
// the pin's, else (a version that collapsed into an equal one on push) a
// live version with the pin's content digest. With fetch, an artifact or
// version unknown here is looked for on the default remote too.
func (w *Workspace) find(ctx context.Context, p gitpair.Pin, fetch bool) (*repo.Resolved, error) {
	v, gone, err := w.match(ctx, p)
	if err != nil {
		return nil, err
	}
	var fetchErr error
	if v == nil && fetch && len(w.r.Config.Remotes) > 0 {
		if _, fetchErr = w.r.Fetch(ctx, repo.FetchOptions{Names: []string{p.Artifact}}); fetchErr == nil || errors.Is(fetchErr, refs.ErrNotFound) {
			if v, gone, err = w.match(ctx, p); err != nil {
				return nil, err
			}
		}
	}
	if v == nil {
		fix := w.repinHint(ctx, p)
		switch {
		case gone != nil:
			return nil, fmt.Errorf("%w: %s: pinned %s (record %s) %s; %s", ErrPinGone, p.Path, p.Name(), p.Record.Short(), gone.DeletedText(), fix)
		case fetchErr != nil && !errors.Is(fetchErr, refs.ErrNotFound):
			return nil, fmt.Errorf("%s: pinned %s (record %s) is not in this repository, and the remote could not be asked: %w", p.Path, p.Name(), p.Record.Short(), fetchErr)
		case len(w.r.Config.Remotes) == 0:
			return nil, fmt.Errorf("%w: %s: pinned %s (record %s) is not in this repository and no remote is configured (add the team's with 'trove remote add origin URL')", ErrPinGone, p.Path, p.Name(), p.Record.Short())
		case !fetch:
			return nil, fmt.Errorf("%w: %s: pinned %s (record %s) is not in this repository yet ('trove checkout' fetches it)", ErrPinGone, p.Path, p.Name(), p.Record.Short())
		}
		return nil, fmt.Errorf("%w: %s: pinned %s (record %s) is neither here nor on the remote: it expired or was deleted, or whoever pinned it has not pushed it; %s", ErrPinGone, p.Path, p.Name(), p.Record.Short(), fix)
	}
	res, err := w.r.Resolve(ctx, fmt.Sprintf("%s:v%d", p.Artifact, v.N))
	if errors.Is(err, repo.ErrExpired) {
		// The pin holds its version: GC keeps it, and its content, however
		// its TTL ran out (package retention), so it still checks out.
		res, err = w.held(ctx, p.Artifact, *v)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: pinned %s: %w", p.Path, p.Name(), err)
	}
	return res, nil
}

// held returns live version v of artifact name without the expiry check
// of Repo.Resolve: for a version a pin holds.
func (w *Workspace) held(ctx context.Context, name string, v refs.Version) (*repo.Resolved, error) {
	l, err := w.r.Refs().Log(ctx, name)
	if err != nil {
		return nil, err
	}
	rec, err := w.r.Record(ctx, v.Record)
	if err != nil {
		return nil, fmt.Errorf("%s:v%d: %w", name, v.N, err)
	}
	return &repo.Resolved{Name: name, Log: l, Version: v, Record: rec}, nil
}

// expiry returns, for a pinned version whose TTL ran out, a warning
// saying so and how to extend it; "" otherwise.
func (w *Workspace) expiry(ctx context.Context, p gitpair.Pin, v *repo.Resolved) string {
	sts, err := w.r.Statuses(ctx, v.Name, v.Log, retention.Holds{})
	if err != nil {
		return ""
	}
	st, ok := retention.Find(sts, v.Version.N)
	if !ok || !st.Expired {
		return ""
	}
	return fmt.Sprintf("%s: %s %s: the pin keeps it from GC, but it no longer resolves by name, and goes at the first GC once no trove.lock pins it (here or at a branch tip); extend it with 'trove ttl set %s 30d' (or never)",
		p.Path, v, st.Why(retention.Policy{}), v)
}

// repinHint says how to replace a pin whose version is gone: 'trove pin
// --update' only when the alias it follows names a version that resolves
// (an alias "vN" never moves), else pinning the artifact's latest.
func (w *Workspace) repinHint(ctx context.Context, p gitpair.Pin) string {
	unpin := fmt.Sprintf("remove the pin ('trove unpin %s')", p.Path)
	if now, err := w.r.Resolve(ctx, p.Follows()); err == nil && now.Version.Record != p.Record {
		return fmt.Sprintf("pin %s ('trove pin --update %s' follows %q there) or %s", now, p.Path, p.Alias, unpin)
	}
	if latest, err := w.r.Resolve(ctx, p.Artifact); err == nil {
		return fmt.Sprintf("%q names no version that resolves; pin another ('trove pin %s:latest %s' pins %s) or %s", p.Alias, p.Artifact, p.Path, latest, unpin)
	}
	return unpin
}

// match looks for the pin's version in the local log. When there is no
// live one, it returns the pinned record's entry if the log has it as
// deleted (expired versions are deleted ones, with their reason).
func (w *Workspace) match(ctx context.Context, p gitpair.Pin) (live, gone *refs.Version, err error) {
	l, err := w.r.Refs().Log(ctx, p.Artifact)
	if errors.Is(err, refs.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var byRoot *refs.Version
	for i := range l.Versions {
		v := &l.Versions[i]
		switch {
		case v.Record == p.Record && v.State == refs.StateLive:
			return v, nil, nil
		case v.Record == p.Record:
			gone = v
		case v.Root == p.Digest && v.State == refs.StateLive && byRoot == nil:
			byRoot = v
		}
	}
	if byRoot != nil {
		return byRoot, nil, nil
	}
	return nil, gone, nil
}

// pinFor builds the pin that records version v at path p, following the
// name it was resolved from.
func pinFor(p, name string, v *repo.Resolved) (gitpair.Pin, error) {
	sp, err := refs.ParseSpec(name)
	if err != nil {
		return gitpair.Pin{}, err
	}
	alias := sp.Selector
	switch {
	case sp.Collection != "":
		if sp.Selector == "" {
			sp.Selector = "latest"
		}
		alias = refs.Spec{Registry: sp.Registry, Collection: sp.Collection, Selector: sp.Selector}.String()
	case sp.MaybeDigest && sp.Name != v.Name:
		// Found by its digest: the pin holds exactly that version.
		alias = fmt.Sprintf("v%d", v.Version.N)
	case alias == "":
		alias = "latest"
	}
	return gitpair.Pin{Path: p, Artifact: v.Name, Version: v.Version.N, Alias: alias, Digest: v.Version.Root, Record: v.Version.Record}, nil
}

// stateName is the file in .trove recording what each pin path holds.
const stateName = "checkout"

// stateFormat is the format of the state file.
const stateFormat = 1

// state records, per pin path, the version last materialised there, so
// that moving to another version can remove the files only the old one
// had. It is a cache: losing it costs only that clean-up, never data.
type state struct {
	Format int                   `json:"format"`
	Paths  map[string]pathRecord `json:"paths"`
}

type pathRecord struct {
	Record objects.ID `json:"record"`
	Root   objects.ID `json:"root"`
	// Pending is the tree of a version being materialised there, saved
	// before its pull begins and cleared once it is recorded above: a pin
	// or checkout killed in between left that version's files, which the
	// next one removes as it removes Root's.
	Pending objects.ID `json:"pending,omitzero"`
}

func (w *Workspace) loadState() *state {
	st := &state{Format: stateFormat, Paths: map[string]pathRecord{}}
	b, err := os.ReadFile(filepath.Join(w.r.Dir, stateName))
	if err != nil {
		return st
	}
	// An unreadable or foreign state is ignored: it is only a cache.
	if s, ok := decodeState(b); ok {
		return s
	}
	return st
}

// decodeState parses a state file, ok false for one that is not JSON of
// this format with its paths.
func decodeState(b []byte) (*state, bool) {
	var s state
	if json.Unmarshal(b, &s) != nil || s.Format != stateFormat || s.Paths == nil {
		return nil, false
	}
	return &s, true
}

func (w *Workspace) saveState(st *state) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(w.r.Dir, "."+stateName+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(w.r.Dir, stateName))
}
