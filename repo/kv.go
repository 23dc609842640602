package repo

import (
	"context"
	"errors"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
)

// Meta namespaces of the Pebble key space that repo owns
// (docs/ARCHITECTURE.md, "Pebble key space"). Persisted: never change.
const (
	nsRefs      byte = 'r' // refs: artifacts/, registry/, runs/ (mutable names)
	nsStatCache byte = 's' // stat cache: absolute path -> stat + digest
	// NSLineage holds lineage edges (package lineage).
	NSLineage byte = 'e'
	// NSRemote holds what is known of remotes: their indexes and logs.
	NSRemote byte = 'x'
)

// MetaKV returns one namespace of the repository's key-value store, for
// packages that keep their own records (refs live in RefsKV). Each
// namespace belongs to one package; see the constants above.
func (r *Repo) MetaKV(ns byte) refs.KV { return metaKV{st: r.store, ns: ns} }

// RefsKV returns the refs namespace, where every mutable name lives:
// "artifacts/<name>" (package refs), "registry/<name>" (package registry),
// "runs/<id>" (package lineage). Writes must be compare-and-swap updates
// through Update.
func (r *Repo) RefsKV() refs.KV { return metaKV{st: r.store, ns: nsRefs} }

// metaKV adapts one namespace of the object store's meta key space to
// refs.KV.
type metaKV struct {
	st *objects.Store
	ns byte
}

var _ refs.KV = metaKV{}

func (m metaKV) Get(key []byte) ([]byte, bool, error) {
	v, err := m.st.GetMeta(m.ns, key)
	if errors.Is(err, objects.ErrNotFound) {
		return nil, false, nil
	}
	return v, err == nil, err
}

func (m metaKV) Scan(ctx context.Context, prefix []byte, fn func(k, v []byte) error) error {
	return m.st.ScanMeta(ctx, m.ns, prefix, fn)
}

func (m metaKV) Update(ctx context.Context, fn func(refs.Txn) error) error {
	return m.st.UpdateMeta(ctx, func(tx *objects.MetaTx) error {
		return fn(metaTxn{tx: tx, ns: m.ns})
	})
}

type metaTxn struct {
	tx *objects.MetaTx
	ns byte
}

func (t metaTxn) Get(key []byte) ([]byte, bool, error) {
	v, err := t.tx.Get(t.ns, key)
	if errors.Is(err, objects.ErrNotFound) {
		return nil, false, nil
	}
	return v, err == nil, err
}

func (t metaTxn) Set(key, val []byte) error { return t.tx.Set(t.ns, key, val) }
func (t metaTxn) Delete(key []byte) error   { return t.tx.Delete(t.ns, key) }

// blobs adapts the object store to manifest's BlobGetter and BlobPutter.
type blobs struct {
	st *objects.Store
	w  *objects.Writer // nil for read-only use
}

func (b blobs) GetBlob(ctx context.Context, id objects.ID) ([]byte, error) {
	data, _, err := b.st.Get(ctx, id, nil)
	return data, err
}

func (b blobs) PutBlob(ctx context.Context, t objects.BlobType, data []byte) (objects.ID, error) {
	return b.w.PutBlob(ctx, t, data)
}
