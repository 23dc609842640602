package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/trove-ml/trove/remote"
)

// ProbeConditionalWrites reports whether the server behind b honours the
// conditional requests that trove's refs depend on. It writes a probe object
// (named with [remote.ReservedPrefix], so List never shows it) and checks
// that the server
//
//   - creates it with If-None-Match: * and refuses a second such write;
//   - refuses a write and a delete with a wrong If-Match;
//   - accepts a write and a delete with the right If-Match,
//
// and removes it. It returns false, nil when the server ignores a condition
// (it then overwrites or deletes what it should not) or rejects conditions
// as not implemented, and an error when it could not find out (no access,
// no network). Servers that ignore conditions cannot hold shared refs safely.
func ProbeConditionalWrites(ctx context.Context, b *Bucket) (bool, error) {
	var nonce [8]byte
	_, _ = rand.Read(nonce[:]) // never fails (crypto/rand documents it)
	key := remote.ReservedPrefix + "probe-" + hex.EncodeToString(nonce[:])
	ok := b.prefix + key
	put := func(data string, opts remote.PutOptions) (remote.ObjectInfo, error) {
		return b.put(ctx, ok, key, bytes.NewReader([]byte(data)), int64(len(data)), opts)
	}
	del := func(ifMatch string) error { return b.deleteObject(ctx, ok, key, ifMatch) }
	defer func() { _ = b.deleteObject(context.WithoutCancel(ctx), ok, key, "") }()

	first, err := put("probe 1", remote.PutOptions{IfAbsent: true})
	if errors.Is(err, remote.ErrNotSupported) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("remote/s3: probe conditional writes: %w", err)
	}
	steps := []struct {
		what string
		do   func() error
		want error
	}{
		{"second If-None-Match put", func() error { _, err := put("probe 2", remote.PutOptions{IfAbsent: true}); return err }, remote.ErrExists},
		{"put with a wrong If-Match", func() error { _, err := put("probe 3", remote.PutOptions{IfMatch: "0" + first.ETag}); return err }, remote.ErrPreconditionFailed},
		{"delete with a wrong If-Match", func() error { return del("0" + first.ETag) }, remote.ErrPreconditionFailed},
	}
	for _, s := range steps {
		err := s.do()
		switch {
		case err == nil, errors.Is(err, remote.ErrNotSupported):
			return false, nil // the condition was ignored or is not implemented
		case !errors.Is(err, s.want):
			return false, fmt.Errorf("remote/s3: probe conditional writes: %s: %w", s.what, err)
		}
	}
	second, err := put("probe 4", remote.PutOptions{IfMatch: first.ETag})
	if err != nil {
		return false, fmt.Errorf("remote/s3: probe conditional writes: put with the right If-Match: %w", err)
	}
	if err := del(second.ETag); err != nil {
		return false, fmt.Errorf("remote/s3: probe conditional writes: delete with the right If-Match: %w", err)
	}
	return true, nil
}
