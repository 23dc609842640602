package file

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Lock polling: a key's lock is held for one stat and one rename, so a
// waiter polls briefly rather than block in flock(2), which a context cannot
// interrupt.
const (
	lockPollMin = 100 * time.Microsecond
	lockPollMax = 20 * time.Millisecond
)

// lock takes the exclusive lock of key, waiting until it is free or ctx is
// done, and returns the function that releases it.
//
// The lock is flock(2) on a file named by the SHA-256 of the key under
// root/.trove-locks: fixed-length names for keys of any length and depth.
// Lock files are never deleted: deleting one while another process waits on
// it would give two holders (one of the old file, one of a new file under
// the same name). There is one per key ever changed by compare-and-swap,
// which in trove's layout means one per ref.
func (b *Bucket) lock(ctx context.Context, key string) (unlock func(), err error) {
	sum := sha256.Sum256([]byte(key))
	dir := filepath.Join(b.root, lockDir)
	name := filepath.Join(dir, hex.EncodeToString(sum[:]))
	// O_RDWR: over NFS, flock is emulated with a POSIX write lock, which
	// needs a file open for writing.
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, filePerm)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.Mkdir(dir, dirPerm); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, err
		}
		f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE, filePerm)
	}
	if err != nil {
		return nil, err
	}
	for delay := lockPollMin; ; delay = min(2*delay, lockPollMax) {
		err := tryLock(f)
		if err == nil {
			return func() {
				// Closing the file releases the lock even if the unlock
				// fails, so neither error can leave it held.
				_ = unlockFile(f)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			if errors.Is(err, syscall.ENOLCK) {
				return nil, fmt.Errorf("lock %s: %w (over NFSv3 the lock daemon, rpc.statd and lockd, must run on client and server)", name, err)
			}
			return nil, fmt.Errorf("lock %s: %w", name, err)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			_ = f.Close()
			return nil, fmt.Errorf("waiting for lock %s: %w", name, ctx.Err())
		case <-t.C:
		}
	}
}
