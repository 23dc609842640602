package web

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/trove-ml/trove/lineage"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
)

// runsView lists runs, newest first.
type runsView struct {
	Runs []runRow `json:"runs"`
	// Before is where this page starts (runs started before that id);
	// More, when set, is the before= of the next page.
	Before string `json:"before,omitempty"`
	More   string `json:"more,omitempty"`
	Limit  int    `json:"limit"`
}

// runRow is a run in the list.
type runRow struct {
	ID      string    `json:"id"`
	Label   string    `json:"label"`
	Name    string    `json:"name,omitempty"`
	JobType string    `json:"jobType,omitempty"`
	State   string    `json:"state"`
	Outcome string    `json:"outcome"`
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended,omitzero"`
	User    string    `json:"user,omitempty"`
	Host    string    `json:"host,omitempty"`
	Command string    `json:"command"`
	Git     string    `json:"gitCommit,omitempty"`
	// Inputs and Outputs count the versions it used and logged.
	Inputs  int `json:"inputs"`
	Outputs int `json:"outputs"`
}

// runRowOf describes run r; the caller counts its inputs and outputs.
func runRowOf(r *lineage.Run) runRow {
	row := runRow{ID: r.ID, Label: r.Label(), Name: r.Name, JobType: r.JobType, State: string(r.State), Outcome: r.Outcome(),
		Started: r.Started, Ended: r.Ended, User: r.User, Host: r.Host, Command: r.CommandLine()}
	if r.Git != nil {
		row.Git = r.Git.Commit
	}
	return row
}

// runsPage lists runs newest first. Runs are kept in start order, so a
// page reads the run refs up to its start once, holding only limit+1 of
// them; each run on the page costs one edge scan for its counts.
func (s *Server) runsPage(q *request) error {
	limit, err := limitParam(q.Request, defaultLimit, maxLimit)
	if err != nil {
		return err
	}
	v := runsView{Before: lineage.NormalizeID(q.URL.Query().Get("before")), Limit: limit, Runs: []runRow{}}
	var window []*lineage.Run
	err = q.runs.Runs(q.Context(), func(r *lineage.Run) error {
		if v.Before != "" && r.ID >= v.Before {
			return errStopRuns
		}
		window = append(window, r)
		if len(window) > limit+1 {
			window = window[1:]
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStopRuns) {
		return err
	}
	if len(window) > limit {
		window = window[1:]
		v.More = window[0].ID
	}
	for i := len(window) - 1; i >= 0; i-- {
		r := window[i]
		row := runRowOf(r)
		in, out, err := q.runs.Versions(q.Context(), r.ID)
		if err != nil {
			return err
		}
		row.Inputs, row.Outputs = len(in), len(out)
		v.Runs = append(v.Runs, row)
	}
	return s.render(q, "runs", page{Title: "Runs", Section: "runs", Data: v})
}

var errStopRuns = errors.New("web: enough runs")

// runView is one run.
type runView struct {
	runRow
	Args     []string          `json:"args"`
	Dir      string            `json:"dir,omitempty"`
	PID      int               `json:"pid,omitempty"`
	GitDirty bool              `json:"gitDirty,omitempty"`
	ExitCode *int              `json:"exitCode,omitempty"`
	Signal   string            `json:"signal,omitempty"`
	Duration string            `json:"duration,omitempty"`
	Config   map[string]string `json:"config,omitempty"`
	// ConfigKeys is Config's keys in order, for the page.
	ConfigKeys []string `json:"-"`
	// InputVersions and OutputVersions are what it used and logged.
	InputVersions  []versionLink `json:"inputVersions"`
	OutputVersions []versionLink `json:"outputVersions"`
}

// versionLink names a version a run or a link points at, by record, with
// its number now (Current; it may differ from the number when the edge or
// link was made) and its state: live, deleted, or unknown when no
// artifact log here names the record.
type versionLink struct {
	Artifact string        `json:"artifact"`
	Record   string        `json:"record"`
	Then     versionNumber `json:"then"`
	Current  versionNumber `json:"current"`
	State    string        `json:"state"`
	URL      string        `json:"-"`
}

func (s *Server) runPage(q *request) error {
	id := lineage.NormalizeID(q.PathValue("id"))
	if !lineage.ValidID(id) {
		return &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("%q is not a run id (26 characters, as the runs page lists them)", visible(q.PathValue("id")))}
	}
	r, err := q.runs.Get(q.Context(), id)
	if err != nil {
		return err
	}
	v := runView{
		runRow: runRowOf(r),
		Args:   r.Command, Dir: r.Dir, PID: r.PID, Signal: r.Signal, Config: r.Config,
	}
	v.Inputs, v.Outputs = len(r.Inputs), len(r.Outputs)
	if v.Args == nil {
		v.Args = []string{}
	}
	if r.Git != nil {
		v.GitDirty = r.Git.Dirty
	}
	if r.State == lineage.StateFinished || r.State == lineage.StateFailed {
		code := r.ExitCode
		v.ExitCode = &code
	}
	if !r.Ended.IsZero() {
		v.Duration = r.Ended.Sub(r.Started).Round(time.Millisecond).String()
	}
	for k := range r.Config {
		v.ConfigKeys = append(v.ConfigKeys, k)
	}
	sort.Strings(v.ConfigKeys)
	if v.InputVersions, err = q.versionLinks(r.Inputs); err != nil {
		return err
	}
	if v.OutputVersions, err = q.versionLinks(r.Outputs); err != nil {
		return err
	}
	return s.render(q, "run", page{Title: "Run " + r.Label(), Section: "runs",
		Crumbs: []crumb{{"Runs", "/runs"}, {r.Label(), ""}}, Data: v})
}

// versionLink finds the current number and state of a version by record,
// in its artifact's log (read once per request: see request.Log).
func (q *request) versionLink(artifact string, record objects.ID, then int) (versionLink, error) {
	vl := versionLink{Artifact: artifact, Record: record.String(), Then: versionNumber(then), Current: versionNumber(then), State: "unknown"}
	l, err := q.Log(q.Context(), artifact)
	switch {
	case errors.Is(err, refs.ErrNotFound):
		l = nil
	case err != nil:
		return vl, err
	}
	if l != nil {
		for _, ver := range l.Versions {
			if ver.Record == record {
				vl.Current, vl.State = versionNumber(ver.N), ver.State
				break
			}
		}
	}
	vl.URL = versionLinkURL(artifact, vl.Current, vl.State)
	return vl, nil
}

// versionLinks names the versions vs for a page, in artifact and number
// order.
func (q *request) versionLinks(vs []lineage.VersionRef) ([]versionLink, error) {
	out := []versionLink{}
	for _, v := range vs {
		vl, err := q.versionLink(v.Artifact, v.Record, v.Version)
		if err != nil {
			return nil, err
		}
		out = append(out, vl)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Artifact != out[j].Artifact {
			return out[i].Artifact < out[j].Artifact
		}
		return out[i].Current < out[j].Current
	})
	return out, nil
}
