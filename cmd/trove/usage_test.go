package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/repo"
)

// usageProject makes a project with one version, mnist:v0, and a regular
// file "file" beside it.
func usageProject(t *testing.T) string {
	t.Helper()
	dir := newProject(t)
	writeFiles(t, dir, map[string]string{"data/f.txt": "x", "file": "not a folder"})
	mustTrove(t, dir, "commit", "mnist", "--type", "dataset", "data")
	return dir
}

// helpHintRE finds the help command a usage error points to.
var helpHintRE = regexp.MustCompile(`\(see (trove(?: [a-z-]+)*) --help\)`)

// TestUsageErrorsPointToHelpThatExists: a usage error names the whole
// command path, and the help it points to is printed when asked for.
func TestUsageErrorsPointToHelpThatExists(t *testing.T) {
	dir := usageProject(t)
	for _, tc := range []struct {
		args []string
		want string // the whole stderr
	}{
		{[]string{"alias", "set", "mnist:v1"}, "trove: alias set: want 2 argument(s): NAME[:ALIAS|:vN] ALIAS (see trove alias set --help)\n"},
		{[]string{"ttl", "set", "X"}, "trove: ttl set: want 2 argument(s): NAME:vN TTL (see trove ttl set --help)\n"},
		{[]string{"registry", "alias", "set"}, "trove: registry alias set: want 2 argument(s): registry/REG/COLL:vN ALIAS (see trove registry alias set --help)\n"},
		{[]string{"remote", "add", "x"}, "trove: remote add: want 2 argument(s): NAME URL (see trove remote add --help)\n"},
		{[]string{"show"}, "trove: show: want 1 argument(s): NAME[:ALIAS] (see trove show --help)\n"},
		{[]string{"tag", "add", "mnist"}, "trove: tag add: want NAME[:ALIAS] TAG... (see trove tag add --help)\n"},
		{[]string{"nosuchcmd"}, "trove: unknown command \"nosuchcmd\" (see trove --help)\n"},
		{[]string{"alias", "nosuch"}, "trove: alias: unknown command \"nosuch\" (see trove alias --help)\n"},
		{[]string{"commit", "mnist", "--badflag", "data"}, "trove: commit: unknown flag --badflag (see trove commit --help)\n"},
		{[]string{"registry", "alias", "set", "-badflag"}, "trove: registry alias set: unknown flag -badflag (see trove registry alias set --help)\n"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := trove(t, dir, tc.args...)
			if r.code != exitUsage || r.stderr != tc.want {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit %d, stderr:\n%s", r.code, r.stderr, exitUsage, tc.want)
			}
			m := helpHintRE.FindStringSubmatch(r.stderr)
			if m == nil {
				t.Fatalf("no help hint in %q", r.stderr)
			}
			help := strings.Fields(m[1])[1:]
			h := trove(t, dir, append(help, "--help")...)
			if h.code != 0 || !strings.Contains(h.stdout, "USAGE:\n   "+m[1]) {
				t.Fatalf("%s --help: exit %d\nstdout: %s\nstderr: %s", m[1], h.code, h.stdout, h.stderr)
			}
		})
	}
}

