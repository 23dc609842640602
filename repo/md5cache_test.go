package repo

import (
	"crypto/md5"
	"encoding/binary"
	"testing"

	"github.com/trove-ml/trove/objects"
)

// TestMD5CacheWritesInBatches: an export of a million files must not hold
// every MD5 it learns until it ends; they are written a batch at a time,
// so that before Close the first batch is already there (and an export cut
// short keeps it), and after Close every one is.
func TestMD5CacheWritesInBatches(t *testing.T) {
	r := newRepo(t)
	c := r.MD5Cache()
	digest := func(i int) objects.ID {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(i))
		return objects.Sum(b[:])
	}
	sumOf := func(i int) [md5.Size]byte { d := digest(i); return md5.Sum(d[:]) }
	n := md5Flush + 10
	for i := range n {
		c.Put(digest(i), sumOf(i))
	}
	if got, ok := c.Get(digest(0)); !ok || got != sumOf(0) {
		t.Fatalf("before Close, the first of %d MD5s put is not written", n)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{1, md5Flush - 1, md5Flush, n - 1} {
		if got, ok := r.MD5Cache().Get(digest(i)); !ok || got != sumOf(i) {
			t.Errorf("MD5 %d of %d: %x, %v after Close", i, n, got, ok)
		}
	}
}
