package gitpair

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
)

// LockName is the lock file's name, in the project folder (the folder
// holding .trove, normally the Git work tree's root).
const LockName = "trove.lock"

// Lock format versions. Readers accept MinLockFormat..LockFormat; writers
// write LockFormat.
const (
	MinLockFormat = 1
	LockFormat    = 1
)

// Limits on what a lock may hold. The decoder checks them before it keeps
// anything, so a hostile file costs at most MaxLockSize of memory.
const (
	// MaxLockSize bounds the file: about 40,000 pins of typical length,
	// far more than a project pins by hand.
	MaxLockSize = 8 << 20
	// MaxPathLen bounds a pinned path in bytes: Linux's PATH_MAX.
	MaxPathLen = 4096
	// MaxAliasLen bounds the alias field: a registry name has three
	// components and a selector of at most 128 characters each.
	MaxAliasLen = 4 * 130
)

// lockMagic starts the header line: "trove.lock 1".
const lockMagic = "trove.lock"

// lockColumns is the comment line the encoder writes under the header, so
// a reader of the file knows what the columns are.
const lockColumns = "# path\tartifact\tversion\talias\tcontent digest\trecord (written by 'trove pin'; commit with your code)"

// Sentinel errors callers branch on.
var (
	// ErrBadLock means trove.lock cannot be read: a bad header, a line
	// with the wrong fields, a bad path, a duplicate. The message names
	// the line.
	ErrBadLock = errors.New("gitpair: bad trove.lock")
	// ErrLockConflict means trove.lock holds Git merge conflict markers.
	// The message names the first marker's line.
	ErrLockConflict = errors.New("gitpair: trove.lock has an unresolved merge conflict")
	// ErrBadPin means a pin cannot be recorded: its path leaves the
	// project folder, lies in .git or .trove, or nests in another pin.
	ErrBadPin = errors.New("gitpair: bad pin")
)

// Pin is one line of trove.lock: a version of an artifact, materialised
// at a path of the project.
type Pin struct {
	// Path is where the version's files go: '/'-separated, relative to
	// the folder holding trove.lock, clean, never "." nor inside .git or
	// .trove.
	Path string
	// Artifact names the artifact.
	Artifact string
	// Version is the version's number when it was pinned. Numbers of
	// versions not yet pushed are provisional (a push may renumber them),
	// so Record is what identifies the version; Version is for people.
	Version int
	// Alias is what the pin follows, for 'trove pin --update' and the
	// "behind" check of 'trove status': an alias of the artifact
	// ("latest", "best", "v3"), or a full registry name
	// ("registry/model/classifier:production") for pins made through a
	// registry. It always contains '/' in the second case, never in the
	// first.
	Alias string
	// Digest is the version's content digest (its root tree). A version
	// that collapsed into an equal one on push is found by it.
	Digest objects.ID
	// Record is the id of the version record: what the pin holds live
	// against deletion and GC.
	Record objects.ID
}

// Name returns the version's name as NAME:vN.
func (p Pin) Name() string { return p.Artifact + ":v" + strconv.Itoa(p.Version) }

// Follows returns the name that Alias designates, to resolve again:
// "artifact:alias", or the registry name itself.
func (p Pin) Follows() string {
	if strings.Contains(p.Alias, "/") {
		return p.Alias
	}
	return p.Artifact + ":" + p.Alias
}

// Lock is the content of a trove.lock: pins sorted by path. The zero Lock
// has no pins.
type Lock struct {
	// Pins are sorted by Path (bytewise), unique, and no pin's path lies
	// inside another's. Use Set and Remove to keep it so.
	Pins []Pin
}

// Find returns the pin at path p.
func (l *Lock) Find(p string) (Pin, bool) {
	i := sort.Search(len(l.Pins), func(i int) bool { return l.Pins[i].Path >= p })
	if i < len(l.Pins) && l.Pins[i].Path == p {
		return l.Pins[i], true
	}
	return Pin{}, false
}

