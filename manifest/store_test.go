package manifest

import (
	"context"
	"fmt"
	"sync"

	"github.com/trove-ml/trove/objects"
)

// memStore is an in-memory blob store for tests. It verifies nothing on
// read (the ids are computed here), counts calls, and hands out its own
// copies so that a caller that keeps or modifies slices is caught by the
// race detector or by changed ids rather than by luck.
type memStore struct {
	mu    sync.Mutex
	blobs map[objects.ID][]byte
	types map[objects.ID]objects.BlobType
	puts  int // PutBlob calls
	gets  int // GetBlob calls
}

func newMemStore() *memStore {
	return &memStore{blobs: map[objects.ID][]byte{}, types: map[objects.ID]objects.BlobType{}}
}

func (s *memStore) PutBlob(ctx context.Context, t objects.BlobType, data []byte) (objects.ID, error) {
	if err := ctx.Err(); err != nil {
		return objects.ID{}, err
	}
	id := objects.Sum(data)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.puts++
	if _, ok := s.blobs[id]; !ok {
		s.blobs[id] = append([]byte(nil), data...)
		s.types[id] = t
	}
	return id, nil
}

func (s *memStore) GetBlob(ctx context.Context, id objects.ID) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gets++
	b, ok := s.blobs[id]
	if !ok {
		return nil, fmt.Errorf("blob %s: %w", id.Short(), objects.ErrNotFound)
	}
	return b, nil
}

// set stores data under id without checking, to plant damaged blobs.
func (s *memStore) set(id objects.ID, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blobs[id] = data
}

// putRaw stores data under its real id.
func (s *memStore) putRaw(data []byte) objects.ID {
	id := objects.Sum(data)
	s.set(id, data)
	return id
}

func (s *memStore) ids() map[objects.ID]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[objects.ID]bool, len(s.blobs))
	for id := range s.blobs {
		m[id] = true
	}
	return m
}

func (s *memStore) getCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gets
}
