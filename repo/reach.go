package repo

import (
	"context"
	"fmt"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// maxTreeDepth bounds recursion through trees (index nodes and folders);
// manifest bounds folder depth itself, this only guards the walk.
const maxTreeDepth = 4096

// reach walks everything reachable from a version's root tree: tree nodes
// (index and leaf), file maps and chunks. It is the one traversal behind
// push (what to upload), fetch (what to download) and fsck.
//
// enter is called for a blob before what it reaches; returning false skips
// the blob and all below it (push skips what the remote already has). leave
// is called after everything below a blob was visited, so callers see
// children before parents — the order in which blobs must become visible on
// a remote. fileMap resolves a file's digest to its file map, or ok false
// for a single-chunk file (whose chunk id is the digest).
type reach struct {
	g       manifest.BlobGetter
	fileMap func(digest objects.ID) (mapID objects.ID, ok bool, err error)
	enter   func(id objects.ID, t objects.BlobType) (bool, error)
	leave   func(id objects.ID, t objects.BlobType) error
	// file, if set, is called once per file entry met.
	file func(e manifest.Entry) error
}

func (rc *reach) tree(ctx context.Context, id objects.ID, depth int) error {
	if depth > maxTreeDepth {
		return fmt.Errorf("%w: tree %s: deeper than %d", objects.ErrCorrupt, id.Short(), maxTreeDepth)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	ok, err := rc.enter(id, objects.TypeTree)
	if err != nil || !ok {
		return err
	}
	b, err := rc.g.GetBlob(ctx, id)
	if err != nil {
		return fmt.Errorf("tree %s: %w", id.Short(), err)
	}
	n, err := manifest.DecodeNode(b)
	if err != nil {
		return fmt.Errorf("tree %s: %w", id.Short(), err)
	}
	for _, c := range n.Children {
		if err := rc.tree(ctx, c.ID, depth+1); err != nil {
			return err
		}
	}
	for _, e := range n.Entries {
		switch e.Kind {
		case manifest.KindDir:
			err = rc.tree(ctx, e.Digest, depth+1)
		case manifest.KindFile:
			if rc.file != nil {
				if err := rc.file(e); err != nil {
					return err
				}
			}
			if e.Size > 0 {
				err = rc.content(ctx, e.Digest)
			}
		}
		if err != nil {
			return err
		}
	}
	return rc.leave(id, objects.TypeTree)
}

// content visits a file's chunks and file map.
func (rc *reach) content(ctx context.Context, digest objects.ID) error {
	mapID, ok, err := rc.fileMap(digest)
	if err != nil {
		return err
	}
	if !ok {
		if ok, err := rc.enter(digest, objects.TypeChunk); err != nil || !ok {
			return err
		}
		return rc.leave(digest, objects.TypeChunk)
	}
	return rc.fileMapNode(ctx, mapID, 0)
}

func (rc *reach) fileMapNode(ctx context.Context, id objects.ID, depth int) error {
	if depth > maxTreeDepth {
		return fmt.Errorf("%w: file map %s: deeper than %d", objects.ErrCorrupt, id.Short(), maxTreeDepth)
	}
	ok, err := rc.enter(id, objects.TypeFileMap)
	if err != nil || !ok {
		return err
	}
	b, err := rc.g.GetBlob(ctx, id)
	if err != nil {
		return fmt.Errorf("file map %s: %w", id.Short(), err)
	}
	n, err := manifest.DecodeFileMapNode(b)
	if err != nil {
		return fmt.Errorf("file map %s: %w", id.Short(), err)
	}
	for _, it := range n.Items {
		if n.Index {
			err = rc.fileMapNode(ctx, it.ID, depth+1)
		} else if ok, err = rc.enter(it.ID, objects.TypeChunk); err == nil && ok {
			err = rc.leave(it.ID, objects.TypeChunk)
		}
		if err != nil {
			return err
		}
	}
	return rc.leave(id, objects.TypeFileMap)
}
