package retention

import (
	"context"
	"fmt"
	"time"

	"github.com/trove-ml/trove/refs"
)

// Expire records in an artifact's log, as deleted, the versions that sts
// (from [Evaluate] on that log) says go ([Status.Goes]; a pinned version
// does not, expired or not): expired ones with reason
// refs.ReasonExpired as of their expiry, those a policy expires with
// refs.ReasonRetention as of now. Their aliases are released; numbers are
// never reused. Inside the update it checks that each version is still
// the one evaluated (same record, same override), so a concurrent change
// makes Expire skip it rather than act on stale facts. It returns the
// versions it deleted.
func Expire(ctx context.Context, rs *refs.Refs, name string, sts []Status, now time.Time) ([]refs.Version, error) {
	var all []refs.Version
	for _, reason := range []string{refs.ReasonExpired, refs.ReasonRetention} {
		want := map[int]Status{}
		var ns []int
		for _, s := range sts {
			if !s.Goes() {
				continue
			}
			if (reason == refs.ReasonExpired && s.Expired) || (reason == refs.ReasonRetention && !s.Expired) {
				want[s.Version.N] = s
				ns = append(ns, s.Version.N)
			}
		}
		if len(ns) == 0 {
			continue
		}
		done, err := rs.Delete(ctx, refs.DeleteRequest{
			Name: name, Versions: ns, Reason: reason,
			At: func(v refs.Version) time.Time {
				if reason == refs.ReasonExpired {
					return want[v.N].Expires
				}
				return now
			},
			Check: func(_ *refs.Log, v refs.Version) error {
				if w := want[v.N].Version; w.Record != v.Record || w.TTL != v.TTL {
					return fmt.Errorf("retention: %s:v%d changed while it was evaluated; run again", name, v.N)
				}
				return nil
			},
		})
		if err != nil {
			return all, err
		}
		all = append(all, done...)
	}
	return all, nil
}
