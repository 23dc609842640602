package lineage

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
)

// Objects is what the store needs of the object database: reading blobs
// and a writer to add run records. *objects.Store satisfies it.
type Objects interface {
	Get(ctx context.Context, id objects.ID, buf []byte) ([]byte, objects.BlobType, error)
	NewWriter() *objects.Writer
}

// Logs reads artifact logs, to name versions by their current numbers.
// *refs.Refs satisfies it.
type Logs interface {
	Log(ctx context.Context, name string) (*refs.Log, error)
}

// Options configure [New].
type Options struct {
	// Refs is the key-value store of refs, where "runs/<id>" live
	// (repo.Repo.RefsKV). Required.
	Refs refs.KV
	// Edges is the key-value namespace of lineage edges
	// (repo.Repo.MetaKV(repo.NSLineage)). Required.
	Edges refs.KV
	// Objects stores and reads run records. Required.
	Objects Objects
	// Logs names versions in graphs; nil leaves them named as the edges
	// recorded them (artifact and number at the time).
	Logs Logs
	// Now is the clock; the default is time.Now.
	Now func() time.Time
	// Rand supplies the random part of run ids; the default is
	// crypto/rand.Reader.
	Rand io.Reader
}

// Store keeps a repository's runs and lineage edges. Its methods are safe
// for concurrent use as far as the KV's Update is (serialised) and the
// repository lock keeps other processes out.
type Store struct {
	refs, edges refs.KV
	objects     Objects
	logs        Logs
	now         func() time.Time
	rand        io.Reader
}

// New returns a Store over the given storage.
func New(o Options) *Store {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	return &Store{refs: o.Refs, edges: o.Edges, objects: o.Objects, logs: o.Logs, now: o.Now, rand: o.Rand}
}

// NewID returns a fresh run id for a run starting now (see [NewID]).
func (s *Store) NewID() (string, error) { return NewID(s.now(), s.rand) }

// StartOptions describe a run being started; see [Run] for the fields.
type StartOptions struct {
	Name, JobType string
	Config        map[string]string
	Command       []string
	Dir           string
	User, Host    string
	PID           int
	Git           *GitInfo
}

// Start records a new running run: it creates the ref "runs/<id>" and
// returns the run. Bad options are an error wrapping [ErrInvalid], and
// nothing is written.
func (s *Store) Start(ctx context.Context, o StartOptions) (*Run, error) {
	now := s.now().UTC()
	id, err := NewID(now, s.rand)
	if err != nil {
		return nil, err
	}
	r := &Run{
		ID: id, Name: o.Name, JobType: o.JobType, Config: o.Config, Command: o.Command, Dir: o.Dir,
		User: o.User, Host: o.Host, PID: o.PID, Git: o.Git, Started: now, State: StateRunning,
	}
	enc, err := (&runRef{Run: r}).encode()
	if err != nil {
		return nil, err
	}
	err = s.refs.Update(ctx, func(tx refs.Txn) error {
		if _, ok, err := tx.Get(runKey(id)); err != nil || ok {
			if ok {
				err = fmt.Errorf("%w: run %s exists", ErrConflict, id)
			}
			return err
		}
		return tx.Set(runKey(id), enc)
	})
	if err != nil {
		return nil, fmt.Errorf("lineage: start run: %w", err)
	}
	return r.clone(), nil
}

// readRef returns the ref of run id and its bytes, or an error wrapping
// ErrNotFound.
func (s *Store) readRef(id string) (*runRef, []byte, error) {
	b, ok, err := s.refs.Get(runKey(id))
	if err != nil {
		return nil, nil, fmt.Errorf("lineage: read run %s: %w", id, err)
	}
	if !ok {
		return nil, nil, fmt.Errorf("%w: %s (list runs with 'trove runs')", ErrNotFound, id)
	}
	rr, err := decodeRef(b)
	if err != nil {
		return nil, nil, fmt.Errorf("run %s: %w", id, err)
	}
	if rr.Run.ID != id {
		return nil, nil, corruptf("ref runs/%s holds run %s", id, rr.Run.ID)
	}
	return rr, b, nil
}

// Get returns run id with its inputs and outputs: a running run from its
// ref, an ended one from its record. A run that does not exist is an
// error wrapping [ErrNotFound]. The id must be whole; see [Store.Find].
func (s *Store) Get(ctx context.Context, id string) (*Run, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("%w: %q is not a run id (26 characters, as 'trove runs' lists them)", ErrNotFound, id)
	}
	rr, _, err := s.readRef(id)
	if err != nil {
		return nil, err
	}
	if rr.Record.IsZero() {
		return rr.Run, nil
	}
	return s.loadRecord(ctx, id, rr.Record)
}

