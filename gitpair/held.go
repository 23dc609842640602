package gitpair

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// WorkTreeLock names the work tree's own trove.lock in [HeldPin.In].
const WorkTreeLock = "work tree"

// HeldPin is a pin that holds its version live against GC and deletion,
// with the trove.locks that have it.
type HeldPin struct {
	Pin
	// In names the locks holding the pin: WorkTreeLock for the work
	// tree's trove.lock (first, when it has the pin), then every branch
	// whose tip's trove.lock has it, by its short name ("main",
	// "origin/main"), local branches before remote-tracking ones, each
	// group sorted. It is never empty.
	In []string
}

// Label names the pin for people: its path, followed, when the work
// tree's trove.lock does not have it, by the branch that does ("data/ds
// (on origin/main)", "data/ds (on main and 2 more branches)").
func (h HeldPin) Label() string {
	switch {
	case len(h.In) == 0 || h.In[0] == WorkTreeLock:
		return h.Path
	case len(h.In) == 1:
		return fmt.Sprintf("%s (on %s)", h.Path, h.In[0])
	case len(h.In) == 2:
		return fmt.Sprintf("%s (on %s and 1 more branch)", h.Path, h.In[0])
	}
	return fmt.Sprintf("%s (on %s and %d more branches)", h.Path, h.In[0], len(h.In)-1)
}

// Pins returns every pin that holds a version live against GC (and
// deletion): the pins of the project's trove.lock as it is in the work
// tree now, committed or not, and, when the project folder is in a Git
// work tree, the pins of trove.lock at the tip of every branch that work
// tree's repository knows, local (refs/heads/*) and remote-tracking
// (refs/remotes/*, as fresh as the last 'git fetch'). Code on any branch, yours or a teammate's, must
// still find its data when checked out, so GC must keep it: every
// returned pin's Record (and, for a version that collapsed into an equal
// one on push, any live version whose root is its Digest) is kept.
// Branches are read from Git's objects (go-git), never from the work tree
// or the index, and trove.lock is looked for at the project folder's
// place in each tip's tree.
//
// Not held: commits below the tips, tags, stashes, reflogs, and the
// uncommitted trove.lock of other linked worktrees (each has its own
// .trove). A branch deleted everywhere lets its pins go.
//
// Pins equal in every field are returned once, with every lock that has
// them ([HeldPin.In]); the result is sorted by path, then record. A
// project folder outside Git has the work tree's pins only, and none
// without trove.lock.
//
// Cost: a listing of the refs, one tree lookup per distinct tip commit,
// and one read and parse per distinct trove.lock content (by its Git blob
// hash), so many branches that share a lock cost little more than one.
// Memory: the distinct pins, and for each about 24 bytes per branch that
// has it (an index while gathering, then a shared name in In).
//
// Errors wrap ErrBadLock or ErrLockConflict when a lock does not parse,
// the work tree's (naming the file) or a tip's (naming the branch and
// commit): GC must stop rather than treat an unreadable lock as no pins.
// A branch whose tip or lock cannot be read from Git is an error too.
func Pins(ctx context.Context, projectDir string) ([]HeldPin, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l, err := ReadLock(projectDir)
	if err != nil {
		return nil, err
	}
	s := heldSet{names: []string{WorkTreeLock}}
	s.add(l, 0)
	g, err := FindGit(projectDir)
	if errors.Is(err, ErrNotGit) {
		return s.sorted(), nil
	}
	if err != nil {
		return nil, err
	}
	rel, err := g.Rel(projectDir)
	if err != nil {
		return nil, err
	}
	branches, tips, err := g.tipLocks(ctx, rel)
	if err != nil {
		return nil, err
	}
	s.names = append(s.names, branches...)
	for _, t := range tips {
		for i := range t.branches {
			t.branches[i]++ // names[0] is the work tree
		}
		s.add(t.lock, t.branches...)
	}
	return s.sorted(), nil
}

// heldSet gathers pins from several locks, each distinct pin once.
type heldSet struct {
	names []string    // where locks are: WorkTreeLock, then branches in order
	index map[Pin]int // pin -> its place in pins
	pins  []Pin
	in    [][]int // per pin, indices into names
}

func (s *heldSet) add(l *Lock, in ...int) {
	if s.index == nil {
		s.index = map[Pin]int{}
	}
	for _, p := range l.Pins {
		i, ok := s.index[p]
		if !ok {
			i = len(s.pins)
			s.index[p] = i
			s.pins = append(s.pins, p)
			s.in = append(s.in, nil)
		}
		s.in[i] = append(s.in[i], in...)
	}
}

