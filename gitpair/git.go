package gitpair

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// ErrNotGit means a folder is in no Git work tree (a bare repository has
// none either).
var ErrNotGit = errors.New("gitpair: not in a Git work tree")

// ErrBadRevision means a Git revision does not name a commit.
var ErrBadRevision = errors.New("gitpair: unknown Git revision")

// Git is the Git repository whose work tree holds a folder.
type Git struct {
	// WorkTree is the top folder of the work tree.
	WorkTree string
	// Dir is the work tree's own Git folder: WorkTree/.git, or
	// .git/worktrees/NAME of the main repository for a linked worktree.
	// HEAD, the index and rebase state live here.
	Dir string
	// CommonDir is the folder all work trees share: config, objects,
	// refs and hooks. It equals Dir except in linked worktrees.
	CommonDir string
}

// maxGitFile bounds the small files FindGit reads (.git files, commondir).
const maxGitFile = 64 << 10

// FindGit finds the Git work tree holding dir, looking in dir and its
// parents for .git as Git does: a folder, or a file "gitdir: PATH" as in
// linked worktrees and submodules. It fails with ErrNotGit if there is
// none. GIT_DIR and GIT_WORK_TREE are not consulted: trove always works on
// the work tree around the folder it was given.
func FindGit(dir string) (*Git, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	for d := abs; ; {
		dot := filepath.Join(d, ".git")
		fi, err := os.Stat(dot)
		switch {
		case err == nil && fi.IsDir():
			return newGit(d, dot)
		case err == nil && fi.Mode().IsRegular():
			gd, err := readGitFile(dot)
			if err != nil {
				return nil, err
			}
			return newGit(d, gd)
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("gitpair: %w", err)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return nil, fmt.Errorf("%w: no .git in %s or any parent (run 'git init' first)", ErrNotGit, abs)
		}
		d = parent
	}
}

// readGitFile reads a .git file: "gitdir: PATH", PATH relative to the
// file's folder unless absolute.
func readGitFile(name string) (string, error) {
	b, err := readSmall(name)
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	gd, ok := strings.CutPrefix(s, "gitdir:")
	if !ok {
		return "", fmt.Errorf("%w: %s does not start with \"gitdir:\"", ErrNotGit, name)
	}
	gd = strings.TrimSpace(gd)
	if !filepath.IsAbs(gd) {
		gd = filepath.Join(filepath.Dir(name), gd)
	}
	return filepath.Clean(gd), nil
}

func readSmall(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxGitFile))
}

func newGit(workTree, gitDir string) (*Git, error) {
	if fi, err := os.Stat(gitDir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%w: %s names Git folder %s, which is missing", ErrNotGit, workTree, gitDir)
	}
	g := &Git{WorkTree: workTree, Dir: gitDir, CommonDir: gitDir}
	// A linked worktree's folder names the shared one in "commondir".
	b, err := readSmall(filepath.Join(gitDir, "commondir"))
	switch {
	case err == nil:
		cd := strings.TrimSpace(string(b))
		if !filepath.IsAbs(cd) {
			cd = filepath.Join(gitDir, cd)
		}
		g.CommonDir = filepath.Clean(cd)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("gitpair: %w", err)
	}
	return g, nil
}

// Rel returns dir relative to the work tree's top, '/'-separated ("." for
// the top itself). It fails if dir is outside the work tree.
func (g *Git) Rel(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	rel, err := filepath.Rel(g.WorkTree, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%w: %s is outside the Git work tree %s", ErrNotGit, dir, g.WorkTree)
	}
	return filepath.ToSlash(rel), nil
}

// Open opens the repository with go-git, linked worktrees included.
func (g *Git) Open() (*git.Repository, error) {
	r, err := git.PlainOpenWithOptions(g.WorkTree, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if err != nil {
		return nil, fmt.Errorf("gitpair: open Git repository %s: %w", g.WorkTree, err)
	}
	return r, nil
}

// RebaseInProgress reports whether a rebase is under way in this work
// tree: Git's rebase-merge or rebase-apply folder exists. Hooks skip their
// work then, as DVC and git-lfs do: a rebase checks out and merges many
// intermediate commits whose data nobody asked for.
func (g *Git) RebaseInProgress() bool {
	for _, d := range []string{"rebase-merge", "rebase-apply"} {
		if fi, err := os.Stat(filepath.Join(g.Dir, d)); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}

// LockAt reads trove.lock as it is in Git commit rev (any revision go-git
// resolves: a branch, tag, HEAD~2, a full or abbreviated hash), for the
// project folder at projectRel ('/'-separated, relative to the work tree's
// top; "." for the top). Neither the work tree nor the index is touched.
// A commit without trove.lock has no pins. It returns the commit's full
// hash as well. An unknown revision is ErrBadRevision.
func (g *Git) LockAt(ctx context.Context, rev, projectRel string) (*Lock, string, error) {
	r, err := g.Open()
	if err != nil {
		return nil, "", err
	}
	h, err := r.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %q: %v", ErrBadRevision, rev, err)
	}
	c, err := r.CommitObject(*h)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %q: %v", ErrBadRevision, rev, err)
	}
	l, _, err := lockInCommit(ctx, c, projectRel)
	if err != nil {
		return nil, "", fmt.Errorf("trove.lock at %s (%s): %w", rev, h.String()[:12], err)
	}
	return l, h.String(), nil
}

// lockInCommit reads the lock in commit c, returning its blob hash too
// (zero when the commit has none).
func lockInCommit(ctx context.Context, c *object.Commit, projectRel string) (*Lock, plumbing.Hash, error) {
	t, e, err := lockEntry(ctx, c, projectRel)
	if err != nil {
		return nil, plumbing.ZeroHash, err
	}
	if e == nil {
		return &Lock{}, plumbing.ZeroHash, nil
	}
	l, err := readLockBlob(t, e)
	return l, e.Hash, err
}

// lockEntry finds trove.lock in commit c's tree without reading it: the
// tree and the lock's entry, or a nil entry when the commit has none.
func lockEntry(ctx context.Context, c *object.Commit, projectRel string) (*object.Tree, *object.TreeEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	t, err := c.Tree()
	if err != nil {
		return nil, nil, err
	}
	e, err := t.FindEntry(path.Join(projectRel, LockName))
	if errors.Is(err, object.ErrEntryNotFound) || errors.Is(err, object.ErrDirectoryNotFound) || errors.Is(err, object.ErrFileNotFound) {
		return t, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return t, e, nil
}

func readLockBlob(t *object.Tree, e *object.TreeEntry) (*Lock, error) {
	if !e.Mode.IsFile() {
		return nil, fmt.Errorf("%w: not a regular file in Git", ErrBadLock)
	}
	f, err := t.TreeEntryFile(e)
	if err != nil {
		return nil, err
	}
	// Size checked before reading: a hostile commit cannot make us hold
	// more than MaxLockSize.
	if f.Size > MaxLockSize {
		return nil, fmt.Errorf("%w: %d bytes (the limit is %d)", ErrBadLock, f.Size, MaxLockSize)
	}
	rd, err := f.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	b, err := io.ReadAll(io.LimitReader(rd, MaxLockSize+1))
	if err != nil {
		return nil, err
	}
	return Decode(b)
}
