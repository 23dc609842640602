package lineage

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/trove-ml/trove/internal/canon"
	"github.com/trove-ml/trove/objects"
)

// runPrefix is the ref name prefix of runs.
const runPrefix = "runs/"

func runKey(id string) []byte { return []byte(runPrefix + id) }

// runRef is the value of the ref "runs/<id>". While the run is running it
// holds the whole run (inputs and outputs grow in it) and no record; once
// the run has ended it names the run record and keeps the run without its
// inputs and outputs as a summary for listings (the record and the edges
// hold those).
type runRef struct {
	Record objects.ID // zero while running
	Run    *Run
}

type refJSON struct {
	Format int             `json:"format"`
	Record string          `json:"record,omitempty"`
	Run    json.RawMessage `json:"run"`
}

// summary returns r without inputs and outputs.
func summary(r *Run) *Run {
	s := r.clone()
	s.Inputs, s.Outputs = nil, nil
	return s
}

func (rr *runRef) encode() ([]byte, error) {
	run := rr.Run
	if !rr.Record.IsZero() {
		run = summary(run)
	}
	if rr.Record.IsZero() != (run.State == StateRunning) {
		return nil, invalidf("run %s: ref with record %v in state %s", run.ID, !rr.Record.IsZero(), run.State)
	}
	rb, err := run.encode()
	if err != nil {
		return nil, err
	}
	return rr.wrap(rb)
}

// wrap returns the ref's encoding around the canonical encoding of its
// run: what json.Marshal of refJSON gives, built directly.
func (rr *runRef) wrap(rb []byte) ([]byte, error) {
	b := make([]byte, 0, len(rb)+100)
	b = append(b, `{"format":`...)
	b = strconv.AppendInt(b, RecordFormat, 10)
	if !rr.Record.IsZero() {
		b = append(b, `,"record":"`...)
		b = append(b, rr.Record.String()...)
		b = append(b, '"')
	}
	b = append(b, `,"run":`...)
	b = append(b, rb...)
	b = append(b, '}')
	if len(b) > MaxRecordSize {
		return nil, invalidf("run %s: ref is %d bytes (the limit is %d)", rr.Run.ID, len(b), MaxRecordSize)
	}
	return b, nil
}

// decodeRef decodes a run ref, accepting only its canonical encoding.
func decodeRef(b []byte) (*runRef, error) {
	if len(b) > MaxRecordSize {
		return nil, corruptf("run ref: %d bytes (the limit is %d)", len(b), MaxRecordSize)
	}
	var w refJSON
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&w); err != nil || w.Format != RecordFormat {
		if ferr := checkFormat("run ref", b); ferr != nil {
			return nil, ferr
		}
		return nil, corruptf("run ref: %v", err)
	}
	run, err := decodeRun(w.Run)
	if err != nil {
		return nil, err
	}
	rr := &runRef{Run: run}
	if w.Record != "" {
		if rr.Record, err = objects.ParseCanonicalID(w.Record); err != nil {
			return nil, corruptf("run ref %s: %v", run.ID, err)
		}
		if len(run.Inputs)+len(run.Outputs) > 0 {
			return nil, corruptf("run ref %s: an ended run's ref lists inputs or outputs", run.ID)
		}
	}
	if rr.Record.IsZero() != (run.State == StateRunning) {
		return nil, corruptf("run ref %s: record %v in state %s", run.ID, !rr.Record.IsZero(), run.State)
	}
	// The run's bytes were checked canonical; the wrapper must be too.
	again, err := rr.wrap(w.Run)
	if err != nil {
		return nil, corruptf("run ref %s: %v", run.ID, err)
	}
	if !bytes.Equal(again, b) {
		return nil, corruptf("run ref %s is not in canonical form (differs from byte %d)", run.ID, canon.FirstDiff(again, b))
	}
	return rr, nil
}

// summaryJSON is the part of a run ref that graphs show.
type summaryJSON struct {
	Record string `json:"record"`
	Run    struct {
		ID       string   `json:"id"`
		Name     string   `json:"name"`
		JobType  string   `json:"jobType"`
		Command  []string `json:"command"`
		Git      *gitJSON `json:"git"`
		Started  string   `json:"started"`
		Ended    string   `json:"ended"`
		State    State    `json:"state"`
		ExitCode int      `json:"exitCode"`
		Signal   string   `json:"signal"`
	} `json:"run"`
}

// decodeSummary decodes the fields of a run ref that a graph shows, three
// times faster than [decodeRef] because it neither checks the encoding is
// canonical nor validates every field: graphs of 10,000 runs read 10,000
// refs. It is for display only; anything that writes uses decodeRef.
func decodeSummary(b []byte) (*Run, error) {
	var w summaryJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, corruptf("run ref: %v", err)
	}
	r := &Run{
		ID: w.Run.ID, Name: w.Run.Name, JobType: w.Run.JobType, Command: w.Run.Command,
		State: w.Run.State, ExitCode: w.Run.ExitCode, Signal: w.Run.Signal,
	}
	if !ValidID(r.ID) || !r.State.valid() {
		return nil, corruptf("run ref %.40q: bad id or state %.20q", r.ID, r.State)
	}
	if g := w.Run.Git; g != nil {
		r.Git = &GitInfo{Commit: g.Commit, Dirty: g.Dirty}
	}
	var err error
	if r.Started, err = parseTime(w.Run.Started); err != nil {
		return nil, corruptf("run ref %s: started: %v", r.ID, err)
	}
	if w.Run.Ended != "" {
		if r.Ended, err = parseTime(w.Run.Ended); err != nil {
			return nil, corruptf("run ref %s: ended: %v", r.ID, err)
		}
	}
	return r, nil
}
