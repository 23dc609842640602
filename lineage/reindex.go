package lineage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
)

// ReindexStats says what [Store.Reindex] did.
type ReindexStats struct {
	// Runs is the number of runs read (running and ended).
	Runs int
	// Edges is the number of edges the runs hold.
	Edges int
	// Added and Removed count index keys written and deleted (two keys per
	// edge); both are zero when the index was whole.
	Added, Removed int
}

// Reindex rebuilds the edge index from the runs alone: the refs of
// running runs and the records of ended ones. Edges no run holds are
// removed, missing ones added, so after a crash, a fetch, or a bug the
// index again says exactly what the runs say. It reads every run; run it
// while nothing else writes lineage (the repository lock gives that across
// processes).
func (s *Store) Reindex(ctx context.Context) (ReindexStats, error) {
	var st ReindexStats
	want := edgeSet{}
	var ids []string
	var recs []objects.ID
	var running []*Run
	err := s.refs.Scan(ctx, []byte(runPrefix), func(k, v []byte) error {
		rr, err := decodeRef(v)
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		if id := strings.TrimPrefix(string(k), runPrefix); rr.Run.ID != id {
			return corruptf("ref %s holds run %s", k, rr.Run.ID)
		}
		if rr.Record.IsZero() {
			running = append(running, rr.Run)
		} else {
			ids, recs = append(ids, rr.Run.ID), append(recs, rr.Record)
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("lineage: reindex: %w", err)
	}
	for _, r := range running {
		want.add(r)
		st.Edges += len(r.Inputs) + len(r.Outputs)
	}
	for i, id := range ids {
		r, err := s.loadRecord(ctx, id, recs[i])
		if err != nil {
			return st, fmt.Errorf("lineage: reindex: %w", err)
		}
		want.add(r)
		st.Edges += len(r.Inputs) + len(r.Outputs)
	}
	st.Runs = len(running) + len(ids)

	var stale [][]byte
	have := map[string]bool{}
	err = s.edges.Scan(ctx, nil, func(k, v []byte) error {
		if w, ok := want[string(k)]; ok && bytes.Equal(w, v) {
			have[string(k)] = true
		} else {
			stale = append(stale, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("lineage: reindex: %w", err)
	}
	err = s.edges.Update(ctx, func(tx refs.Txn) error {
		st.Added, st.Removed = 0, 0
		for _, k := range stale {
			if err := tx.Delete(k); err != nil {
				return err
			}
			st.Removed++
		}
		for k, v := range want {
			if have[k] {
				continue
			}
			if err := tx.Set([]byte(k), v); err != nil {
				return err
			}
			st.Added++
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("lineage: reindex: %w", err)
	}
	return st, nil
}

// Import makes the run records with the given ids, already in the object
// store (a fetch put them there), known here: it creates each run's ref
// pointing at its record and writes its edges. A record whose run is here
// already with that record is skipped, so Import is idempotent; a run here
// with another record (or still running) is a conflict, reported in an
// error wrapping [ErrConflict] after the others are imported. It returns
// the number of runs added.
func (s *Store) Import(ctx context.Context, records []objects.ID) (int, error) {
	var runs []*Run
	var recs []objects.ID
	var errs []error
	seen := map[objects.ID]bool{}
	for _, id := range records {
		if seen[id] {
			continue
		}
		seen[id] = true
		b, t, err := s.objects.Get(ctx, id, nil)
		if err != nil {
			return 0, fmt.Errorf("lineage: import run record %s: %w", id.Short(), err)
		}
		if t != objects.TypeRun {
			return 0, corruptf("import: blob %s is a %s, not a run record", id.Short(), t)
		}
		r, err := DecodeRecord(b)
		if err != nil {
			return 0, fmt.Errorf("lineage: import run record %s: %w", id.Short(), err)
		}
		rr, _, err := s.readRef(r.ID)
		switch {
		case errors.Is(err, ErrNotFound):
			runs, recs = append(runs, r), append(recs, id)
		case err != nil:
			return 0, fmt.Errorf("lineage: import: %w", err)
		case rr.Record != id:
			errs = append(errs, fmt.Errorf("%w: run %s is here with record %s (%s), not %s", ErrConflict, r.ID, rr.Record.Short(), rr.Run.State, id.Short()))
		}
	}
	if len(runs) > 0 {
		if err := s.createRefs(ctx, runs, recs); err != nil {
			return 0, err
		}
		if err := s.writeEdges(ctx, runs...); err != nil {
			return 0, err
		}
	}
	return len(runs), errors.Join(errs...)
}

// RecordsFor returns the records of ended runs with an edge to any of the
// versions with the given record ids, each once, in no particular order:
// what a push of those versions should carry so that lineage travels with
// them. Running runs have no record yet; they travel once they end.
func (s *Store) RecordsFor(ctx context.Context, versions []objects.ID) ([]objects.ID, error) {
	seen := map[string]bool{}
	var out []objects.ID
	for _, v := range versions {
		for _, k := range []EdgeKind{Input, Output} {
			err := s.scanVersion(ctx, k, v, func(run string, _ VersionRef) error {
				if seen[run] {
					return nil
				}
				seen[run] = true
				rr, _, err := s.readRef(run)
				if errors.Is(err, ErrNotFound) {
					return nil
				}
				if err != nil {
					return err
				}
				if !rr.Record.IsZero() {
					out = append(out, rr.Record)
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("lineage: runs of %s: %w", v.Short(), err)
			}
		}
	}
	return out, nil
}