// RecordID returns the id of run id's record, or the zero id while it
// runs.
func (s *Store) RecordID(id string) (objects.ID, error) {
	rr, _, err := s.readRef(id)
	if err != nil {
		return objects.ID{}, err
	}
	return rr.Record, nil
}

// loadRecord reads and decodes the record of run id.
func (s *Store) loadRecord(ctx context.Context, id string, rec objects.ID) (*Run, error) {
	b, t, err := s.objects.Get(ctx, rec, nil)
	if err != nil {
		return nil, fmt.Errorf("run %s: record %s: %w", id, rec.Short(), err)
	}
	if t != objects.TypeRun {
		return nil, corruptf("run %s: record %s is a %s blob", id, rec.Short(), t)
	}
	r, err := DecodeRecord(b)
	if err != nil {
		return nil, fmt.Errorf("run %s: record %s: %w", id, rec.Short(), err)
	}
	if r.ID != id {
		return nil, corruptf("run %s: record %s is of run %s", id, rec.Short(), r.ID)
	}
	return r, nil
}

// Find returns the run whose id is s or, failing that, the one run whose
// id starts with s (in either case). No match is an error wrapping
// [ErrNotFound]; several, one wrapping [ErrAmbiguous].
func (s *Store) Find(ctx context.Context, idOrPrefix string) (*Run, error) {
	p := NormalizeID(idOrPrefix)
	if ValidID(p) {
		return s.Get(ctx, p)
	}
	if p == "" || len(p) > IDLen {
		return nil, fmt.Errorf("%w: %q is not a run id (26 characters, as 'trove runs' lists them)", ErrNotFound, idOrPrefix)
	}
	var found []string
	err := s.refs.Scan(ctx, runKey(p), func(k, _ []byte) error {
		found = append(found, strings.TrimPrefix(string(k), runPrefix))
		if len(found) > 5 {
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, fmt.Errorf("lineage: find run %q: %w", idOrPrefix, err)
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%w: no run id starts with %q (list runs with 'trove runs')", ErrNotFound, idOrPrefix)
	case 1:
		return s.Get(ctx, found[0])
	}
	return nil, fmt.Errorf("%w: %q starts %s, …; give more of the id", ErrAmbiguous, idOrPrefix, strings.Join(found[:2], ", "))
}

var errStop = errors.New("stop")

// Active returns run id if it is running, an error wrapping [ErrEnded] if
// it has ended, or one wrapping [ErrNotFound].
func (s *Store) Active(ctx context.Context, given string) (*Run, error) {
	id := NormalizeID(given)
	if !ValidID(id) {
		return nil, fmt.Errorf("%w: %q is not a run id (26 characters, as 'trove runs' lists them)", ErrNotFound, given)
	}
	rr, _, err := s.readRef(id)
	if err != nil {
		return nil, err
	}
	if !rr.Record.IsZero() {
		return nil, fmt.Errorf("%w: run %s ended at %s (%s); it takes no more inputs or outputs", ErrEnded, id,
			rr.Run.Ended.Format(time.RFC3339), rr.Run.Outcome())
	}
	return rr.Run, nil
}

// AddInput records that running run id used version v, and AddOutput that
// it logged v. Each changes the run's ref first and then writes the edge
// (the ref is the truth; a crash between leaves an edge missing that
// [Store.Reindex] restores). Adding a version the run already has is no
// error and reports false. A run that has ended is an error wrapping
// [ErrEnded]; one that does not exist, [ErrNotFound]; in both cases nothing
// is written.
func (s *Store) AddInput(ctx context.Context, id string, v VersionRef) (bool, error) {
	return s.add(ctx, id, Input, v)
}

// AddOutput records that running run id logged version v; see
// [Store.AddInput].
func (s *Store) AddOutput(ctx context.Context, id string, v VersionRef) (bool, error) {
	return s.add(ctx, id, Output, v)
}

func (s *Store) add(ctx context.Context, given string, k EdgeKind, v VersionRef) (added bool, err error) {
	id := NormalizeID(given)
	if !ValidID(id) {
		return false, fmt.Errorf("%w: %q is not a run id (26 characters, as 'trove runs' lists them)", ErrNotFound, given)
	}
	var run *Run
	err = s.refs.Update(ctx, func(tx refs.Txn) error {
		added = false
		b, ok, err := tx.Get(runKey(id))
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: %s (list runs with 'trove runs')", ErrNotFound, id)
		}
		rr, err := decodeRef(b)
		if err != nil {
			return fmt.Errorf("run %s: %w", id, err)
		}
		if !rr.Record.IsZero() {
			return fmt.Errorf("%w: run %s ended at %s (%s); it takes no more inputs or outputs", ErrEnded, id,
				rr.Run.Ended.Format(time.RFC3339), rr.Run.Outcome())
		}
		run = rr.Run
		list := &run.Inputs
		if k == Output {
			list = &run.Outputs
		}
		if *list, added = addVersion(*list, v); !added {
			return nil
		}
		enc, err := rr.encode()
		if err != nil {
			return err
		}
		return tx.Set(runKey(id), enc)
	})
	if err != nil {
		if errors.Is(err, ErrEnded) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrInvalid) || errors.Is(err, ErrCorrupt) {
			return false, err // they name the run already
		}
		return false, fmt.Errorf("lineage: run %s: add %s %s: %w", id, k, v, err)
	}
	// The edge is written even when the ref had it, in case a crash lost it.
	one := &Run{ID: id}
	if k == Input {
		one.Inputs = []VersionRef{v}
	} else {
		one.Outputs = []VersionRef{v}
	}
	return added, s.writeEdges(ctx, one)
}

