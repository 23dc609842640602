package workspace

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/trove-ml/trove/gitpair"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/repo"
)

// ErrDataNotPushed means a Git push would publish code whose pinned data
// the trove remote lacks and that cannot be pushed from here.
var ErrDataNotPushed = errors.New("workspace: pinned data cannot be pushed")

// PrePushResult says what PrePush did.
type PrePushResult struct {
	// Versions counts the distinct pinned versions the pushed commits
	// name.
	Versions int `json:"versions"`
	// Pushed names the versions pushed now (NAME:vN as numbered here
	// before the push).
	Pushed []string `json:"pushed"`
	// Push is the push's own result, when something was pushed.
	Push *repo.PushResult `json:"push,omitempty"`
	// Warnings name versions pinned by pushed commits other than the
	// tips that could not be pushed (history whose data is gone).
	Warnings []string `json:"warnings,omitempty"`
}

type pinned struct {
	pin gitpair.Pin
	tip bool
}

// PrePush makes sure the default trove remote holds every version that
// the commits of a Git push pin (see gitpair.Git.PushedLocks for which
// commits): versions the remote lacks are pushed from here. A version a
// pushed tip pins that is neither on the remote nor here fails the push
// with ErrDataNotPushed, and so does a push with pins and no trove remote;
// such versions pinned only by intermediate commits are warnings. The
// message says which: a version whose log (the remote's, fetched) records
// it deleted cannot be pushed by anyone and must be pinned anew; one that
// no log knows may still be pushed from the clone that made it.
// gitRemote is the Git remote's name (pre-push's first argument), whose
// remote-tracking refs tell which commits it has.
func (w *Workspace) PrePush(ctx context.Context, gitRemote string, ups []gitpair.RefUpdate) (*PrePushResult, error) {
	res := &PrePushResult{Pushed: []string{}}
	g, err := gitpair.FindGit(w.dir)
	if err != nil {
		return nil, err
	}
	rel, err := g.Rel(w.dir)
	if err != nil {
		return nil, err
	}
	locks, err := g.PushedLocks(ctx, gitRemote, rel, ups)
	if err != nil {
		return nil, err
	}
	type key struct {
		artifact string
		record   objects.ID
	}
	want := map[key]*pinned{}
	var order []key
	for _, l := range locks {
		for _, p := range l.Lock.Pins {
			k := key{p.Artifact, p.Record}
			if x, ok := want[k]; ok {
				x.tip = x.tip || l.Tip
				continue
			}
			want[k] = &pinned{pin: p, tip: l.Tip}
			order = append(order, k)
		}
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := want[order[i]].pin, want[order[j]].pin
		return a.Artifact < b.Artifact || a.Artifact == b.Artifact && a.Version < b.Version
	})
	res.Versions = len(order)
	if len(order) == 0 {
		return res, nil
	}
	if len(w.r.Config.Remotes) == 0 {
		return res, fmt.Errorf("%w: the pushed commits pin %d version(s) and no trove remote is configured, so a clone of this code could not get its data; add the team's remote ('trove remote add origin URL') or push with --no-verify", ErrDataNotPushed, len(order))
	}

	var names []string
	var pending []*pinned
	var missing, deleted []string
	for _, k := range order {
		x := want[k]
		ok, err := w.r.Pushed(ctx, "", x.pin.Artifact, x.pin.Record, x.pin.Digest)
		if err != nil {
			return res, err
		}
		if ok {
			continue
		}
		v, _, err := w.match(ctx, x.pin)
		if err != nil {
			return res, err
		}
		if v == nil {
			// Not here: perhaps someone else pushed it and this
			// repository has not seen the remote's log since.
			if _, err := w.r.Fetch(ctx, repo.FetchOptions{Names: []string{x.pin.Artifact}}); err != nil && !errors.Is(err, refs.ErrNotFound) {
				return res, err
			}
			if ok, err := w.r.Pushed(ctx, "", x.pin.Artifact, x.pin.Record, x.pin.Digest); err != nil || ok {
				if err != nil {
					return res, err
				}
				continue
			}
			msg, err := w.deletedText(ctx, x.pin)
			if err != nil {
				return res, err
			}
			list := &deleted
			if msg == "" {
				msg = fmt.Sprintf("%s (pinned at %s, record %s) is neither here nor on the trove remote", x.pin.Name(), x.pin.Path, x.pin.Record.Short())
				list = &missing
			}
			if x.tip {
				*list = append(*list, msg)
			} else {
				res.Warnings = append(res.Warnings, msg+" (an earlier commit's pin; not checked out by the pushed tips)")
			}
			continue
		}
		names = append(names, fmt.Sprintf("%s:v%d", x.pin.Artifact, v.N))
		pending = append(pending, x)
	}
	if len(missing) > 0 || len(deleted) > 0 {
		var why []string
		if len(missing) > 0 {
			why = append(why, strings.Join(missing, "; ")+"; push the data from the clone that made it ('trove push'), or pin versions that exist")
		}
		why = append(why, deleted...)
		return res, fmt.Errorf("%w: %s", ErrDataNotPushed, strings.Join(why, "; "))
	}
	if len(names) == 0 {
		return res, nil
	}
	pr, err := w.r.Push(ctx, repo.PushOptions{Names: names})
	res.Push = pr
	if err != nil {
		return res, err
	}
	res.Pushed = names
	// The push is checked, not trusted: Git goes ahead only if every
	// version is now on the remote (by record, or by content where it
	// collapsed into an equal version).
	for _, x := range pending {
		ok, err := w.r.Pushed(ctx, "", x.pin.Artifact, x.pin.Record, x.pin.Digest)
		if err != nil {
			return res, err
		}
		if !ok {
			return res, fmt.Errorf("%w: %s was pushed but the remote's log does not show it", ErrDataNotPushed, x.pin.Name())
		}
	}
	return res, nil
}

// deletedText says, for a pinned version that is neither live here nor
// on the remote (after a fetch of its log), that it was deleted and how
// to move the pin, when the log records it deleted: on the remote (a GC
// collected it when it expired, or someone deleted it and pushed), or
// only here, before it was ever pushed. Deletion is final, so pushing from
// the clone that made it cannot help. It returns "" when no log records
// the version.
func (w *Workspace) deletedText(ctx context.Context, p gitpair.Pin) (string, error) {
	_, gone, err := w.match(ctx, p)
	if err != nil || gone == nil {
		return "", err
	}
	seen, err := w.r.OnRemotes(ctx, p.Artifact)
	if err != nil {
		return "", err
	}
	where := "was deleted here before it was pushed"
	if seen[p.Record] {
		where = "was deleted on the trove remote (by a GC or 'trove delete')"
	}
	return fmt.Sprintf("%s (pinned at %s, record %s) %s: it %s, and a deleted version never comes back; %s",
		p.Name(), p.Path, p.Record.Short(), where, gone.DeletedText(), w.repinHint(ctx, p)), nil
}
