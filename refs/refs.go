package refs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trove-ml/trove/objects"
)

// artifactPrefix is the ref name prefix of artifact logs.
const artifactPrefix = "artifacts/"

// Refs reads and changes artifact logs in a [KV].
type Refs struct {
	kv KV
}

// New returns Refs kept in kv.
func New(kv KV) *Refs { return &Refs{kv: kv} }

func artifactKey(name string) []byte { return []byte(artifactPrefix + name) }

// Log returns the log of artifact name, or an error wrapping ErrNotFound.
func (r *Refs) Log(ctx context.Context, name string) (*Log, error) {
	b, ok, err := r.kv.Get(artifactKey(name))
	if err != nil {
		return nil, fmt.Errorf("refs: read artifact %q: %w", name, err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	l, err := DecodeLog(b)
	if err != nil {
		return nil, fmt.Errorf("artifact %q: %w", name, err)
	}
	return l, nil
}

// Artifacts calls fn for every artifact, in name order.
func (r *Refs) Artifacts(ctx context.Context, fn func(name string, l *Log) error) error {
	return r.kv.Scan(ctx, []byte(artifactPrefix), func(k, v []byte) error {
		name := strings.TrimPrefix(string(k), artifactPrefix)
		l, err := DecodeLog(v)
		if err != nil {
			return fmt.Errorf("artifact %q: %w", name, err)
		}
		return fn(name, l)
	})
}

// update applies fn to the log of name inside one transaction. fn sees a
// zero Log with exists == false if the artifact is new; the log is written
// back, with its counter bumped, only if fn returns nil.
func (r *Refs) update(ctx context.Context, name string, fn func(l *Log, exists bool) error) error {
	return r.kv.Update(ctx, func(tx Txn) error {
		key := artifactKey(name)
		b, ok, err := tx.Get(key)
		if err != nil {
			return err
		}
		l := &Log{}
		if ok {
			if l, err = DecodeLog(b); err != nil {
				return fmt.Errorf("artifact %q: %w", name, err)
			}
		}
		if err := fn(l, ok); err != nil {
			return err
		}
		l.Counter++
		enc, err := l.Encode()
		if err != nil {
			return err
		}
		return tx.Set(key, enc)
	})
}

// CommitRequest asks [Refs.Commit] to record a version.
type CommitRequest struct {
	Name, Type string
	// Record is the id of the version record; it must be durable already.
	Record objects.ID
	// Root is the version's content digest.
	Root objects.ID
	// Created is the version's creation time.
	Created time.Time
	// Aliases and Tags are applied to the version, new or existing.
	Aliases, Tags []string
	// Expired lists versions the caller found expired (package
	// retention): the content is compared with the newest live version
	// not among them, so content equal to an expired version makes a new
	// version rather than naming one that no longer resolves. Nothing is
	// recorded about them here; deleting them is GC's.
	Expired []int
}

// CommitResult says what [Refs.Commit] did.
type CommitResult struct {
	// Version is the new version, or the latest one if the content equals it.
	Version Version
	// Unchanged is true when the content equals latest and no version was
	// made.
	Unchanged bool
	// Moved lists aliases that were taken from other versions, with the
	// number each used to name.
	Moved map[string]int
}

// Commit appends a version to an artifact's log, or, when req.Root equals
// the latest live version's root (skipping req.Expired), makes no version
// and applies the aliases and tags to that version instead. The artifact is created if it does not
// exist; its type is fixed by its first version, and a request of another
// type fails with an error wrapping ErrTypeMismatch.
func (r *Refs) Commit(ctx context.Context, req CommitRequest) (CommitResult, error) {
	for _, a := range req.Aliases {
		if err := CheckAlias(a); err != nil {
			return CommitResult{}, err
		}
	}
	var res CommitResult
	err := r.update(ctx, req.Name, func(l *Log, exists bool) error {
		res = CommitResult{}
		if exists && l.Type != req.Type {
			return fmt.Errorf("%w: %q has type %q; cannot commit type %q under the same name (choose another name)",
				ErrTypeMismatch, req.Name, l.Type, req.Type)
		}
		l.Type = req.Type
		if latest, ok := l.latestExcept(req.Expired); ok && latest.Root == req.Root {
			res.Version, res.Unchanged = latest, true
		} else {
			v := Version{N: l.Next, Record: req.Record, Root: req.Root, Created: req.Created.UTC(), State: StateLive}
			l.Versions = append(l.Versions, v)
			l.Next++
			res.Version = v
		}
		n := res.Version.N
		for _, a := range req.Aliases {
			if prev, ok := l.Aliases[a]; ok && prev != n {
				if res.Moved == nil {
					res.Moved = map[string]int{}
				}
				res.Moved[a] = prev
			}
			if err := l.setAlias(a, n); err != nil {
				return err
			}
		}
		for _, t := range req.Tags {
			l.addTag(t, n)
		}
		return nil
	})
	return res, err
}

// SetAlias points alias at the version sel resolves to, moving it from any
// version that holds it. It returns the number the alias named before, or
// -1.
func (r *Refs) SetAlias(ctx context.Context, name, sel, alias string) (v Version, prev int, err error) {
	err = r.update(ctx, name, func(l *Log, exists bool) error {
		if !exists {
			return fmt.Errorf("%w: %q", ErrNotFound, name)
		}
		if v, err = l.Resolve(sel); err != nil {
			return err
		}
		prev = -1
		if p, ok := l.Aliases[alias]; ok {
			prev = p
		}
		return l.setAlias(alias, v.N)
	})
	return v, prev, err
}

// RemoveAlias removes a custom alias. Removing an alias that does not exist
// is an error wrapping ErrNoVersion, so a typo does not pass silently.
func (r *Refs) RemoveAlias(ctx context.Context, name, alias string) (n int, err error) {
	err = r.update(ctx, name, func(l *Log, exists bool) error {
		if !exists {
			return fmt.Errorf("%w: %q", ErrNotFound, name)
		}
		if err := CheckAlias(alias); err != nil {
			return err
		}
		var ok bool
		if n, ok = l.Aliases[alias]; !ok {
			return fmt.Errorf("%w: %s has no alias %q", ErrNoVersion, name, alias)
		}
		delete(l.Aliases, alias)
		return nil
	})
	return n, err
}

// SetTags adds and removes tags on the version sel resolves to.
func (r *Refs) SetTags(ctx context.Context, name, sel string, add, remove []string) (v Version, err error) {
	err = r.update(ctx, name, func(l *Log, exists bool) error {
		if !exists {
			return fmt.Errorf("%w: %q", ErrNotFound, name)
		}
		if v, err = l.Resolve(sel); err != nil {
			return err
		}
		for _, t := range add {
			l.addTag(t, v.N)
		}
		for _, t := range remove {
			if !l.removeTag(t, v.N) {
				return fmt.Errorf("%w: %s:v%d has no tag %q", ErrNoVersion, name, v.N, t)
			}
		}
		return nil
	})
	return v, err
}

// Replace sets the log of an artifact to l, as a push or fetch decided it.
// The counter still grows, so every write is a new value.
func (r *Refs) Replace(ctx context.Context, name string, l *Log) error {
	return r.update(ctx, name, func(cur *Log, exists bool) error {
		counter := cur.Counter
		*cur = *l.clone()
		cur.Counter = max(counter, l.Counter)
		return nil
	})
}

// DeleteRequest asks [Refs.Delete] to delete versions of one artifact.
type DeleteRequest struct {
	// Name is the artifact; Versions the numbers to delete.
	Name     string
	Versions []int
	// Reason is ReasonDeleted, ReasonExpired or ReasonRetention; At is
	// recorded as when the version went (for an expired one, when it
	// expired).
	Reason string
	At     func(v Version) time.Time
	// Check, if set, is called inside the transaction for every version
	// still live, before anything changes; an error refuses the whole
	// request and is returned as it is. It sees the log as it is at that
	// moment, so a check of its aliases is atomic with the deletion.
	Check func(l *Log, v Version) error
}

// Delete marks versions deleted and releases their custom aliases, in one
// atomic update of the artifact's log; the numbers are never given out
// again, and the content goes at the next GC. Versions deleted already
// are skipped, so a retried deletion is no error. It returns the versions
// it deleted, as they were. A number the log does not hold fails with an
// error wrapping ErrNoVersion and deletes nothing.
func (r *Refs) Delete(ctx context.Context, req DeleteRequest) ([]Version, error) {
	var done []Version
	err := r.update(ctx, req.Name, func(l *Log, exists bool) error {
		done = nil
		if !exists {
			return fmt.Errorf("%w: %q", ErrNotFound, req.Name)
		}
		var live []Version
		for _, n := range req.Versions {
			v, ok := l.Version(n)
			if !ok {
				return fmt.Errorf("%w: %s has no version v%d", ErrNoVersion, req.Name, n)
			}
			if v.State != StateLive {
				continue
			}
			if req.Check != nil {
				if err := req.Check(l, v); err != nil {
					return err
				}
			}
			live = append(live, v)
		}
		if len(live) == 0 {
			return errNothing
		}
		for _, v := range live {
			at := time.Time{}
			if req.At != nil {
				at = req.At(v)
			}
			if _, err := l.MarkDeleted(v.N, req.Reason, at); err != nil {
				return err
			}
		}
		done = live
		return nil
	})
	if errors.Is(err, errNothing) {
		return nil, nil
	}
	return done, err
}

// SetTTL sets the TTL override ([Version.TTL]) of live versions of an
// artifact, in one atomic update; "" removes it. refs stores ttl as given:
// the caller validates it. A number the log does not hold fails with an
// error wrapping ErrNoVersion, a deleted one with ErrDeleted.
func (r *Refs) SetTTL(ctx context.Context, name string, ns []int, ttl string) error {
	return r.update(ctx, name, func(l *Log, exists bool) error {
		if !exists {
			return fmt.Errorf("%w: %q", ErrNotFound, name)
		}
		for _, n := range ns {
			i := l.find(n)
			if i < 0 {
				return fmt.Errorf("%w: %s has no version v%d", ErrNoVersion, name, n)
			}
			if l.Versions[i].State != StateLive {
				return fmt.Errorf("%w: %s:v%d %s", ErrDeleted, name, n, l.Versions[i].DeletedText())
			}
			l.Versions[i].TTL = ttl
		}
		return nil
	})
}

// errNothing ends an update that has nothing to write.
var errNothing = errors.New("refs: nothing to change")
