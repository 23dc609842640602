package refs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trove-ml/trove/objects"
)

// LogFormat is the format of an encoded [Log]. Readers accept
// MinLogFormat..LogFormat; writers write LogFormat.
const (
	MinLogFormat = 1
	LogFormat    = 1
)

// Version states, persisted in logs.
const (
	StateLive    = "live"
	StateDeleted = "deleted"
)

// Log is an artifact's history: its type, every version number it gave out,
// and its aliases and tags. The zero Log is an artifact with no versions.
type Log struct {
	// Format is the encoding format; set by Encode.
	Format int `json:"format"`
	// Type is the artifact's type, fixed by its first version.
	Type string `json:"type"`
	// Counter grows on every write, so encodings always differ.
	Counter uint64 `json:"counter"`
	// Next is the number the next version gets. It never decreases.
	Next int `json:"next"`
	// Versions lists versions in number order, deleted ones included.
	Versions []Version `json:"versions"`
	// Aliases maps custom alias names to version numbers.
	Aliases map[string]int `json:"aliases,omitempty"`
	// Tags maps a tag to the sorted numbers of the versions carrying it.
	Tags map[string][]int `json:"tags,omitempty"`
}

// Version is one entry of a [Log].
type Version struct {
	N int `json:"n"`
	// Record is the id of the immutable version record.
	Record objects.ID `json:"record"`
	// Root is the version's content digest: the id of its root tree.
	Root objects.ID `json:"root"`
	// Created is when the version was made; TTL counts from it.
	Created time.Time `json:"created"`
	// State is StateLive or StateDeleted.
	State string `json:"state"`
	// TTL, when not empty, overrides the TTL of the version record
	// ("30d", "never", "inherit"); `trove ttl set` writes it and package
	// retention reads it. refs stores it as given. TTL counts from Created
	// either way.
	TTL string `json:"ttl,omitempty"`
	// Deleted and Reason say when and why a version stopped being live
	// (ReasonDeleted, ReasonExpired, ReasonRetention); for an expired
	// version Deleted is when it expired. Both are empty for live versions
	// and in logs written before they existed.
	Deleted time.Time `json:"deleted,omitzero"`
	Reason  string    `json:"reason,omitempty"`
}

// Reasons a version stopped being live, persisted in [Version.Reason].
const (
	ReasonDeleted   = "deleted"   // trove delete
	ReasonExpired   = "expired"   // its TTL ran out
	ReasonRetention = "retention" // a retention policy (keep-last) expired it
)

// Encode returns the canonical encoding of l: fixed field order, sorted map
// keys, sorted tag lists, no insignificant space.
func (l *Log) Encode() ([]byte, error) {
	// A log that breaks its invariants is never written: read back, it
	// would fail every command on the artifact.
	if err := l.check(); err != nil {
		return nil, err
	}
	c := *l
	c.Format = LogFormat
	for t, ns := range c.Tags {
		s := slices.Clone(ns)
		sort.Ints(s)
		c.Tags[t] = slices.Compact(s)
	}
	return json.Marshal(&c)
}

// DecodeLog parses an encoded Log and checks its invariants.
func DecodeLog(b []byte) (*Log, error) {
	var l Log
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("%w: artifact log: %v", ErrCorrupt, err)
	}
	if l.Format < MinLogFormat || l.Format > LogFormat {
		return nil, fmt.Errorf("%w: artifact log format %d (reads %d..%d)", ErrCorrupt, l.Format, MinLogFormat, LogFormat)
	}
	if err := l.check(); err != nil {
		return nil, err
	}
	return &l, nil
}

// MaxVersions bounds an artifact's version numbers: Next, the number the
// next version gets, is at most MaxVersions. No artifact comes near it
// (a version a second for 30,000 years); a log claiming more is damaged
// or hostile, and counting on from it would overflow.
const MaxVersions = 1 << 40

