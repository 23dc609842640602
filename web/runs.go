package web

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
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
		row := runRow{ID: r.ID, Label: r.Label(), Name: r.Name, JobType: r.JobType, State: string(r.State), Outcome: r.Outcome(),
			Started: r.Started, Ended: r.Ended, User: r.User, Host: r.Host, Command: commandLine(r.Command)}
		if r.Git != nil {
			row.Git = r.Git.Commit
		}
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
	Artifact string `json:"artifact"`
	Record   string `json:"record"`
	Then     int    `json:"then"`
	Current  int    `json:"current"`
	State    string `json:"state"`
	URL      string `json:"-"`
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
		runRow: runRow{ID: r.ID, Label: r.Label(), Name: r.Name, JobType: r.JobType, State: string(r.State), Outcome: r.Outcome(),
			Started: r.Started, Ended: r.Ended, User: r.User, Host: r.Host, Command: commandLine(r.Command),
			Inputs: len(r.Inputs), Outputs: len(r.Outputs)},
		Args: r.Command, Dir: r.Dir, PID: r.PID, Signal: r.Signal, Config: r.Config,
	}
	if v.Args == nil {
		v.Args = []string{}
	}
	if r.Git != nil {
		v.Git, v.GitDirty = r.Git.Commit, r.Git.Dirty
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
	names := &currentNames{q: q, logs: map[string]*refs.Log{}}
	if v.InputVersions, err = names.links(r.Inputs); err != nil {
		return err
	}
	if v.OutputVersions, err = names.links(r.Outputs); err != nil {
		return err
	}
	return s.render(q, "run", page{Title: "Run " + r.Label(), Section: "runs",
		Crumbs: []crumb{{"Runs", "/runs"}, {r.Label(), ""}}, Data: v})
}

// currentNames finds the current number and state of versions by record,
// reading each artifact's log once.
type currentNames struct {
	q    *request
	logs map[string]*refs.Log // nil value: no such artifact
}

func (c *currentNames) find(artifact string, record objects.ID, then int) (versionLink, error) {
	vl := versionLink{Artifact: artifact, Record: record.String(), Then: then, Current: then, State: "unknown"}
	l, ok := c.logs[artifact]
	if !ok {
		var err error
		l, err = c.q.repo.Refs().Log(c.q.Context(), artifact)
		if errors.Is(err, refs.ErrNotFound) {
			l, err = nil, nil
		}
		if err != nil {
			return vl, err
		}
		c.logs[artifact] = l
	}
	vl.URL = artifactURL(artifact)
	if l == nil {
		return vl, nil
	}
	for _, ver := range l.Versions {
		if ver.Record == record {
			vl.Current, vl.State = ver.N, ver.State
			vl.URL = versionURL(artifact, ver.N)
			if ver.State != refs.StateLive {
				vl.URL = lineageURL(artifact, ver.N)
			}
			break
		}
	}
	return vl, nil
}

func (c *currentNames) links(vs []lineage.VersionRef) ([]versionLink, error) {
	out := []versionLink{}
	for _, v := range vs {
		vl, err := c.find(v.Artifact, v.Record, v.Version)
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

// commandLine joins a command's arguments as a shell would read them:
// arguments with spaces or quotes are single-quoted.
func commandLine(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a != "" && !strings.ContainsAny(a, " \t\n'\"\\$`|&;<>()*?[]#~=%!{}") {
			b.WriteString(a)
			continue
		}
		b.WriteString("'" + strings.ReplaceAll(a, "'", `'\''`) + "'")
	}
	return b.String()
}
