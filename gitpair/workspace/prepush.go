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
//
// It decides from the remote as it is now: first it fetches, in one
// fetch, the remote's logs of the pinned artifacts it saw there or lacks
// here (see fetchPinned), so a version deleted on the remote since this
// repository last fetched is refused as deleted, not taken as pushed. A
// remote that cannot be reached fails the push.
//
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

	pins := make([]gitpair.Pin, len(order))
	for i, k := range order {
		pins[i] = want[k].pin
	}
	// Decide from the remote as it is now, not as this repository last
	// saw it, and before numbering what to push (a fetch renumbers
	// versions not pushed yet).
	if err := w.fetchPinned(ctx, pins); err != nil {
		return res, err
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

// fetchPinned brings from the default trove remote the logs of the
// pinned artifacts that PrePush's decision reads there, so that it never
// rests on a stale picture of the remote: an artifact with a pinned
// version that this repository last saw the remote hold (someone may have
// deleted it there since, with 'trove delete' and a push, or a remote GC
// collected it), or with one that is not here (someone else may have
// pushed it). An artifact whose pinned versions are all here and were
// never seen on the remote is not asked for: the push that follows reads
// the remote's log of it anyway.
//
// The names go in one fetch. Only if the remote has no log of one of them
// (its pinned version is then nowhere, which PrePush reports) is each
// fetched alone, so that the others are still seen; the remote lacking
// the log of an artifact it was seen to hold is an error. A remote that
// cannot be reached fails the fetch, and so the push.
func (w *Workspace) fetchPinned(ctx context.Context, pins []gitpair.Pin) error {
	var names []string
	seen := map[string]bool{} // by artifact: was a pinned version seen on the remote
	for _, p := range pins {
		onRemote, err := w.r.Pushed(ctx, "", p.Artifact, p.Record, p.Digest)
		if err != nil {
			return err
		}
		if !onRemote {
			v, _, err := w.match(ctx, p)
			if err != nil {
				return err
			}
			if v != nil {
				continue // here, never pushed: the push merges
			}
		}
		if _, ok := seen[p.Artifact]; !ok {
			names = append(names, p.Artifact)
		}
		seen[p.Artifact] = seen[p.Artifact] || onRemote
	}
	if len(names) == 0 {
		return nil
	}
	absent := func(name string, err error) error {
		switch {
		case !errors.Is(err, refs.ErrNotFound):
			return err
		case seen[name]:
			return fmt.Errorf("%w: this repository saw the trove remote hold %s, which has no log of it now: %w", ErrDataNotPushed, name, err)
		}
		return nil
	}
	_, err := w.r.Fetch(ctx, repo.FetchOptions{Names: names})
	if len(names) == 1 {
		return absent(names[0], err)
	}
	if !errors.Is(err, refs.ErrNotFound) {
		return err
	}
	// Fetch stops at the first name the remote lacks.
	for _, n := range names {
		_, err := w.r.Fetch(ctx, repo.FetchOptions{Names: []string{n}})
		if err := absent(n, err); err != nil {
			return err
		}
	}
	return nil
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