func (l *Log) check() error {
	if l.Next < 0 || l.Next > MaxVersions {
		return fmt.Errorf("%w: artifact log: next version number %d (the limit is %d)", ErrCorrupt, l.Next, MaxVersions)
	}
	prev := -1
	for _, v := range l.Versions {
		if v.N <= prev || v.N >= l.Next {
			return fmt.Errorf("%w: artifact log: version number %d out of order (next %d)", ErrCorrupt, v.N, l.Next)
		}
		if v.State != StateLive && v.State != StateDeleted {
			return fmt.Errorf("%w: artifact log: v%d has unknown state %q", ErrCorrupt, v.N, v.State)
		}
		if v.State == StateLive && (v.Reason != "" || !v.Deleted.IsZero()) {
			return fmt.Errorf("%w: artifact log: live v%d carries a deletion (%q)", ErrCorrupt, v.N, v.Reason)
		}
		prev = v.N
	}
	for a, n := range l.Aliases {
		if l.find(n) < 0 {
			return fmt.Errorf("%w: artifact log: alias %q names missing v%d", ErrCorrupt, a, n)
		}
	}
	return nil
}

// find returns the index of version n in l.Versions, or -1.
func (l *Log) find(n int) int {
	i := sort.Search(len(l.Versions), func(i int) bool { return l.Versions[i].N >= n })
	if i < len(l.Versions) && l.Versions[i].N == n {
		return i
	}
	return -1
}

// Version returns version n, live or deleted.
func (l *Log) Version(n int) (Version, bool) {
	if i := l.find(n); i >= 0 {
		return l.Versions[i], true
	}
	return Version{}, false
}

// Latest returns the live version with the highest number.
func (l *Log) Latest() (Version, bool) {
	return l.latestExcept(nil)
}

// latestExcept is Latest skipping the versions numbered in skip.
func (l *Log) latestExcept(skip []int) (Version, bool) {
	for i := len(l.Versions) - 1; i >= 0; i-- {
		if v := l.Versions[i]; v.State == StateLive && !slices.Contains(skip, v.N) {
			return v, true
		}
	}
	return Version{}, false
}

