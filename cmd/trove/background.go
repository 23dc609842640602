package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/trove-ml/trove/repo"
)

// Background pushes: `trove push --background` starts the same push in a
// detached process and returns at once, so a training script goes on while
// the upload finishes; `trove push --wait` waits for it and reports how it
// ended. The child holds the repository while it pushes, as any push does:
// other trove commands wait for it (up to --lock-timeout).
//
// Files, in .trove: push.pid (the child's pid), push.log (its output),
// push.status (its exit code, written when it ends).
const (
	pushPidFile    = "push.pid"
	pushLogFile    = "push.log"
	pushStatusFile = "push.status"
)

// startBackgroundPush re-runs trove with args (minus --background) in a new
// session, its output going to .trove/push.log.
func startBackgroundPush(e env, root string, args []string) error {
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
		if a != "--background" {
			child = append(child, a)
		}
	}
	log, err := os.Create(filepath.Join(dir, pushLogFile))
	if err != nil {
		return err
	}
	defer log.Close()
	os.Remove(filepath.Join(dir, pushStatusFile))
	cmd := exec.Command(exe, child...)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(os.Environ(), "TROVE_PUSH_STATUS="+filepath.Join(dir, pushStatusFile), "TROVE_NO_PROGRESS=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start background push: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, pushPidFile), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		return err
	}
	cmd.Process.Release()
	fmt.Fprintf(e.stdout, "pushing in the background (pid %d, log %s); trove push --wait waits for it\n", cmd.Process.Pid, filepath.Join(dir, pushLogFile))
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
	// Signal 0 checks that the process exists. A finished push writes its
	// status file first, so a recycled pid is caught by that check too.
	if _, err := os.Stat(filepath.Join(dir, pushStatusFile)); err == nil {
		return pid, false
	}
	return pid, syscall.Kill(pid, 0) == nil
}

// waitBackgroundPush waits for the background push and reports its end.
func waitBackgroundPush(ctx context.Context, e env, root string) error {
	dir := filepath.Join(root, repo.DirName)
	pid, _ := backgroundPush(dir)
	if pid == 0 {
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
	log, _ := os.ReadFile(filepath.Join(dir, pushLogFile))
	e.stdout.Write(log)
	status, err := os.ReadFile(filepath.Join(dir, pushStatusFile))
	if err != nil {
		return fmt.Errorf("background push (pid %d) ended without a status: it was killed; run trove push again (it uploads only what is missing)", pid)
	}
	code, _ := strconv.Atoi(strings.TrimSpace(string(status)))
	if code != 0 {
		return &exitCodeError{code, errors.New("background push failed (see its output above)")}
	}
	return nil
}
