package lineage

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/trove-ml/trove/internal/canon"
	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// Sentinel errors callers branch on.
var (
	// ErrNotFound means no run has the id (or id prefix) asked for.
	ErrNotFound = errors.New("lineage: no such run")
	// ErrAmbiguous means an id prefix matches more than one run.
	ErrAmbiguous = errors.New("lineage: ambiguous run id")
	// ErrEnded means the run has ended: its record is immutable and takes
	// no more inputs or outputs.
	ErrEnded = errors.New("lineage: run has ended")
	// ErrInvalid means a run or a request about one is unacceptable; the
	// message says what and how to fix it. Nothing was written.
	ErrInvalid = errors.New("lineage: invalid run")
	// ErrCorrupt means a stored run record, run ref or edge could not be
	// decoded. It also wraps [objects.ErrCorrupt], so every corruption is
	// recognised as one class.
	ErrCorrupt = fmt.Errorf("lineage: corrupt: %w", objects.ErrCorrupt)
	// ErrConflict means a run ref changed between read and
	// compare-and-swap (or an imported record disagrees with the run of the
	// same id already here).
	ErrConflict = errors.New("lineage: run ref changed concurrently")
)

// State is the state of a run. The values are persisted in run records and
// refs; never change them.
type State string

// Run states.
const (
	// StateRunning: started and not ended. Only a ref is in this state;
	// records are written when a run ends.
	StateRunning State = "running"
	// StateFinished: the command exited with status 0.
	StateFinished State = "finished"
	// StateFailed: the command exited with a non-zero status.
	StateFailed State = "failed"
	// StateKilled: a signal killed the command.
	StateKilled State = "killed"
)

func (s State) valid() bool {
	switch s {
	case StateRunning, StateFinished, StateFailed, StateKilled:
		return true
	}
	return false
}

// Limits on what a run records. A run record is one inline blob, so
// together they keep it under [MaxRecordSize].
const (
	// MaxRecordSize is the largest encoded run record or run ref: the
	// object store's limit on inline blobs.
	MaxRecordSize = objects.MaxInlineBlobSize
	// MaxVersionsPerRun bounds a run's inputs plus outputs: at about 130
	// bytes each, 20,000 of them take 2.6 MB of a record.
	MaxVersionsPerRun = 20000
	// MaxConfigKeys bounds the config of a run, as W&B's config limits
	// keep a run's config small enough to show.
	MaxConfigKeys = 1000
	// MaxConfigBytes bounds the config's keys and values together.
	MaxConfigBytes = 256 << 10
	// MaxCommandBytes bounds the command line (all arguments together);
	// Linux's own ARG_MAX per argument is 128 KiB.
	MaxCommandBytes = 256 << 10
	// MaxNameLen bounds a run's name, and also its user, host and folder.
	MaxNameLen = 4096
)

// Run is a recorded execution: what ran, where, when, how it ended, and
// the versions it used (inputs) and logged (outputs).
type Run struct {
	// ID names the run: a ULID (26 characters of Crockford base32, time
	// first), so ids sort by start time. See [NewID].
	ID string
	// Name is free text given by the user (may be empty).
	Name string
	// JobType groups runs ("train", "eval"; [manifest.ValidateName]
	// rules, may be empty). Implicit runs of `trove commit` have "commit".
	JobType string
	// Config is the run's configuration, key to value.
	Config map[string]string
	// Command is the command line: program and arguments.
	Command []string
	// Dir is the working folder, relative to the project folder when it is
	// inside it (slash-separated, "." for the project folder itself), else
	// absolute, so records compare across clones.
	Dir string
	// User and Host say who ran it where; PID is the process of the trove
	// that recorded it (0 if unknown).
	User, Host string
	PID        int
	// Git is the project's Git state when the run started, or nil outside
	// a Git work tree.
	Git *GitInfo
	// Started and Ended are in UTC; Ended is zero while running.
	Started, Ended time.Time
	// State says whether the run is going and how it ended.
	State State
	// ExitCode is the command's exit status when State is StateFinished (0)
	// or StateFailed (non-zero).
	ExitCode int
	// Signal names the signal that killed the command ("SIGTERM") when
	// State is StateKilled.
	Signal string
	// Inputs and Outputs are the versions the run used and logged, sorted by
	// record id, each once.
	Inputs, Outputs []VersionRef
}

// GitInfo is the Git state of a project.
type GitInfo struct {
	// Commit is the HEAD commit id in lower-case hex (40 or 64 digits).
	Commit string
	// Dirty is true when tracked files differ from HEAD (staged or not).
	// Untracked files do not count (see [ReadGit]).
	Dirty bool
}

// VersionRef names a version as an edge holds it: by record id, which never
// changes, with the artifact and the number it had when the edge was made
// (numbers of versions not yet pushed may change).
type VersionRef struct {
	Record   objects.ID
	Artifact string
	Version  int
}

// String returns "artifact:vN".
func (v VersionRef) String() string { return fmt.Sprintf("%s:v%d", v.Artifact, v.Version) }

