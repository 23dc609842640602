package gc

import (
	"fmt"
	"time"
)

// Safety is the set of margins that make collection safe beside other
// writers. Each field names the race it closes; [DefaultSafety] and
// [DefaultRemoteSafety] give the values trove uses.
type Safety struct {
	// Grace: nothing created less than Grace ago is deleted, condemned or
	// rewritten — a pack by its record's creation time locally and by the
	// bucket's modification time on a remote, likewise remote indexes.
	// Closes: a push that has uploaded packs and indexes but not yet moved
	// the refs that reach them (PRODUCT.md invariant 5). A push must
	// finish within Grace. Locally the repository lock already keeps every
	// commit out for the whole GC, so the local default is 0.
	//
	// On a remote Grace is also the condemnation delay: a pack taken out
	// of every index is deleted only by a GC that runs at least Grace
	// later (by the bucket's clock). Closes: a pusher whose cached index
	// still listed the pack, which skipped uploading blobs the pack holds
	// and moves its ref after GC marked. Within Grace its ref lands; the
	// next GC sees the blobs reached again and re-indexes the pack.
	Grace time.Duration

	// RepackThreshold is the dead share of a pack's blob bytes (0..1) at
	// which it is rewritten with only its live blobs; below it, dead
	// blobs stay on disk until more of the pack dies. 1 never rewrites.
	// Rewriting costs a copy of the live bytes.
	RepackThreshold float64

	// MaxReplans bounds how often a remote GC plans again when the roots
	// moved between planning and executing (a push landed meanwhile).
	MaxReplans int
}

// Defaults. The remote grace follows kopia's minimum content age subject
// to GC: a day covers the longest pushes people make, with a margin for
// clocks.
const (
	DefaultLocalGrace      = 0
	DefaultRemoteGrace     = 24 * time.Hour
	DefaultRepackThreshold = 0.25
	DefaultMaxReplans      = 3
)

// DefaultSafety returns the margins of a local GC.
func DefaultSafety() Safety {
	return Safety{Grace: DefaultLocalGrace, RepackThreshold: DefaultRepackThreshold, MaxReplans: DefaultMaxReplans}
}

// DefaultRemoteSafety returns the margins of a remote GC.
func DefaultRemoteSafety() Safety {
	return Safety{Grace: DefaultRemoteGrace, RepackThreshold: DefaultRepackThreshold, MaxReplans: DefaultMaxReplans}
}

// Check reports whether the margins make sense.
func (s Safety) Check() error {
	if s.Grace < 0 {
		return fmt.Errorf("gc: negative grace period %s", s.Grace)
	}
	if s.RepackThreshold <= 0 || s.RepackThreshold > 1 {
		return fmt.Errorf("gc: repack threshold %g is outside (0, 1]", s.RepackThreshold)
	}
	return nil
}

// oldEnough reports whether something created at created is at least
// grace old at now.
func (s Safety) oldEnough(created, now time.Time) bool {
	return !created.IsZero() && now.Sub(created) >= s.Grace
}