// TestUnknownCommand: a name that is no command is a usage error naming
// it, with the closest command when one is close, however it was asked
// for; an argument of a command is not taken for a command.
func TestUnknownCommand(t *testing.T) {
	dir := usageProject(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"nosuchcmd"}, `trove: unknown command "nosuchcmd" (see trove --help)`},
		{[]string{"comit", "mnist"}, `trove: unknown command "comit"; did you mean "commit"? (see trove --help)`},
		{[]string{"lg"}, `trove: unknown command "lg"; did you mean "log"? (see trove --help)`},
		{[]string{"shwo", "mnist"}, `trove: unknown command "shwo"; did you mean "show"? (see trove --help)`},
		{[]string{"set", "--help"}, `trove: unknown command "set" (see trove --help)`},
		{[]string{"help", "set"}, `trove: unknown command "set" (see trove --help)`},
		{[]string{"alias", "sett"}, `trove: alias: unknown command "sett"; did you mean "set"? (see trove alias --help)`},
		{[]string{"alias", "bogus", "--help"}, `trove: alias: unknown command "bogus" (see trove alias --help)`},
		{[]string{"registry", "alias", "sett"}, `trove: registry alias: unknown command "sett"; did you mean "set"? (see trove registry alias --help)`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := trove(t, dir, tc.args...)
			if r.code != exitUsage || r.stderr != tc.want+"\n" || r.stdout != "" {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s\nwant exit %d, stderr: %s", r.code, r.stdout, r.stderr, exitUsage, tc.want)
			}
		})
	}
	for _, args := range [][]string{
		{"show", "mnist:v0", "--help"},
		{"alias", "set", "mnist:v0", "best", "--help"},
		{"help", "show"},
		{"alias", "help", "set"},
	} {
		r := trove(t, dir, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "USAGE:") || r.stderr != "" {
			t.Errorf("trove %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
	}
}

// TestUnknownFlag: a flag the command does not have is named as typed,
// with the command and its help.
func TestUnknownFlag(t *testing.T) {
	dir := usageProject(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"commit", "mnist", "--badflag", "data"}, "trove: commit: unknown flag --badflag (see trove commit --help)"},
		{[]string{"commit", "mnist", "--badflag=1", "data"}, "trove: commit: unknown flag --badflag (see trove commit --help)"},
		{[]string{"manifest", "mnist:v0", "--json"}, "trove: manifest: unknown flag --json (see trove manifest --help)"},
		{[]string{"commit", "mnist", "--mesage", "m", "data"}, "trove: commit: unknown flag --mesage; did you mean --message? (see trove commit --help)"},
		{[]string{"alias", "ls", "mnist", "--jsn"}, "trove: alias ls: unknown flag --jsn; did you mean --json? (see trove alias ls --help)"},
		{[]string{"--badflag", "log"}, "trove: unknown flag --badflag (see trove --help)"},
		{[]string{"pull", "mnist", "-o"}, "trove: pull: flag -o needs a value (see trove pull --help)"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := trove(t, dir, tc.args...)
			if r.code != exitUsage || r.stderr != tc.want+"\n" {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit %d, stderr:\n%s", r.code, r.stderr, exitUsage, tc.want)
			}
		})
	}
}

// leafCommands lists the path of every command that runs an action.
func leafCommands(cmd *cli.Command, path []string, fn func([]string)) {
	if len(cmd.Commands) == 0 && cmd.Name != "help" {
		fn(path)
	}
	for _, sub := range cmd.Commands {
		leafCommands(sub, append(path[:len(path):len(path)], sub.Name), fn)
	}
}

// TestWorkDirMustExist: as with git -C, every command refuses a -C folder
// that does not exist (init does not make it) or is a file.
func TestWorkDirMustExist(t *testing.T) {
	base := t.TempDir()
	missing := filepath.Join(base, "nope")
	file := filepath.Join(base, "file")
	writeFiles(t, base, map[string]string{"file": "x"})
	leafCommands(newApp(env{getenv: os.Getenv}), nil, func(path []string) {
		if strings.Join(path, " ") == "registry create" {
			path = append(path, "--any-type") // its flags are checked first
		}
		for dir, want := range map[string]string{
			missing: "trove: -C " + missing + ": the folder does not exist\n",
			file:    "trove: -C " + file + ": not a folder\n",
		} {
			// A deadline, so that a command that waits for ever (ui
			// serves) fails this test instead of hanging it.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			var out, errb bytes.Buffer
			code := run(ctx, append([]string{"trove", "-C", dir, "--no-progress"}, path...),
				env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: os.Getenv})
			cancel()
			if r := (result{code, out.String(), errb.String()}); r.code != exitUsage || r.stderr != want {
				t.Errorf("trove -C %s %s: exit %d, stderr: %s\nwant exit %d, stderr: %s",
					dir, strings.Join(path, " "), r.code, r.stderr, exitUsage, want)
			}
		}
	})
	if r := trove(t, missing, "init", "--help"); r.code != 0 {
		t.Errorf("help with a missing -C: exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Lstat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("-C made its folder (%v)", err)
	}
}

