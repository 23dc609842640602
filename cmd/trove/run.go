package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/lineage"
	"github.com/trove-ml/trove/repo"
)

// Exit statuses of trove run besides its command's own, as a shell gives
// them.
const (
	exitCannotExecute = 126 // the command exists but cannot be executed
	exitNotFound      = 127 // no such command
	exitSignalBase    = 128 // + the signal that killed the command
)

const runHelp = `Runs COMMAND as a recorded run. trove records the run (id, name, job type, config,
command line, folder, user, host, the project's Git commit and whether tracked files
were dirty), starts COMMAND with ` + runIDEnv + ` set, and records how it ended. Inside
the run, 'trove commit' records outputs and 'trove pull' and 'trove use' record inputs.
trove does not hold the repository while COMMAND runs, so COMMAND can run trove itself.

Flags go before the command; '--' ends them (needed when COMMAND starts with '-').
SIGINT, SIGTERM and SIGHUP sent to trove are passed to COMMAND (a Ctrl-C at a terminal
reaches COMMAND directly and is not passed twice).

EXIT STATUS:
   the command's own exit status (0 when it succeeded)
   128+N  a signal N killed the command (the run is recorded as killed)
   126    the command cannot be executed, 127 it (or its script's interpreter) is not found:
          nothing is recorded when trove finds that before starting it (not on $PATH, not an
          executable file); a command that fails as it starts is recorded as failed
   1, 2, 4  trove failed before the command started (2: bad flags; 4: repository locked)`

type runOptions struct {
	name, jobType string
	config        map[string]string
	command       []string
	help          bool
}

func newRunCommand(e env) *cli.Command {
	return &cli.Command{
		Name:        "run",
		Usage:       "run a command as a recorded run: what it used and logged, at which Git commit, how it ended",
		ArgsUsage:   "[--name N] [--job-type J] [--config KEY=VALUE]... [--] COMMAND [ARG...]",
		Description: runHelp,
		// Flags after COMMAND belong to COMMAND, so trove parses its own
		// (parseRunArgs); these are listed for --help only.
		SkipFlagParsing: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "name", Usage: "`NAME` of the run"},
			&cli.StringFlag{Name: "job-type", Usage: "`TYPE` of job (train, eval, …), to group runs"},
			&cli.StringSliceFlag{Name: "config", Usage: "configuration `KEY=VALUE`; repeatable"},
		},
		Commands: []*cli.Command{newRunShowCommand(e)},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			o, err := parseRunArgs(cmd.Args().Slice())
			if err != nil {
				return err
			}
			if o.help {
				return cli.ShowSubcommandHelp(cmd)
			}
			return runRun(ctx, cmd, e, o)
		},
	}
}

// parseRunArgs parses trove run's own flags, which end at "--" or at the
// first argument that is not one of them.
func parseRunArgs(args []string) (runOptions, error) {
	var o runOptions
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			o.command = args[i+1:]
			i = len(args)
			continue
		case a == "-h" || a == "--help":
			o.help = true
			return o, nil
		case !strings.HasPrefix(a, "-") || a == "-":
			o.command = args[i:]
			i = len(args)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch name {
		case "name", "job-type", "config":
		default:
			return o, usagef("run: unknown flag %s (trove run [--name N] [--job-type J] [--config K=V]... -- COMMAND; flags of COMMAND go after it)", a)
		}
		if !hasVal {
			if i+1 >= len(args) {
				return o, usagef("run: flag --%s needs a value", name)
			}
			i++
			val = args[i]
		}
		switch name {
		case "name":
			o.name = val
		case "job-type":
			o.jobType = val
		case "config":
			k, v, ok := strings.Cut(val, "=")
			if !ok || k == "" {
				return o, usagef("run: --config %q: want KEY=VALUE", val)
			}
			if o.config == nil {
				o.config = map[string]string{}
			}
			if prev, ok := o.config[k]; ok && prev != v {
				return o, usagef("run: --config %s given twice (%q and %q): give each key once", k, prev, v)
			}
			o.config[k] = v
		}
	}
	if len(o.command) == 0 {
		return o, usagef("run: no command given (trove run [flags] -- COMMAND [ARG...])")
	}
	return o, nil
}

