package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/lineage"
	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/registry"
	"github.com/trove-ml/trove/repo"
)

// Environment variables trove run sets for its command, so that trove
// commands it starts know which run they are part of.
const (
	// runIDEnv names the run.
	runIDEnv = "TROVE_RUN_ID"
	// runRepoEnv names the project folder of the repository the run is in:
	// a command working on another repository is not part of the run.
	runRepoEnv = "TROVE_RUN_REPO"
)

// defaultLineageDepth is how many runs away from a version `trove lineage`
// walks unless told otherwise: enough for "what made it, from what, made
// by what", small enough to stay readable and fast on long chains.
const defaultLineageDepth = 3

// openLineage returns the runs and lineage of an open repository.
func openLineage(r *repo.Repo) *lineage.Store {
	return lineage.New(lineage.Options{
		Refs: r.RefsKV(), Edges: r.MetaKV(repo.NSLineage), Objects: r.Store(), Logs: r.Refs(),
	})
}

// lineageError marks lineage's input errors (no such run, an ended run, a
// bad run) as usage errors: exit status 2, nothing written.
func lineageError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, lineage.ErrNotFound), errors.Is(err, lineage.ErrEnded),
		errors.Is(err, lineage.ErrInvalid), errors.Is(err, lineage.ErrAmbiguous):
		return &usageError{err}
	}
	return err
}

// runFlag is the --run flag of commands that may be part of a run.
func runFlag() cli.Flag {
	return &cli.StringFlag{
		Name:  "run",
		Usage: "record this as part of run `ID` (default: $" + runIDEnv + ", which trove run sets)",
	}
}

// runLink ties a command to the run it is part of. A nil *runLink is a
// command outside any run; its methods then do nothing.
type runLink struct {
	s  *lineage.Store
	id string
	// implicit is the one-command run a commit outside any run records,
	// finished and logged by logged.
	implicit *lineage.Run
	git      *lineage.GitInfo
}

// currentRun returns the run the command is part of: --run ID, else
// $TROVE_RUN_ID; nil outside any run. A run that does not exist or has
// ended is an error, checked before the command writes anything. A run
// from the environment that belongs to another repository (trove run in
// one project, a command on another) is no error: the command is then
// outside any run, and a note says so.
func currentRun(ctx context.Context, cmd *cli.Command, e env, r *repo.Repo) (*runLink, error) {
	id, explicit := cmd.String("run"), true
	if id == "" {
		id, explicit = e.getenv(runIDEnv), false
	}
	if id == "" {
		return nil, nil
	}
	s := openLineage(r)
	run, err := s.Active(ctx, id)
	if errors.Is(err, lineage.ErrNotFound) && !explicit {
		if other := e.getenv(runRepoEnv); other != "" && !sameDir(other, r.Root) {
			fmt.Fprintf(e.stderr, "trove: note: %s=%s is a run of %s, not of this repository (%s); not recording this as part of it\n",
				runIDEnv, id, other, r.Root)
			return nil, nil
		}
	}
	if err != nil {
		where := "--run"
		if !explicit {
			where = "$" + runIDEnv
		}
		return nil, lineageError(fmt.Errorf("%s: %w", where, err))
	}
	return &runLink{s: s, id: run.ID}, nil
}

func sameDir(a, b string) bool {
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	if err1 != nil || err2 != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return ra == rb
}

// commitRun returns the run a commit is part of, or prepares the implicit
// one-command run of a commit outside any run, so that every version has
// a producer. It also reads the project's Git state for the version's
// record.
func commitRun(ctx context.Context, cmd *cli.Command, e env, r *repo.Repo) (*runLink, error) {
	rl, err := currentRun(ctx, cmd, e, r)
	if err != nil {
		return nil, err
	}
	git := readGit(ctx, e, r.Root)
	if rl != nil {
		rl.git = git
		return rl, nil
	}
	s := openLineage(r)
	id, err := s.NewID()
	if err != nil {
		return nil, err
	}
	wd, err := workDir(cmd)
	if err != nil {
		return nil, err
	}
	args := append([]string{"trove"}, cmd.Root().Args().Slice()...)
	return &runLink{s: s, id: id, git: git, implicit: &lineage.Run{
		ID: id, JobType: "commit", Command: args, Dir: runDir(r.Root, wd),
		User: runUser(e), Host: hostName(), PID: os.Getpid(), Git: git,
		Started: time.Now().UTC(),
	}}, nil
}

// readGit reads the project's Git state; a failure is a warning, never a
// failed command (lineage is worth less than the user's commit).
func readGit(ctx context.Context, e env, dir string) *lineage.GitInfo {
	g, err := lineage.ReadGit(ctx, dir)
	if err != nil {
		fmt.Fprintf(e.stderr, "trove: warning: recording no Git state: %v\n", err)
		return nil
	}
	return g
}

func (rl *runLink) runID() string {
	if rl == nil {
		return ""
	}
	return rl.id
}

// gitInfo is the Git state for a version record.
func (rl *runLink) gitInfo() *manifest.GitInfo {
	if rl == nil || rl.git == nil {
		return nil
	}
	return &manifest.GitInfo{Commit: rl.git.Commit, Dirty: rl.git.Dirty}
}

