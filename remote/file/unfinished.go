package file

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/trove-ml/trove/remote"
)

// ListUnfinished calls fn for every temp file that a Put killed before
// publishing left behind (a Put that fails removes its own), and for those
// of Puts in progress: their modification time is their last write, so
// the caller tells them apart by age. Its order is the walk's. The ID is
// the temp file's path under the root, '/'-separated.
func (b *Bucket) ListUnfinished(ctx context.Context, fn func(remote.Unfinished) error) error {
	err := filepath.WalkDir(b.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p != b.root && errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walking
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		name := d.Name()
		switch {
		case p == b.root:
			return nil
		case d.IsDir():
			if strings.HasPrefix(name, remote.ReservedPrefix) {
				return fs.SkipDir // the lock files' folder
			}
			return nil
		case !d.Type().IsRegular() || !strings.HasPrefix(name, tmpPrefix):
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // published or removed while walking
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(b.root, p)
		if err != nil {
			return err
		}
		id := filepath.ToSlash(rel)
		dir, _ := path.Split(id)
		return fn(remote.Unfinished{Key: dir, ID: id, Size: fi.Size(), Started: fi.ModTime()})
	})
	if err != nil {
		return fmt.Errorf("remote/file: list unfinished puts: %w", classify(err))
	}
	return nil
}

// RemoveUnfinished removes a temp file that ListUnfinished returned. It
// refuses an ID that does not name a temp file under the root, so it can
// never remove an object. Removing one that is gone is not an error.
func (b *Bucket) RemoveUnfinished(ctx context.Context, u remote.Unfinished) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dir, name := path.Split(u.ID)
	if !strings.HasPrefix(name, tmpPrefix) || !fs.ValidPath(u.ID) ||
		(dir != "" && remote.CheckKey(strings.TrimSuffix(dir, "/")) != nil) {
		return fmt.Errorf("remote/file: %q is not a temp file of this remote: %w", u.ID, remote.ErrInvalidKey)
	}
	err := os.Remove(filepath.Join(b.root, filepath.FromSlash(u.ID)))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remote/file: remove %s: %w", u.ID, classify(err))
	}
	return nil
}
