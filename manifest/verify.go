package manifest

import (
	"context"
	"fmt"

	"github.com/trove-ml/trove/objects"
)

// idPutter computes ids without storing anything; verification rebuilds
// nodes only to compare their ids.
type idPutter struct{}

func (idPutter) PutBlob(_ context.Context, _ objects.BlobType, b []byte) (objects.ID, error) {
	return objects.Sum(b), nil
}

// VerifyTree reads the whole tree root and checks that it is exactly what
// [DirWriter] builds from its entries: on top of what every reader checks,
// each directory is rebuilt from its entries and must come out with the
// same id, which proves that its nodes are cut where the rules say and no
// one could have made another tree of the same content. It returns the
// tree's totals, for comparing with its version record. A difference is an
// error wrapping [ErrCorrupt]. Memory is bounded as for [Walk].
func VerifyTree(ctx context.Context, g BlobGetter, root objects.ID) (size, files int64, err error) {
	return verifyDir(ctx, g, root, "", 1)
}

func verifyDir(ctx context.Context, g BlobGetter, id objects.ID, path string, depth int) (size, files int64, err error) {
	if depth > MaxDepth {
		return 0, 0, corruptf("tree %s: %q is nested deeper than %d levels", id, path, MaxDepth)
	}
	c, err := openDir(ctx, g, id)
	if err != nil {
		return 0, 0, err
	}
	w := NewDirWriter(ctx, idPutter{})
	for {
		e, err := c.peek()
		if err != nil {
			return 0, 0, err
		}
		if e == nil {
			break
		}
		c.next()
		if e.Kind == KindDir {
			p := e.Name
			if path != "" {
				p = path + "/" + e.Name
			}
			size, files, err := verifyDir(ctx, g, e.Digest, p, depth+1)
			if err != nil {
				return 0, 0, err
			}
			if size != e.Size || files != e.Files {
				return 0, 0, corruptf("tree %s: directory %q holds %d bytes in %d files; its entry says %d bytes in %d files",
					id, p, size, files, e.Size, e.Files)
			}
		}
		if err := w.Add(*e); err != nil {
			return 0, 0, corruptf("tree %s: %v", id, err)
		}
	}
	again, size, files, err := w.Finish()
	if err != nil {
		return 0, 0, err
	}
	if again != id {
		return 0, 0, corruptf("tree %s: directory %q is not in canonical form (its entries build tree %s)", id, path, again)
	}
	return size, files, nil
}

// VerifyFileMap reads the whole file map id and checks that it is exactly
// what [FileMapWriter] builds from its chunks, by the cut rules of the
// root node's format (a map of format 1 is held to format 1's rules). It
// returns the file's length. A difference is an error wrapping
// [ErrCorrupt].
func VerifyFileMap(ctx context.Context, g BlobGetter, id objects.ID) (length int64, err error) {
	b, err := g.GetBlob(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("manifest: read file map node %s: %w", id, err)
	}
	root, err := DecodeFileMapNode(b)
	if err != nil {
		return 0, err
	}
	w := newFileMapWriter(ctx, idPutter{}, root.Format)
	err = ReadFileMap(ctx, g, id, func(off int64, chunk objects.ID, n uint32) error {
		length = off + int64(n)
		return w.Add(chunk, n)
	})
	if err != nil {
		return 0, err
	}
	again, err := w.Finish()
	if err != nil {
		return 0, err
	}
	if again != id {
		return 0, corruptf("file map %s is not in canonical form (its chunks build %s)", id, again)
	}
	return length, nil
}