// Set adds pin p, or replaces the pin at its path. It fails with ErrBadPin
// if p is invalid or its path nests in another pin's (or holds one).
func (l *Lock) Set(p Pin) error {
	if err := p.check(); err != nil {
		return fmt.Errorf("%w: %v", ErrBadPin, err)
	}
	for _, q := range l.Pins {
		if q.Path != p.Path && (isInside(p.Path, q.Path) || isInside(q.Path, p.Path)) {
			return fmt.Errorf("%w: %s and the pin at %s would overlap (pins may not nest)", ErrBadPin, p.Path, q.Path)
		}
	}
	i := sort.Search(len(l.Pins), func(i int) bool { return l.Pins[i].Path >= p.Path })
	if i < len(l.Pins) && l.Pins[i].Path == p.Path {
		l.Pins[i] = p
		return nil
	}
	l.Pins = append(l.Pins, Pin{})
	copy(l.Pins[i+1:], l.Pins[i:])
	l.Pins[i] = p
	return nil
}

// Remove removes the pin at path p and reports whether there was one.
func (l *Lock) Remove(p string) bool {
	i := sort.Search(len(l.Pins), func(i int) bool { return l.Pins[i].Path >= p })
	if i < len(l.Pins) && l.Pins[i].Path == p {
		l.Pins = append(l.Pins[:i], l.Pins[i+1:]...)
		return true
	}
	return false
}

// isInside reports whether path a lies strictly inside folder b.
func isInside(a, b string) bool { return strings.HasPrefix(a, b+"/") }

// Encode returns the file's bytes: the header line, a comment naming the
// columns, then one line per pin, sorted by path, fields separated by one
// tab. Equal locks always encode to equal bytes, so a lock changes in Git
// only where a pin does.
//
// What Encode returns always decodes to an equal lock: it fails with
// ErrBadPin if a pin is invalid (a field Decode would refuse, or a path
// that starts with '#', which a reader would take for a comment, losing
// the pin without a word), or two pins share a path or nest. Set keeps a
// lock valid; this is the last check before bytes are written, for locks
// put together otherwise.
func (l *Lock) Encode() ([]byte, error) {
	pins := append([]Pin(nil), l.Pins...)
	sort.Slice(pins, func(i, j int) bool { return pins[i].Path < pins[j].Path })
	// Sorted bytewise, a folder comes before every path inside it.
	seen := make(map[string]bool, len(pins))
	for _, p := range pins {
		if err := p.check(); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadPin, err)
		}
		if seen[p.Path] {
			return nil, fmt.Errorf("%w: %s is pinned twice", ErrBadPin, p.Path)
		}
		for d := path.Dir(p.Path); d != "."; d = path.Dir(d) {
			if seen[d] {
				return nil, fmt.Errorf("%w: %s lies inside the pin at %s (pins may not nest)", ErrBadPin, p.Path, d)
			}
		}
		seen[p.Path] = true
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %d\n%s\n", lockMagic, LockFormat, lockColumns)
	for _, p := range pins {
		fmt.Fprintf(&b, "%s\t%s\tv%d\t%s\t%s\t%s\n", p.Path, p.Artifact, p.Version, p.Alias, p.Digest, p.Record)
	}
	return b.Bytes(), nil
}

// conflictMarker returns the Git merge conflict marker that line is, if
// any: "<<<<<<<", "|||||||" (diff3's base) and ">>>>>>>" followed by a
// space or nothing, or "=======" alone.
func conflictMarker(line string) (string, bool) {
	if line == "=======" {
		return line, true
	}
	for _, m := range []string{"<<<<<<<", "|||||||", ">>>>>>>"} {
		if line == m || strings.HasPrefix(line, m+" ") {
			return m, true
		}
	}
	return "", false
}

