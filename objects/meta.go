package objects

import (
	"context"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// The meta API gives the layers above (refs, the stat cache, runs) the rest
// of the Pebble key space. A key is a namespace byte and the caller's key;
// values are opaque here. The namespaces 'i', 'b', 'f' and 'p' belong to the
// store itself and are refused.

func metaKey(ns byte, key []byte) ([]byte, error) {
	if isReserved(ns) {
		return nil, fmt.Errorf("objects: meta namespace %q is reserved for the object store", ns)
	}
	k := make([]byte, 1+len(key))
	k[0] = ns
	copy(k[1:], key)
	return k, nil
}

// GetMeta returns a copy of the value of key in namespace ns, or an error
// wrapping [ErrNotFound].
func (s *Store) GetMeta(ns byte, key []byte) ([]byte, error) {
	k, err := metaKey(ns, key)
	if err != nil {
		return nil, err
	}
	v, ok, err := s.get(k)
	if err != nil {
		return nil, fmt.Errorf("objects: get meta %c %q: %w", ns, key, err)
	}
	if !ok {
		return nil, fmt.Errorf("objects: get meta %c %q: %w", ns, key, ErrNotFound)
	}
	return v, nil
}

// ScanMeta calls fn, on the caller's goroutine and in key order, for every
// key in namespace ns that starts with prefix. fn gets the key without the
// namespace byte; key and val are valid only during the call. ScanMeta
// stops at and returns fn's first error, or ctx's. It reads a consistent
// snapshot only per key: concurrent updates may or may not be seen.
func (s *Store) ScanMeta(ctx context.Context, ns byte, prefix []byte, fn func(key, val []byte) error) error {
	return s.ScanMetaFrom(ctx, ns, prefix, nil, fn)
}

// ScanMetaFrom is ScanMeta from the key prefix+from on: it skips the keys
// with prefix that sort before it. Callers that read a long range in pages
// resume with it after the last key of a page.
func (s *Store) ScanMetaFrom(ctx context.Context, ns byte, prefix, from []byte, fn func(key, val []byte) error) error {
	p, err := metaKey(ns, prefix)
	if err != nil {
		return err
	}
	return s.scanFrom(ctx, p, from, func(k, v []byte) error { return fn(k[1:], v) })
}

// UpdateMeta runs fn in a transaction: fn's reads see its own writes, and
// its writes are applied as one atomic, synced batch only if fn returns
// nil; otherwise nothing is written and fn's error is returned. Calls are
// serialised, so a read-check-write in fn (a compare-and-swap of a ref) is
// atomic against other UpdateMeta calls; Pebble's lock excludes other
// processes. fn must not keep tx, nor call UpdateMeta.
func (s *Store) UpdateMeta(ctx context.Context, fn func(tx *MetaTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.metaMu.Lock()
	defer s.metaMu.Unlock()
	if err := s.enter(); err != nil {
		return fmt.Errorf("objects: update meta: %w", err)
	}
	defer s.leave()
	tx := &MetaTx{ctx: ctx, b: s.db.NewIndexedBatch()}
	defer func() {
		tx.done = true
		_ = tx.b.Close() // frees the batch, committed or not
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if tx.b.Empty() {
		return nil
	}
	if err := tx.b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("objects: update meta: %w", err)
	}
	return nil
}

// MetaTx is a transaction of UpdateMeta; it is valid only during fn and not
// safe for concurrent use.
type MetaTx struct {
	ctx  context.Context
	b    *pebble.Batch
	done bool
}

var errTxDone = errors.New("objects: meta transaction used after UpdateMeta returned")

// Get returns a copy of the value of key in namespace ns as this
// transaction sees it, or an error wrapping [ErrNotFound].
func (tx *MetaTx) Get(ns byte, key []byte) ([]byte, error) {
	if tx.done {
		return nil, errTxDone
	}
	k, err := metaKey(ns, key)
	if err != nil {
		return nil, err
	}
	v, closer, err := tx.b.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, fmt.Errorf("objects: get meta %c %q: %w", ns, key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("objects: get meta %c %q: %w", ns, key, err)
	}
	defer closer.Close()
	return append([]byte(nil), v...), nil
}

// Set sets key in namespace ns to val. The transaction copies both.
func (tx *MetaTx) Set(ns byte, key, val []byte) error {
	if tx.done {
		return errTxDone
	}
	k, err := metaKey(ns, key)
	if err != nil {
		return err
	}
	return tx.b.Set(k, val, nil)
}

// Delete removes key from namespace ns; deleting a missing key is no error.
func (tx *MetaTx) Delete(ns byte, key []byte) error {
	if tx.done {
		return errTxDone
	}
	k, err := metaKey(ns, key)
	if err != nil {
		return err
	}
	return tx.b.Delete(k, nil)
}

// Scan is ScanMeta as this transaction sees it.
func (tx *MetaTx) Scan(ns byte, prefix []byte, fn func(key, val []byte) error) error {
	if tx.done {
		return errTxDone
	}
	p, err := metaKey(ns, prefix)
	if err != nil {
		return err
	}
	it, err := tx.b.NewIterWithContext(tx.ctx, &pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return err
	}
	return iterate(tx.ctx, it, func(k, v []byte) error { return fn(k[1:], v) })
}

// MetaBatch collects metadata writes that need no transaction, such as
// stat cache entries, and applies them at once with Commit. It is not safe
// for concurrent use.
type MetaBatch struct {
	s *Store
	b *pebble.Batch
}

// NewMetaBatch returns an empty batch.
func (s *Store) NewMetaBatch() *MetaBatch { return &MetaBatch{s: s} }

func (mb *MetaBatch) batch() (*pebble.Batch, error) {
	if mb.b == nil {
		if mb.b = mb.s.newBatch(); mb.b == nil {
			return nil, ErrClosed
		}
	}
	return mb.b, nil
}

// Set sets key in namespace ns to val when the batch commits. The batch
// copies both.
func (mb *MetaBatch) Set(ns byte, key, val []byte) error {
	k, err := metaKey(ns, key)
	if err != nil {
		return err
	}
	b, err := mb.batch()
	if err != nil {
		return err
	}
	return b.Set(k, val, nil)
}

// Delete removes key from namespace ns when the batch commits.
func (mb *MetaBatch) Delete(ns byte, key []byte) error {
	k, err := metaKey(ns, key)
	if err != nil {
		return err
	}
	b, err := mb.batch()
	if err != nil {
		return err
	}
	return b.Delete(k, nil)
}

// Len returns the number of writes in the batch.
func (mb *MetaBatch) Len() int {
	if mb.b == nil {
		return 0
	}
	return int(mb.b.Count())
}

// Commit applies the batch atomically, synced to disk if sync is set (an
// unsynced batch may be lost in a crash, never half applied). The batch is
// then empty and can be reused.
func (mb *MetaBatch) Commit(sync bool) error {
	if mb.b == nil {
		return nil
	}
	b := mb.b
	mb.b = nil
	defer b.Close()
	if err := mb.s.commitBatch(b, sync); err != nil {
		return fmt.Errorf("objects: commit meta batch: %w", err)
	}
	return nil
}

// Close drops writes not committed.
func (mb *MetaBatch) Close() {
	if mb.b != nil {
		_ = mb.b.Close() // dropping uncommitted writes
		mb.b = nil
	}
}