// logged records that the run logged version v of artifact name, which
// exists now (new, or equal to the content committed). The implicit run
// of a commit is recorded whole here.
func (rl *runLink) logged(ctx context.Context, name string, v refs.Version) error {
	if rl == nil {
		return nil
	}
	ref := lineage.VersionRef{Record: v.Record, Artifact: name, Version: v.N}
	if rl.implicit != nil {
		run := rl.implicit
		run.Ended, run.State, run.Outputs = time.Now().UTC(), lineage.StateFinished, []lineage.VersionRef{ref}
		if run.Ended.Before(run.Started) {
			run.Ended = run.Started
		}
		if _, err := rl.s.Log(ctx, run); err != nil {
			return fmt.Errorf("%s:v%d was committed, but recording its run failed: %w", name, v.N, err)
		}
		return nil
	}
	if _, err := rl.s.AddOutput(ctx, rl.id, ref); err != nil {
		return fmt.Errorf("%s:v%d was committed, but recording it as an output of run %s failed: %w", name, v.N, rl.id, err)
	}
	return nil
}

// used records that the run used version v.
func (rl *runLink) used(ctx context.Context, v *repo.Resolved) error {
	if rl == nil {
		return nil
	}
	_, err := rl.s.AddInput(ctx, rl.id, lineage.VersionRef{Record: v.Version.Record, Artifact: v.Name, Version: v.Version.N})
	return lineageError(err)
}

// runDir is the folder a run works in, relative to the project when inside
// it (so records compare across clones), else absolute.
func runDir(root, wd string) string {
	abs, err := filepath.Abs(wd)
	if err != nil {
		return wd
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return abs
	}
	return filepath.ToSlash(rel)
}

// runUser names who runs: $TROVE_USER, else the login name (as repo does
// for versions).
func runUser(e env) string {
	if u := e.getenv("TROVE_USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

func hostName() string {
	h, _ := os.Hostname() // no host name is recorded as none
	return h
}

// runInfoJSON is how read commands show a run: the Run object of docs/CLI.md (stable).
type runInfoJSON struct {
	ID       string     `json:"id"`
	Name     string     `json:"name,omitempty"`
	JobType  string     `json:"jobType,omitempty"`
	State    string     `json:"state"`
	ExitCode *int       `json:"exitCode,omitempty"`
	Signal   string     `json:"signal,omitempty"`
	Started  time.Time  `json:"started"`
	Ended    *time.Time `json:"ended,omitempty"`
	User     string     `json:"user,omitempty"`
	Host     string     `json:"host,omitempty"`
	Command  []string   `json:"command"`
	Git      *gitJSON   `json:"git,omitempty"`
	// ProcessGone marks a run recorded as running whose trove process is
	// gone from this host (killed before it could record the end), as the
	// text's "running?" does.
	ProcessGone bool `json:"processGone,omitempty"`
}

type gitJSON struct {
	Commit string `json:"commit"`
	Dirty  bool   `json:"dirty"`
}

func runInfo(r *lineage.Run) runInfoJSON {
	j := runInfoJSON{
		ID: r.ID, Name: r.Name, JobType: r.JobType, State: string(r.State), Signal: r.Signal,
		Started: r.Started, User: r.User, Host: r.Host, Command: r.Command,
	}
	if j.Command == nil {
		j.Command = []string{}
	}
	if r.State == lineage.StateFinished || r.State == lineage.StateFailed {
		c := r.ExitCode
		j.ExitCode = &c
	}
	if !r.Ended.IsZero() {
		t := r.Ended
		j.Ended = &t
	}
	if r.Git != nil {
		j.Git = &gitJSON{r.Git.Commit, r.Git.Dirty}
	}
	j.ProcessGone = runProcessGone(r)
	return j
}

// runLine names a run in one line of text: `01J… "name" [job] finished`.
func runLine(r *lineage.Run) string {
	s := r.ID
	if r.Name != "" {
		s += fmt.Sprintf(" %q", r.Name)
	}
	if r.JobType != "" {
		s += " [" + r.JobType + "]"
	}
	if r.Name == "" && r.JobType == "" {
		s += " (" + r.Label() + ")"
	}
	return s + " " + r.Outcome()
}

// versionRuns returns the runs that logged and used the version with
// record id rec, for trove show.
func versionRuns(ctx context.Context, r *repo.Repo, v *repo.Resolved) (logged, used []runInfoJSON, err error) {
	s := openLineage(r)
	lb, err := s.LoggedBy(ctx, v.Version.Record)
	if err != nil {
		return nil, nil, err
	}
	ub, err := s.UsedBy(ctx, v.Version.Record)
	if err != nil {
		return nil, nil, err
	}
	logged, used = []runInfoJSON{}, []runInfoJSON{}
	for _, x := range lb {
		logged = append(logged, runInfo(x))
	}
	for _, x := range ub {
		used = append(used, runInfo(x))
	}
	return logged, used, nil
}

// maxShowRuns bounds the runs trove show lists per relation; lineage
// lists them all.
const maxShowRuns = 10

// printVersionRuns writes trove show's "logged by" and "used by" lines.
func printVersionRuns(e env, name string, logged, used []runInfoJSON) {
	for _, l := range []struct {
		what string
		runs []runInfoJSON
		flag string
	}{{"logged by", logged, "--upstream"}, {"used by", used, "--downstream"}} {
		if len(l.runs) == 0 {
			fmt.Fprintf(e.stdout, "%-11s-\n", l.what+":")
			continue
		}
		for i, j := range l.runs {
			if i == maxShowRuns {
				fmt.Fprintf(e.stdout, "%-11s… and %d more (trove lineage %s %s --depth 1)\n", "", len(l.runs)-i, name, l.flag)
				break
			}
			label := l.what + ":"
			if i > 0 {
				label = ""
			}
			fmt.Fprintf(e.stdout, "%-11srun %s\n", label, runLine(runOf(j)))
		}
	}
}

// runOf turns runInfoJSON back into the fields runLine shows.
func runOf(j runInfoJSON) *lineage.Run {
	r := &lineage.Run{ID: j.ID, Name: j.Name, JobType: j.JobType, State: lineage.State(j.State), Signal: j.Signal, Command: j.Command}
	if j.ExitCode != nil {
		r.ExitCode = *j.ExitCode
	}
	return r
}

type lineageOptions struct {
	direction lineage.Direction
	depth     int
	format    string
}

func newLineageCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "lineage",
		Usage:     "show the runs and versions around a version: what it was made from, what was made from it",
		ArgsUsage: "NAME[:ALIAS]",
		Description: "Walks the graph of runs and versions: upstream to the runs that logged the version and\n" +
			"the versions they used, downstream to the runs that used it and the versions they logged.\n" +
			"--depth counts runs (default 3; 0 walks everything). Formats: text (a tree), dot (Graphviz:\n" +
			"trove lineage NAME --format dot | dot -Tsvg -o lineage.svg) and json (stable; documented in\n" +
			"package lineage: nodes with kind, id, label; edges with from, to, kind).\n\n" + exitCodesHelp,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "depth", Value: defaultLineageDepth, Usage: "walk at most `N` runs away (0: no limit)"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: text, dot or json"},
			&cli.BoolFlag{Name: "json", Usage: "same as --format json"},
		},
		MutuallyExclusiveFlags: []cli.MutuallyExclusiveFlags{{Flags: [][]cli.Flag{
			{&cli.BoolFlag{Name: "upstream", Usage: "only where the version came from"}},
			{&cli.BoolFlag{Name: "downstream", Usage: "only what was made from it"}},
		}}},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			a, err := argsExactly(cmd, 1, "NAME[:ALIAS]")
			if err != nil {
				return err
			}
			o := lineageOptions{depth: int(cmd.Int("depth")), format: cmd.String("format")}
			if cmd.Bool("json") {
				o.format = "json"
			}
			switch o.format {
			case "text", "dot", "json":
			default:
				return usagef("lineage: --format %q: want text, dot or json", o.format)
			}
			if o.depth < 0 {
				return usagef("lineage: --depth %d: want 0 (no limit) or more", o.depth)
			}
			switch {
			case cmd.Bool("upstream"):
				o.direction = lineage.Upstream
			case cmd.Bool("downstream"):
				o.direction = lineage.Downstream
			}
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error { return runLineage(ctx, e, r, a[0], o) })
		},
	}
}

