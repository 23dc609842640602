package repo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/trove-ml/trove/internal/fileinfo"
	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// VerifyReport lists every difference between a version and a folder.
// Paths are relative to the folder, '/'-separated. The command line prints
// it in a JSON shape of its own (docs/CLI.md).
type VerifyReport struct {
	Missing []string
	Extra   []string
	Changed []string
	// Files counts the version's files checked.
	Files int64
	// Bytes counts the bytes hashed.
	Bytes int64
	// SourceChanged lists references whose source no longer holds the
	// recorded object, so the folder's copy could not be compared.
	SourceChanged []string
	// Unpinned lists location-only references: nothing recorded to
	// compare with (not a difference).
	Unpinned []string
}

// OK reports whether the folder matches the version exactly.
func (rep *VerifyReport) OK() bool {
	return len(rep.Missing) == 0 && len(rep.Extra) == 0 && len(rep.Changed) == 0 && len(rep.SourceChanged) == 0
}

// Verify re-hashes every file of a materialised folder and compares it with
// a version. It never trusts the stat cache: verification reads every byte.
// References are checked by size alone; VerifyWith checks them fully, and
// may trust the stat cache (VerifyOptions.StatCache).
func (r *Repo) Verify(ctx context.Context, v *Resolved, dir string) (*VerifyReport, error) {
	return r.VerifyWith(ctx, v, dir, VerifyOptions{})
}

// VerifyWith is Verify with options for references (see VerifyOptions).
func (r *Repo) VerifyWith(ctx context.Context, v *Resolved, dir string, o VerifyOptions) (*VerifyReport, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	switch fi, err := os.Stat(abs); {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w: verify: %s: the folder does not exist", ErrInvalid, dir)
	case err != nil:
		return nil, fmt.Errorf("%w: verify: %w", ErrInvalid, err)
	case !fi.IsDir():
		return nil, fmt.Errorf("%w: verify: %s is not a folder", ErrInvalid, dir)
	}
	vf := &verifier{r: r, g: r.getter(), pool: newPool(ctx, r.opts.Workers),
		meter: r.opts.Progress.Start("verifying", v.Record.Size, true), ro: refVerify{o: o}}
	if o.StatCache {
		vf.stat = r.newStatRecorder(digestCacheFlush) // entries with epoch 0: true on their own
	}
	err = vf.dir(ctx, "", v.Record.Root, abs)
	vf.pool.close()
	vf.meter.Done()
	if err == nil {
		err = vf.ro.err
	}
	if vf.stat != nil {
		if serr := vf.stat.commit(); err == nil && serr != nil {
			err = fmt.Errorf("verify: stat cache: %w", serr)
		}
	}
	if err != nil {
		return nil, err
	}
	rep := &vf.rep
	sort.Strings(rep.Missing)
	sort.Strings(rep.Extra)
	sort.Strings(rep.Changed)
	sort.Strings(rep.SourceChanged)
	sort.Strings(rep.Unpinned)
	return rep, nil
}

type verifier struct {
	r     *Repo
	g     manifest.BlobGetter // tree nodes not here come from the remote
	pool  *pool
	meter Meter
	mu    sync.Mutex
	rep   VerifyReport // guarded by mu
	ro    refVerify    // references; its err is guarded by mu
	// stat, when not nil, is where files read are remembered; files the
	// stat cache vouches for are then not read (VerifyOptions.StatCache).
	stat *statRecorder
}

func (vf *verifier) add(list *[]string, p string) {
	vf.mu.Lock()
	*list = append(*list, p)
	vf.mu.Unlock()
}

// dir compares tree id at version path p with the folder disk.
func (vf *verifier) dir(ctx context.Context, p string, id objects.ID, disk string) error {
	// The folder's names on disk, sorted (on disk past ListMemory), merged
	// with its entries in the version as both are read a batch at a time:
	// a folder of a million files holds neither all its names nor all its
	// entries.
	l, err := fileinfo.OpenList(disk, vf.r.listOptions())
	if err != nil {
		return err
	}
	defer l.Close()
	names := nameCursor{l: l}
	// extraUpTo reports the names on disk before name (all with last) as
	// extra, but for the repository's own folder, and returns the name
	// the cursor is left on (ok false past the last).
	extraUpTo := func(name string, last bool) (n string, ok bool, err error) {
		for {
			n, ok, err = names.peek()
			if err != nil || !ok || !last && n >= name {
				return n, ok, err
			}
			names.skip()
			if full := filepath.Join(disk, n); full != vf.r.Dir {
				vf.extra(path.Join(p, n), full)
			}
		}
	}
	err = manifest.ReadDir(ctx, vf.g, id, func(e manifest.Entry) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, ok, err := extraUpTo(e.Name, false)
		switch {
		case err != nil:
			return err
		case ok && n == e.Name:
			names.skip()
			return vf.entry(ctx, path.Join(p, e.Name), e, filepath.Join(disk, e.Name))
		}
		return vf.missing(ctx, path.Join(p, e.Name), e)
	})
	if err != nil {
		return err
	}
	_, _, err = extraUpTo("", true)
	return err
}