// TestVerifyNotAFolder: verify of a folder that is missing or a file says
// so in one line.
func TestVerifyNotAFolder(t *testing.T) {
	dir := usageProject(t)
	missing := filepath.Join(dir, "nope")
	for _, tc := range []struct{ arg, want string }{
		{missing, missing + ": the folder does not exist"},
		{"file", "file is not a folder"},
	} {
		r := trove(t, dir, "verify", "mnist:v0", tc.arg)
		if r.code != exitUsage || strings.Count(r.stderr, "\n") != 1 ||
			!strings.HasPrefix(r.stderr, "trove: verify: ") || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("verify %s: exit %d, stderr:\n%s", tc.arg, r.code, r.stderr)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	detail := errors.New("verify: /x is not a folder")
	plain := errors.Join(errors.New("pack 1: bad"), errors.New("pack 2: bad"))
	for _, tc := range []struct {
		err  error
		want string
	}{
		{errors.Join(repo.ErrInvalid, detail), "verify: /x is not a folder"},
		{fmt.Errorf("pull: %w", errors.Join(repo.ErrInvalid, detail)), "pull: verify: /x is not a folder"},
		{errors.Join(repo.ErrInvalid, detail, errors.New("and more")), "verify: /x is not a folder; and more"},
		{fmt.Errorf("%w: bad", repo.ErrInvalid), "bad"},
		{errors.Join(repo.ErrInvalid), "repo: invalid input"},
		{plain, "pack 1: bad\npack 2: bad"}, // a list of problems keeps its lines
	} {
		if got := errorMessage(tc.err); got != tc.want {
			t.Errorf("errorMessage(%q) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// TestShowJSONKeys: every key of show --json is lower camel case, the
// creator's too, and spelt as in the version record.
func TestShowJSONKeys(t *testing.T) {
	dir := usageProject(t)
	var doc map[string]any
	troveJSON(t, dir, &doc, "show", "mnist:v0")
	creator, ok := doc["creator"].(map[string]any)
	if !ok || creator["user"] == nil || creator["user"] == "" {
		t.Fatalf("creator = %v", doc["creator"])
	}
	for k := range creator {
		if k != "user" && k != "host" && k != "run" && k != "git" {
			t.Errorf("creator key %q (want user, host, run, git)", k)
		}
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				if r := []rune(k)[0]; !unicode.IsLower(r) {
					t.Errorf("key %s.%s is not lower case", path, k)
				}
				walk(path+"."+k, c)
			}
		case []any:
			for _, c := range v {
				walk(path+"[]", c)
			}
		}
	}
	walk("", doc)

	// A Git commit is spelt as in the record: git{commit, dirty}.
	c := manifest.Creator{User: "ana", Git: &manifest.GitInfo{Commit: "c0ffee", Dirty: true}}
	b, err := json.Marshal(newCreatorJSON(c))
	if want := `{"user":"ana","git":{"commit":"c0ffee","dirty":true}}`; err != nil || string(b) != want {
		t.Errorf("creator = %s (%v), want %s", b, err, want)
	}
}

// TestBadNameExitCodes: a remote that does not exist, or an output folder
// that is a file, is bad input: exit 2.
func TestBadNameExitCodes(t *testing.T) {
	dir := usageProject(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"push", "-r", "nope"}, `no such remote: "nope"`},
		{[]string{"push"}, "no such remote"},
		{[]string{"fetch", "-r", "nope"}, `no such remote: "nope"`},
		{[]string{"gc", "--remote", "nope"}, `no such remote: "nope"`},
		{[]string{"pull", "mnist", "-o", "file"}, "/file: it, or a folder above it, is a file; name a folder\n"},
		{[]string{"pull", "mnist", "-o", "file/sub"}, "/file/sub: it, or a folder above it, is a file; name a folder\n"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := trove(t, dir, tc.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit %d, mentioning %q", r.code, r.stderr, exitUsage, tc.want)
			}
		})
	}
}

// TestLsEscapesInvisible: a file name with a right-to-left override or a
// terminal escape is printed by ls and diff with those characters escaped,
// so it cannot pass for another name or recolour the terminal; --json
// carries the name as it is.
func TestLsEscapesInvisible(t *testing.T) {
	dir := newProject(t)
	src := t.TempDir()
	name := "rtl\u202egnp.exe"
	writeFiles(t, src, map[string]string{name: "x", "esc\x1b[31mred": "y"})
	mustTrove(t, dir, "commit", "ds", "--type", "dataset", src)
	out := mustTrove(t, dir, "ls", "ds")
	if strings.Contains(out, "\u202e") || strings.Contains(out, "\x1b") ||
		!strings.Contains(out, `rtl\u202egnp.exe`) || !strings.Contains(out, `esc\x1b[31mred`) {
		t.Fatalf("ls:\n%q", out)
	}
	writeFiles(t, src, map[string]string{name: "changed"})
	mustTrove(t, dir, "commit", "ds", src)
	if out := mustTrove(t, dir, "diff", "ds:v0", "ds:v1"); strings.Contains(out, "\u202e") || !strings.Contains(out, `rtl\u202egnp.exe`) {
		t.Fatalf("diff:\n%q", out)
	}
	var files []fileJSON
	troveJSON(t, dir, &files, "ls", "ds")
	found := false
	for _, f := range files {
		found = found || f.Path == name
	}
	if !found {
		t.Fatalf("ls --json lost the name as it is: %+v", files)
	}
}
