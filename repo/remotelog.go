package repo

import (
	"context"
	"fmt"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
)

// checkRemoteLog checks what an artifact's log on remote c says of each
// live version against the version's record, before the log is merged
// with the local one: the log's root must be the record's. A merge
// collapses versions of equal roots, and a commit compares its content
// with the latest root, so a log naming one root and a record of another
// would let a damaged or hostile remote drop a version of ours into one of
// theirs, or make a commit of new content say "no change". Records not
// here are downloaded first (they would be at adoption anyway); a version
// whose record and root the local log already pairs is not read again.
func (r *Repo) checkRemoteLog(ctx context.Context, c *conn, name string, theirs *refs.Log) error {
	known := map[objects.ID]objects.ID{} // record -> root, as the local log has them
	if l, err := r.refs.Log(ctx, name); err == nil {
		for _, v := range l.Versions {
			known[v.Record] = v.Root
		}
	}
	var check []refs.Version
	var need []objects.ID
	for _, v := range theirs.Versions {
		if v.State != refs.StateLive {
			continue
		}
		if root, ok := known[v.Record]; ok && root == v.Root {
			continue
		}
		check = append(check, v)
		if ok, err := r.store.Has(v.Record); err != nil {
			return err
		} else if !ok {
			need = append(need, v.Record)
		}
	}
	if err := r.download(ctx, c, need); err != nil {
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

// remoteDeleted returns the records of the versions of an artifact that
// its log on remote c records deleted. Push leaves them out: deletions on
// either side win (refs.Merge), so their content would only be collected
// again, and a clone that fetched such a version and never pulled it does
// not have that content to send.
func (r *Repo) remoteDeleted(ctx context.Context, c *conn, name string) (map[objects.ID]bool, error) {
	cur, err := c.rep.GetRef(ctx, "artifacts/"+name)
	if err != nil || cur.Body == nil {
		return nil, err
	}
	l, err := refs.DecodeLog(cur.Body)
	if err != nil {
		return nil, fmt.Errorf("remote %s: artifact %q: %w", c.name, name, err)
	}
	deleted := map[objects.ID]bool{}
	for _, v := range l.Versions {
		if v.State == refs.StateDeleted {
			deleted[v.Record] = true
		}
	}
	return deleted, nil
}
