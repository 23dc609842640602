// Command trove versions datasets, models and other files that machine
// learning work produces, in a content-addressed store that pairs with Git
// and shares through S3-compatible buckets. Run "trove --help".
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// TROVE_CPUPROFILE=FILE writes a CPU profile of the run, for
	// performance work (go tool pprof FILE).
	if p := os.Getenv("TROVE_CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer f.Close()
				defer pprof.StopCPUProfile()
			}
		}
	}
	code := run(ctx, os.Args, env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	if code != 0 {
		pprof.StopCPUProfile()
		os.Exit(code)
	}
}