// End says how a run ended. The zero End is a run that finished (exit 0)
// now.
type End struct {
	// Time is when it ended; the default is now.
	Time time.Time
	// ExitCode is the command's exit status.
	ExitCode int
	// Signal, if set, names the signal that killed the command; ExitCode is
	// then ignored.
	Signal string
}

// maxFinishTries bounds retries when the run's ref changes while Finish
// writes its record (another goroutine adding an input).
const maxFinishTries = 5

// Finish ends running run id: it writes the run record, flushes it, and
// only then points the ref at it, so a ref never names a record that is
// not durable (PRODUCT.md invariant 3). It returns the ended run. A run
// that has ended already is an error wrapping [ErrEnded].
func (s *Store) Finish(ctx context.Context, id string, e End) (*Run, error) {
	id = NormalizeID(id)
	for range maxFinishTries {
		rr, old, err := s.readRef(id)
		if err != nil {
			return nil, err
		}
		if !rr.Record.IsZero() {
			return nil, fmt.Errorf("%w: run %s ended already (%s)", ErrEnded, id, rr.Run.Outcome())
		}
		run := rr.Run
		run.Ended = e.Time
		if run.Ended.IsZero() {
			run.Ended = s.now()
		}
		run.Ended = run.Ended.UTC()
		if run.Ended.Before(run.Started) { // the clock stepped back
			run.Ended = run.Started
		}
		switch {
		case e.Signal != "":
			run.State, run.Signal = StateKilled, e.Signal
		case e.ExitCode == 0:
			run.State = StateFinished
		default:
			run.State, run.ExitCode = StateFailed, e.ExitCode
		}
		recs, err := s.putRecords(ctx, run)
		if err != nil {
			return nil, err
		}
		rec := recs[0]
		err = s.refs.Update(ctx, func(tx refs.Txn) error {
			cur, ok, err := tx.Get(runKey(id))
			if err != nil {
				return err
			}
			if !ok || !bytes.Equal(cur, old) {
				return ErrConflict
			}
			enc, err := (&runRef{Record: rec, Run: run}).encode()
			if err != nil {
				return err
			}
			return tx.Set(runKey(id), enc)
		})
		if errors.Is(err, ErrConflict) {
			continue // the record written is garbage now; GC removes it
		}
		if err != nil {
			return nil, fmt.Errorf("lineage: finish run %s: %w", id, err)
		}
		// Rewriting every edge makes the index whole even if a crash
		// during the run lost one.
		return run, s.writeEdges(ctx, run)
	}
	return nil, fmt.Errorf("lineage: finish run %s: %w (%d tries)", id, ErrConflict, maxFinishTries)
}

// putRecords stores the records of ended runs and makes them durable.
func (s *Store) putRecords(ctx context.Context, runs ...*Run) ([]objects.ID, error) {
	w := s.objects.NewWriter()
	ids := make([]objects.ID, len(runs))
	for i, run := range runs {
		enc, err := EncodeRecord(run)
		if err != nil {
			w.Abort()
			return nil, err
		}
		if ids[i], err = w.PutBlob(ctx, objects.TypeRun, enc); err != nil {
			w.Abort()
			return nil, fmt.Errorf("lineage: store record of run %s: %w", run.ID, err)
		}
	}
	// Order matters: the records are durable before any ref names them.
	if err := w.Flush(ctx); err != nil {
		w.Abort()
		return nil, fmt.Errorf("lineage: store run records: %w", err)
	}
	return ids, nil
}

