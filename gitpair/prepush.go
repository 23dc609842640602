package gitpair

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// ErrBadPrePush means the pre-push hook's input is not what Git writes.
var ErrBadPrePush = errors.New("gitpair: bad pre-push input")

// Limits on the pre-push hook's standard input.
const (
	// MaxPushUpdates bounds the refs one push updates (lines of input).
	MaxPushUpdates = 100_000
	// maxPushLine bounds one line: two ref names (Git caps a ref name at
	// its file name limit, 4096 bytes) and two 64-digit hashes.
	maxPushLine = 2*4096 + 2*64 + 3
)

// RefUpdate is one line of the pre-push hook's input: Git is about to
// move RemoteRef on the remote from RemoteSHA to LocalSHA (LocalRef's
// commit). A zero LocalSHA deletes the remote ref; a zero RemoteSHA
// creates it.
type RefUpdate struct {
	LocalRef, LocalSHA, RemoteRef, RemoteSHA string
}

// Deletes reports whether the update deletes the remote ref.
func (u RefUpdate) Deletes() bool { return isZeroSHA(u.LocalSHA) }

func isZeroSHA(s string) bool { return strings.Trim(s, "0") == "" }

// ParsePrePush parses the pre-push hook's standard input: one line per
// ref, "<local ref> SP <local sha> SP <remote ref> SP <remote sha>" (see
// githooks(5)). Blank lines are ignored. Hashes are 40 (SHA-1) or 64
// (SHA-256) hex digits. Errors wrap ErrBadPrePush and name the line.
func ParsePrePush(r io.Reader) ([]RefUpdate, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxPushLine)
	var out []RefUpdate
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, " ")
		if len(f) != 4 {
			return nil, fmt.Errorf("%w: line %d: want \"<local ref> <local sha> <remote ref> <remote sha>\", have %d fields", ErrBadPrePush, n, len(f))
		}
		u := RefUpdate{LocalRef: f[0], LocalSHA: f[1], RemoteRef: f[2], RemoteSHA: f[3]}
		for _, h := range []string{u.LocalSHA, u.RemoteSHA} {
			if !isHash(h) {
				return nil, fmt.Errorf("%w: line %d: %.70q is not a commit hash", ErrBadPrePush, n, h)
			}
		}
		if u.LocalRef == "" || u.RemoteRef == "" {
			return nil, fmt.Errorf("%w: line %d: empty ref name", ErrBadPrePush, n)
		}
		if len(out) == MaxPushUpdates {
			return nil, fmt.Errorf("%w: more than %d refs", ErrBadPrePush, MaxPushUpdates)
		}
		out = append(out, u)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPrePush, err)
	}
	return out, nil
}

func isHash(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// PushedLock is a trove.lock found in a commit being pushed.
type PushedLock struct {
	// Commit is the first commit found holding this lock content.
	Commit string
	// Tip is true when some pushed ref's new commit holds this lock: the
	// code being pushed. Other locks come from commits between the
	// remote's old position and the new one.
	Tip  bool
	Lock *Lock
}

// PushedLocks returns the distinct trove.locks (of the project folder at
// projectRel) in the commits a push sends: for each update that does not
// delete a ref, the commits reachable from its new commit but not from its
// old remote position nor from any refs/remotes/<remote>/ ref, as
// `git rev-list NEW --not OLD --remotes=REMOTE` lists them. Locks are
// read once per distinct content. A tip whose lock is unreadable (a
// conflict marker, a bad line) is an error; an unreadable lock in an
// intermediate commit is skipped, since that code is history already.
//
// The cost is a walk of the history reachable from the remote's refs (to
// know what it has) plus one tree lookup per pushed commit.
func (g *Git) PushedLocks(ctx context.Context, remote, projectRel string, ups []RefUpdate) ([]PushedLock, error) {
	r, err := g.Open()
	if err != nil {
		return nil, err
	}
	hidden, err := remoteHistory(ctx, r, remote, ups)
	if err != nil {
		return nil, err
	}
	var out []PushedLock
	index := map[plumbing.Hash]int{} // lock blob -> index in out
	note := func(c *object.Commit, tip bool) error {
		l, blob, err := lockInCommit(ctx, c, projectRel)
		if err != nil {
			if tip {
				return fmt.Errorf("trove.lock at %s: %w", c.Hash.String()[:12], err)
			}
			return nil
		}
		if i, ok := index[blob]; ok {
			out[i].Tip = out[i].Tip || tip
			return nil
		}
		if len(l.Pins) == 0 {
			return nil
		}
		index[blob] = len(out)
		out = append(out, PushedLock{Commit: c.Hash.String(), Tip: tip, Lock: l})
		return nil
	}
	for _, u := range ups {
		if u.Deletes() {
			continue
		}
		tip, ok := commitOf(r, plumbing.NewHash(u.LocalSHA))
		if !ok {
			// A tag of a tree or blob: no lock to read.
			continue
		}
		if err := note(tip, true); err != nil {
			return nil, err
		}
		it := object.NewCommitPreorderIter(tip, hidden, nil)
		err = it.ForEach(func(c *object.Commit) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if c.Hash == tip.Hash {
				return nil
			}
			return note(c, false)
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// commitOf returns the commit h names, directly or through annotated tags.
func commitOf(r *git.Repository, h plumbing.Hash) (*object.Commit, bool) {
	if c, err := r.CommitObject(h); err == nil {
		return c, true
	}
	t, err := r.TagObject(h)
	if err != nil {
		return nil, false
	}
	c, err := t.Commit()
	return c, err == nil
}

// remoteHistory returns every commit reachable from the remote's refs as
// this repository knows them, and from the updates' old remote commits.
func remoteHistory(ctx context.Context, r *git.Repository, remote string, ups []RefUpdate) (map[plumbing.Hash]bool, error) {
	var starts []plumbing.Hash
	for _, u := range ups {
		if !isZeroSHA(u.RemoteSHA) {
			starts = append(starts, plumbing.NewHash(u.RemoteSHA))
		}
	}
	refsIter, err := r.References()
	if err != nil {
		return nil, err
	}
	prefix := "refs/remotes/" + remote + "/"
	err = refsIter.ForEach(func(ref *plumbing.Reference) error {
		if ref.Type() == plumbing.HashReference && strings.HasPrefix(ref.Name().String(), prefix) {
			starts = append(starts, ref.Hash())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	seen := map[plumbing.Hash]bool{}
	for _, h := range starts {
		c, ok := commitOf(r, h)
		if !ok {
			// The remote has a commit we do not (someone else pushed):
			// it hides nothing here.
			continue
		}
		err = object.NewCommitPreorderIter(c, seen, nil).ForEach(func(c *object.Commit) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			seen[c.Hash] = true
			return nil
		})
		if err != nil && !errors.Is(err, storer.ErrStop) {
			return nil, err
		}
	}
	return seen, nil
}
