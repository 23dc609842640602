//go:build !linux && !darwin

package checkout

import (
	"io/fs"
	"time"
)

// device is unknown here: a Placer then never probes for reflinks, which
// only Linux offers (reflink_other.go).
func device(fs.FileInfo) (uint64, bool) { return 0, false }

// accessTime is unknown here: the cache then records use in the
// modification time.
func accessTime(fs.FileInfo) (time.Time, bool) { return time.Time{}, false }

// links is unknown here: Cache.Linked then always compares with the
// cached file.
func links(fs.FileInfo) (uint64, bool) { return 0, false }
