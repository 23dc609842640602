package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/registry"
	"github.com/trove-ml/trove/repo"
)

// Exit codes, stable and listed in every command's help.
const (
	exitOK       = 0
	exitError    = 1 // the command failed
	exitUsage    = 2 // bad flags, arguments or input
	exitMismatch = 3 // verify or fsck found differences or corruption
	exitLocked   = 4 // another trove process holds the repository
)

const exitCodesHelp = `EXIT STATUS:
   0  success
   1  the command failed
   2  bad flags, arguments or input (nothing was written)
   3  differences or corruption found (verify, fsck)
   4  another trove process holds the repository`

// env is what a run of trove sees of the world, so tests can run it
// in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// args is the command line trove was started with.
	args []string
}

// exitError carries an exit code chosen by a command (e.g. verify's 3).
type exitCodeError struct {
	code int
	err  error
}

func (e *exitCodeError) Error() string { return e.err.Error() }
func (e *exitCodeError) Unwrap() error { return e.err }

// usageError marks errors in how trove was called.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// run runs trove with args (args[0] is the program name) and returns the
// exit code.
func run(ctx context.Context, args []string, e env) int {
	e.args = args
	app := newApp(e)
	err := app.Run(ctx, args)
	code := exitOK
	if err != nil {
		code = exitCodeOf(err)
	}
	// A background push reports its end through this file.
	if p := e.getenv("TROVE_PUSH_STATUS"); p != "" {
		os.WriteFile(p, []byte(fmt.Sprintf("%d\n", code)), 0o644)
	}
	if err == nil {
		return exitOK
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "trove: ") {
		msg = "trove: " + msg
	}
	if errors.Is(err, refs.ErrNotFound) {
		msg += " (list artifacts with 'trove log')"
	}
	fmt.Fprintln(e.stderr, msg)
	return code
}

func exitCodeOf(err error) int {
	var ec *exitCodeError
	var ue *usageError
	switch {
	case errors.As(err, &ec):
		return ec.code
	case errors.As(err, &ue),
		errors.Is(err, repo.ErrInvalid),
		errors.Is(err, refs.ErrBadSpec),
		errors.Is(err, refs.ErrReservedAlias),
		errors.Is(err, refs.ErrTypeMismatch),
		errors.Is(err, refs.ErrNotFound),
		errors.Is(err, refs.ErrNoVersion),
		errors.Is(err, refs.ErrDeleted),
		isRegistryInputError(err):
		return exitUsage
	case errors.Is(err, objects.ErrLocked):
		return exitLocked
	case errors.Is(err, objects.ErrCorrupt), errors.Is(err, manifest.ErrCorrupt):
		return exitMismatch
	}
	return exitError
}

// isRegistryInputError reports whether err is a registry error that means
// bad input: a name or type breaking a rule, a registry, collection or
// link that does not exist (in a registry path given to any command, or
// to the registry commands), protection, admins, an existing registry.
// Nothing was written for any of them. A link to a version that is gone
// (registry.ErrDangling) is not the caller's input, and stays exit 1.
func isRegistryInputError(err error) bool {
	for _, s := range []error{
		registry.ErrInvalid, registry.ErrTypeMismatch, registry.ErrProtected,
		registry.ErrNotAdmin, registry.ErrExists, registry.ErrNotFound,
		registry.ErrNoCollection, registry.ErrNoLink, registry.ErrUnlinked,
	} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

func newApp(e env) *cli.Command {
	app := &cli.Command{
		Name:      "trove",
		Usage:     "version datasets, models and checkpoints; share them through any S3-compatible bucket",
		Version:   version,
		Writer:    e.stdout,
		ErrWriter: e.stderr,
		Reader:    e.stdin,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "C", Usage: "run as if trove was started in `DIR`"},
			&cli.BoolFlag{Name: "no-progress", Usage: "never show progress", Sources: cli.EnvVars("TROVE_NO_PROGRESS")},
			&cli.DurationFlag{Name: "lock-timeout", Value: 2 * time.Minute, Usage: "how long to wait for another trove process to release the repository", Sources: cli.EnvVars("TROVE_LOCK_TIMEOUT")},
		},
		EnableShellCompletion: true,
		// Errors are printed once, by run, with an exit code of our own.
		ExitErrHandler: func(context.Context, *cli.Command, error) {},
		Commands: []*cli.Command{
			newInitCommand(e),
			newCommitCommand(e),
			newLogCommand(e),
			newShowCommand(e),
			newLsCommand(e),
			newManifestCommand(e),
			newDiffCommand(e),
			newPullCommand(e),
			newUseCommand(e),
			newRunCommand(e),
			newRunsCommand(e),
			newLineageCommand(e),
			newAliasCommand(e),
			newTagCommand(e),
			newRegistryCommand(e),
			newLinkCommand(e),
			newUnlinkCommand(e),
			newVerifyCommand(e),
			newFsckCommand(e),
			newRemoteCommand(e),
			newPushCommand(e),
			newFetchCommand(e),
			newTTLCommand(e),
			newRetentionCommand(e),
			newDeleteCommand(e),
			newGCCommand(e),
			newCacheCommand(e),
			newConfigCommand(e),
			newPinCommand(e),
			newUnpinCommand(e),
			newCheckoutCommand(e),
			newStatusCommand(e),
			newHooksCommand(e),
			newUICommand(e),
		},
	}
	markUsageErrors(app)
	noHelpArgument(app)
	return app
}

