package objects

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// A Location is what [Store.Locate] or [Store.LocateFiles] found of one
// id: the file map of the file whose digest it is (LocateFiles only), or
// else where the packed blob of that id lies.
// It saves a reader the point lookups that [Store.FileMap] and [Store.Get]
// would make, one Pebble Get each. A Location holds while nothing leaves
// the store (its removal epoch, [Store.RemovalEpoch], stays); reads through
// an older one look the id up again.
type Location struct {
	ID ID
	// FileMap is the id of ID's file map, zero when it has none (a file
	// stored as one chunk, or an id that is no file's digest) or was not
	// asked for (Locate).
	FileMap ID

	packed bool // e holds ID's index entry
	e      indexEntry
	epoch  uint64
}

// HasFileMap reports whether LocateFiles found a file map for l.ID.
func (l Location) HasFileMap() bool { return l.FileMap != (ID{}) }

// Packed reports whether l.ID was found in a pack. It is false for a
// blob kept inline, for one the store lacks, and when l.ID has a file map
// (LocateFiles does not look a mapped file's digest up in the index).
func (l Location) Packed() bool { return l.packed }

// Locate looks up where the packed blobs of many ids lie, in one ordered
// pass over the index, and returns one Location per id, in the order
// given. A point lookup costs a Pebble Get, which visits every table of
// the database afresh (5–8 µs with a few small tables in level 0, as a
// repository has between compactions); an ordered pass positions one
// iterator and seeks forward from key to key, 1–3 µs an id
// (BenchmarkLookup). So readers of many blobs resolve them here, in
// batches, and read each with [Store.GetLocated].
func (s *Store) Locate(ids []ID) ([]Location, error) {
	return s.locate(ids, false)
}

// LocateFiles is Locate for the digests of files: it looks for each
// digest's file map first, in a pass of its own, and in the index only for
// the digests that have none (a file of one chunk, whose id is the file's
// digest).
func (s *Store) LocateFiles(digests []ID) ([]Location, error) {
	return s.locate(digests, true)
}

func (s *Store) locate(ids []ID, fileMaps bool) ([]Location, error) {
	locs := make([]Location, len(ids))
	if len(ids) == 0 {
		return locs, nil
	}
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	epoch := s.RemovalEpoch()
	order := make([]int, len(ids))
	for i := range order {
		order[i] = i
		locs[i] = Location{ID: ids[i], epoch: epoch}
	}
	slices.SortFunc(order, func(a, b int) int { return bytes.Compare(ids[a][:], ids[b][:]) })

	if fileMaps {
		err := s.seekEach(nsFileMap, ids, order, func(i int, v []byte) error {
			m, err := decodeFileMap(v)
			if err != nil {
				return fmt.Errorf("objects: file map of %s: %w", ids[i], err)
			}
			locs[i].FileMap = m
			return nil
		})
		if err != nil {
			return nil, err
		}
		order = slices.DeleteFunc(order, func(i int) bool { return locs[i].HasFileMap() })
	}
	err := s.seekEach(nsIndex, ids, order, func(i int, v []byte) error {
		e, err := decodeIndexEntry(v)
		if err != nil {
			return fmt.Errorf("objects: index entry of %s: %w", ids[i], err)
		}
		locs[i].e, locs[i].packed = e, true
		return nil
	})
	if err != nil {
		return nil, err
	}
	return locs, nil
}

// seekEach seeks the keys ns+ids[i], for i in order (ascending ids), with
// one iterator over namespace ns, and calls found with the value of each
// key present. Equal ids in a row are looked up once each; Pebble skips
// forward when a seek key follows the last.
func (s *Store) seekEach(ns byte, ids []ID, order []int, found func(i int, v []byte) error) (err error) {
	if len(order) == 0 {
		return nil
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{ns}, UpperBound: []byte{ns + 1}})
	if err != nil {
		return fmt.Errorf("objects: locate: %w", err)
	}
	defer func() {
		if cerr := it.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("objects: locate: %w", cerr)
		}
	}()
	key := make([]byte, 1+len(ID{}))
	key[0] = ns
	for _, i := range order {
		copy(key[1:], ids[i][:])
		if !it.SeekGE(key) {
			if err := it.Error(); err != nil {
				return fmt.Errorf("objects: locate: %w", err)
			}
			continue
		}
		if !bytes.Equal(it.Key(), key) {
			continue
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return fmt.Errorf("objects: locate %s: %w", ids[i], err)
		}
		if err := found(i, v); err != nil {
			return err
		}
	}
	return it.Error()
}

// GetLocated is [Store.Get] of l.ID, reading a packed blob straight from
// where Locate found it. An id Locate did not find packed, or found before
// something was removed from the store, is looked up again.
//
// With hash false a packed blob's bytes are not hashed; they are still
// decompressed and their length checked. That is for callers that verify
// what the bytes make up another way, as a pull hashes each file it
// writes and checks its digest before the file gets its name, and that
// call Get on a mismatch to name the corrupt blob: BLAKE3 over every chunk
// again was a third of the CPU of pulling a big file.
func (s *Store) GetLocated(ctx context.Context, l Location, buf []byte, hash bool) ([]byte, BlobType, error) {
	if !l.packed || l.epoch != s.RemovalEpoch() {
		return s.getBlob(ctx, l.ID, buf, hash)
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	return s.readPacked(l.ID, l.e, buf, hash)
}