// Decode parses a trove.lock. Errors wrap ErrLockConflict for Git conflict
// markers and ErrBadLock for anything else, and name the line ("line 4:
// …"). Lines starting with '#' and blank lines are ignored; a CR before a
// line's LF is ignored too (a file checked out with autocrlf). Pins may
// come in any order (a hand edit or a merge may leave them unsorted); the
// result is sorted. A missing lock file is no pins, but an empty one
// (no header) is an error: it is not something trove writes.
func Decode(b []byte) (*Lock, error) {
	if len(b) > MaxLockSize {
		return nil, fmt.Errorf("%w: %d bytes (the limit is %d)", ErrBadLock, len(b), MaxLockSize)
	}
	// Conflict markers first, anywhere in the file: they explain every
	// other error a half-merged file would cause.
	for i, line := range splitLines(b) {
		if m, ok := conflictMarker(line); ok {
			return nil, fmt.Errorf("%w: line %d: Git conflict marker %q (keep one line per path, or take one side with 'git checkout --ours trove.lock' or '--theirs', then run 'trove checkout')", ErrLockConflict, i+1, m)
		}
	}
	l := &Lock{}
	lineOf := map[string]int{}
	header := false
	for i, line := range splitLines(b) {
		n := i + 1
		if line == "" || line[0] == '#' {
			continue
		}
		if !header {
			if err := checkHeader(line); err != nil {
				return nil, fmt.Errorf("%w: line %d: %v", ErrBadLock, n, err)
			}
			header = true
			continue
		}
		p, err := parsePin(line)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrBadLock, n, err)
		}
		if m, dup := lineOf[p.Path]; dup {
			return nil, fmt.Errorf("%w: line %d: %s is pinned twice (lines %d and %d); keep one", ErrBadLock, n, p.Path, m, n)
		}
		lineOf[p.Path] = n
		l.Pins = append(l.Pins, p)
	}
	if !header {
		return nil, fmt.Errorf("%w: line 1: no %q header (an empty file is not a lock; delete it or run 'trove pin')", ErrBadLock, fmt.Sprintf("%s %d", lockMagic, LockFormat))
	}
	sort.Slice(l.Pins, func(i, j int) bool { return l.Pins[i].Path < l.Pins[j].Path })
	// Nesting: check every ancestor folder of every path.
	for _, p := range l.Pins {
		for d := path.Dir(p.Path); d != "."; d = path.Dir(d) {
			if m, ok := lineOf[d]; ok {
				return nil, fmt.Errorf("%w: line %d: %s lies inside the pin at %s (line %d); pins may not nest", ErrBadLock, lineOf[p.Path], p.Path, d, m)
			}
		}
	}
	return l, nil
}