// Label names the run for people: its name, else its job type, else its
// program's base name.
func (r *Run) Label() string {
	switch {
	case r.Name != "":
		return r.Name
	case r.JobType != "":
		return r.JobType
	case len(r.Command) > 0:
		return filepath.Base(r.Command[0])
	}
	return r.ID
}

// CommandLine joins the run's command as a shell would read it: arguments
// a shell would split or expand, and empty ones, are single-quoted. The
// CLI and the web UI both show commands this way.
func (r *Run) CommandLine() string {
	out := make([]string, len(r.Command))
	for i, a := range r.Command {
		if a != "" && !strings.ContainsAny(a, " \t\n'\"\\$`;&|<>()*?[]{}!#~") {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}

// Outcome describes how a run ended, for people: "finished",
// "failed (exit 3)", "killed (SIGTERM)", "running".
func (r *Run) Outcome() string {
	switch r.State {
	case StateFailed:
		return fmt.Sprintf("failed (exit %d)", r.ExitCode)
	case StateKilled:
		return fmt.Sprintf("killed (%s)", r.Signal)
	}
	return string(r.State)
}

// clone returns a deep copy of r.
func (r *Run) clone() *Run {
	c := *r
	if r.Config != nil {
		c.Config = make(map[string]string, len(r.Config))
		for k, v := range r.Config {
			c.Config[k] = v
		}
	}
	c.Command = append([]string(nil), r.Command...)
	if r.Git != nil {
		g := *r.Git
		c.Git = &g
	}
	c.Inputs = append([]VersionRef(nil), r.Inputs...)
	c.Outputs = append([]VersionRef(nil), r.Outputs...)
	return &c
}

// crockford is the ULID alphabet: Crockford's base32, no I, L, O, U.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// IDLen is the length of a run id.
const IDLen = 26

// NewID returns a new run id: a ULID made of t's Unix milliseconds (48
// bits) and 80 bits read from rand, in Crockford base32. Ids therefore sort
// by start time, and two runs started in the same millisecond, even by
// different people sharing a remote, collide with probability 2^-80.
func NewID(t time.Time, rand io.Reader) (string, error) {
	var b [16]byte
	ms := uint64(t.UnixMilli())
	if t.UnixMilli() < 0 || ms >= 1<<48 {
		return "", fmt.Errorf("%w: time %v cannot be encoded in a run id", ErrInvalid, t)
	}
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	if _, err := io.ReadFull(rand, b[6:]); err != nil {
		return "", fmt.Errorf("lineage: new run id: %w", err)
	}
	return encodeID(b), nil
}

// encodeID writes the 128 bits of b as 26 base32 digits, most significant
// first (the top digit carries 3 bits).
func encodeID(b [16]byte) string {
	var out [IDLen]byte
	for i := range IDLen {
		v := 0
		for k := 4; k >= 0; k-- {
			bit := 125 - 5*i + k // bit index from the least significant
			if bit < 128 && b[15-bit/8]>>(bit%8)&1 == 1 {
				v |= 1 << k
			}
		}
		out[i] = crockford[v]
	}
	return string(out[:])
}

// IDTime returns the start time encoded in a run id.
func IDTime(id string) (time.Time, bool) {
	if !ValidID(id) {
		return time.Time{}, false
	}
	var ms uint64
	for i := range 10 { // 10 digits = 50 bits, the top 2 zero
		ms = ms<<5 | uint64(strings.IndexByte(crockford, id[i]))
	}
	return time.UnixMilli(int64(ms)).UTC(), true
}

// ValidID reports whether id is a run id in canonical (upper-case) form.
func ValidID(id string) bool {
	if len(id) != IDLen || id[0] > '7' {
		return false
	}
	for i := 0; i < len(id); i++ {
		if strings.IndexByte(crockford, id[i]) < 0 {
			return false
		}
	}
	return true
}

// NormalizeID upper-cases a run id or id prefix typed by a person, so ids
// may be given in either case.
func NormalizeID(s string) string { return strings.ToUpper(s) }

// validate checks everything a run record or ref may hold. ended says
// whether the run must have ended (records) or may be running (refs).
func (r *Run) validate() error {
	if !ValidID(r.ID) {
		return invalidf("run id %.40q is not a ULID (26 upper-case Crockford base32 digits)", r.ID)
	}
	if err := validText("name", r.Name, MaxNameLen); err != nil {
		return err
	}
	if r.JobType != "" && manifest.ValidateName("job type", r.JobType) != nil {
		return invalidf("job type %.40q: use 1 to %d letters, digits, '_', '.' and '-'", r.JobType, manifest.MaxArtifactNameLen)
	}
	if len(r.Config) > MaxConfigKeys {
		return invalidf("config has %d keys (the limit is %d)", len(r.Config), MaxConfigKeys)
	}
	n := 0
	for k, v := range r.Config {
		if k == "" || strings.ContainsRune(k, '=') {
			return invalidf("config key %.40q: want a non-empty key without '='", k)
		}
		if err := validText("config key", k, MaxNameLen); err != nil {
			return err
		}
		if !utf8.ValidString(v) {
			return invalidf("config %q: value is not valid UTF-8", k)
		}
		n += len(k) + len(v)
	}
	if n > MaxConfigBytes {
		return invalidf("config is %d bytes (the limit is %d)", n, MaxConfigBytes)
	}
	n = 0
	for _, a := range r.Command {
		if !utf8.ValidString(a) {
			return invalidf("command argument %.40q is not valid UTF-8", a)
		}
		n += len(a) + 1
	}
	if n > MaxCommandBytes {
		return invalidf("command line is %d bytes (the limit is %d)", n, MaxCommandBytes)
	}
	for _, f := range []struct{ what, s string }{{"folder", r.Dir}, {"user", r.User}, {"host", r.Host}} {
		if err := validText(f.what, f.s, MaxNameLen); err != nil {
			return err
		}
	}
	if r.PID < 0 {
		return invalidf("negative pid %d", r.PID)
	}
	if g := r.Git; g != nil {
		if c := g.Commit; !canon.GitCommit(c) {
			return invalidf("git commit %.70q is not 40 or 64 lower-case hex digits", c)
		}
	}
	if err := validTime("start", r.Started); err != nil {
		return err
	}
	if !r.State.valid() {
		return invalidf("unknown state %.40q", r.State)
	}
	if r.State == StateRunning {
		if !r.Ended.IsZero() || r.ExitCode != 0 || r.Signal != "" {
			return invalidf("a running run has an end, an exit code or a signal")
		}
	} else {
		if err := validTime("end", r.Ended); err != nil {
			return err
		}
		if r.Ended.Before(r.Started) {
			return invalidf("run ends (%v) before it starts (%v)", r.Ended, r.Started)
		}
	}
	switch r.State {
	case StateFinished:
		if r.ExitCode != 0 || r.Signal != "" {
			return invalidf("a finished run has exit code %d and signal %q; want 0 and none", r.ExitCode, r.Signal)
		}
	case StateFailed:
		if r.ExitCode == 0 || r.Signal != "" {
			return invalidf("a failed run has exit code %d and signal %q; want a non-zero code and no signal", r.ExitCode, r.Signal)
		}
	case StateKilled:
		if r.ExitCode != 0 || r.Signal == "" {
			return invalidf("a killed run has exit code %d and signal %q; want no code and a signal", r.ExitCode, r.Signal)
		}
		if err := validText("signal", r.Signal, 64); err != nil {
			return err
		}
	}
	if len(r.Inputs)+len(r.Outputs) > MaxVersionsPerRun {
		return invalidf("run has %d inputs and outputs (the limit is %d)", len(r.Inputs)+len(r.Outputs), MaxVersionsPerRun)
	}
	for _, l := range []struct {
		what string
		vs   []VersionRef
	}{{"inputs", r.Inputs}, {"outputs", r.Outputs}} {
		for i, v := range l.vs {
			if v.Record.IsZero() {
				return invalidf("%s: zero record id", l.what)
			}
			if i > 0 && compareIDs(l.vs[i-1].Record, v.Record) >= 0 {
				return invalidf("%s are not sorted by record id, each once", l.what)
			}
			if err := manifest.ValidateName("artifact name", v.Artifact); err != nil {
				return fmt.Errorf("%w: %s: %v", ErrInvalid, l.what, err)
			}
			if v.Version < 0 {
				return invalidf("%s: %s has negative version %d", l.what, v.Artifact, v.Version)
			}
		}
	}
	return nil
}

// addVersion inserts v into the sorted list vs unless a version of the same
// record is there, and reports whether it did.
func addVersion(vs []VersionRef, v VersionRef) ([]VersionRef, bool) {
	i := sort.Search(len(vs), func(i int) bool { return compareIDs(vs[i].Record, v.Record) >= 0 })
	if i < len(vs) && vs[i].Record == v.Record {
		return vs, false
	}
	vs = append(vs, VersionRef{})
	copy(vs[i+1:], vs[i:])
	vs[i] = v
	return vs, true
}

// sortVersions sorts vs by record id and drops repeats.
func sortVersions(vs []VersionRef) []VersionRef {
	var out []VersionRef
	for _, v := range vs {
		out, _ = addVersion(out, v)
	}
	return out
}

func compareIDs(a, b objects.ID) int { return strings.Compare(string(a[:]), string(b[:])) }

func validText(what, s string, limit int) error {
	if len(s) > limit {
		return invalidf("%s is %d bytes (the limit is %d)", what, len(s), limit)
	}
	if !utf8.ValidString(s) {
		return invalidf("%s %.40q is not valid UTF-8", what, s)
	}
	for _, c := range s {
		if unicode.IsControl(c) {
			return invalidf("%s %.40q holds a control character", what, s)
		}
	}
	return nil
}

func validTime(what string, t time.Time) error {
	if t.IsZero() {
		return invalidf("no %s time", what)
	}
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return invalidf("%s time %v is outside years 1..9999", what, t)
	}
	return nil
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}
