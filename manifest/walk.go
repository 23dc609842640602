package manifest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/trove-ml/trove/objects"
)

// MaxDepth is the deepest directory nesting a reader follows: a path has at
// most MaxDepth elements. A walk holds one node per index level per
// directory on its path, so the limit bounds its memory on hostile trees
// (about MaxDepth × 1.5 MiB at worst). Commit should refuse deeper folders
// with the same limit.
const MaxDepth = 256

// Walk calls fn for every entry below root, depth first, a directory
// before its contents. Paths are relative to root and joined with "/". A
// zero root is the empty tree.
//
// The order is that of the paths compared element by element, each element
// bytewise; equivalently, bytewise order of the paths with '/' sorting
// before every other byte. It differs from plain string order where a name
// holds a byte below '/', such as '-' or '.': Walk visits "a/b" before
// "a.txt" although "a.txt" < "a/b" as strings.
//
// If fn returns [SkipDir] for a directory, Walk does not descend into it;
// for any other entry, it skips the rest of that entry's directory.
// [SkipAll] ends the walk, and Walk returns nil; any other error from fn is
// returned unchanged. Walk checks that each directory's entries add up to
// the size and file count its parent's entry records; damage found is an
// error wrapping [ErrCorrupt].
func Walk(ctx context.Context, g BlobGetter, root objects.ID, fn func(path string, e Entry) error) error {
	err := walkDir(ctx, g, root, "", 1, fn, nil)
	if errors.Is(err, SkipAll) {
		return nil
	}
	return err
}

// walkDir walks directory id, whose entries' paths start with prefix and
// sit at depth. If want is not nil, the directory's totals must match it.
func walkDir(ctx context.Context, g BlobGetter, id objects.ID, prefix string, depth int, fn func(string, Entry) error, want *Entry) error {
	if depth > MaxDepth {
		return corruptf("tree %s: %q is nested deeper than %d levels", id, prefix, MaxDepth)
	}
	c, err := openDir(ctx, g, id)
	if err != nil {
		return err
	}
	for {
		e, err := c.peek()
		if err != nil {
			return err
		}
		if e == nil {
			break
		}
		c.next()
		p := prefix + e.Name
		err = fn(p, *e)
		if err == SkipDir {
			if e.Kind == KindDir {
				continue
			}
			return nil // the rest of this directory is skipped
		}
		if err != nil {
			return err
		}
		if e.Kind == KindDir {
			if err := walkDir(ctx, g, e.Digest, p+"/", depth+1, fn, e); err != nil {
				return err
			}
		}
	}
	if want != nil && (c.size != want.Size || c.files != want.Files) {
		return corruptf("tree %s: directory %q holds %d bytes in %d files; its entry says %d bytes in %d files",
			id, strings.TrimSuffix(prefix, "/"), c.size, c.files, want.Size, want.Files)
	}
	return nil
}

// splitPath splits a slash-separated path into valid elements. The empty
// path has none.
func splitPath(path string) ([]string, error) {
	if path == "" {
		return nil, nil
	}
	elems := strings.Split(path, "/")
	if len(elems) > MaxDepth {
		return nil, invalidf("path %.60q… has more than %d elements", path, MaxDepth)
	}
	for _, el := range elems {
		if p := nameProblem(el); p != "" {
			return nil, invalidf("path %q: %s", path, p)
		}
	}
	return elems, nil
}

// lookupIn finds name in directory dir.
func lookupIn(ctx context.Context, g BlobGetter, dir objects.ID, name string) (*Entry, error) {
	c, err := openDir(ctx, g, dir)
	if err != nil {
		return nil, err
	}
	if err := c.seek(name, true); err != nil {
		return nil, err
	}
	e, err := c.peek()
	if err != nil || e == nil || e.Name != name {
		return nil, err
	}
	return e, nil
}

// Lookup returns the entry at path below root. path is relative, with
// elements joined by "/" (no leading, trailing or doubled slash); an invalid
// path is an error wrapping [ErrInvalid], and the empty path, which names
// root itself, is invalid too. A path that names nothing, or that runs
// through a non-directory, is an error wrapping [ErrNotExist]. Lookup reads
// one node per index level of each directory on the path.
func Lookup(ctx context.Context, g BlobGetter, root objects.ID, path string) (Entry, error) {
	elems, err := splitPath(path)
	if err != nil {
		return Entry{}, err
	}
	if len(elems) == 0 {
		return Entry{}, invalidf("empty path")
	}
	dir := root
	for i, name := range elems {
		e, err := lookupIn(ctx, g, dir, name)
		switch {
		case err != nil:
			return Entry{}, err
		case e == nil:
			return Entry{}, fmt.Errorf("%w: %q", ErrNotExist, strings.Join(elems[:i+1], "/"))
		case i == len(elems)-1:
			return *e, nil
		case e.Kind != KindDir:
			return Entry{}, fmt.Errorf("%w: %q: %q is a %s, not a directory", ErrNotExist, path, strings.Join(elems[:i+1], "/"), e.Kind)
		}
		dir = e.Digest
	}
	return Entry{}, invalidf("empty path") // not reached: elems is not empty
}

// ListDir returns up to limit entries of directory dir below root (dir ""
// is root itself) whose names sort after after, in name order; limit <= 0
// means no limit. To page through a large directory, pass the last name of
// one page as after for the next. ListDir reads only the nodes that hold
// the page (and one node per index level above them), never the rest of
// the tree. dir follows the rules of [Lookup]; a dir that names a
// non-directory is an error wrapping [ErrNotDir].
func ListDir(ctx context.Context, g BlobGetter, root objects.ID, dir string, after string, limit int) ([]Entry, error) {
	id := root
	if dir != "" {
		e, err := Lookup(ctx, g, root, dir)
		if err != nil {
			return nil, err
		}
		if e.Kind != KindDir {
			return nil, fmt.Errorf("%w: %q is a %s", ErrNotDir, dir, e.Kind)
		}
		id = e.Digest
	}
	c, err := openDir(ctx, g, id)
	if err != nil {
		return nil, err
	}
	if after != "" {
		if err := c.seek(after, false); err != nil {
			return nil, err
		}
	}
	var out []Entry
	for limit <= 0 || len(out) < limit {
		e, err := c.peek()
		if err != nil {
			return nil, err
		}
		if e == nil {
			break
		}
		c.next()
		out = append(out, *e)
	}
	return out, nil
}
