package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trove-ml/trove/internal/s3test"
)

// TestMain lets tests run this test binary as the trove command itself
// (TROVE_TEST_AS_MAIN=1), for tests that need separate processes: locks,
// concurrent commits, killed processes.
func TestMain(m *testing.M) {
	if os.Getenv("TROVE_TEST_AS_MAIN") == "1" {
		main()
		return
	}
	s3test.Main(m, &s3server)
}

// s3server is one S3 server (versitygw on 127.0.0.1) shared by the tests
// of this binary, started on first use.
var s3server s3test.Shared

// result is one run of trove.
type result struct {
	code           int
	stdout, stderr string
}

// trove runs the CLI in-process in dir.
func trove(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return troveIn(t, dir, "", args...)
}

func troveIn(t *testing.T, dir, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"trove", "-C", dir, "--no-progress"}, args...)
	code := run(context.Background(), full, env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: os.Getenv})
	return result{code, out.String(), errb.String()}
}

// mustTrove runs trove and fails the test unless it exits 0.
func mustTrove(t *testing.T, dir string, args ...string) string {
	t.Helper()
	r := trove(t, dir, args...)
	if r.code != 0 {
		t.Fatalf("trove %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// troveJSON runs trove with --json and decodes its output into v.
func troveJSON(t *testing.T, dir string, v any, args ...string) {
	t.Helper()
	out := mustTrove(t, dir, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("trove %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// troveProc returns a command running trove in a separate process.
func troveProc(t *testing.T, dir string, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, append([]string{"-C", dir, "--no-progress"}, args...)...)
	cmd.Env = append(os.Environ(), "TROVE_TEST_AS_MAIN=1")
	return cmd
}

// newProject makes a project folder with a repository.
func newProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	mustTrove(t, dir, "init")
	return dir
}

// writeFiles creates files (path -> content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// randomBytes returns n deterministic pseudo-random bytes.
func randomBytes(seed, n int) []byte {
	b := make([]byte, n)
	x := uint64(seed)*0x9E3779B97F4A7C15 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return b
}
