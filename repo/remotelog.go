package repo

import (
	"context"
	"fmt"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/remote"
)

// remoteLog reads the log of artifact name on remote c: its ref, whose
// ETag a compare-and-swap needs, and the log, nil when the remote has
// none. The log is checked against its records (checkRemoteLog) before
// anything uses it. local is the artifact's log here, nil if there is
// none.
func (r *Repo) remoteLog(ctx context.Context, c *conn, name string, local *refs.Log) (remote.Ref, *refs.Log, error) {
	cur, err := c.rep.GetRef(ctx, "artifacts/"+name)
	if err != nil || cur.Body == nil {
		return cur, nil, err
	}
	theirs, err := refs.DecodeLog(cur.Body)
	if err != nil {
		return cur, nil, fmt.Errorf("remote %s: artifact %q: %w", c.name, name, err)
	}
	if err := r.checkRemoteLog(ctx, c, name, theirs, local); err != nil {
		return cur, nil, err
	}
	return cur, theirs, nil
}

// checkRemoteLog checks what an artifact's log on remote c says of each
// live version against the version's record, before the log is merged
// with the local one (local, nil if none): the log's root must be the
// record's. A merge collapses versions of equal roots, and a commit
// compares its content with the latest root, so a log naming one root and
// a record of another would let a damaged or hostile remote drop a version
// of ours into one of theirs, or make a commit of new content say "no
// change". Records not here are downloaded first (adoption would need
// them anyway); a version whose record and root the local log already
// pairs is not read again.
func (r *Repo) checkRemoteLog(ctx context.Context, c *conn, name string, theirs, local *refs.Log) error {
	known := map[objects.ID]objects.ID{} // record -> root, as the local log has them
	if local != nil {
		for _, v := range local.Versions {
			known[v.Record] = v.Root
		}
	}
	var check []refs.Version
	for _, v := range theirs.Versions {
		if root, ok := known[v.Record]; v.State == refs.StateLive && (!ok || root != v.Root) {
			check = append(check, v)
		}
	}
	if err := r.downloadRecords(ctx, c, check); err != nil {
		return err
	}
	for _, v := range check {
		rec, err := r.Record(ctx, v.Record)
		if err != nil {
			return fmt.Errorf("remote %s: artifact %q v%d: %w", c.name, name, v.N, err)
		}
		if rec.Root != v.Root {
			return fmt.Errorf("%w: remote %s: artifact %q v%d: the log names content %s, its version record %s content %s; nothing was taken from this log (run 'trove fsck' on a clone that pushed it, or ask who did)",
				objects.ErrCorrupt, c.name, name, v.N, v.Root.Short(), v.Record.Short(), rec.Root.Short())
		}
	}
	return nil
}

// downloadRecords downloads from remote c, in one batch, the records of
// the live versions of vs that are not here.
func (r *Repo) downloadRecords(ctx context.Context, c *conn, vs []refs.Version) error {
	var need []objects.ID
	for _, v := range vs {
		if v.State != refs.StateLive {
			continue
		}
		if ok, err := r.store.Has(v.Record); err != nil {
			return err
		} else if !ok {
			need = append(need, v.Record)
		}
	}
	return r.download(ctx, c, need)
}

// deletedRecords returns the records of the versions l records deleted;
// none for a nil l.
func deletedRecords(l *refs.Log) map[objects.ID]bool {
	deleted := map[objects.ID]bool{}
	if l != nil {
		for _, v := range l.Versions {
			if v.State == refs.StateDeleted {
				deleted[v.Record] = true
			}
		}
	}
	return deleted
}
