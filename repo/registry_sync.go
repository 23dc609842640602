package repo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/registry"
	"github.com/trove-ml/trove/remote"
)

// Registries travel like artifact logs: one ref per registry, moved on the
// remote by compare-and-swap and merged three-way (registry.Merge) with the
// state last seen there, which is remembered under "reg/<remote>\x00<name>".
const registryRefPrefix = "registry/"

func (r *Repo) trackedRegistry(c *conn, name string) (*registry.Registry, error) {
	v, err := r.store.GetMeta(NSRemote, remoteKey("reg", c.name, []byte(name)))
	if errors.Is(err, objects.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return registry.Decode(v)
}

func (r *Repo) localRegistry(name string) (*registry.Registry, error) {
	v, ok, err := r.RefsKV().Get([]byte(registryRefPrefix + name))
	if err != nil || !ok {
		return nil, err
	}
	return registry.Decode(v)
}

// adoptRegistry stores a registry locally and remembers the remote's.
func (r *Repo) adoptRegistry(ctx context.Context, c *conn, name string, local, seen *registry.Registry) error {
	lb, err := local.Encode()
	if err != nil {
		return err
	}
	sb, err := seen.Encode()
	if err != nil {
		return err
	}
	err = r.RefsKV().Update(ctx, func(tx refs.Txn) error { return tx.Set([]byte(registryRefPrefix+name), lb) })
	if err != nil {
		return err
	}
	mb := r.store.NewMetaBatch()
	defer mb.Close()
	if err := mb.Set(NSRemote, remoteKey("reg", c.name, []byte(name)), sb); err != nil {
		return err
	}
	return mb.Commit(true)
}

// pushRegistries merges every local registry into the remote's.
func (r *Repo) pushRegistries(ctx context.Context, c *conn) ([]string, error) {
	var names []string
	err := r.RefsKV().Scan(ctx, []byte(registryRefPrefix), func(k, _ []byte) error {
		names = append(names, strings.TrimPrefix(string(k), registryRefPrefix))
		return nil
	})
	if err != nil {
		return nil, err
	}
	var conflicts []string
	for _, name := range names {
		for attempt := 0; ; attempt++ {
			local, err := r.localRegistry(name)
			if err != nil || local == nil {
				return nil, err
			}
			cur, err := c.rep.GetRef(ctx, registryRefPrefix+name)
			if err != nil {
				return nil, err
			}
			out := local
			if cur.Body != nil {
				theirs, err := registry.Decode(cur.Body)
				if err != nil {
					return nil, fmt.Errorf("remote %s: registry %q: %w", c.name, name, err)
				}
				base, err := r.trackedRegistry(c, name)
				if err != nil {
					return nil, err
				}
				var cerr *registry.ConflictError
				out, _, err = registry.Merge(base, local, theirs)
				if errors.As(err, &cerr) {
					conflicts = append(conflicts, fmt.Sprintf("registry %s: %v", name, err))
					break
				}
				if err != nil {
					return nil, err
				}
			}
			body, err := out.Encode()
			if err != nil {
				return nil, err
			}
			err = c.rep.PutRef(ctx, registryRefPrefix+name, body, cur.ETag)
			if remote.IsConflict(err) && attempt < maxRefAttempts {
				if err := sleepCtx(ctx, backoff(attempt)); err != nil {
					return nil, err
				}
				continue
			}
			if err != nil {
				return nil, err
			}
			if err := r.adoptRegistry(ctx, c, name, out, out); err != nil {
				return nil, err
			}
			break
		}
	}
	return conflicts, nil
}

// fetchRegistries merges the remote's registries into the local ones.
func (r *Repo) fetchRegistries(ctx context.Context, c *conn) error {
	var names []string
	err := c.rep.Refs(ctx, registryRefPrefix, func(name string) error {
		names = append(names, strings.TrimPrefix(name, registryRefPrefix))
		return nil
	})
	if err != nil {
		return err
	}
	for _, name := range names {
		cur, err := c.rep.GetRef(ctx, registryRefPrefix+name)
		if err != nil || cur.Body == nil {
			return err
		}
		theirs, err := registry.Decode(cur.Body)
		if err != nil {
			return fmt.Errorf("remote %s: registry %q: %w", c.name, name, err)
		}
		local, err := r.localRegistry(name)
		if err != nil {
			return err
		}
		merged := theirs
		if local != nil {
			base, err := r.trackedRegistry(c, name)
			if err != nil {
				return err
			}
			if merged, _, err = registry.Merge(base, local, theirs); err != nil {
				return fmt.Errorf("fetch registry %s: %w (push your changes after resolving them)", name, err)
			}
		}
		if err := r.adoptRegistry(ctx, c, name, merged, theirs); err != nil {
			return err
		}
	}
	return nil
}
