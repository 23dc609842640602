package main

import (
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/trove-ml/trove/lineage"
	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/reference"
	"github.com/trove-ml/trove/registry"
	"github.com/trove-ml/trove/repo"
	"github.com/trove-ml/trove/retention"
)

// jsonFlag is the --json flag of read commands.
const jsonUsage = "print one JSON document (stable, documented in docs/CLI.md) instead of text"

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// nonNil returns s, or an empty slice for nil: every list in a --json
// document is [] when empty, never null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// versionName spells version number n as every --json document does: "vN".
func versionName(n int) string { return "v" + strconv.Itoa(n) }

// versionNames spells version numbers as "vN", in order; never nil.
func versionNames(ns []int) []string {
	out := make([]string, 0, len(ns))
	for _, n := range ns {
		out = append(out, versionName(n))
	}
	return out
}

// versionMap spells a map from version number to version number (local to
// remote, on renumbering) with "vN" keys and values; nil stays nil, for
// the optional fields that carry it.
func versionMap(m map[int]int) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[versionName(k)] = versionName(v)
	}
	return out
}

// movedAliases spells the aliases a command moved (alias -> the number of
// the version it moved from) as commit and link print them: alias -> "vN";
// nil when none moved, for the optional field that carries it.
func movedAliases(m map[string]int) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for a, n := range m {
		out[a] = versionName(n)
	}
	return out
}

func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
}

func humanTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// errorClasses are the sentinels that only classify an error (and so
// choose its exit status). Joined beside the detail, as in
// errors.Join(repo.ErrInvalid, errors.New("verify: x is not a folder")),
// they add nothing the user can act on.
var errorClasses = []error{
	repo.ErrInvalid, manifest.ErrInvalid, registry.ErrInvalid,
	retention.ErrInvalid, reference.ErrInvalid, lineage.ErrInvalid,
}

// errorMessage renders err as the one sentence trove prints for it. A
// joined error whose parts are a class sentinel and the detail
// ("repo: invalid input\nverify: x is not a folder") prints as the detail
// alone, on one line (several details are separated by "; ").
func errorMessage(err error) string {
	msg := joinedMessage(err)
	// A class at the front ("repo: invalid input: x is not a folder")
	// only chose the exit status; the detail is the message.
	for _, c := range errorClasses {
		if rest, ok := strings.CutPrefix(msg, c.Error()+": "); ok {
			return rest
		}
	}
	return msg
}

// joinedMessage is err's message, with a class sentinel joined beside the
// detail dropped (see errorMessage).
func joinedMessage(err error) string {
	msg := err.Error()
	var j interface{ Unwrap() []error }
	if !strings.Contains(msg, "\n") || !errors.As(err, &j) {
		return msg
	}
	var parts []string
	var classOnly []string
	for _, e := range j.Unwrap() {
		if e == nil {
			continue
		}
		if isErrorClass(e) {
			classOnly = append(classOnly, e.Error())
			continue
		}
		parts = append(parts, e.Error())
	}
	if len(classOnly) == 0 || len(parts) == 0 {
		return msg // no class to drop: a list of problems keeps its lines
	}
	joined := j.(error).Error()
	return strings.Replace(msg, joined, strings.Join(parts, "; "), 1)
}

func isErrorClass(err error) bool {
	for _, c := range errorClasses {
		if err == c { //nolint:errorlint // the bare sentinel, not one wrapping it
			return true
		}
	}
	return false
}
