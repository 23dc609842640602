package manifest

import (
	"context"
	"fmt"

	"github.com/trove-ml/trove/objects"
)

// maxReachDepth bounds recursion through trees and file maps (index nodes
// and folders); trees bound folder depth themselves ([MaxDepth]), this
// only guards the walk against hostile input.
const maxReachDepth = 4096

// Reach walks everything reachable from a version's root tree: tree nodes
// (index and leaf), file maps and chunks. It is the one traversal behind
// push (what to upload), fetch and pull (what to download), fsck and GC
// (what is live).
//
// Enter is called for a blob before what it reaches; returning false skips
// the blob and all below it (push skips what a remote already has, GC what
// it marked already). Leave, if set, is called after everything below a
// blob was visited, so callers see children before parents — the order in
// which blobs must become visible on a remote. FileMap resolves a file's
// content digest to its file map, or ok false for a file of one chunk
// (whose chunk id is the digest). File, if set, is called once per file
// entry met. Prefetch, if set, is called with the tree nodes a tree node
// names (its children and sub-folders) and the children of a file-map
// index node, before any of them is visited, so a getter that fetches
// nodes from a remote can fetch them together instead of one request
// each; it is advice, and GetBlob still fetches whatever it did not. All
// callbacks run on the caller's goroutine.
type Reach struct {
	Getter   BlobGetter
	FileMap  func(digest objects.ID) (mapID objects.ID, ok bool, err error)
	Enter    func(id objects.ID, t objects.BlobType) (bool, error)
	Leave    func(id objects.ID, t objects.BlobType) error
	File     func(e Entry) error
	Prefetch func(ctx context.Context, ids []objects.ID)
}

// Tree walks the tree rooted at id.
func (rc *Reach) Tree(ctx context.Context, id objects.ID) error { return rc.tree(ctx, id, 0) }

// Content walks a file's content by its digest: its file map nodes and
// chunks, or its single chunk.
func (rc *Reach) Content(ctx context.Context, digest objects.ID) error {
	mapID, ok, err := rc.FileMap(digest)
	if err != nil {
		return err
	}
	if !ok {
		if ok, err := rc.Enter(digest, objects.TypeChunk); err != nil || !ok {
			return err
		}
		return rc.leave(digest, objects.TypeChunk)
	}
	return rc.fileMapNode(ctx, mapID, 0)
}

func (rc *Reach) leave(id objects.ID, t objects.BlobType) error {
	if rc.Leave == nil {
		return nil
	}
	return rc.Leave(id, t)
}

func (rc *Reach) tree(ctx context.Context, id objects.ID, depth int) error {
	if depth > maxReachDepth {
		return fmt.Errorf("%w: tree %s: deeper than %d", objects.ErrCorrupt, id.Short(), maxReachDepth)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	ok, err := rc.Enter(id, objects.TypeTree)
	if err != nil || !ok {
		return err
	}
	b, err := rc.Getter.GetBlob(ctx, id)
	if err != nil {
		return fmt.Errorf("tree %s: %w", id.Short(), err)
	}
	n, err := DecodeNode(b)
	if err != nil {
		return fmt.Errorf("tree %s: %w", id.Short(), err)
	}
	if rc.Prefetch != nil {
		var ids []objects.ID
		for _, c := range n.Children {
			ids = append(ids, c.ID)
		}
		for _, e := range n.Entries {
			if e.Kind == KindDir {
				ids = append(ids, e.Digest)
			}
		}
		if len(ids) > 0 {
			rc.Prefetch(ctx, ids)
		}
	}
	for _, c := range n.Children {
		if err := rc.tree(ctx, c.ID, depth+1); err != nil {
			return err
		}
	}
	for _, e := range n.Entries {
		switch e.Kind {
		case KindDir:
			err = rc.tree(ctx, e.Digest, depth+1)
		case KindFile:
			if rc.File != nil {
				if err := rc.File(e); err != nil {
					return err
				}
			}
			if e.Size > 0 {
				err = rc.Content(ctx, e.Digest)
			}
		}
		if err != nil {
			return err
		}
	}
	return rc.leave(id, objects.TypeTree)
}

func (rc *Reach) fileMapNode(ctx context.Context, id objects.ID, depth int) error {
	if depth > maxReachDepth {
		return fmt.Errorf("%w: file map %s: deeper than %d", objects.ErrCorrupt, id.Short(), maxReachDepth)
	}
	ok, err := rc.Enter(id, objects.TypeFileMap)
	if err != nil || !ok {
		return err
	}
	b, err := rc.Getter.GetBlob(ctx, id)
	if err != nil {
		return fmt.Errorf("file map %s: %w", id.Short(), err)
	}
	n, err := DecodeFileMapNode(b)
	if err != nil {
		return fmt.Errorf("file map %s: %w", id.Short(), err)
	}
	if n.Index && rc.Prefetch != nil {
		ids := make([]objects.ID, len(n.Items))
		for i, it := range n.Items {
			ids[i] = it.ID
		}
		rc.Prefetch(ctx, ids)
	}
	for _, it := range n.Items {
		if n.Index {
			err = rc.fileMapNode(ctx, it.ID, depth+1)
		} else if ok, err = rc.Enter(it.ID, objects.TypeChunk); err == nil && ok {
			err = rc.leave(it.ID, objects.TypeChunk)
		}
		if err != nil {
			return err
		}
	}
	return rc.leave(id, objects.TypeFileMap)
}