func runLineage(ctx context.Context, e env, r *repo.Repo, name string, o lineageOptions) error {
	v, err := r.ResolveOrFetch(ctx, name)
	if err != nil {
		return err
	}
	// The root's log is read already; a long one costs tens of
	// milliseconds to decode again.
	s := lineage.New(lineage.Options{
		Refs: r.RefsKV(), Edges: r.MetaKV(repo.NSLineage), Objects: r.Store(),
		Logs: knownLog{r.Refs(), v.Name, v.Log},
	})
	g, err := s.Graph(ctx, lineage.VersionRef{Record: v.Version.Record, Artifact: v.Name, Version: v.Version.N},
		lineage.GraphOptions{Direction: o.direction, Depth: o.depth})
	if err != nil {
		return err
	}
	// Versions linked into registries say so.
	err = g.AnnotateLinks(func(rec objects.ID) ([]string, error) {
		holds, err := registry.Holds(ctx, r.RefsKV(), rec)
		var out []string
		for _, h := range holds {
			l := h.String()
			if len(h.Aliases) > 0 {
				l += " " + strings.Join(h.Aliases, ",")
			}
			out = append(out, l)
		}
		return out, err
	})
	if err != nil {
		return err
	}
	switch o.format {
	case "json":
		return g.WriteJSON(e.stdout)
	case "dot":
		return g.WriteDOT(e.stdout)
	}
	return g.WriteText(e.stdout)
}

// knownLog serves one artifact's log already read, and the others from
// refs.
type knownLog struct {
	refs *refs.Refs
	name string
	log  *refs.Log
}

func (k knownLog) Log(ctx context.Context, name string) (*refs.Log, error) {
	if name == k.name {
		return k.log, nil
	}
	return k.refs.Log(ctx, name)
}
