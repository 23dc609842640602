package main

import (
	"github.com/trove-ml/trove/gitpair"
	"github.com/trove-ml/trove/gitpair/workspace"
	"github.com/trove-ml/trove/repo"
)

// The --json forms of pins, checkouts, status and verify reports. They
// are converted here rather than printed as the workspace and repo types
// are, so that the command line spells versions as every command does
// ("vN"; a full "NAME:vN" is a field called name) and lists are [], never
// null.

// pinJSON is a pin, a line of trove.lock (docs/CLI.md: Pin).
type pinJSON struct {
	Path     string `json:"path"`
	Artifact string `json:"artifact"`
	// Version is the version's number when it was pinned, "vN"
	// (provisional until pushed: Record identifies the version).
	Version string `json:"version"`
	Alias   string `json:"alias"`
	Digest  string `json:"digest"`
	Record  string `json:"record"`
}

func pinInfo(p gitpair.Pin) pinJSON {
	return pinJSON{
		Path: p.Path, Artifact: p.Artifact, Version: versionName(p.Version), Alias: p.Alias,
		Digest: p.Digest.String(), Record: p.Record.String(),
	}
}

// checkedOutJSON says what was done at one pin's path (docs/CLI.md:
// Checked-out pin).
type checkedOutJSON struct {
	Pin pinJSON `json:"pin"`
	// Name is the version materialised, NAME:vN as numbered here.
	Name    string `json:"name,omitempty"`
	Written int64  `json:"written"`
	Skipped int64  `json:"skipped"`
	Removed int64  `json:"removed"`
	Bytes   int64  `json:"bytes"`
	Error   string `json:"error,omitempty"`
	Warning string `json:"warning,omitempty"`
}

func checkedOutInfo(co workspace.CheckedOut) checkedOutJSON {
	return checkedOutJSON{
		Pin: pinInfo(co.Pin), Name: co.Version, Written: co.Written, Skipped: co.Skipped, Removed: co.Removed,
		Bytes: co.Bytes, Error: co.Error, Warning: co.Warning,
	}
}

// pinResultJSON is what pin prints.
type pinResultJSON struct {
	Pin      pinJSON        `json:"pin"`
	Previous *pinJSON       `json:"previous,omitempty"`
	Checkout checkedOutJSON `json:"checkout"`
	Ignored  string         `json:"ignored,omitempty"`
}

func pinResultInfo(res *workspace.PinResult) pinResultJSON {
	j := pinResultJSON{Pin: pinInfo(res.Pin), Checkout: checkedOutInfo(res.Checkout), Ignored: res.Ignored}
	if res.Previous != nil {
		p := pinInfo(*res.Previous)
		j.Previous = &p
	}
	return j
}

// checkoutJSON is what checkout prints.
type checkoutJSON struct {
	Commit string           `json:"commit,omitempty"`
	Pins   []checkedOutJSON `json:"pins"`
}

func checkoutInfo(res *workspace.CheckoutResult) checkoutJSON {
	j := checkoutJSON{Commit: res.Commit, Pins: []checkedOutJSON{}}
	for _, co := range res.Pins {
		j.Pins = append(j.Pins, checkedOutInfo(co))
	}
	return j
}

// statusJSON is what status prints.
type statusJSON struct {
	Remote string          `json:"remote"`
	Pins   []pinStatusJSON `json:"pins"`
}

type pinStatusJSON struct {
	Pin pinJSON `json:"pin"`
	// Name is the pinned version, NAME:vN as numbered here.
	Name        string            `json:"name,omitempty"`
	Unavailable string            `json:"unavailable,omitempty"`
	Missing     bool              `json:"missing"`
	Modified    bool              `json:"modified"`
	Changes     *verifyReportJSON `json:"changes,omitempty"`
	Placed      string            `json:"placed,omitempty"`
	Stale       bool              `json:"stale"`
	HashedBytes int64             `json:"hashedBytes"`
	Behind      bool              `json:"behind"`
	AliasNow    string            `json:"aliasNow,omitempty"`
	AliasError  string            `json:"aliasError,omitempty"`
	Expired     string            `json:"expired,omitempty"`
	Unpushed    bool              `json:"unpushed"`
}

func statusInfo(st *workspace.Status) statusJSON {
	j := statusJSON{Remote: st.Remote, Pins: []pinStatusJSON{}}
	for _, p := range st.Pins {
		ps := pinStatusJSON{
			Pin: pinInfo(p.Pin), Name: p.Version, Unavailable: p.Unavailable, Missing: p.Missing,
			Modified: p.Modified, Placed: p.Placed, Stale: p.Stale, HashedBytes: p.HashedBytes, Behind: p.Behind, AliasNow: p.AliasNow,
			AliasError: p.AliasError, Expired: p.Expired, Unpushed: p.Unpushed,
		}
		if p.Changes != nil {
			c := verifyReportInfo(p.Changes)
			ps.Changes = &c
		}
		j.Pins = append(j.Pins, ps)
	}
	return j
}

// verifyReportJSON is a verify report (verify's report, status's changes).
type verifyReportJSON struct {
	Missing       []string `json:"missing"`
	Extra         []string `json:"extra"`
	Changed       []string `json:"changed"`
	Files         int64    `json:"files"`
	Bytes         int64    `json:"bytes"`
	SourceChanged []string `json:"sourceChanged,omitempty"`
	Unpinned      []string `json:"unpinned,omitempty"`
}

func verifyReportInfo(rep *repo.VerifyReport) verifyReportJSON {
	return verifyReportJSON{
		Missing: nonNil(rep.Missing), Extra: nonNil(rep.Extra), Changed: nonNil(rep.Changed),
		Files: rep.Files, Bytes: rep.Bytes, SourceChanged: rep.SourceChanged, Unpinned: rep.Unpinned,
	}
}

// verifyJSON is what verify prints.
type verifyJSON struct {
	// Name is the version checked, NAME:vN; Artifact and Version ("vN")
	// are its parts.
	Name     string           `json:"name"`
	Artifact string           `json:"artifact"`
	Version  string           `json:"version"`
	OK       bool             `json:"ok"`
	Report   verifyReportJSON `json:"report"`
}