// sorted returns the pins by path and record, each one's In in the order
// of names.
func (s *heldSet) sorted() []HeldPin {
	out := make([]HeldPin, len(s.pins))
	for i, p := range s.pins {
		in := s.in[i]
		sort.Ints(in)
		out[i] = HeldPin{Pin: p, In: make([]string, len(in))}
		for j, n := range in {
			out[i].In[j] = s.names[n]
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return bytes.Compare(a.Record[:], b.Record[:]) < 0
	})
	return out
}

// tipLock is one distinct trove.lock found at branch tips.
type tipLock struct {
	// branches are the indices of the branches whose tip has it, in the
	// list tipLocks returns, ascending.
	branches []int
	lock     *Lock
}

// tipLocks reads trove.lock (of the project folder at projectRel) at the
// tip of every local and remote-tracking branch, once per distinct tip
// commit and once per distinct lock blob. It returns the branches' short
// names, local ones first, each group sorted, and the distinct locks with
// pins, each with the branches that have it. Symbolic refs
// (refs/remotes/origin/HEAD) are skipped: they name a branch read anyway.
func (g *Git) tipLocks(ctx context.Context, projectRel string) ([]string, []tipLock, error) {
	r, err := g.Open()
	if err != nil {
		return nil, nil, err
	}
	it, err := r.References()
	if err != nil {
		return nil, nil, fmt.Errorf("gitpair: list branches: %w", err)
	}
	var tips []*plumbing.Reference
	err = it.ForEach(func(ref *plumbing.Reference) error {
		if n := ref.Name(); ref.Type() == plumbing.HashReference && (n.IsBranch() || n.IsRemote()) {
			tips = append(tips, ref)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("gitpair: list branches: %w", err)
	}
	// By full name: local branches (refs/heads/) come before
	// remote-tracking ones (refs/remotes/), and the first bad lock
	// reported is the same every time.
	sort.Slice(tips, func(i, j int) bool { return tips[i].Name() < tips[j].Name() })

	names := make([]string, len(tips))
	var out []tipLock
	byBlob := map[plumbing.Hash]int{}           // lock blob -> index in out, or -1 for a lock without pins
	blobAt := map[plumbing.Hash]plumbing.Hash{} // tip commit -> lock blob (zero: no lock)
	for i, ref := range tips {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		branch := shortBranch(ref.Name())
		names[i] = branch
		blob, seen := blobAt[ref.Hash()]
		if !seen {
			c, err := tipCommit(r, ref.Hash())
			if err != nil {
				return nil, nil, fmt.Errorf("gitpair: branch %s: %w", branch, err)
			}
			if c != nil {
				t, e, err := lockEntry(ctx, c, projectRel)
				if err != nil {
					return nil, nil, fmt.Errorf("gitpair: branch %s (commit %s): %w", branch, c.Hash.String()[:12], err)
				}
				if e != nil {
					blob = e.Hash
					if _, ok := byBlob[blob]; !ok {
						l, err := readLockBlob(t, e)
						if err != nil {
							return nil, nil, fmt.Errorf("trove.lock at the tip of branch %s (commit %s): %w; fix it in a commit on that branch, or delete the branch if it is done with",
								branch, c.Hash.String()[:12], err)
						}
						byBlob[blob] = -1
						if len(l.Pins) > 0 {
							byBlob[blob] = len(out)
							out = append(out, tipLock{lock: l})
						}
					}
				}
			}
			blobAt[ref.Hash()] = blob
		}
		if blob.IsZero() {
			continue
		}
		if j := byBlob[blob]; j >= 0 {
			out[j].branches = append(out[j].branches, i)
		}
	}
	return names, out, nil
}

// shortBranch returns a branch's name without refs/heads/, or a
// remote-tracking branch's without refs/remotes/ ("origin/main"), as Git
// shows them. (plumbing.ReferenceName.Short does the same, but is too
// slow to call for thousands of branches.)
func shortBranch(n plumbing.ReferenceName) string {
	s := n.String()
	if b, ok := strings.CutPrefix(s, "refs/heads/"); ok {
		return b
	}
	if b, ok := strings.CutPrefix(s, "refs/remotes/"); ok {
		return b
	}
	return s
}

// tipCommit returns the commit a branch tip names, directly or through
// annotated tags; nil if it names a tree or a blob, which is no commit's
// code. An object missing from the repository is an error: what it pins
// cannot be known.
func tipCommit(r *git.Repository, h plumbing.Hash) (*object.Commit, error) {
	o, err := r.Object(plumbing.AnyObject, h)
	if err != nil {
		return nil, fmt.Errorf("object %s: %w", h.String()[:12], err)
	}
	switch o := o.(type) {
	case *object.Commit:
		return o, nil
	case *object.Tag:
		c, err := o.Commit()
		if errors.Is(err, object.ErrUnsupportedObject) {
			return nil, nil
		}
		return c, err
	}
	return nil, nil
}
