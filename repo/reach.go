package repo

import (
	"context"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// reach walks everything reachable from a version's root tree: tree nodes
// (index and leaf), file maps and chunks. It is the one traversal behind
// push (what to upload), fetch (what to download) and fsck; the walk
// itself is [manifest.Reach], which GC shares.
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
	// prefetch, if set, is told which nodes the walk is about to visit
	// (manifest.Reach.Prefetch).
	prefetch func(ctx context.Context, ids []objects.ID)
}

func (rc *reach) walker() *manifest.Reach {
	return &manifest.Reach{Getter: rc.g, FileMap: rc.fileMap, Enter: rc.enter, Leave: rc.leave, File: rc.file, Prefetch: rc.prefetch}
}

// tree walks the tree rooted at id. depth is kept for callers; the walk
// bounds depth itself.
func (rc *reach) tree(ctx context.Context, id objects.ID, _ int) error {
	return rc.walker().Tree(ctx, id)
}

// content visits a file's chunks and file map.
func (rc *reach) content(ctx context.Context, digest objects.ID) error {
	return rc.walker().Content(ctx, digest)
}