// AliasesOf returns the custom aliases of version n, sorted.
func (l *Log) AliasesOf(n int) []string {
	var out []string
	for a, m := range l.Aliases {
		if m == n {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

// TagsOf returns the tags of version n, sorted.
func (l *Log) TagsOf(n int) []string {
	var out []string
	for t, ns := range l.Tags {
		if slices.Contains(ns, n) {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// Resolve finds the version a selector names: "latest", "vN" or a custom
// alias. A deleted version resolves to an error wrapping ErrDeleted.
func (l *Log) Resolve(sel string) (Version, error) {
	if sel == "" || sel == "latest" {
		v, ok := l.Latest()
		if !ok {
			return Version{}, fmt.Errorf("%w: no live versions", ErrNoVersion)
		}
		return v, nil
	}
	n, isNum := ParseVersionNumber(sel)
	if !isNum {
		var ok bool
		if n, ok = l.Aliases[sel]; !ok {
			return Version{}, fmt.Errorf("%w: no alias %q", ErrNoVersion, sel)
		}
	}
	v, ok := l.Version(n)
	if !ok {
		return Version{}, fmt.Errorf("%w: no version v%d (versions run v0..v%d)", ErrNoVersion, n, l.Next-1)
	}
	if v.State == StateDeleted {
		return Version{}, fmt.Errorf("%w: v%d %s", ErrDeleted, n, v.DeletedText())
	}
	return v, nil
}

// DeletedText says how a deleted version went, for messages: "was
// deleted", "expired on 2026-03-10 12:00:00 UTC and was deleted", …
func (v Version) DeletedText() string {
	at := ""
	if !v.Deleted.IsZero() {
		at = " on " + v.Deleted.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	switch v.Reason {
	case ReasonExpired:
		return "expired" + at + " and was deleted"
	case ReasonRetention:
		return "was deleted by a retention policy" + at
	}
	return "was deleted" + at
}

// MarkDeleted marks version n deleted, for reason, as of at, and releases
// the custom aliases naming it; its number is never given out again. It
// reports false, changing nothing, if n was deleted already, and fails
// with an error wrapping ErrNoVersion if the log has no version n. Tags
// stay, as history. Callers holding a ref (a remote GC's compare-and-swap)
// use it directly; local callers go through [Refs.Delete].
func (l *Log) MarkDeleted(n int, reason string, at time.Time) (bool, error) {
	i := l.find(n)
	if i < 0 {
		return false, fmt.Errorf("%w: no version v%d", ErrNoVersion, n)
	}
	if l.Versions[i].State == StateDeleted {
		return false, nil
	}
	l.Versions[i].State = StateDeleted
	l.Versions[i].Reason = reason
	l.Versions[i].Deleted = at.UTC()
	for a, m := range l.Aliases {
		if m == n {
			delete(l.Aliases, a)
		}
	}
	return true, nil
}

// ParseVersionNumber parses "vN" (N decimal, no sign, no leading zeros).
func ParseVersionNumber(s string) (int, bool) {
	if len(s) < 2 || s[0] != 'v' || (len(s) > 2 && s[1] == '0') {
		return 0, false
	}
	n, err := strconv.Atoi(s[1:])
	if err != nil || n < 0 || strings.ContainsAny(s[1:], "+-") {
		return 0, false
	}
	return n, true
}

// CheckAlias reports whether a is usable as a custom alias: not "latest"
// and not of the form vN, which trove manages itself.
func CheckAlias(a string) error {
	if a == "latest" {
		return fmt.Errorf("%w: %q is managed by trove and always names the newest version", ErrReservedAlias, a)
	}
	if _, ok := ParseVersionNumber(a); ok {
		return fmt.Errorf("%w: %q is a version number; pick another alias", ErrReservedAlias, a)
	}
	return nil
}

// setAlias points alias a at version n, moving it if another version holds
// it.
func (l *Log) setAlias(a string, n int) error {
	if err := CheckAlias(a); err != nil {
		return err
	}
	if l.Aliases == nil {
		l.Aliases = map[string]int{}
	}
	l.Aliases[a] = n
	return nil
}

func (l *Log) addTag(t string, n int) {
	if l.Tags == nil {
		l.Tags = map[string][]int{}
	}
	if !slices.Contains(l.Tags[t], n) {
		l.Tags[t] = append(l.Tags[t], n)
		sort.Ints(l.Tags[t])
	}
}

func (l *Log) removeTag(t string, n int) bool {
	ns := l.Tags[t]
	i := slices.Index(ns, n)
	if i < 0 {
		return false
	}
	ns = slices.Delete(ns, i, i+1)
	if len(ns) == 0 {
		delete(l.Tags, t)
	} else {
		l.Tags[t] = ns
	}
	return true
}

// errors
var (
	// ErrNotFound means no artifact of that name exists.
	ErrNotFound = errors.New("refs: no such artifact")
	// ErrNoVersion means a selector names no version of the artifact.
	ErrNoVersion = errors.New("refs: no such version")
	// ErrDeleted means the selected version was deleted.
	ErrDeleted = errors.New("refs: version deleted")
	// ErrTypeMismatch means a commit's type differs from the artifact's.
	ErrTypeMismatch = errors.New("refs: artifact type mismatch")
	// ErrReservedAlias means the alias is one trove manages itself.
	ErrReservedAlias = errors.New("refs: reserved alias")
	// ErrCorrupt means a stored ref could not be decoded.
	ErrCorrupt = errors.New("refs: corrupt ref")
	// ErrConflict means a ref changed between read and compare-and-swap.
	ErrConflict = errors.New("refs: ref changed concurrently")
)
