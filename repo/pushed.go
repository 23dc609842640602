package repo

import (
	"context"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
)

// Pushed reports whether a remote (the default one when remoteName is
// empty) was last seen to hold a live version of an artifact whose record
// is record, or, when root is not zero, whose content digest is root: a
// pushed version whose content equalled the remote's latest became that
// version (see Push), so its own record never reaches the remote.
//
// It reads only what this repository remembers of the remote (the log
// kept by the last push or fetch of the artifact), so it costs no network
// and may be stale: a fetch refreshes it. It fails with ErrNoRemote when
// no remote is configured or remoteName is not one.
func (r *Repo) Pushed(ctx context.Context, remoteName, artifact string, record, root objects.ID) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	name, err := r.defaultRemote(remoteName)
	if err != nil {
		return false, err
	}
	l, err := r.trackedLog(&conn{name: name}, artifact)
	if err != nil || l == nil {
		return false, err
	}
	for _, v := range l.Versions {
		if v.State == refs.StateLive && (v.Record == record || !root.IsZero() && v.Root == root) {
			return true, nil
		}
	}
	return false, nil
}

// OnRemotes returns, for an artifact, the records of the versions that
// some configured remote was last seen to hold. A version whose record is
// not among them has not been pushed: its number is provisional.
func (r *Repo) OnRemotes(ctx context.Context, name string) (map[objects.ID]bool, error) {
	out := map[objects.ID]bool{}
	for _, rn := range r.RemoteNames() {
		l, err := r.trackedLog(&conn{name: rn}, name)
		if err != nil {
			return nil, err
		}
		if l == nil {
			continue
		}
		for _, v := range l.Versions {
			out[v.Record] = true
		}
	}
	return out, nil
}