// splitLines splits b at LF, dropping one CR before each LF and the empty
// string after a final LF.
func splitLines(b []byte) []string {
	s := string(b)
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

func checkHeader(line string) error {
	magic, v, ok := strings.Cut(line, " ")
	if !ok || magic != lockMagic {
		return fmt.Errorf("want the header %q, have %.60q", fmt.Sprintf("%s %d", lockMagic, LockFormat), line)
	}
	n, err := strconv.Atoi(v)
	if err != nil || strconv.Itoa(n) != v {
		return fmt.Errorf("format %.20q is not a number", v)
	}
	if n < MinLockFormat || n > LockFormat {
		return fmt.Errorf("format %d (this trove reads %d..%d; upgrade trove)", n, MinLockFormat, LockFormat)
	}
	return nil
}

// lockFields is the number of tab-separated fields of a pin line.
const lockFields = 6

func parsePin(line string) (Pin, error) {
	f := strings.Split(line, "\t")
	if len(f) != lockFields {
		return Pin{}, fmt.Errorf("want %d tab-separated fields (path, artifact, version, alias, digest, record), have %d", lockFields, len(f))
	}
	p := Pin{Path: f[0], Artifact: f[1], Alias: f[3]}
	n, ok := refs.ParseVersionNumber(f[2])
	if !ok {
		return Pin{}, fmt.Errorf("version %.20q: want vN", f[2])
	}
	p.Version = n
	var err error
	if p.Digest, err = parseID("digest", f[4]); err != nil {
		return Pin{}, err
	}
	if p.Record, err = parseID("record", f[5]); err != nil {
		return Pin{}, err
	}
	return p, p.check()
}

func parseID(what, s string) (objects.ID, error) {
	if len(s) != 2*objects.IDSize || strings.ToLower(s) != s {
		return objects.ID{}, fmt.Errorf("%s %.70q: want %d lower-case hex digits", what, s, 2*objects.IDSize)
	}
	id, err := objects.ParseID(s)
	if err != nil || id.IsZero() {
		return objects.ID{}, fmt.Errorf("%s %.70q: want %d lower-case hex digits, not all zero", what, s, 2*objects.IDSize)
	}
	return id, nil
}

// check validates every field of a pin.
func (p Pin) check() error {
	if err := CheckPath(p.Path); err != nil {
		return err
	}
	if err := manifest.ValidateName("artifact name", p.Artifact); err != nil {
		return err
	}
	if p.Version < 0 {
		return fmt.Errorf("version v%d is negative", p.Version)
	}
	if err := checkAlias(p.Artifact, p.Alias); err != nil {
		return err
	}
	if p.Digest.IsZero() || p.Record.IsZero() {
		return errors.New("digest and record must be set")
	}
	return nil
}

func checkAlias(artifact, a string) error {
	if a == "" || len(a) > MaxAliasLen || !utf8.ValidString(a) || strings.ContainsFunc(a, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return fmt.Errorf("alias %.40q: want 1 to %d printable characters without spaces", a, MaxAliasLen)
	}
	if strings.Contains(a, "/") {
		sp, err := refs.ParseSpec(a)
		if err != nil || sp.Collection == "" || sp.Selector == "" {
			return fmt.Errorf("alias %.40q: a name with '/' must be a registry name, registry/REGISTRY/COLLECTION:ALIAS", a)
		}
		return nil
	}
	if _, err := refs.ParseSpec(artifact + ":" + a); err != nil {
		return fmt.Errorf("alias %.40q: %v", a, err)
	}
	return nil
}

// reservedDirs may not hold pins: Git's and trove's own folders.
var reservedDirs = []string{".git", ".trove"}

// CheckPath reports whether p can be a pin's path: relative,
// '/'-separated, clean (no empty, "." or ".." elements, no trailing '/'),
// at most MaxPathLen bytes of valid UTF-8 without control characters or
// '\', not starting with '#' (a comment in trove.lock), and not
// trove.lock itself nor inside .git or .trove.
func CheckPath(p string) error {
	switch {
	case p == "" || p == ".":
		return errors.New("the path is the project folder itself; pin into a sub-folder (e.g. data/NAME)")
	case len(p) > MaxPathLen:
		return fmt.Errorf("path %.40q… is %d bytes long (the limit is %d)", p, len(p), MaxPathLen)
	case !utf8.ValidString(p):
		return fmt.Errorf("path %q is not valid UTF-8", p)
	case strings.ContainsFunc(p, func(r rune) bool { return r < ' ' || r == 0x7f || r == '\\' }):
		return fmt.Errorf("path %q holds a control character or '\\'", p)
	case p[0] == '/':
		return fmt.Errorf("path %q is absolute; pins are relative to the project folder", p)
	case p[0] == '#':
		// trove.lock would read the pin's line as a comment, and the
		// version would silently lose its pin.
		return fmt.Errorf("path %q starts with '#', which trove.lock reads as a comment; rename it, or put it under a folder (e.g. data/%s)", p, p)
	}
	for _, el := range strings.Split(p, "/") {
		if el == "" || el == "." || el == ".." {
			return fmt.Errorf("path %q is not clean (empty, '.' or '..' element)", p)
		}
	}
	first, _, _ := strings.Cut(p, "/")
	for _, d := range reservedDirs {
		if first == d {
			return fmt.Errorf("path %q lies in %s, which is not yours to pin into", p, d)
		}
	}
	if p == LockName {
		return fmt.Errorf("path %q is the lock file itself", p)
	}
	return nil
}