// nameCursor reads a folder's names in order, a batch at a time.
type nameCursor struct {
	l     *fileinfo.Lister
	names []string // the batch, the Lister's own
	j     int
	done  bool
}

// peek returns the current name; ok is false past the last.
func (c *nameCursor) peek() (name string, ok bool, err error) {
	if c.j == len(c.names) && !c.done {
		if c.names, err = c.l.NextNames(listBatch); err != nil {
			return "", false, err
		}
		c.j, c.done = 0, len(c.names) == 0
	}
	if c.done {
		return "", false, nil
	}
	return c.names[c.j], true, nil
}

// skip moves past the current name.
func (c *nameCursor) skip() { c.j++ }

func (vf *verifier) missing(ctx context.Context, p string, e manifest.Entry) error {
	if e.Kind != manifest.KindDir {
		vf.add(&vf.rep.Missing, p)
		return nil
	}
	return manifest.Walk(ctx, vf.g, e.Digest, func(sub string, se manifest.Entry) error {
		if se.Kind != manifest.KindDir {
			vf.add(&vf.rep.Missing, path.Join(p, sub))
		}
		return nil
	})
}

func (vf *verifier) extra(p, full string) {
	fi, err := os.Lstat(full)
	if err != nil || !fi.IsDir() {
		vf.add(&vf.rep.Extra, p)
		return
	}
	filepath.WalkDir(full, func(q string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(full, q)
			vf.add(&vf.rep.Extra, path.Join(p, filepath.ToSlash(rel)))
		}
		return nil
	})
}

func (vf *verifier) entry(ctx context.Context, p string, e manifest.Entry, full string) error {
	fi, err := os.Lstat(full)
	if err != nil {
		vf.add(&vf.rep.Missing, p)
		return nil
	}
	switch e.Kind {
	case manifest.KindDir:
		if !fi.IsDir() {
			vf.add(&vf.rep.Changed, p)
			return nil
		}
		return vf.dir(ctx, p, e.Digest, full)
	case manifest.KindSymlink:
		if t, err := os.Readlink(full); err != nil || t != e.Target {
			vf.add(&vf.rep.Changed, p)
		}
		return nil
	case manifest.KindFile:
		vf.mu.Lock()
		vf.rep.Files++
		vf.mu.Unlock()
		if !fi.Mode().IsRegular() || fi.Size() != e.Size {
			vf.add(&vf.rep.Changed, p)
			return nil
		}
		st := statOf(fi)
		if vf.stat != nil {
			if d, ok := vf.r.cachedDigest(full, st); ok {
				vf.meter.Add(e.Size)
				if d != e.Digest {
					vf.add(&vf.rep.Changed, p)
				}
				return nil
			}
		}
		vf.pool.submit(func() {
			statTime := time.Now() // before the read: see trustStatEntry
			d, err := hashFile(full, st)
			vf.meter.Add(e.Size)
			vf.mu.Lock()
			vf.rep.Bytes += e.Size
			vf.mu.Unlock()
			// Only the version's content is remembered: a pull's entry
			// (epoch 0) also tells a later pull that the file is one
			// trove may remove (placedUnchanged), and an edited file is
			// the user's.
			if err == nil && vf.stat != nil && d == e.Digest {
				vf.stat.remember(full, st, statTime, d, 0)
			}
			if err != nil || d != e.Digest {
				vf.add(&vf.rep.Changed, p)
			}
		})
		return nil
	}
	if e.Kind == manifest.KindRef || e.Kind == manifest.KindRefLocation {
		vf.ref(ctx, p, e, full, fi)
	}
	return nil
}