// lookCommand finds the program a run starts, as a shell would: a name
// with a slash is a path (relative to the run's folder), any other is
// looked up in $PATH. The error carries the shell's exit status.
func lookCommand(name, dir string) (string, error) {
	if strings.ContainsRune(name, '/') || strings.ContainsRune(name, filepath.Separator) {
		p := name
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		fi, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "", &exitCodeError{exitNotFound, fmt.Errorf("run: %s: no such file (nothing was recorded)", name)}
		case err != nil:
			return "", &exitCodeError{exitCannotExecute, fmt.Errorf("run: %s: %v (nothing was recorded)", name, err)}
		case fi.IsDir() || fi.Mode()&0o111 == 0:
			return "", &exitCodeError{exitCannotExecute, fmt.Errorf("run: %s: not an executable file (nothing was recorded)", name)}
		}
		return p, nil
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", &exitCodeError{exitNotFound, fmt.Errorf("run: %s: command not found in $PATH (nothing was recorded)", name)}
	}
	return p, nil
}

// runRun records a run around a command. Order: the repository is opened
// to record the start and closed before the command starts (it may run
// trove itself, and one process holds the repository at a time); it is
// opened again to record the end.
func runRun(ctx context.Context, cmd *cli.Command, e env, o runOptions) error {
	wd, err := workDir(cmd)
	if err != nil {
		return err
	}
	if wd, err = filepath.Abs(wd); err != nil {
		return err
	}
	path, err := lookCommand(o.command[0], wd)
	if err != nil {
		return err
	}
	// Signals are caught from here on: one that arrives before the command
	// starts keeps it from starting, and the run is recorded as killed.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwarded()...)
	defer signal.Stop(sigs)
	var run *lineage.Run
	var root string
	err = withRepo(ctx, cmd, e, func(r *repo.Repo) error {
		root = r.Root
		run, err = openLineage(r).Start(ctx, lineage.StartOptions{
			Name: o.name, JobType: o.jobType, Config: o.config, Command: o.command, Dir: runDir(r.Root, wd),
			User: runUser(e), Host: hostName(), PID: os.Getpid(), Git: readGit(ctx, e, r.Root),
		})
		return lineageError(err)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "trove: run %s started: %s\n", run.ID, run.CommandLine())

	end, startErr := execRun(e, sigs, run.ID, root, wd, path, o.command)
	code := exitCodeOfEnd(end)
	// The end is recorded even when trove itself was interrupted: the
	// signal went to the command, whose end is what is recorded.
	ctx = context.WithoutCancel(ctx)
	var fin *lineage.Run
	err = withRepo(ctx, cmd, e, func(r *repo.Repo) error {
		fin, err = openLineage(r).Finish(ctx, run.ID, end)
		return err
	})
	if err != nil {
		err = fmt.Errorf("run %s: %s ended (exit status %d), but recording the end failed: %w", run.ID, o.command[0], code, err)
		if code == 0 {
			return err
		}
		return &exitCodeError{code, err}
	}
	if startErr != nil {
		return &exitCodeError{code, fmt.Errorf("run %s: %s: %v (recorded as failed)", run.ID, o.command[0], startErr)}
	}
	summary := fmt.Sprintf("run %s %s: %s", run.ID, fin.Outcome(), fin.CommandLine())
	if code != 0 {
		return &exitCodeError{code, errors.New(summary)}
	}
	fmt.Fprintf(e.stderr, "trove: %s\n", summary)
	return nil
}

// exitCodeOfEnd is trove run's exit status for a command that ended so.
func exitCodeOfEnd(end lineage.End) int {
	if end.Signal != "" {
		return exitSignalBase + signalNumber(end.Signal)
	}
	return end.ExitCode
}

// forwarded are the signals trove passes to the command.
func forwarded() []os.Signal {
	return []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}
}

// execRun runs the command to its end, passing it the signals trove gets
// on sigs, and says how it ended. A command that cannot be started ended
// with the shell's status (126 or 127) and the error.
func execRun(e env, sigs <-chan os.Signal, id, root, dir, path string, command []string) (lineage.End, error) {
	c := exec.Command(path, command[1:]...)
	c.Args[0] = command[0]
	c.Dir = dir
	c.Env = append(os.Environ(), runIDEnv+"="+id, runRepoEnv+"="+root)
	c.Stdin, c.Stdout, c.Stderr = e.stdin, e.stdout, e.stderr

	select {
	case sig := <-sigs:
		if s, ok := sig.(syscall.Signal); ok {
			return lineage.End{Signal: signalName(s)}, nil
		}
	default:
	}
	if err := c.Start(); err != nil {
		code := exitCannotExecute
		if errors.Is(err, fs.ErrNotExist) {
			code = exitNotFound
		}
		return lineage.End{ExitCode: code}, err
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	for {
		select {
		case sig := <-sigs:
			// A terminal sends Ctrl-C (and a hang-up) to its whole
			// foreground process group, the command included; passing it
			// on would deliver it twice.
			if sig == syscall.SIGTERM || !inForeground() {
				_ = c.Process.Signal(sig) // the command may have ended already
			}
		case <-done:
			ws, ok := c.ProcessState.Sys().(syscall.WaitStatus)
			if ok && ws.Signaled() {
				return lineage.End{Signal: signalName(ws.Signal())}, nil
			}
			return lineage.End{ExitCode: c.ProcessState.ExitCode()}, nil
		}
	}
}

func newRunShowCommand(e env) *cli.Command {
	return &cli.Command{
		Name:        "show",
		Usage:       "show one run: what ran, where, how it ended, its inputs and outputs",
		ArgsUsage:   "ID",
		Description: "ID may be any unique prefix of the run's id, in either case.\n\n" + exitCodesHelp,
		Flags:       []cli.Flag{&cli.BoolFlag{Name: "json", Usage: jsonUsage}},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			a := cmd.Args().Slice()
			if len(a) != 1 {
				return usagef("run show: want one run ID (see trove runs; trove run show --help)")
			}
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error { return runShowRun(ctx, e, r, a[0], cmd.Bool("json")) })
		},
	}
}

type runVersionJSON struct {
	Artifact string `json:"artifact"`
	// Version is the version's number now; VersionThen the number it had
	// when the run used or logged it (they differ after renumbering).
	Version     string `json:"version"`
	VersionThen string `json:"versionThen"`
	Record      string `json:"record"`
	State       string `json:"state"`
}

type runShowJSON struct {
	runInfoJSON
	Config  map[string]string `json:"config"`
	Dir     string            `json:"dir,omitempty"`
	PID     int               `json:"pid,omitempty"`
	Record  string            `json:"record,omitempty"`
	Inputs  []runVersionJSON  `json:"inputs"`
	Outputs []runVersionJSON  `json:"outputs"`
}

func runShowRun(ctx context.Context, e env, r *repo.Repo, id string, asJSON bool) error {
	s := openLineage(r)
	run, err := s.Find(ctx, id)
	if err != nil {
		return lineageError(err)
	}
	rec, err := s.RecordID(run.ID)
	if err != nil {
		return err
	}
	j := runShowJSON{runInfoJSON: runInfo(run), Config: run.Config, Dir: run.Dir, PID: run.PID}
	if j.Config == nil {
		j.Config = map[string]string{}
	}
	if !rec.IsZero() {
		j.Record = rec.String()
	}
	for _, l := range []struct {
		vs  []lineage.VersionRef
		out *[]runVersionJSON
	}{{run.Inputs, &j.Inputs}, {run.Outputs, &j.Outputs}} {
		*l.out = []runVersionJSON{}
		nodes, err := s.VersionNodes(ctx, l.vs)
		if err != nil {
			return err
		}
		order := make([]int, len(nodes))
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool {
			x, y := nodes[order[a]].Version, nodes[order[b]].Version
			return x.Artifact < y.Artifact || x.Artifact == y.Artifact && x.Version < y.Version
		})
		for _, i := range order {
			n := nodes[i]
			*l.out = append(*l.out, runVersionJSON{
				Artifact: n.Version.Artifact, Version: fmt.Sprintf("v%d", n.Version.Version),
				VersionThen: fmt.Sprintf("v%d", l.vs[i].Version), Record: n.ID, State: n.VersionState,
			})
		}
	}
	if asJSON {
		return printJSON(e.stdout, j)
	}
	w := e.stdout
	fmt.Fprintf(w, "run %s\n", runLine(run))
	if run.Name != "" {
		fmt.Fprintf(w, "name:     %s\n", run.Name)
	}
	if run.JobType != "" {
		fmt.Fprintf(w, "job type: %s\n", run.JobType)
	}
	fmt.Fprintf(w, "state:    %s\n", outcome(run))
	fmt.Fprintf(w, "command:  %s\n", run.CommandLine())
	if run.Dir != "" {
		fmt.Fprintf(w, "folder:   %s\n", run.Dir)
	}
	fmt.Fprintf(w, "by:       %s", run.User)
	if run.Host != "" {
		fmt.Fprintf(w, "@%s", run.Host)
	}
	fmt.Fprintln(w)
	if g := run.Git; g != nil {
		dirty := ""
		if g.Dirty {
			dirty = " (dirty: tracked files differed from it)"
		}
		fmt.Fprintf(w, "git:      %s%s\n", g.Commit, dirty)
	}
	fmt.Fprintf(w, "started:  %s\n", humanTime(run.Started))
	if !run.Ended.IsZero() {
		fmt.Fprintf(w, "ended:    %s (%s)\n", humanTime(run.Ended), run.Ended.Sub(run.Started).Round(time.Millisecond))
	}
	if len(run.Config) > 0 {
		fmt.Fprintf(w, "config:\n")
		for _, k := range sortedKeys(run.Config) {
			fmt.Fprintf(w, "  %s=%s\n", k, run.Config[k])
		}
	}
	if j.Record != "" {
		fmt.Fprintf(w, "record:   %s\n", j.Record)
	}
	for _, l := range []struct {
		what string
		vs   []runVersionJSON
	}{{"inputs", j.Inputs}, {"outputs", j.Outputs}} {
		if len(l.vs) == 0 {
			fmt.Fprintf(w, "%s:   none\n", l.what)
			continue
		}
		fmt.Fprintf(w, "%s:\n", l.what)
		for _, v := range l.vs {
			fmt.Fprintf(w, "  %s:%s", v.Artifact, v.Version)
			if v.VersionThen != v.Version {
				fmt.Fprintf(w, " (%s then)", v.VersionThen)
			}
			if v.State != "live" {
				fmt.Fprintf(w, " (%s)", v.State)
			}
			fmt.Fprintf(w, "  %s\n", v.Record[:12])
		}
	}
	return nil
}

