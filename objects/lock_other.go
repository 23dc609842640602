//go:build !unix

package objects

import "strings"

// isLockHeld reports whether err from pebble.LockDirectory means another
// holder has the lock. Without a way to tell lock conflicts from other
// failures here, only Pebble's in-process conflict is recognised.
func isLockHeld(err error) bool {
	return strings.Contains(err.Error(), "lock held by current process")
}

// lockHolder names the holder of the lock for error messages.
func lockHolder(string) string { return "another trove process" }
