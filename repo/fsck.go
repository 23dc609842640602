package repo

import (
	"context"
	"errors"
	"fmt"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
)

// FsckReport lists every problem fsck found. It never repairs anything.
type FsckReport struct {
	// Problems lists damage: corrupt or inconsistent packs, index entries
	// and blobs, and refs reaching records, trees, file maps or chunks
	// that are missing or corrupt. Each names the object and its file.
	Problems []string `json:"problems"`
	// Warnings lists harmless leftovers, such as packs a crash left
	// unindexed (GC removes them).
	Warnings []string `json:"warnings"`
	// Packs, Blobs and Bytes count what was verified.
	Packs int   `json:"packs"`
	Blobs int64 `json:"blobs"`
	Bytes int64 `json:"bytes"`
	// Versions counts the live versions checked.
	Versions int `json:"versions"`
}

// OK reports whether no problem was found.
func (f *FsckReport) OK() bool { return len(f.Problems) == 0 }

// Fsck verifies every object and every ref: each pack and blob against its
// id, and that every live version reaches only objects that exist.
func (r *Repo) Fsck(ctx context.Context) (*FsckReport, error) {
	rep := &FsckReport{Problems: []string{}, Warnings: []string{}}
	meter := r.opts.Progress.Start("checking packs", 0, true)
	var reported int64
	st, err := r.store.Check(ctx, func(done, total int64) {
		// Check reports bytes read so far; a meter counts increments.
		meter.SetTotal(total)
		meter.Add(done - reported)
		reported = done
	})
	meter.Done()
	if err != nil {
		return nil, err
	}
	for _, p := range st.Problems {
		rep.Problems = append(rep.Problems, p.String())
	}
	for _, w := range st.Warnings {
		rep.Warnings = append(rep.Warnings, w.String())
	}
	rep.Packs, rep.Blobs, rep.Bytes = st.Packs, st.Blobs+st.Inline, st.Bytes
	g := fsckBlobs{blobs: blobs{st: r.store}, r: r}
	seenMaps := map[objects.ID]bool{}
	err = r.refs.Artifacts(ctx, func(name string, l *refs.Log) error {
		for _, v := range l.Versions {
			if v.State != refs.StateLive {
				continue
			}
			rep.Versions++
			at := fmt.Sprintf("%s:v%d", name, v.N)
			rec, err := r.Record(ctx, v.Record)
			if err != nil {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %v", at, err))
				continue
			}
			if rec.Root != v.Root {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s: record root %s differs from log root %s", at, rec.Root.Short(), v.Root.Short()))
			}
			// Every node decodes, is split where the rules say, and the
			// sizes and counts it claims add up.
			if size, files, err := manifest.VerifyTree(ctx, g, rec.Root); errors.Is(err, errOnRemote) {
				// Fetched, not (wholly) pulled: the remote has the rest,
				// and a pull verifies it as it comes.
				continue
			} else if err != nil {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s: tree: %v", at, err))
				continue
			} else if size != rec.Size || files != rec.Files {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s: tree holds %d files, %d bytes; the record says %d, %d", at, files, size, rec.Files, rec.Size))
			}
			err = manifest.Walk(ctx, g, rec.Root, func(p string, e manifest.Entry) error {
				if e.Kind != manifest.KindFile || e.Size == 0 {
					return nil
				}
				if prob := r.checkContent(ctx, g, e.Digest, seenMaps); prob != "" {
					rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %s: %s", at, p, prob))
				}
				return nil
			})
			if err != nil && !errors.Is(err, errOnRemote) {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s: tree: %v", at, err))
			}
		}
		return nil
	})
	if err != nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("refs: %v", err))
	}
	return rep, nil
}

// errOnRemote means a blob is not here but on a remote, as this
// repository last read its indexes: a version fetched and not pulled, or
// content `trove cache prune` evicted. fsck checks what is here.
var errOnRemote = errors.New("on a remote only")

// fsckBlobs reads blobs for fsck: one missing here that a remote holds is
// errOnRemote, not a problem.
type fsckBlobs struct {
	blobs
	r *Repo
}

func (g fsckBlobs) GetBlob(ctx context.Context, id objects.ID) ([]byte, error) {
	b, err := g.blobs.GetBlob(ctx, id)
	if errors.Is(err, objects.ErrNotFound) {
		if on, herr := g.r.hasHereOrRemote(id); herr == nil && on {
			return nil, fmt.Errorf("%w: %s", errOnRemote, id.Short())
		}
	}
	return b, err
}

// checkContent says what is wrong with a file's content, or "".
func (r *Repo) checkContent(ctx context.Context, g fsckBlobs, digest objects.ID, seen map[objects.ID]bool) string {
	mapID, ok, err := r.store.FileMap(digest)
	if err != nil {
		return err.Error()
	}
	if !ok {
		if has, err := r.hasHereOrRemote(digest); err != nil || !has {
			return fmt.Sprintf("content %s missing", digest.Short())
		}
		return ""
	}
	if seen[mapID] {
		return ""
	}
	seen[mapID] = true
	var missing []string
	err = manifest.ReadFileMap(ctx, g, mapID, func(_ int64, id objects.ID, _ uint32) error {
		if has, err := r.hasHereOrRemote(id); err != nil || !has {
			missing = append(missing, id.Short())
		}
		return nil
	})
	if errors.Is(err, errOnRemote) {
		return ""
	}
	if err != nil {
		return fmt.Sprintf("file map %s: %v", mapID.Short(), err)
	}
	if len(missing) > 0 {
		return fmt.Sprintf("chunks missing: %v", missing)
	}
	return ""
}
