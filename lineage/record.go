package lineage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/trove-ml/trove/internal/canon"
	"github.com/trove-ml/trove/objects"
)

// Run record format (blob type 5).
const (
	// RecordFormat is the run record format this package writes and the
	// highest it reads.
	RecordFormat = 1
	// MinRecordFormat is the lowest run record format this package reads.
	MinRecordFormat = 1
)

// ErrUnsupportedFormat means a run record or ref was written in a format
// this trove does not read (a newer trove wrote it).
var ErrUnsupportedFormat = errors.New("lineage: unsupported format")

// runJSON is the wire form of a run: the canonical encoding is
// encoding/json's output for this struct (fields in this order, map keys
// sorted, empty optional fields left out).
type runJSON struct {
	Format   int               `json:"format"`
	ID       string            `json:"id"`
	Name     string            `json:"name,omitempty"`
	JobType  string            `json:"jobType,omitempty"`
	Config   map[string]string `json:"config,omitempty"`
	Command  []string          `json:"command,omitempty"`
	Dir      string            `json:"dir,omitempty"`
	User     string            `json:"user,omitempty"`
	Host     string            `json:"host,omitempty"`
	PID      int               `json:"pid,omitempty"`
	Git      *gitJSON          `json:"git,omitempty"`
	Started  string            `json:"started"`
	Ended    string            `json:"ended,omitempty"`
	State    State             `json:"state"`
	ExitCode *int              `json:"exitCode,omitempty"`
	Signal   string            `json:"signal,omitempty"`
	Inputs   []versionJSON     `json:"inputs,omitempty"`
	Outputs  []versionJSON     `json:"outputs,omitempty"`
}

type gitJSON struct {
	Commit string `json:"commit"`
	Dirty  bool   `json:"dirty"`
}

type versionJSON struct {
	Record   string `json:"record"`
	Artifact string `json:"artifact"`
	Version  int    `json:"version"`
}

func timeString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func (r *Run) wire() runJSON {
	w := runJSON{
		Format: RecordFormat, ID: r.ID, Name: r.Name, JobType: r.JobType, Config: r.Config,
		Command: r.Command, Dir: r.Dir, User: r.User, Host: r.Host, PID: r.PID,
		Started: timeString(r.Started), Ended: timeString(r.Ended), State: r.State, Signal: r.Signal,
	}
	if len(w.Config) == 0 {
		w.Config = nil
	}
	if len(w.Command) == 0 {
		w.Command = nil
	}
	if r.Git != nil {
		w.Git = &gitJSON{Commit: r.Git.Commit, Dirty: r.Git.Dirty}
	}
	if r.State == StateFinished || r.State == StateFailed {
		code := r.ExitCode
		w.ExitCode = &code
	}
	for _, v := range r.Inputs {
		w.Inputs = append(w.Inputs, versionJSON{v.Record.String(), v.Artifact, v.Version})
	}
	for _, v := range r.Outputs {
		w.Outputs = append(w.Outputs, versionJSON{v.Record.String(), v.Artifact, v.Version})
	}
	return w
}

// encode returns the canonical encoding of r after checking it.
func (r *Run) encode() ([]byte, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(r.wire())
	if err != nil {
		return nil, fmt.Errorf("lineage: encode run %s: %w", r.ID, err)
	}
	if len(b) > MaxRecordSize {
		return nil, invalidf("run %s: %d bytes encoded (the limit is %d)", r.ID, len(b), MaxRecordSize)
	}
	return b, nil
}

// EncodeRecord returns the run record of an ended run: canonical JSON
// (format in the package documentation), stored as a blob of type
// [objects.TypeRun]. A running run, or one that cannot be recorded, is an
// error wrapping [ErrInvalid].
func EncodeRecord(r *Run) ([]byte, error) {
	if r.State == StateRunning {
		return nil, invalidf("run %s is still running: only ended runs have records", r.ID)
	}
	return r.encode()
}

// DecodeRecord decodes a run record. It accepts exactly the bytes
// [EncodeRecord] produces: anything else (unknown or repeated fields,
// another order, spacing or escaping, unsorted inputs, a running state) is
// an error wrapping [ErrCorrupt]; a format outside
// [MinRecordFormat]..[RecordFormat] is an error wrapping
// [ErrUnsupportedFormat]. The result does not alias b.
func DecodeRecord(b []byte) (*Run, error) {
	r, err := decodeRun(b)
	if err != nil {
		return nil, err
	}
	if r.State == StateRunning {
		return nil, corruptf("run record %s: state running (records are written when runs end)", r.ID)
	}
	return r, nil
}

// decodeRun decodes a canonical run encoding, running or not.
func decodeRun(b []byte) (*Run, error) {
	if len(b) > MaxRecordSize {
		return nil, corruptf("run: %d bytes (the limit is %d)", len(b), MaxRecordSize)
	}
	var w runJSON
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&w); err != nil || w.Format != RecordFormat {
		// Say why: a format from a newer trove reads better than the
		// unknown field it brought.
		if ferr := checkFormat("run", b); ferr != nil {
			return nil, ferr
		}
		return nil, corruptf("run: %v", err)
	}
	r, err := w.run()
	if err != nil {
		return nil, err
	}
	again, err := r.encode()
	if err != nil {
		return nil, corruptf("run %.40s: %v", w.ID, err)
	}
	if !bytes.Equal(again, b) {
		return nil, corruptf("run %.40s is not in canonical form (differs from byte %d)", w.ID, canon.FirstDiff(again, b))
	}
	return r, nil
}

func (w *runJSON) run() (*Run, error) {
	r := &Run{
		ID: w.ID, Name: w.Name, JobType: w.JobType, Config: w.Config, Command: w.Command,
		Dir: w.Dir, User: w.User, Host: w.Host, PID: w.PID, State: w.State, Signal: w.Signal,
	}
	if w.Git != nil {
		r.Git = &GitInfo{Commit: w.Git.Commit, Dirty: w.Git.Dirty}
	}
	if w.ExitCode != nil {
		r.ExitCode = *w.ExitCode
	}
	var err error
	if r.Started, err = parseTime(w.Started); err != nil {
		return nil, corruptf("run %.40s: started: %v", w.ID, err)
	}
	if w.Ended != "" {
		if r.Ended, err = parseTime(w.Ended); err != nil {
			return nil, corruptf("run %.40s: ended: %v", w.ID, err)
		}
	}
	for _, l := range []struct {
		in  []versionJSON
		out *[]VersionRef
	}{{w.Inputs, &r.Inputs}, {w.Outputs, &r.Outputs}} {
		for _, v := range l.in {
			id, err := objects.ParseCanonicalID(v.Record)
			if err != nil {
				return nil, corruptf("run %.40s: version %.40s: %v", w.ID, v.Artifact, err)
			}
			*l.out = append(*l.out, VersionRef{Record: id, Artifact: v.Artifact, Version: v.Version})
		}
	}
	return r, nil
}

// checkFormat reads the "format" field of a JSON object and checks it is
// one this package reads.
func checkFormat(what string, b []byte) error {
	var head struct {
		Format *json.Number `json:"format"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return corruptf("%s: %v", what, err)
	}
	if head.Format == nil {
		return corruptf("%s: no format field", what)
	}
	if v, err := head.Format.Int64(); err != nil || v < MinRecordFormat || v > RecordFormat {
		return fmt.Errorf("%w: %s format %s (reads %d..%d)", ErrUnsupportedFormat, what, head.Format, MinRecordFormat, RecordFormat)
	}
	return nil
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}