// noHelpArgument keeps urfave/cli from adding a "help" subcommand (alias
// "h") to commands that have none of their own: there it would take an
// artifact named help or h for a request for help (`trove show h` printed
// show's help and succeeded). `trove help CMD`, `trove GROUP help` and
// --help / -h everywhere stay.
func noHelpArgument(cmd *cli.Command) {
	if len(cmd.Commands) == 0 {
		cmd.HideHelpCommand = true
	}
	for _, sub := range cmd.Commands {
		noHelpArgument(sub)
	}
}

// markUsageErrors makes every command report flag errors as usage errors
// (exit status 2) instead of printing its own message.
func markUsageErrors(cmd *cli.Command) {
	cmd.OnUsageError = func(_ context.Context, _ *cli.Command, err error, _ bool) error {
		return &usageError{err}
	}
	for _, sub := range cmd.Commands {
		markUsageErrors(sub)
	}
}

// absPath makes a command-line path absolute against the folder trove
// works in (-C DIR, or the current folder).
func absPath(cmd *cli.Command, p string) (string, error) {
	if filepath.IsAbs(p) {
		return p, nil
	}
	wd, err := workDir(cmd)
	if err != nil {
		return "", err
	}
	return filepath.Join(wd, p), nil
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// workDir returns the folder trove works in: -C or the current one.
func workDir(cmd *cli.Command) (string, error) {
	if d := cmd.String("C"); d != "" {
		return d, nil
	}
	return os.Getwd()
}

// repoOptions builds repository options from the global flags.
func repoOptions(cmd *cli.Command, e env) repo.Options {
	return repo.Options{
		LockTimeout: cmd.Duration("lock-timeout"),
		Progress:    newProgress(e, cmd.Bool("no-progress")),
		OpenBucket:  openBucket,
		Runs:        func(r *repo.Repo) repo.RunIndex { return openLineage(r) },
	}
}

// openRepo opens the repository the command runs in.
func openRepo(ctx context.Context, cmd *cli.Command, e env) (*repo.Repo, error) {
	dir, err := workDir(cmd)
	if err != nil {
		return nil, err
	}
	return repo.Open(ctx, dir, repoOptions(cmd, e))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// withRepo opens the repository, runs fn and closes it.
func withRepo(ctx context.Context, cmd *cli.Command, e env, fn func(r *repo.Repo) error) error {
	r, err := openRepo(ctx, cmd, e)
	if err != nil {
		return err
	}
	defer r.Close()
	return fn(r)
}

// argsExactly checks the number of positional arguments.
func argsExactly(cmd *cli.Command, n int, usage string) ([]string, error) {
	a := cmd.Args().Slice()
	if len(a) != n {
		return nil, usagef("%s: want %d argument(s): %s (see trove %s --help)", cmd.Name, n, usage, cmd.Name)
	}
	return a, nil
}
