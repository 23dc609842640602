package refs

import "context"

// KV is the transactional key-value store refs live in. Keys passed to it
// are ref names ("artifacts/mnist"); the store adds its own namespace.
type KV interface {
	// Get returns the value of key, or ok == false if there is none.
	Get(key []byte) (val []byte, ok bool, err error)
	// Scan calls fn for every key with the prefix, in key order. The slices
	// are valid only during the call.
	Scan(ctx context.Context, prefix []byte, fn func(key, val []byte) error) error
	// Update runs fn in a transaction that is applied atomically and durably
	// if and only if fn returns nil. Updates are serialised.
	Update(ctx context.Context, fn func(tx Txn) error) error
}

// Txn is the view of the store inside [KV.Update]. Get sees the
// transaction's own writes.
type Txn interface {
	Get(key []byte) (val []byte, ok bool, err error)
	Set(key, val []byte) error
	Delete(key []byte) error
}
