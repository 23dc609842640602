package objects

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestLockInProcess(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	_, err = Open(ctx, Options{Dir: dir, LockTimeout: 300 * time.Millisecond})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "holds the repository") {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	if waited := time.Since(start); waited < 100*time.Millisecond {
		t.Errorf("second Open gave up after %s, want it to wait", waited)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Open(cctx, Options{Dir: dir}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Open with a cancelled context = %v", err)
	}

	// A waiter gets the lock once the holder closes.
	done := make(chan error, 1)
	go func() {
		s, err := Open(ctx, Options{Dir: dir, LockTimeout: 20 * time.Second})
		if err == nil {
			err = s.Close()
		}
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("waiting Open = %v, want success after the holder closed", err)
	}
}

// TestLockAcrossProcesses runs a copy of the test binary that holds the
// repository, as a second trove process would.
func TestLockAcrossProcesses(t *testing.T) {
	if dir := os.Getenv("TROVE_TEST_HOLD_LOCK"); dir != "" {
		holdLock(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockAcrossProcesses$")
	cmd.Env = append(os.Environ(), "TROVE_TEST_HOLD_LOCK="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "locked") {
		t.Fatalf("helper: %q, %v", line, err)
	}

	_, err = Open(context.Background(), Options{Dir: dir, LockTimeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", cmd.Process.Pid)) {
		t.Fatalf("Open beside another process = %v, want ErrLocked naming pid %d", err, cmd.Process.Pid)
	}
	stdin.Close() // the helper closes its store and exits
	s, err := Open(context.Background(), Options{Dir: dir, LockTimeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("Open after the other process quit = %v", err)
	}
	s.Close()
}

// holdLock opens the store in dir, says so, and closes it when stdin ends.
func holdLock(dir string) {
	s, err := Open(context.Background(), Options{Dir: dir})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	s.Close()
	os.Exit(0)
}
