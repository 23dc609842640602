// Package testserver runs the real servers tests talk to (versitygw for
// S3, fake-gcs-server for GCS) as child processes on 127.0.0.1. It holds
// what s3test and gcstest share: finding a binary where `go install` puts
// it, skipping (or, under CI, failing) when it is missing, starting it on a
// free port — again on another if the port was taken before the server
// bound it — and polling until it answers HTTP, and stopping it: SIGTERM,
// then SIGKILL after a short grace. On Linux the kernel kills a server
// whose test binary died without cleaning up.
package testserver

import (
	"bytes"
	"debug/buildinfo"
	"errors"
	"fmt"
	"go/build"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Timeouts of a server's lifecycle.
const (
	startTimeout = 15 * time.Second // from exec to the first HTTP answer
	stopTimeout  = time.Second      // from SIGTERM to SIGKILL
	startTries   = 3                // another process may take the free port first
)

// Binary returns the path of the named binary: on PATH, else in $GOBIN,
// else in $GOPATH/bin (the first GOPATH entry, as `go install` uses).
// version is the release the tests expect, for the error.
func Binary(name, version string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		gopath = build.Default.GOPATH // $HOME/go
	}
	if gp := filepath.SplitList(gopath); len(gp) > 0 {
		dirs = append(dirs, filepath.Join(gp[0], "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s %s not found on PATH or in %q", name, version, dirs)
}

// Unavailable reports a missing server binary (err, from Binary): the test
// is skipped with a message saying to run scripts/install-test-tools.sh,
// or fails when the environment variable CI is set, so that a CI run never
// passes by skipping. what names the server ("S3 test server").
func Unavailable(t testing.TB, what string, err error) {
	t.Helper()
	msg := fmt.Sprintf("%s unavailable: %v; run scripts/install-test-tools.sh", what, err)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Spec says how to run a server on a port.
type Spec struct {
	// Args are the server's arguments for port.
	Args func(port int) []string
	// Ready is the URL polled until it answers HTTP (any status).
	Ready func(port int) string
}

// Proc is a running server.
type Proc struct {
	// Port is the port it listens on, on 127.0.0.1.
	Port int
	// Version is the binary's module version, from its build info.
	Version string

	cmd    *exec.Cmd
	logs   *syncBuffer
	exited chan struct{} // closed when the process has exited
}

// Start runs bin as spec says on a free port, retrying on another port a
// few times; the error carries every attempt's and the server's output.
func Start(bin string, spec Spec) (*Proc, error) {
	version := "unknown version"
	if info, err := buildinfo.ReadFile(bin); err == nil {
		version = info.Main.Version
	}
	var errs []error
	for range startTries {
		p, err := startOnce(bin, spec)
		if err == nil {
			p.Version = version
			return p, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("cannot start %s (%s): %w", bin, version, errors.Join(errs...))
}

func startOnce(bin string, spec Spec) (*Proc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	p := &Proc{Port: port, logs: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, spec.Args(port)...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	setParentDeathSignal(p.cmd)
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		_ = p.cmd.Wait() // the exit status is in the logs
		close(p.exited)
	}()
	if err := p.waitReady(spec.Ready(port)); err != nil {
		p.Stop()
		return nil, fmt.Errorf("%w\nserver output:\n%s", err, p.logs.String())
	}
	return p, nil
}

// freePort returns a port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls url until the server answers HTTP or exits.
func (p *Proc) waitReady(url string) error {
	deadline := time.Now().Add(startTimeout)
	client := &http.Client{Timeout: time.Second}
	for delay := 5 * time.Millisecond; time.Now().Before(deadline); delay = min(2*delay, 200*time.Millisecond) {
		select {
		case <-p.exited:
			return errors.New("server exited during startup")
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(delay)
	}
	return fmt.Errorf("server did not answer within %v", startTimeout)
}

// Stop stops the server: SIGTERM, then SIGKILL after a short grace. A
// graceful stop waits for clients' idle keep-alive connections, which
// tests do not close; test data is thrown away anyway, so a kill after
// the grace is no error.
func (p *Proc) Stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return
	case <-time.After(stopTimeout):
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// Logs returns what the server printed so far.
func (p *Proc) Logs() string { return p.logs.String() }

// syncBuffer collects a process's output from two pipes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
