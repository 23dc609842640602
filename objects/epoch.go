package objects

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// The removal epoch counts the synced batches that took content out of
// the store: index entries, inline blobs, file maps or pack records (GC,
// cache pruning, an index rebuild). Content seen present while the epoch
// was E is still present while it is E, so a caller can remember "present
// at E" beside a digest and skip asking again (repo's stat cache does, to
// re-commit an unchanged file without an index lookup).
//
// Stored under the key `d` (format 1: format u8, epoch u64 LE), written in
// the very batch that removes content, before any pack file goes; a store
// that never removed anything has no key and epoch 1. Only one process
// opens a store at a time (Pebble's lock), so the value read at Open stays
// true but for this process's own removals, which update it as they
// commit.

const nsEpoch = 'd'

const epochValSize = 1 + 8

var epochKey = []byte{nsEpoch}

// RemovalEpoch returns the store's removal epoch (see above); never 0.
func (s *Store) RemovalEpoch() uint64 {
	s.epochMu.Lock()
	defer s.epochMu.Unlock()
	return s.epoch
}

// loadEpoch reads the removal epoch at Open.
func (s *Store) loadEpoch() error {
	v, closer, err := s.db.Get(epochKey)
	if errors.Is(err, pebble.ErrNotFound) {
		s.epoch = 1
		return nil
	}
	if err != nil {
		return err
	}
	defer closer.Close()
	if len(v) != epochValSize || v[0] != valueFormat {
		return fmt.Errorf("%w: removal epoch: %d bytes, format %d", ErrCorrupt, len(v), v[0])
	}
	s.epoch = binary.LittleEndian.Uint64(v[1:])
	return nil
}

// commitRemoval commits b, a batch that removes content, synced, together
// with the next removal epoch.
func (s *Store) commitRemoval(b *pebble.Batch) error {
	s.epochMu.Lock()
	defer s.epochMu.Unlock()
	next := s.epoch + 1
	v := make([]byte, epochValSize)
	v[0] = valueFormat
	binary.LittleEndian.PutUint64(v[1:], next)
	_ = b.Set(epochKey, v, nil) // batch ops cannot fail
	if err := s.commitBatch(b, true); err != nil {
		return err
	}
	s.epoch = next
	return nil
}
