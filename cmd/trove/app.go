package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/internal/atomicfile"
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
	var unknown error
	catchUnknownCommands(app, &unknown)
	err := app.Run(ctx, args)
	if err == nil {
		err = unknown
	}
	code := exitOK
	if err != nil {
		code = exitCodeOf(err)
	}
	// A background push reports its end through this file, whose
	// existence push --wait takes for the end: it must never be seen
	// empty (an empty status read as exit 0 for a failed push).
	if p := e.getenv("TROVE_PUSH_STATUS"); p != "" {
		_ = atomicfile.WriteFile(p, []byte(fmt.Sprintf("%d\n", code)), 0o644) // without it, --wait says the push was killed
	}
	if err == nil {
		return exitOK
	}
	msg := errorMessage(err)
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
		errors.Is(err, repo.ErrNoRemote),
		isRegistryInputError(err),
		isPathInputError(err):
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

// isPathInputError reports whether err is a folder that could not be made
// because the path the user chose (pull -o FILE) is, or runs through, a
// file. Nothing was written there.
func isPathInputError(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && pe.Op == "mkdir" && errors.Is(pe.Err, syscall.ENOTDIR)
}

// oneValuePerFlag makes every repeatable flag of cmd and its subcommands
// take one value each time it is given: a comma is part of the value
// (--meta 'layers=[1,2]', a key or alias with a comma), never a separator.
// urfave/cli reads the setting from the command a flag belongs to, so
// each command gets it.
func oneValuePerFlag(cmd *cli.Command) {
	cmd.DisableSliceFlagSeparator = true
	for _, sub := range cmd.Commands {
		oneValuePerFlag(sub)
	}
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
			&cli.StringFlag{Name: "C", Usage: "run as if trove was started in `DIR` (which must exist)"},
			&cli.BoolFlag{Name: "no-progress", Usage: "never show progress", Sources: cli.EnvVars("TROVE_NO_PROGRESS")},
			&cli.DurationFlag{Name: "lock-timeout", Value: 2 * time.Minute, Usage: "how long to wait for another trove process to release the repository", Sources: cli.EnvVars("TROVE_LOCK_TIMEOUT")},
		},
		Before:                checkWorkDir,
		EnableShellCompletion: true,
		// Errors are printed once, by run, with an exit code of our own.
		ExitErrHandler: func(context.Context, *cli.Command, error) {},
		Commands: []*cli.Command{
			newInitCommand(e),
			newCommitCommand(e),
			newLogCommand(e),
			newShowCommand(e),
			newLsCommand(e),
			newCatCommand(e),
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
	markUsageErrors(app, e.args)
	noHelpArgument(app)
	oneValuePerFlag(app)
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

// checkWorkDir refuses a -C that names no folder, before any command
// runs: as with git -C, trove never creates it (trove init would have made
// a repository there) nor looks for a repository above it.
func checkWorkDir(ctx context.Context, cmd *cli.Command) (context.Context, error) {
	d := cmd.String("C")
	if d == "" {
		return ctx, nil
	}
	fi, err := os.Stat(d)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ctx, usagef("-C %s: the folder does not exist", d)
	case err != nil:
		return ctx, usagef("-C %s: %v", d, errors.Unwrap(err))
	case !fi.IsDir():
		return ctx, usagef("-C %s: not a folder", d)
	}
	return ctx, nil
}

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
		return nil, usagef("%s: want %d argument(s): %s %s", commandPath(cmd), n, usage, helpHint(cmd))
	}
	return a, nil
}

// commandPath names cmd as a user types it after "trove": "alias set";
// "" for trove itself.
func commandPath(cmd *cli.Command) string {
	return strings.Join(cmd.Path()[1:], " ")
}

// helpHint points at cmd's help: "(see trove alias set --help)". Every
// usage error ends with one, so it must name the whole command path: the
// help of "set" alone does not exist.
func helpHint(cmd *cli.Command) string {
	return "(see " + cmd.FullName() + " --help)"
}

// usageMessage prefixes msg with cmd's path and ends it with its help hint.
func usageMessage(cmd *cli.Command, msg string) string {
	if p := commandPath(cmd); p != "" {
		msg = p + ": " + msg
	}
	return msg + " " + helpHint(cmd)
}

