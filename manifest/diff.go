package manifest

import (
	"context"
	"errors"
	"fmt"

	"github.com/trove-ml/trove/objects"
)

// ChangeOp says how a path differs between two trees.
type ChangeOp uint8

const (
	Added       ChangeOp = 1 // only in the new tree
	Removed     ChangeOp = 2 // only in the old tree
	Modified    ChangeOp = 3 // in both, same kind, different content, mode, size or target
	TypeChanged ChangeOp = 4 // in both, different kinds (a file became a directory…)
)

// String returns "added", "removed", "modified" or "type-changed".
func (op ChangeOp) String() string {
	switch op {
	case Added:
		return "added"
	case Removed:
		return "removed"
	case Modified:
		return "modified"
	case TypeChanged:
		return "type-changed"
	}
	return fmt.Sprintf("changeop(%d)", uint8(op))
}

// Change is one difference between two trees. Old is nil for Added and New
// for Removed.
type Change struct {
	Path     string
	Op       ChangeOp
	Old, New *Entry
}

// Diff calls fn for every path whose entry differs between trees a (old)
// and b (new), in [Walk] order. A zero id is the empty tree, so a diff from
// zero lists everything as Added.
//
// A directory is reported only when it is added, removed or replaced by
// another kind (TypeChanged); the changes below it follow it. A directory
// in both trees whose contents differ is not itself reported: the changes
// inside it are. Subtrees with equal ids are skipped without being read,
// and so are runs of equal nodes inside a large directory, so the cost
// follows the size of the difference, not of the trees.
//
// An error from fn stops the diff and is returned unchanged.
func Diff(ctx context.Context, g BlobGetter, a, b objects.ID, fn func(Change) error) error {
	if a == b {
		return nil
	}
	return diffDirs(ctx, g, a, b, "", 1, fn)
}

func diffDirs(ctx context.Context, g BlobGetter, a, b objects.ID, prefix string, depth int, fn func(Change) error) error {
	if depth > MaxDepth {
		return corruptf("tree %s: %q is nested deeper than %d levels", b, prefix, MaxDepth)
	}
	ca, err := openDir(ctx, g, a)
	if err != nil {
		return err
	}
	cb, err := openDir(ctx, g, b)
	if err != nil {
		return err
	}
	for {
		if err := skipEqualNodes(ca, cb); err != nil {
			return err
		}
		ea, err := ca.peek()
		if err != nil {
			return err
		}
		eb, err := cb.peek()
		if err != nil {
			return err
		}
		switch {
		case ea == nil && eb == nil:
			return nil
		case eb == nil || ea != nil && ea.Name < eb.Name:
			old := *ea
			ca.next()
			if err := reportTree(ctx, g, Removed, prefix, &old, depth, fn); err != nil {
				return err
			}
		case ea == nil || eb.Name < ea.Name:
			nw := *eb
			cb.next()
			if err := reportTree(ctx, g, Added, prefix, &nw, depth, fn); err != nil {
				return err
			}
		default:
			old, nw := *ea, *eb
			ca.next()
			cb.next()
			if err := diffEntries(ctx, g, prefix, &old, &nw, depth, fn); err != nil {
				return err
			}
		}
	}
}

// skipEqualNodes passes over nodes that both cursors are about to read and
// that have the same id: they hold the same entries. A cursor standing at
// a node that differs is moved into it, so that equal nodes further down
// can still be found.
func skipEqualNodes(ca, cb *dirCursor) error {
	for {
		pa, okA := ca.pending()
		pb, okB := cb.pending()
		switch {
		case okA && okB && pa.ID == pb.ID:
			ca.skip()
			cb.skip()
			continue
		case !okA || !okB:
			// One side is inside a leaf; compare entries.
			return nil
		}
		// Both stand at different nodes: descend the one that starts
		// later or, at the same name, the larger one, and look again.
		if pa.First > pb.First || pa.First == pb.First && pa.Count >= pb.Count {
			if err := ca.descend(); err != nil {
				return err
			}
		} else if err := cb.descend(); err != nil {
			return err
		}
		if _, ok := ca.pending(); !ok {
			return nil
		}
		if _, ok := cb.pending(); !ok {
			return nil
		}
	}
}

// diffEntries reports how two entries of one name differ.
func diffEntries(ctx context.Context, g BlobGetter, prefix string, old, nw *Entry, depth int, fn func(Change) error) error {
	p := prefix + old.Name
	switch {
	case old.Kind != nw.Kind:
		if err := fn(Change{Path: p, Op: TypeChanged, Old: old, New: nw}); err != nil {
			return err
		}
		if old.Kind == KindDir {
			if err := reportContents(ctx, g, Removed, p+"/", old, depth+1, fn); err != nil {
				return err
			}
		}
		if nw.Kind == KindDir {
			return reportContents(ctx, g, Added, p+"/", nw, depth+1, fn)
		}
		return nil
	case old.Kind == KindDir:
		if old.Digest == nw.Digest {
			return nil
		}
		return diffDirs(ctx, g, old.Digest, nw.Digest, p+"/", depth+1, fn)
	case !sameEntry(old, nw):
		return fn(Change{Path: p, Op: Modified, Old: old, New: nw})
	}
	return nil
}

func sameEntry(a, b *Entry) bool {
	if a.Mode != b.Mode || a.Size != b.Size || a.Digest != b.Digest || a.Target != b.Target {
		return false
	}
	if a.Ref == nil || b.Ref == nil {
		return a.Ref == b.Ref
	}
	return *a.Ref == *b.Ref
}

// reportTree reports e as op, and everything below it if it is a directory.
func reportTree(ctx context.Context, g BlobGetter, op ChangeOp, prefix string, e *Entry, depth int, fn func(Change) error) error {
	p := prefix + e.Name
	c := Change{Path: p, Op: op}
	if op == Added {
		c.New = e
	} else {
		c.Old = e
	}
	if err := fn(c); err != nil {
		return err
	}
	if e.Kind != KindDir {
		return nil
	}
	return reportContents(ctx, g, op, p+"/", e, depth+1, fn)
}

// reportContents reports everything below directory entry dir as op.
func reportContents(ctx context.Context, g BlobGetter, op ChangeOp, prefix string, dir *Entry, depth int, fn func(Change) error) error {
	err := walkDir(ctx, g, dir.Digest, prefix, depth, func(p string, e Entry) error {
		c := Change{Path: p, Op: op}
		if op == Added {
			c.New = &e
		} else {
			c.Old = &e
		}
		if err := fn(c); err != nil {
			return &callbackError{err}
		}
		return nil
	}, dir)
	var ce *callbackError
	if errors.As(err, &ce) {
		return ce.err
	}
	return err
}

// callbackError carries fn's error through walkDir, which would otherwise
// act on SkipDir and SkipAll.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }
