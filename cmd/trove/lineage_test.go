package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/trove-ml/trove/lineage"
	"github.com/trove-ml/trove/lineage/lineagetest"
	"github.com/trove-ml/trove/repo"
)

// troveOnPath puts this test binary on $PATH as `trove`, acting as trove,
// for the commands trove run starts.
func troveOnPath(t *testing.T) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.Symlink(exe, filepath.Join(bin, "trove")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("TROVE_TEST_AS_MAIN", "1")
	t.Setenv("TROVE_NO_PROGRESS", "1")
	t.Setenv(runIDEnv, "")
	t.Setenv(runRepoEnv, "")
}

// gitProject makes a project that is a Git work tree with one commit, and
// a trove repository; it returns the folder and HEAD.
func gitProject(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	g, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{"train.py": "print('train')\n"})
	wt, _ := g.Worktree()
	if _, err := wt.Add("train.py"); err != nil {
		t.Fatal(err)
	}
	h, err := wt.Commit("code", &git.CommitOptions{Author: &object.Signature{Name: "t", Email: "t@example.com", When: time.Unix(1e9, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	// Tracked files older than the index: their stat data decides.
	old := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(dir, "train.py"), old, old)
	mustTrove(t, dir, "init")
	return dir, h.String()
}

type runShow struct {
	runInfoJSON
	Config  map[string]string `json:"config"`
	Dir     string            `json:"dir"`
	Record  string            `json:"record"`
	Inputs  []runVersionJSON  `json:"inputs"`
	Outputs []runVersionJSON  `json:"outputs"`
}

func versions(vs []runVersionJSON) string {
	var s []string
	for _, v := range vs {
		s = append(s, v.Artifact+":"+v.Version)
	}
	return strings.Join(s, " ")
}

// lastRun returns the newest run.
func lastRun(t *testing.T, dir string) runShow {
	t.Helper()
	var runs []runsJSON
	troveJSON(t, dir, &runs, "runs")
	if len(runs) == 0 {
		t.Fatal("no runs recorded")
	}
	var rs runShow
	troveJSON(t, dir, &rs, "run", "show", runs[0].ID)
	return rs
}

// startRun records a running run directly, as trove run does before it
// starts its command.
func startRun(t *testing.T, dir string) string {
	t.Helper()
	ctx := context.Background()
	r, err := repo.Open(ctx, dir, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	run, err := openLineage(r).Start(ctx, lineage.StartOptions{JobType: "test", Command: []string{"test"}})
	if err != nil {
		t.Fatal(err)
	}
	return run.ID
}

// TestRun: a real command run by trove run commits, pulls and uses
// versions through trove itself; the run records all of it, with the
// project's Git state, and versions know the run.
func TestRun(t *testing.T) {
	troveOnPath(t)
	dir, head := gitProject(t)
	writeFiles(t, dir, map[string]string{"data/a.txt": "alpha\n", "cfg/c.yaml": "lr: 0.1\n"})
	mustTrove(t, dir, "commit", "ds", "--type", "dataset", "data")
	mustTrove(t, dir, "commit", "cfg", "--type", "config", "cfg")

	script := `set -e
echo "$TROVE_RUN_ID" > run-id.txt
trove pull ds -o in
trove use cfg:latest
test ! -e artifacts   # use downloads nothing
cat in/a.txt > model.bin
trove commit model --type model model.bin`
	r := trove(t, dir, "run", "--name", "baseline", "--job-type", "train", "--config", "lr=0.1", "--config=epochs=3",
		"--", "sh", "-c", script)
	if r.code != 0 {
		t.Fatalf("trove run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	rs := lastRun(t, dir)
	id, _ := os.ReadFile(filepath.Join(dir, "run-id.txt"))
	if strings.TrimSpace(string(id)) != rs.ID {
		t.Fatalf("command saw %s=%q; the run is %s", runIDEnv, id, rs.ID)
	}
	if !strings.Contains(r.stderr, "run "+rs.ID+" started") || !strings.Contains(r.stderr, "run "+rs.ID+" finished") {
		t.Errorf("trove run's diagnostics: %q", r.stderr)
	}
	if rs.Name != "baseline" || rs.JobType != "train" || rs.State != "finished" || rs.ExitCode == nil || *rs.ExitCode != 0 {
		t.Errorf("run = %+v", rs.runInfoJSON)
	}
	if rs.Config["lr"] != "0.1" || rs.Config["epochs"] != "3" || len(rs.Config) != 2 {
		t.Errorf("config = %v", rs.Config)
	}
	if rs.Dir != "." || rs.Command[0] != "sh" || rs.Command[2] != script || rs.User == "" || rs.Ended == nil || rs.Record == "" {
		t.Errorf("run = %+v", rs)
	}
	if rs.Git == nil || rs.Git.Commit != head || rs.Git.Dirty {
		t.Errorf("git = %+v, want %s clean (data and outputs are untracked)", rs.Git, head)
	}
	if got := versions(rs.Inputs); got != "cfg:v0 ds:v0" {
		t.Errorf("inputs = %s", got)
	}
	if got := versions(rs.Outputs); got != "model:v0" {
		t.Errorf("outputs = %s", got)
	}

	// The version knows its run, and Git commit.
	var show showJSON
	troveJSON(t, dir, &show, "show", "model")
	if show.Creator.Run != rs.ID || show.Creator.Git == nil || show.Creator.Git.Commit != head {
		t.Errorf("model's creator = %+v", show.Creator)
	}
	if len(show.LoggedBy) != 1 || show.LoggedBy[0].ID != rs.ID || len(show.UsedBy) != 0 {
		t.Errorf("model logged by %v, used by %v", show.LoggedBy, show.UsedBy)
	}
	troveJSON(t, dir, &show, "show", "ds")
	if len(show.UsedBy) != 1 || show.UsedBy[0].ID != rs.ID || len(show.LoggedBy) != 1 || show.LoggedBy[0].JobType != "commit" {
		t.Errorf("ds logged by %v, used by %v", show.LoggedBy, show.UsedBy)
	}
	out := mustTrove(t, dir, "show", "ds")
	if !strings.Contains(out, "used by:   run "+rs.ID+` "baseline" [train] finished`) || !strings.Contains(out, "logged by: run ") {
		t.Errorf("show ds:\n%s", out)
	}
	out = mustTrove(t, dir, "run", "show", strings.ToLower(rs.ID[:20]))
	for _, want := range []string{"state:    finished", "lr=0.1", "git:      " + head, "  ds:v0  ", "  model:v0  "} {
		if !strings.Contains(out, want) {
			t.Errorf("run show lacks %q:\n%s", want, out)
		}
	}
	out = mustTrove(t, dir, "runs")
	if !regexp.MustCompile(rs.ID + `\s+finished\s+train\s+baseline\s+.*\s2\s+1\n`).MatchString(out) {
		t.Errorf("runs:\n%s", out)
	}

	// A dirty work tree is recorded as such, in runs and versions.
	writeFiles(t, dir, map[string]string{"train.py": "print('changed')\n"})
	mustTrove(t, dir, "run", "--", "trove", "commit", "model", "model.bin", "-m", "again")
	if rs := lastRun(t, dir); rs.Git == nil || !rs.Git.Dirty || versions(rs.Outputs) != "model:v0" {
		t.Errorf("run in a dirty tree: git %+v, outputs %s", rs.Git, versions(rs.Outputs))
	}
}

// TestRunExitStatus: trove run exits with its command's status, and
// records how the command ended.
func TestRunExitStatus(t *testing.T) {
	troveOnPath(t)
	dir := newProject(t)
	tests := []struct {
		script string
		code   int
		state  string
		signal string
	}{
		{"exit 0", 0, "finished", ""},
		{"exit 3", 3, "failed", ""},
		{"exit 255", 255, "failed", ""},
		{"kill -KILL $$", 128 + 9, "killed", "SIGKILL"},
		{"kill -TERM $$", 128 + 15, "killed", "SIGTERM"},
	}
	for _, tt := range tests {
		r := trove(t, dir, "run", "--", "sh", "-c", tt.script)
		if r.code != tt.code {
			t.Errorf("%s: exit %d, want %d\n%s", tt.script, r.code, tt.code, r.stderr)
		}
		rs := lastRun(t, dir)
		if rs.State != tt.state || rs.Signal != tt.signal || (tt.signal == "") != (rs.ExitCode != nil) {
			t.Errorf("%s: recorded %s %v %q", tt.script, rs.State, rs.ExitCode, rs.Signal)
		}
		if rs.ExitCode != nil && *rs.ExitCode != tt.code {
			t.Errorf("%s: recorded exit code %d", tt.script, *rs.ExitCode)
		}
	}
}

// TestRunForwardsSignals: a SIGTERM to trove run reaches the command; the
// run is recorded as killed by it, and trove exits 128+15.
func TestRunForwardsSignals(t *testing.T) {
	troveOnPath(t)
	dir := newProject(t)
	var stderr bytes.Buffer
	cmd := troveProc(t, dir, "run", "--job-type", "sleep", "--", "sh", "-c", "touch started; exec sleep 30")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "started")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the command did not start: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// While the command runs, trove holds no lock: other commands work.
	if r := trove(t, dir, "runs"); r.code != 0 || !strings.Contains(r.stdout, "running") {
		t.Fatalf("runs while running: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 128+15 {
		t.Fatalf("trove run exited %d (%v), want 143\n%s", code, err, stderr.String())
	}
	rs := lastRun(t, dir)
	if rs.State != "killed" || rs.Signal != "SIGTERM" || rs.JobType != "sleep" {
		t.Fatalf("run = %+v", rs.runInfoJSON)
	}
	if !strings.Contains(stderr.String(), "killed (SIGTERM)") {
		t.Errorf("stderr: %s", stderr.String())
	}
}

// TestRunBadCommand: a command that does not exist, or cannot be
// executed, fails as a shell would, and records nothing.
func TestRunBadCommand(t *testing.T) {
	troveOnPath(t)
	dir := newProject(t)
	writeFiles(t, dir, map[string]string{"notexec.sh": "echo hi\n"})
	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"run", "--", "no-such-command-xyz"}, 127, "command not found"},
		{[]string{"run", "./missing.sh"}, 127, "no such file"},
		{[]string{"run", "./notexec.sh"}, 126, "not an executable file"},
		{[]string{"run"}, 2, "no command given"},
		{[]string{"run", "--bogus", "--", "true"}, 2, "unknown flag --bogus"},
		{[]string{"run", "--config", "novalue", "--", "true"}, 2, "want KEY=VALUE"},
		{[]string{"run", "--config", "lr=0.1", "--config", "lr=0.2", "--", "true"}, 2, "--config lr given twice"},
		{[]string{"run", "--job-type", "two words", "--", "true"}, 2, "job type"},
		{[]string{"run", "--name"}, 2, "needs a value"},
	} {
		r := trove(t, dir, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.msg) {
			t.Errorf("trove %s: exit %d %q; want %d and %q", strings.Join(tt.args, " "), r.code, r.stderr, tt.code, tt.msg)
		}
	}
	if out := mustTrove(t, dir, "runs", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("bad commands recorded runs: %s", out)
	}
	// `trove run -- show` runs a program called show, not `trove run show`.
	if r := trove(t, dir, "run", "--", "show"); r.code != 127 {
		t.Errorf("run -- show: exit %d %s", r.code, r.stderr)
	}
	if r := trove(t, dir, "run", "show"); r.code != 2 || !strings.Contains(r.stderr, "want one run ID") {
		t.Errorf("run show: exit %d %s", r.code, r.stderr)
	}
}

// TestImplicitRun: a commit outside any run records a one-command run, so
// every version has a producer.
func TestImplicitRun(t *testing.T) {
	troveOnPath(t)
	dir := newProject(t)
	writeFiles(t, dir, map[string]string{"data/a": "a"})
	mustTrove(t, dir, "commit", "ds", "--type", "dataset", "data", "-m", "first")
	var show showJSON
	troveJSON(t, dir, &show, "show", "ds")
	if len(show.LoggedBy) != 1 || show.LoggedBy[0].ID != show.Creator.Run || show.LoggedBy[0].JobType != "commit" {
		t.Fatalf("logged by %+v; creator %+v", show.LoggedBy, show.Creator)
	}
	rs := lastRun(t, dir)
	if rs.ID != show.Creator.Run || rs.State != "finished" || versions(rs.Outputs) != "ds:v0" ||
		strings.Join(rs.Command, " ") != "trove commit ds --type dataset data -m first" {
		t.Fatalf("implicit run = %+v", rs)
	}
	if rs.Git != nil {
		t.Errorf("git %+v outside a Git work tree", rs.Git)
	}
	// A commit of unchanged content records its run too: it logged v0.
	mustTrove(t, dir, "commit", "ds", "data")
	troveJSON(t, dir, &show, "show", "ds")
	if len(show.LoggedBy) != 2 {
		t.Fatalf("after an unchanged commit, logged by %+v", show.LoggedBy)
	}
	// A failed commit records nothing.
	if r := trove(t, dir, "commit", "ds", "missing-folder"); r.code == 0 {
		t.Fatal("commit of a missing folder succeeded")
	}
	var runs []runsJSON
	troveJSON(t, dir, &runs, "runs")
	if len(runs) != 2 {
		t.Fatalf("%d runs after a failed commit, want 2", len(runs))
	}
}

// TestUnchangedCommitInRun: committing content equal to latest inside a
// run records the run's output edge to that existing version.
func TestUnchangedCommitInRun(t *testing.T) {
	troveOnPath(t)
	dir := newProject(t)
	writeFiles(t, dir, map[string]string{"data/a": "a"})
	mustTrove(t, dir, "commit", "ds", "--type", "dataset", "data")
	id := startRun(t, dir)
	out := mustTrove(t, dir, "commit", "ds", "data", "--run", id)
	if !strings.Contains(out, "no change") {
		t.Fatalf("commit said %q", out)
	}
	var rs runShow
	troveJSON(t, dir, &rs, "run", "show", id)
	if rs.State != "running" || versions(rs.Outputs) != "ds:v0" {
		t.Fatalf("run = %+v", rs)
	}
	var g struct {
		Nodes []struct{ Kind, ID string }
		Edges []struct{ From, To, Kind string }
	}
	troveJSON(t, dir, &g, "lineage", "ds")
	producers := 0
	for _, e := range g.Edges {
		if e.Kind == "output" {
			producers++
		}
	}
	if producers != 2 {
		t.Fatalf("ds:v0 has %d producers, want 2 (the implicit run and %s): %+v", producers, id, g)
	}
}

// TestRunBadInputs: runs that do not exist or have ended, use outside a
// run, use of a version that does not exist: clear errors, nothing
// written.
func TestRunBadInputs(t *testing.T) {
	troveOnPath(t)
	dir := newProject(t)
	writeFiles(t, dir, map[string]string{"data/a": "a", "more/b": "b"})
	mustTrove(t, dir, "commit", "ds", "--type", "dataset", "data")
	missing := "7ZZZZZZZZZ0000000000000000"
	ended := startRun(t, dir)
	{
		ctx := context.Background()
		r, err := repo.Open(ctx, dir, repo.Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = openLineage(r).Finish(ctx, ended, lineage.End{})
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		env  string
		args []string
		msg  string
	}{
		{"", []string{"commit", "ds", "more", "--run", missing}, "no such run"},
		{"", []string{"commit", "ds", "more", "--run", "not-an-id"}, "not a run id"},
		{missing, []string{"commit", "ds", "more"}, "$" + runIDEnv},
		{"", []string{"commit", "ds", "more", "--run", ended}, "has ended"},
		{"", []string{"pull", "ds", "-o", "out", "--run", missing}, "no such run"},
		{"", []string{"use", "ds"}, "not inside a run"},
		{"", []string{"use", "ds", "--run", missing}, "no such run"},
		{"", []string{"use", "ds", "--run", ended}, "has ended"},
	} {
		t.Setenv(runIDEnv, tt.env)
		r := trove(t, dir, tt.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.msg) {
			t.Errorf("%s trove %s: exit %d %q; want %d and %q", tt.env, strings.Join(tt.args, " "), r.code, r.stderr, exitUsage, tt.msg)
		}
	}
	t.Setenv(runIDEnv, "")
	if out := mustTrove(t, dir, "log", "ds"); strings.Contains(out, "v1") {
		t.Errorf("a refused commit made a version:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Error("a refused pull wrote files")
	}
	// use of a version that does not exist records nothing.
	id := startRun(t, dir)
	if r := trove(t, dir, "use", "nosuch", "--run", id); r.code == 0 {
		t.Error("use of a missing artifact succeeded")
	}
	if r := trove(t, dir, "use", "ds:v7", "--run", id); r.code == 0 {
		t.Error("use of a missing version succeeded")
	}
	var rs runShow
	troveJSON(t, dir, &rs, "run", "show", id)
	if len(rs.Inputs) != 0 {
		t.Errorf("failed uses recorded inputs: %+v", rs.Inputs)
	}
	if r := trove(t, dir, "run", "show", missing); r.code != exitUsage {
		t.Errorf("run show of a missing run: exit %d", r.code)
	}

	// A run of another repository in the environment: the command is not
	// part of it, and says so.
	t.Setenv(runIDEnv, missing)
	t.Setenv(runRepoEnv, t.TempDir())
	r := trove(t, dir, "commit", "ds", "more")
	if r.code != 0 || !strings.Contains(r.stderr, "not of this repository") {
		t.Fatalf("commit with another repository's run: exit %d %s", r.code, r.stderr)
	}
}

// TestUse: trove use marks an input without downloading anything.
func TestUse(t *testing.T) {
	troveOnPath(t)
	dir := newProject(t)
	writeFiles(t, dir, map[string]string{"data/a": "a"})
	mustTrove(t, dir, "commit", "ds", "--type", "dataset", "data")
	id := startRun(t, dir)
	t.Setenv(runIDEnv, id)
	var res map[string]string
	troveJSON(t, dir, &res, "use", "ds:latest")
	if res["run"] != id || res["version"] != "v0" {
		t.Fatalf("use = %v", res)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != ".trove" && e.Name() != "data" {
			t.Errorf("use wrote %s", e.Name())
		}
	}
	// Using it again changes nothing.
	mustTrove(t, dir, "use", "ds")
	var rs runShow
	troveJSON(t, dir, &rs, "run", "show", id)
	if versions(rs.Inputs) != "ds:v0" {
		t.Fatalf("inputs = %+v", rs.Inputs)
	}
}

// dotStructure checks a DOT graph the way Graphviz would parse it, for
// the subset WriteDOT writes: it returns the declared nodes and the
// edges.
func dotStructure(t *testing.T, dot string) (nodes map[string]bool, edges [][2]string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(dot), "\n")
	if lines[0] != "digraph lineage {" || lines[len(lines)-1] != "}" {
		t.Fatalf("not a digraph:\n%s", dot)
	}
	q := `"((?:[^"\\]|\\.)*)"`
	nodeRE := regexp.MustCompile(`^\t` + q + ` \[(.*)\];$`)
	edgeRE := regexp.MustCompile(`^\t` + q + ` -> ` + q + ` \[label=` + q + `\];$`)
	nodes = map[string]bool{}
	for _, l := range lines[1 : len(lines)-1] {
		switch {
		case strings.HasPrefix(l, "\trankdir=") || strings.HasPrefix(l, "\tnode [") || strings.HasPrefix(l, "\tedge ["):
		case edgeRE.MatchString(l):
			m := edgeRE.FindStringSubmatch(l)
			edges = append(edges, [2]string{m[1], m[2]})
		case nodeRE.MatchString(l):
			nodes[nodeRE.FindStringSubmatch(l)[1]] = true
		default:
			t.Fatalf("unexpected DOT line %q", l)
		}
	}
	for _, e := range edges {
		if !nodes[e[0]] || !nodes[e[1]] {
			t.Fatalf("edge %v names an undeclared node", e)
		}
	}
	return nodes, edges
}

// TestLineageFormats: text, dot and json describe one graph; flags are
// checked before any work.
func TestLineageFormats(t *testing.T) {
	troveOnPath(t)
	dir := newProject(t)
	writeFiles(t, dir, map[string]string{"raw/a": "a"})
	mustTrove(t, dir, "commit", "raw", "--type", "dataset", "raw")
	mustTrove(t, dir, "run", "--job-type", "prep", "--", "sh", "-c",
		`trove pull raw -o raw2 && echo x >> raw2/a && trove commit clean --type dataset raw2`)
	mustTrove(t, dir, "run", "--name", "fit \"quoted\"", "--job-type", "train", "--", "sh", "-c",
		`trove use clean && echo m > m && trove commit model --type model m`)

	text := mustTrove(t, dir, "lineage", "clean")
	for _, want := range []string{"clean:v0 [dataset]\n", "├── logged by run ", "[prep] finished", "│   └── used raw:v0 [dataset]",
		"└── used by run ", `"fit \"quoted\"" [train] finished`, "    └── logged model:v0 [model]"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if up := mustTrove(t, dir, "lineage", "clean", "--upstream"); strings.Contains(up, "model") || !strings.Contains(up, "raw:v0") {
		t.Errorf("--upstream:\n%s", up)
	}
	if down := mustTrove(t, dir, "lineage", "clean", "--downstream"); strings.Contains(down, "raw") || !strings.Contains(down, "model:v0") {
		t.Errorf("--downstream:\n%s", down)
	}
	if d1 := mustTrove(t, dir, "lineage", "model", "--depth", "1"); !strings.Contains(d1, "… (more beyond --depth)") || strings.Contains(d1, "raw") {
		t.Errorf("--depth 1:\n%s", d1)
	}

	var g struct {
		Format int    `json:"format"`
		Root   string `json:"root"`
		Nodes  []struct {
			Kind, ID, Label, Artifact, State string
			Version                          any
		} `json:"nodes"`
		Edges []struct{ From, To, Kind string } `json:"edges"`
	}
	troveJSON(t, dir, &g, "lineage", "model", "--depth", "0")
	if g.Format != 1 || len(g.Nodes) != 6 || len(g.Edges) != 5 { // raw, clean, model; their three runs
		t.Fatalf("json graph: %+v", g)
	}
	kinds := map[string]string{}
	for _, n := range g.Nodes {
		kinds[n.ID] = n.Kind
		if n.Kind == "version" && (n.Version != strings.TrimPrefix(n.Label, n.Artifact+":") || n.State != "live") {
			t.Errorf("node %+v", n)
		}
	}
	if kinds[g.Root] != "version" {
		t.Errorf("root %s is not a version node", g.Root)
	}
	for _, e := range g.Edges {
		from, to := kinds[e.From], kinds[e.To]
		if e.Kind == "input" && (from != "version" || to != "run") || e.Kind == "output" && (from != "run" || to != "version") {
			t.Errorf("edge %+v joins %s to %s", e, from, to)
		}
	}

	dot := mustTrove(t, dir, "lineage", "model", "--depth", "0", "--format", "dot")
	nodes, edges := dotStructure(t, dot)
	if len(nodes) != 6 || len(edges) != 5 {
		t.Fatalf("dot has %d nodes and %d edges, want 6 and 5:\n%s", len(nodes), len(edges), dot)
	}
	if dotBin, err := exec.LookPath("dot"); err == nil {
		c := exec.Command(dotBin, "-Tsvg")
		c.Stdin = strings.NewReader(dot)
		if out, err := c.CombinedOutput(); err != nil || !bytes.Contains(out, []byte("<svg")) {
			t.Errorf("Graphviz rejects the graph: %v\n%s", err, out)
		}
	} else {
		t.Log("Graphviz not installed; DOT checked by structure only")
	}

	for _, args := range [][]string{
		{"lineage", "model", "--upstream", "--downstream"},
		{"lineage", "model", "--format", "svg"},
		{"lineage", "model", "--depth", "-1"},
		{"lineage"},
	} {
		if r := trove(t, dir, args...); r.code != exitUsage {
			t.Errorf("trove %s: exit %d, want %d\n%s", strings.Join(args, " "), r.code, exitUsage, r.stderr)
		}
	}
	if r := trove(t, dir, "lineage", "nosuch"); r.code == 0 {
		t.Error("lineage of a missing artifact succeeded")
	}
}

// BenchmarkLineageCLI times `trove lineage` as a user runs it, repository
// open included, on the graph: 10,000 runs and 20,000 versions in
// one chain, asked about its deepest version.
//
//	go test -run - -bench LineageCLI ./cmd/trove
func BenchmarkLineageCLI(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	r, err := repo.Init(ctx, dir, repo.InitOptions{Project: "bench"}, repo.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := lineagetest.Chain(ctx, r.RefsKV(), r.Store(), openLineage(r), 10000, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		b.Fatal(err)
	}
	r.Close()
	for _, bc := range []struct {
		name string
		args []string
	}{
		{"default", []string{"lineage", "ckpt:latest"}},
		{"default-json", []string{"lineage", "ckpt:latest", "--json"}},
		{"upstream-all", []string{"lineage", "ckpt:latest", "--upstream", "--depth", "0"}},
		{"upstream-all-json", []string{"lineage", "ckpt:latest", "--upstream", "--depth", "0", "--json"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				var out, errb bytes.Buffer
				code := run(ctx, append([]string{"trove", "-C", dir, "--no-progress"}, bc.args...),
					env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: os.Getenv})
				if code != 0 {
					b.Fatalf("exit %d: %s", code, errb.String())
				}
			}
		})
	}
}

// TestRunTroveKilled: when trove run itself is killed (it cannot record
// the end), the run stays recorded as running, and listings say its trove
// process is gone.
func TestRunTroveKilled(t *testing.T) {
	troveOnPath(t)
	dir := newProject(t)
	cmd := troveProc(t, dir, "run", "--", "sh", "-c", "echo $$ > child.pid; exec sleep 30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(dir, "child.pid")
	deadline := time.Now().Add(20 * time.Second)
	for {
		if b, err := os.ReadFile(pidFile); err == nil && strings.HasSuffix(string(b), "\n") {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the command did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	b, _ := os.ReadFile(pidFile)
	var child int
	if _, err := fmt.Sscan(string(b), &child); err == nil {
		if p, err := os.FindProcess(child); err == nil {
			p.Kill() // the orphaned command
		}
	}
	out := mustTrove(t, dir, "runs")
	if !strings.Contains(out, fmt.Sprintf("running? (trove process %d is gone)", cmd.Process.Pid)) {
		t.Fatalf("runs after trove was killed:\n%s", out)
	}
	if rs := lastRun(t, dir); rs.State != "running" {
		t.Fatalf("recorded state %s, want running (nothing is guessed)", rs.State)
	}
	var runs []map[string]any
	troveJSON(t, dir, &runs, "runs")
	if len(runs) == 0 || runs[0]["processGone"] != true {
		t.Fatalf("runs --json does not mark the run whose trove process is gone: %v", runs)
	}
}
