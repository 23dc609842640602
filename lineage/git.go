package lineage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/go-git/go-billy/v5"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// ReadGit returns the Git state of the work tree holding dir: its HEAD
// commit, and whether tracked files differ from it. It returns nil and no
// error when dir is in no Git work tree or the repository has no commit
// yet, and a state without Dirty for a bare repository.
//
// Dirty means what `git diff --quiet HEAD` tests: a tracked file is
// modified, deleted or staged differently from HEAD (or the index has
// merge conflicts or intent-to-add entries). Untracked files do not count,
// so a project with a 100 GB untracked data folder costs nothing extra.
// The cost is one lstat per tracked file plus reading the HEAD tree;
// a file is hashed only when its size or modification time differ from
// the index's record (or it changed in the second the index was written,
// as Git's "racy" check). Git's clean filters are not run: a file stored
// through a filter (Git LFS, autocrlf) whose stat data changed but whose
// content did not is reported dirty, where `git status` would say clean.
func ReadGit(ctx context.Context, dir string) (*GitInfo, error) {
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lineage: git work tree at %s: %w", dir, err)
	}
	head, err := repo.Head()
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return nil, nil // no commit yet
	}
	if err != nil {
		return nil, fmt.Errorf("lineage: git HEAD: %w", err)
	}
	info := &GitInfo{Commit: head.Hash().String()}
	wt, err := repo.Worktree()
	if errors.Is(err, git.ErrIsBareRepository) {
		return info, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lineage: git work tree: %w", err)
	}
	if info.Dirty, err = dirty(ctx, repo, wt.Filesystem.Root(), head.Hash()); err != nil {
		return nil, fmt.Errorf("lineage: git status: %w", err)
	}
	return info, nil
}

type headEntry struct {
	hash plumbing.Hash
	mode filemode.FileMode
}

// dirty compares HEAD's tree with the index, and the index with the work
// tree, stopping at the first difference.
func dirty(ctx context.Context, repo *git.Repository, root string, head plumbing.Hash) (bool, error) {
	commit, err := repo.CommitObject(head)
	if err != nil {
		return false, err
	}
	tree, err := commit.Tree()
	if err != nil {
		return false, err
	}
	inHead := map[string]headEntry{}
	tw := object.NewTreeWalker(tree, true, nil)
	defer tw.Close()
	for {
		name, e, err := tw.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return false, err
		}
		if e.Mode != filemode.Dir {
			inHead[name] = headEntry{e.Hash, normalMode(e.Mode)}
		}
	}
	idx, err := repo.Storer.Index()
	if err != nil {
		return false, err
	}
	// Files changed at or after the index was written may have the same
	// stat data as the index records and different content (Git's racy
	// case); they are hashed.
	var indexTime time.Time
	if fs, ok := repo.Storer.(interface{ Filesystem() billy.Filesystem }); ok {
		if fi, err := fs.Filesystem().Stat("index"); err == nil {
			indexTime = fi.ModTime()
		}
	}
	for i, e := range idx.Entries {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return false, err
			}
		}
		// Stage 0 is a merged entry (go-git's index.Merged constant is 1,
		// which is wrong: it equals AncestorMode).
		if e.Stage != 0 || e.IntentToAdd {
			return true, nil
		}
		h, ok := inHead[e.Name]
		if !ok || h.hash != e.Hash || h.mode != normalMode(e.Mode) {
			return true, nil
		}
		delete(inHead, e.Name)
		if e.SkipWorktree || e.Mode == filemode.Submodule {
			continue
		}
		changed, err := fileChanged(filepath.Join(root, filepath.FromSlash(e.Name)), e, indexTime)
		if err != nil || changed {
			return changed, err
		}
	}
	return len(inHead) > 0, nil
}

// normalMode folds the legacy group-writable mode into the regular one, as
// Git does.
func normalMode(m filemode.FileMode) filemode.FileMode {
	if m == filemode.Deprecated {
		return filemode.Regular
	}
	return m
}

// fileChanged reports whether the work tree file differs from its index
// entry.
func fileChanged(path string, e *index.Entry, indexTime time.Time) (bool, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	isLink := fi.Mode()&os.ModeSymlink != 0
	switch {
	case isLink != (e.Mode == filemode.Symlink):
		return true, nil
	case !isLink && !fi.Mode().IsRegular():
		return true, nil
	case !isLink && (fi.Mode()&0o111 != 0) != (e.Mode == filemode.Executable):
		return true, nil
	}
	racy := !indexTime.IsZero() && !fi.ModTime().Before(indexTime)
	if !racy && uint32(fi.Size()) == e.Size && fi.ModTime().Equal(e.ModifiedAt) {
		return false, nil
	}
	var h plumbing.Hasher
	if isLink {
		target, err := os.Readlink(path)
		if err != nil {
			return false, err
		}
		h = plumbing.NewHasher(plumbing.BlobObject, int64(len(target)))
		h.Write([]byte(target))
	} else {
		f, err := os.Open(path)
		if err != nil {
			return false, err
		}
		defer f.Close()
		h = plumbing.NewHasher(plumbing.BlobObject, fi.Size())
		n, err := io.Copy(h, f)
		if err != nil {
			return false, err
		}
		if n != fi.Size() { // changing under us: not what HEAD holds
			return true, nil
		}
	}
	return h.Sum() != e.Hash, nil
}
