package main

import (
	"encoding/json"
	"io"
	"text/tabwriter"
	"time"
)

// jsonFlag is the --json flag of read commands.
const jsonUsage = "print one JSON document (stable, documented in docs/CLI.md) instead of text"

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
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
