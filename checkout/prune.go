package checkout

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/trove-ml/trove/internal/fileinfo"
)

// cachedFile is one file found by scan. About 150 bytes each with its
// path: a cache of a million files costs Prune some 150 MB.
type cachedFile struct {
	path string
	size int64
	used time.Time
}

// scan calls fn for every cached file, folder by folder. Files that are
// not named as cached files are passed over: they are not the cache's.
// It checks ctx between folders.
func (c *Cache) scan(ctx context.Context, fn func(cachedFile)) error {
	folders, err := os.ReadDir(c.filesDir())
	if err != nil {
		return fmt.Errorf("checkout: read cache %s: %w", c.dir, err)
	}
	for _, d := range folders {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.IsDir() {
			continue
		}
		dir := filepath.Join(c.filesDir(), d.Name())
		ents, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("checkout: read cache folder %s: %w", dir, fileinfo.Cause(err))
		}
		for _, e := range ents {
			if !e.Type().IsRegular() || !isCachedName(d.Name(), e.Name()) {
				continue
			}
			fi, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed meanwhile
			}
			if err != nil {
				return fmt.Errorf("checkout: read cache folder %s: %w", dir, fileinfo.Cause(err))
			}
			fn(cachedFile{path: filepath.Join(dir, e.Name()), size: fi.Size(), used: c.lastUsed(fi)})
		}
	}
	return nil
}

// Size returns how many files the cache holds and their total size in
// bytes. Bytes of files that outputs share by hardlink count in full,
// although the disk holds them once.
func (c *Cache) Size(ctx context.Context) (files int, bytes int64, err error) {
	err = c.scan(ctx, func(f cachedFile) {
		files++
		bytes += f.size
	})
	return files, bytes, err
}

// Prune removes cached files, least recently used first (see doc.go, "Use
// and pruning"), until the cache holds at most target bytes, and returns
// how many files and bytes it removed. A target of 0 empties the cache; a
// negative one is an error. It checks ctx between removals and reports
// what it removed before it stopped.
//
// Outputs hardlinked to a removed file keep their content, so its bytes
// leave the disk only with the last output linked to it. A file removed
// here while a Placer places it makes that Place fail with
// [fs.ErrNotExist]; the caller may Add it again.
func (c *Cache) Prune(ctx context.Context, target int64) (files int, bytes int64, err error) {
	if target < 0 {
		return 0, 0, fmt.Errorf("checkout: prune cache %s to %d bytes: the target must be 0 or more", c.dir, target)
	}
	var all []cachedFile
	var total int64
	if err := c.scan(ctx, func(f cachedFile) {
		all = append(all, f)
		total += f.size
	}); err != nil {
		return 0, 0, err
	}
	// Ties (coarse timestamps) go in path order, so a prune is repeatable.
	slices.SortFunc(all, func(a, b cachedFile) int {
		return cmp.Or(a.used.Compare(b.used), cmp.Compare(a.path, b.path))
	})
	for _, f := range all {
		if total <= target {
			break
		}
		if err := ctx.Err(); err != nil {
			return files, bytes, err
		}
		err := os.Remove(f.path)
		if errors.Is(err, fs.ErrNotExist) {
			total -= f.size // removed meanwhile, by someone else
			continue
		}
		if err != nil {
			return files, bytes, fmt.Errorf("checkout: prune cache: remove %s: %w", f.path, fileinfo.Cause(err))
		}
		total -= f.size
		files++
		bytes += f.size
	}
	return files, bytes, nil
}