// Log records runs that have ended already, at once: trove commit outside
// a run records its implicit one-command run this way (and tests build big
// graphs). Each run's ID must be new (see [Store.NewID]). It writes the
// records, flushes them, creates the refs (one transaction) and then the
// edges, and returns the records' ids. Logging the same record again is no
// error; an invalid run is an error wrapping [ErrInvalid], and then nothing
// is written.
func (s *Store) Log(ctx context.Context, runs ...*Run) ([]objects.ID, error) {
	cp := make([]*Run, len(runs))
	for i, r := range runs {
		cp[i] = r.clone()
		cp[i].Inputs, cp[i].Outputs = sortVersions(r.Inputs), sortVersions(r.Outputs)
	}
	recs, err := s.putRecords(ctx, cp...)
	if err != nil {
		return nil, err
	}
	if err := s.createRefs(ctx, cp, recs); err != nil {
		return nil, err
	}
	return recs, s.writeEdges(ctx, cp...)
}

// createRefs creates the refs of ended runs whose records are durable, in
// one transaction. A ref that names the same record already is left alone;
// any other ref of the same id is a conflict (run ids are unique, and
// records immutable).
func (s *Store) createRefs(ctx context.Context, runs []*Run, recs []objects.ID) error {
	err := s.refs.Update(ctx, func(tx refs.Txn) error {
		for i, r := range runs {
			b, ok, err := tx.Get(runKey(r.ID))
			if err != nil {
				return err
			}
			if ok {
				rr, err := decodeRef(b)
				if err != nil {
					return fmt.Errorf("run %s: %w", r.ID, err)
				}
				if rr.Record == recs[i] {
					continue
				}
				return fmt.Errorf("%w: run %s is here already with record %s, not %s", ErrConflict, r.ID, rr.Record.Short(), recs[i].Short())
			}
			enc, err := (&runRef{Record: recs[i], Run: r}).encode()
			if err != nil {
				return err
			}
			if err := tx.Set(runKey(r.ID), enc); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("lineage: record runs: %w", err)
	}
	return nil
}

// Runs calls fn for every run in id order (so in start order). The runs
// are summaries: Inputs and Outputs are not filled in (see [Store.Get] and
// [Store.Versions]).
func (s *Store) Runs(ctx context.Context, fn func(*Run) error) error {
	return s.refs.Scan(ctx, []byte(runPrefix), func(k, v []byte) error {
		rr, err := decodeRef(v)
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		return fn(summary(rr.Run))
	})
}

// summaryOf returns the summary of run id, or nil if there is no such run.
func (s *Store) summaryOf(id string) (*Run, error) {
	rr, _, err := s.readRef(id)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return summary(rr.Run), nil
}

// Versions returns the versions run id used and logged, from the edges.
func (s *Store) Versions(ctx context.Context, id string) (inputs, outputs []VersionRef, err error) {
	for _, l := range []struct {
		k   EdgeKind
		out *[]VersionRef
	}{{Input, &inputs}, {Output, &outputs}} {
		err := s.scanRun(ctx, l.k, id, func(v VersionRef) error {
			*l.out = append(*l.out, v)
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("lineage: versions of run %s: %w", id, err)
		}
	}
	return inputs, outputs, nil
}

// LoggedBy returns summaries of the runs that logged the version with
// record id rec, and UsedBy those that used it, in start order. Runs whose
// refs are missing are left out.
func (s *Store) LoggedBy(ctx context.Context, rec objects.ID) ([]*Run, error) {
	return s.runsOf(ctx, Output, rec)
}

// UsedBy returns summaries of the runs that used the version with record
// id rec; see [Store.LoggedBy].
func (s *Store) UsedBy(ctx context.Context, rec objects.ID) ([]*Run, error) {
	return s.runsOf(ctx, Input, rec)
}

func (s *Store) runsOf(ctx context.Context, k EdgeKind, rec objects.ID) ([]*Run, error) {
	var out []*Run
	err := s.scanVersion(ctx, k, rec, func(run string, _ VersionRef) error {
		r, err := s.summaryOf(run)
		if r != nil {
			out = append(out, r)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("lineage: runs of %s: %w", rec.Short(), err)
	}
	return out, nil
}
