package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/trove-ml/trove/internal/atomicfile"
	"github.com/trove-ml/trove/repo"
)

// Background pushes: `trove push --background` starts the same push in a
// detached process and returns at once, so a training script goes on while
// the upload finishes; `trove push --wait` waits for it and reports how it
// ended. The child holds the repository while it pushes, as any push does:
// other trove commands wait for it (up to --lock-timeout).
//
// Files, in .trove: push.pid (the child's pid), push.log (its output, as
// text), push.result (what it pushed or why it failed, as push --wait
// --json prints it; written when it ends, before push.status),
// push.status (its exit code, written when it ends).
const (
	pushPidFile    = "push.pid"
	pushLogFile    = "push.log"
	pushResultFile = "push.result"
	pushStatusFile = "push.status"
)

// pushResultEnv names the file a background push writes its result to.
const pushResultEnv = "TROVE_PUSH_RESULT"

// backgroundPushJSON is what push --background --json (the push started)
// and push --wait --json (how it ended) print. Once it ended, the fields
// of a foreground push's JSON are there too, if it got that far.
type backgroundPushJSON struct {
	// PID is the background process; 0 when --wait found none.
	PID int `json:"pid"`
	// Log is the file holding its text output.
	Log string `json:"log,omitempty"`
	// ExitCode is its exit status, once it ended (absent if it was killed).
	ExitCode *int `json:"exitCode,omitempty"`
	// Error says why it failed.
	Error string `json:"error,omitempty"`
	*pushJSON
}

// pushResult is the content of push.result.
type pushResult struct {
	Push  *pushJSON `json:"push,omitempty"`
	Error string    `json:"error,omitempty"`
}

// writePushResult leaves a background push's result at path for push
// --wait --json. It is best effort: --wait falls back on the exit status.
func writePushResult(path string, res *repo.PushResult, err error) {
	var j pushResult
	if res != nil {
		j.Push = pushInfo(res)
	}
	if err != nil {
		j.Error = errorMessage(err)
	}
	b, jerr := json.Marshal(j)
	if jerr == nil {
		_ = atomicfile.WriteFile(path, b, 0o644)
	}
}

// isJSONFlag reports whether a is push's --json flag, in any spelling.
func isJSONFlag(a string) bool {
	name := strings.TrimLeft(a, "-")
	return strings.HasPrefix(a, "-") && (name == "json" || strings.HasPrefix(name, "json="))
}

// startBackgroundPush re-runs trove with args (minus --background and
// --json: the log is for people) in a new session, its output going to
// .trove/push.log.
func startBackgroundPush(e env, root string, args []string, asJSON bool) error {
	dir := filepath.Join(root, repo.DirName)
	if pid, running := backgroundPush(dir); running {
		return fmt.Errorf("a background push is running (pid %d): trove push --wait", pid)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	var child []string
	for _, a := range args[1:] {
		if a != "--background" && !isJSONFlag(a) {
			child = append(child, a)
		}
	}
	log, err := os.Create(filepath.Join(dir, pushLogFile))
	if err != nil {
		return err
	}
	defer log.Close()
	os.Remove(filepath.Join(dir, pushStatusFile))
	os.Remove(filepath.Join(dir, pushResultFile))
	cmd := exec.Command(exe, child...)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(os.Environ(), "TROVE_PUSH_STATUS="+filepath.Join(dir, pushStatusFile),
		pushResultEnv+"="+filepath.Join(dir, pushResultFile), "TROVE_NO_PROGRESS=1")
	cmd.SysProcAttr = detachedProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start background push: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, pushPidFile), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		return err
	}
	pid := cmd.Process.Pid
	cmd.Process.Release()
	if asJSON {
		return printJSON(e.stdout, backgroundPushJSON{PID: pid, Log: filepath.Join(dir, pushLogFile)})
	}
	fmt.Fprintf(e.stdout, "pushing in the background (pid %d, log %s); trove push --wait waits for it\n", pid, filepath.Join(dir, pushLogFile))
	return nil
}

// backgroundPush returns the pid of a background push and whether it runs.
func backgroundPush(dir string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(dir, pushPidFile))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	// A finished push writes its status file first, so this check catches
	// a recycled pid that processRunning would take for the push.
	if _, err := os.Stat(filepath.Join(dir, pushStatusFile)); err == nil {
		return pid, false
	}
	return pid, processRunning(pid)
}

// waitBackgroundPush waits for the background push and reports its end:
// its log as text, or with asJSON its result (backgroundPushJSON).
func waitBackgroundPush(ctx context.Context, e env, root string, asJSON bool) error {
	dir := filepath.Join(root, repo.DirName)
	pid, _ := backgroundPush(dir)
	if pid == 0 {
		if asJSON {
			return printJSON(e.stdout, backgroundPushJSON{})
		}
		fmt.Fprintln(e.stdout, "no background push")
		return nil
	}
	for {
		if _, running := backgroundPush(dir); !running {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	if asJSON {
		return waitResultJSON(e, dir, pid)
	}
	log, _ := os.ReadFile(filepath.Join(dir, pushLogFile))
	e.stdout.Write(log)
	code, err := pushStatus(dir, pid)
	if err != nil {
		return err
	}
	if code != 0 {
		return &exitCodeError{code, errors.New("background push failed (see its output above)")}
	}
	return nil
}

// pushStatus returns the exit status of the ended background push pid.
func pushStatus(dir string, pid int) (int, error) {
	status, err := os.ReadFile(filepath.Join(dir, pushStatusFile))
	if err != nil {
		return 0, fmt.Errorf("background push (pid %d) ended without a status: it was killed; run trove push again (it uploads only what is missing)", pid)
	}
	code, _ := strconv.Atoi(strings.TrimSpace(string(status)))
	return code, nil
}

// waitResultJSON prints how the ended background push pid went, as JSON,
// and fails as it did.
func waitResultJSON(e env, dir string, pid int) error {
	var res pushResult
	if b, err := os.ReadFile(filepath.Join(dir, pushResultFile)); err == nil {
		_ = json.Unmarshal(b, &res) // a torn or missing result leaves the exit status to tell
	}
	j := backgroundPushJSON{PID: pid, Log: filepath.Join(dir, pushLogFile), Error: res.Error, pushJSON: res.Push}
	code, err := pushStatus(dir, pid)
	if err == nil {
		j.ExitCode = &code
		if code != 0 {
			msg := "background push failed"
			if j.Error == "" {
				j.Error = msg + " (see " + j.Log + ")"
			} else {
				msg += ": " + j.Error
			}
			err = &exitCodeError{code, errors.New(msg)}
		}
	} else {
		j.Error = errorMessage(err)
	}
	if jerr := printJSON(e.stdout, j); jerr != nil {
		return jerr
	}
	return err
}