// Messages of urfave/cli's flag parser that usageErrorOf rewrites.
const (
	cliUnknownFlag = "flag provided but not defined: -"
	cliNoFlagValue = "flag needs an argument: "
)

// markUsageErrors makes every command report flag errors as usage errors
// (exit status 2) naming the command, the flag as typed on the command
// line args, and the command's help, instead of urfave/cli's bare "flag
// provided but not defined: -badflag".
func markUsageErrors(cmd *cli.Command, args []string) {
	cmd.OnUsageError = func(_ context.Context, cmd *cli.Command, err error, _ bool) error {
		return usageErrorOf(cmd, err, args)
	}
	for _, sub := range cmd.Commands {
		markUsageErrors(sub, args)
	}
}

func usageErrorOf(cmd *cli.Command, err error, args []string) error {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, cliUnknownFlag):
		name := strings.TrimPrefix(msg, cliUnknownFlag)
		msg = "unknown flag " + typedFlag(name, args)
		if s := closest(name, flagNames(cmd)); s != "" {
			msg += fmt.Sprintf("; did you mean --%s?", s)
		}
	case strings.HasPrefix(msg, cliNoFlagValue):
		f := strings.TrimPrefix(msg, cliNoFlagValue)
		if !strings.HasPrefix(f, "-") { // a short flag at the end of a group: -xo
			f = "-" + f
		}
		msg = "flag " + f + " needs a value"
	}
	return &usageError{errors.New(usageMessage(cmd, msg))}
}

// typedFlag returns the command-line argument that spelled flag name
// (without dashes, as urfave/cli reports it): "--badflag", "-badflag",
// "--badflag" of "--badflag=1".
func typedFlag(name string, args []string) string {
	for _, a := range args {
		if a == "--" {
			break
		}
		f, _, _ := strings.Cut(a, "=")
		if strings.HasPrefix(f, "-") && strings.TrimLeft(f, "-") == name {
			return f
		}
	}
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// flagNames lists the long names of cmd's visible flags.
func flagNames(cmd *cli.Command) []string {
	var names []string
	for _, f := range cmd.VisibleFlags() {
		for _, n := range f.Names() {
			if len(n) > 1 {
				names = append(names, n)
			}
		}
	}
	return names
}

// catchUnknownCommands makes a name that is no command ("trove comit",
// "trove alias sett", "trove help sett", "trove sett --help") a usage
// error kept in *errp: urfave/cli reports it only through
// CommandNotFound, which cannot fail, and would otherwise print "No help
// topic for 'comit'" with exit status 1. Under a command that has no
// subcommands, the name is an argument of the command: "trove show
// mnist:v1 --help" shows show's help.
func catchUnknownCommands(cmd *cli.Command, errp *error) {
	cmd.CommandNotFound = func(ctx context.Context, cmd *cli.Command, name string) {
		if len(cmd.VisibleCommands()) == 0 {
			if l := cmd.Lineage(); len(l) > 1 {
				_ = cli.ShowCommandHelp(ctx, l[1], cmd.Name)
				return
			}
		}
		var names []string
		for _, sub := range cmd.VisibleCommands() {
			names = append(names, sub.Names()...)
		}
		msg := fmt.Sprintf("unknown command %q", name)
		if s := closest(name, names); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		*errp = &usageError{errors.New(usageMessage(cmd, msg))}
	}
	for _, sub := range cmd.Commands {
		catchUnknownCommands(sub, errp)
	}
}

// closest returns the one of names that typed most likely misspells: the
// nearest within an edit distance of a third of its length (at least 1),
// or the only name typed begins. It returns "" when none is close.
func closest(typed string, names []string) string {
	best, bestDist := "", max(1, len(typed)/3)+1
	var prefixed []string
	for _, n := range names {
		if d := editDistance(typed, n); d < bestDist {
			best, bestDist = n, d
		}
		if strings.HasPrefix(n, typed) {
			prefixed = append(prefixed, n)
		}
	}
	if best == "" && len(prefixed) == 1 {
		best = prefixed[0]
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of neighbours, each 1.
func editDistance(a, b string) int {
	// d[i][j] is the distance between a[:i] and b[:j].
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