func newRunsCommand(e env) *cli.Command {
	return &cli.Command{
		Name:        "runs",
		Usage:       "list runs, newest first",
		Description: "Shows each run's id, state, job type, name, start, duration and how many versions it\nused (IN) and logged (OUT). 'trove run show ID' shows one run.\n\n" + exitCodesHelp,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "limit", Aliases: []string{"n"}, Usage: "list at most `N` runs (0: all)"},
			&cli.StringFlag{Name: "job-type", Usage: "list only runs of job `TYPE`"},
			&cli.BoolFlag{Name: "json", Usage: jsonUsage},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if _, err := argsExactly(cmd, 0, "none"); err != nil {
				return err
			}
			if cmd.Int("limit") < 0 {
				return usagef("runs: --limit %d: want 0 (all) or more", cmd.Int("limit"))
			}
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
				return runRuns(ctx, e, r, int(cmd.Int("limit")), cmd.String("job-type"), cmd.Bool("json"))
			})
		},
	}
}

type runsJSON struct {
	runInfoJSON
	Inputs  int `json:"inputs"`
	Outputs int `json:"outputs"`
}

func runRuns(ctx context.Context, e env, r *repo.Repo, limit int, jobType string, asJSON bool) error {
	s := openLineage(r)
	var runs []*lineage.Run
	err := s.Runs(ctx, func(run *lineage.Run) error {
		if jobType == "" || run.JobType == jobType {
			runs = append(runs, run)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Ids sort by start time: newest first is the reverse.
	for i, j := 0, len(runs)-1; i < j; i, j = i+1, j-1 {
		runs[i], runs[j] = runs[j], runs[i]
	}
	if limit > 0 && len(runs) > limit {
		runs = runs[:limit]
	}
	out := make([]runsJSON, 0, len(runs))
	for _, run := range runs {
		in, outs, err := s.Versions(ctx, run.ID)
		if err != nil {
			return err
		}
		out = append(out, runsJSON{runInfoJSON: runInfo(run), Inputs: len(in), Outputs: len(outs)})
	}
	if asJSON {
		return printJSON(e.stdout, out)
	}
	if len(out) == 0 {
		fmt.Fprintln(e.stdout, "no runs (record one with: trove run -- COMMAND)")
		return nil
	}
	tw := newTable(e.stdout)
	fmt.Fprintln(tw, "ID\tSTATE\tJOB TYPE\tNAME\tSTARTED\tDURATION\tIN\tOUT")
	for i, j := range out {
		dur := "-"
		if j.Ended != nil {
			dur = j.Ended.Sub(j.Started).Round(time.Second).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", j.ID, outcome(runs[i]), dash(j.JobType), dash(j.Name),
			humanTime(j.Started), dur, j.Inputs, j.Outputs)
	}
	return tw.Flush()
}

// outcome describes how a run ended for people, like Run.Outcome, and
// marks a run still recorded as running whose trove process is gone from
// this host: killed before it could record the end (SIGKILL, a crash, a
// reboot). Its record says "running" for ever; nothing is guessed.
func outcome(r *lineage.Run) string {
	if runProcessGone(r) {
		return fmt.Sprintf("running? (trove process %d is gone)", r.PID)
	}
	return r.Outcome()
}

// runProcessGone reports whether r is recorded as running but its trove
// process is gone from this host. Runs on other hosts are not judged.
func runProcessGone(r *lineage.Run) bool {
	return r.State == lineage.StateRunning && r.Host != "" && r.Host == hostName() && processGone(r.PID)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
