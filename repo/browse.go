package repo

import (
	"context"
	"fmt"
	"io"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// A Browser reads versions for commands that look at them without
// pulling them: ls, manifest, diff, the web UI. A fetch brings a
// version's record and leaves its trees and content to the pull that
// needs them (ARCHITECTURE.md, "Fetch and pull"), so a version fetched
// but not pulled is on the remote only; a Browser downloads from the
// default remote what a read needs and this repository lacks, into the
// local store, which doubles as the cache. The remote is opened on first
// need, once per Browser: offline work with everything here never
// touches it. Without a remote a Browser reads the local store alone.
type Browser struct {
	r *Repo
	g *lazyGetter
}

// Browse returns a Browser. Use one per command or request: it keeps the
// remote's index as it was when first read.
func (r *Repo) Browse() *Browser { return &Browser{r: r, g: r.getter()} }

// Trees returns a reader of the tree nodes of the versions with the given
// roots. When a root is missing here, its tree is downloaded first, in
// one batch of reads per node as a pull does; a node still missing when
// it is read (a tree that a pull with --prefix brought in part) is
// downloaded then. File maps and chunks are left where they are.
func (b *Browser) Trees(ctx context.Context, roots ...objects.ID) (manifest.BlobGetter, error) {
	if len(b.r.Config.Remotes) == 0 {
		return b.r.Blobs(), nil
	}
	seen := map[objects.ID]bool{}
	rc := &manifest.Reach{
		Getter:   b.g,
		Prefetch: b.g.prefetch,
		FileMap:  func(objects.ID) (objects.ID, bool, error) { return objects.ID{}, false, nil },
		Enter: func(id objects.ID, t objects.BlobType) (bool, error) {
			if t != objects.TypeTree || seen[id] {
				return false, nil
			}
			seen[id] = true
			return true, nil
		},
	}
	for _, root := range roots {
		ok, err := b.r.store.Has(root)
		if err != nil {
			return nil, err
		}
		if !ok {
			if _, err := b.g.conn(ctx); err != nil {
				return nil, fmt.Errorf("%w: the version's file list (tree %s) was not pulled, and the remote could not be read: %w", ErrMissingContent, root.Short(), err)
			}
			if err := rc.Tree(ctx, root); err != nil {
				return nil, err
			}
		}
	}
	return b.g, nil
}

// Content makes the local store hold all the content of the version
// with the given root, downloading what it lacks in one batch of ranged
// reads: for a reader of every file (an export), where fetching file by
// file would cost a round trip each.
func (b *Browser) Content(ctx context.Context, root objects.ID) error {
	_, err := b.r.ensureContent(ctx, b.g, manifest.Entry{Kind: manifest.KindDir, Digest: root}, true)
	return err
}

// WriteFileContent writes the content of file entry e to w as
// Repo.WriteFileContent does, downloading first what of it this
// repository lacks.
func (b *Browser) WriteFileContent(ctx context.Context, w io.Writer, e manifest.Entry) error {
	if e.Kind == manifest.KindFile {
		if _, err := b.r.ensureContent(ctx, b.g, e, true); err != nil {
			return err
		}
	}
	return b.r.WriteFileContent(ctx, w, e)
}
