package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trove-ml/trove/lineage"
	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/registry"
	"github.com/trove-ml/trove/retention"
)

// Page sizes. A page reads one version record per row, so they stay
// small; ?limit= may ask for up to maxLimit.
const (
	defaultLimit = 50
	maxLimit     = 500
)

// artifactsPrefix is where artifact logs live in the refs namespace
// (repo.Repo.RefsKV documents "artifacts/<name>").
const artifactsPrefix = "artifacts/"

// limitParam reads ?limit=: def when absent, at most most.
func limitParam(r *http.Request, def, most int) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if errors.Is(err, strconv.ErrRange) {
		return most, nil // a number, if a big one: capped like any other
	}
	if err != nil || n < 1 {
		return 0, errBadRequest("limit %q: want a positive number", s)
	}
	return int(min(n, uint64(most))), nil
}

// artifactsView is the artifact list (see the package documentation).
type artifactsView struct {
	Artifacts []artifactRow `json:"artifacts"`
	// Types lists every artifact type in the repository, for the filter.
	Types []string `json:"types"`
	// Type and Query are the filters applied: the type, and text the name
	// must contain (case-insensitive).
	Type  string `json:"type,omitempty"`
	Query string `json:"q,omitempty"`
	// After is where this page starts; Next, when set, is the after= of
	// the next page.
	After string `json:"after,omitempty"`
	Next  string `json:"next,omitempty"`
	Limit int    `json:"limit"`
}

// artifactRow is one artifact of the list.
type artifactRow struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Versions counts live versions.
	Versions int `json:"versions"`
	// Latest is the number of the latest version, and Size, Files and
	// Created describe it; absent when no version is live.
	Latest  *versionNumber `json:"latest,omitempty"`
	Size    int64          `json:"size"`
	Files   int64          `json:"files"`
	Created time.Time      `json:"created,omitzero"`
}

// artifactsPage lists artifacts in name order, filtered and paged. It
// reads every artifact log once (only the type of most), and the latest
// version record of the artifacts on the page.
func (s *Server) artifactsPage(q *request) error {
	qs := q.URL.Query()
	limit, err := limitParam(q.Request, defaultLimit, maxLimit)
	if err != nil {
		return err
	}
	v := artifactsView{Type: qs.Get("type"), Query: qs.Get("q"), After: qs.Get("after"), Limit: limit, Artifacts: []artifactRow{}}
	needle := strings.ToLower(v.Query)
	types := map[string]bool{}
	var logs []*refs.Log
	err = q.repo.RefsKV().Scan(q.Context(), []byte(artifactsPrefix), func(k, val []byte) error {
		name := strings.TrimPrefix(string(k), artifactsPrefix)
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(val, &head); err != nil {
			return fmt.Errorf("%w: artifact %q: %v", refs.ErrCorrupt, name, err)
		}
		types[head.Type] = true
		switch {
		case v.Type != "" && head.Type != v.Type,
			needle != "" && !strings.Contains(strings.ToLower(name), needle),
			v.After != "" && name <= v.After,
			v.Next != "":
			return nil
		case len(v.Artifacts) == limit:
			v.Next = v.Artifacts[len(v.Artifacts)-1].Name
			return nil
		}
		l, err := refs.DecodeLog(val)
		if err != nil {
			return fmt.Errorf("artifact %q: %w", name, err)
		}
		v.Artifacts = append(v.Artifacts, artifactRow{Name: name, Type: l.Type})
		logs = append(logs, l)
		return nil
	})
	if err != nil {
		return err
	}
	for t := range types {
		v.Types = append(v.Types, t)
	}
	sort.Strings(v.Types)
	for i := range v.Artifacts {
		row, l := &v.Artifacts[i], logs[i]
		for _, ver := range l.Versions {
			if ver.State == refs.StateLive {
				row.Versions++
			}
		}
		latest, ok, err := q.latest(row.Name, l)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		rec, err := q.repo.Record(q.Context(), latest.Record)
		if err != nil {
			return fmt.Errorf("%s:v%d: %w", row.Name, latest.N, err)
		}
		n := versionNumber(latest.N)
		row.Latest, row.Size, row.Files, row.Created = &n, rec.Size, rec.Files, latest.Created
	}
	return s.render(q, "artifacts", page{Title: "Artifacts", Section: "artifacts", Data: v})
}

// versionsView is an artifact's versions, newest first.
type versionsView struct {
	Artifact string       `json:"artifact"`
	Type     string       `json:"type"`
	Versions []versionRow `json:"versions"`
	// Live counts live versions; Next counts every number given out.
	Live int `json:"live"`
	Next int `json:"next"`
	// Before is where this page starts (versions numbered below it);
	// More, when set, is the before= of the next page.
	Before *versionNumber `json:"before,omitempty"`
	More   versionNumber  `json:"more,omitempty"`
	Limit  int            `json:"limit"`
}

// versionRow is one version in a list.
type versionRow struct {
	Version versionNumber `json:"version"`
	State   string        `json:"state"`
	// Deleted says when and why a deleted version went.
	Deleted string `json:"deleted,omitempty"`
	// Aliases include "latest" for the latest version.
	Aliases []string  `json:"aliases"`
	Tags    []string  `json:"tags"`
	Created time.Time `json:"created"`
	Digest  string    `json:"digest"`
	Record  string    `json:"record"`
	// Size and Files are the version's content (live versions only).
	Size  int64 `json:"size"`
	Files int64 `json:"files"`
	// TTL is the TTL in force ("never" or a period) and TTLSource where it
	// comes from (registry, override, record, default); Expires and
	// Remaining are set when it expires.
	TTL       string     `json:"ttl,omitempty"`
	TTLSource string     `json:"ttlSource,omitempty"`
	Expires   *time.Time `json:"expires,omitempty"`
	Remaining string     `json:"remaining,omitempty"`
	// Runs are the runs that logged it.
	Runs []runRef `json:"runs"`
}

// runRef names a run in lists.
type runRef struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	State string `json:"state,omitempty"`
}

// runRefs names runs for lists; never nil, so JSON shows [].
func runRefs(runs []*lineage.Run) []runRef {
	out := make([]runRef, 0, len(runs))
	for _, r := range runs {
		out = append(out, runRef{ID: r.ID, Label: r.Label(), State: r.Outcome()})
	}
	return out
}

func (s *Server) versionsPage(q *request) error {
	name := q.PathValue("name")
	l, err := q.log(name)
	if err != nil {
		return err
	}
	limit, err := limitParam(q.Request, defaultLimit, maxLimit)
	if err != nil {
		return err
	}
	v := versionsView{Artifact: name, Type: l.Type, Next: l.Next, Limit: limit, Versions: []versionRow{}}
	before := l.Next
	if b := q.URL.Query().Get("before"); b != "" {
		n, ok := refs.ParseVersionNumber(b)
		if !ok {
			// A bare number: what pages wrote before they spelt
			// versions "vN", kept so their links still work.
			var err error
			n, err = strconv.Atoi(b)
			ok = err == nil && n >= 0
		}
		if !ok {
			return errBadRequest("before %q: want a version, vN", b)
		}
		before = n
		bn := versionNumber(n)
		v.Before = &bn
	}
	var shown []refs.Version
	for i := len(l.Versions) - 1; i >= 0; i-- {
		ver := l.Versions[i]
		if ver.State == refs.StateLive {
			v.Live++
		}
		if ver.N >= before {
			continue
		}
		if len(shown) == limit {
			// Some version below the page exists, so the last shown is
			// at least v1.
			v.More = versionNumber(shown[len(shown)-1].N)
			continue
		}
		shown = append(shown, ver)
	}
	rows, err := q.versionRows(name, l, shown, nil)
	if err != nil {
		return err
	}
	v.Versions = rows
	return s.render(q, "versions", page{
		Title: name, Section: "artifacts",
		Crumbs: []crumb{{"Artifacts", "/artifacts"}, {name, ""}},
		Data:   v,
	})
}

// log reads the log of artifact name, checking the name first so that a
// hostile URL never reaches the store as a key.
func (q *request) log(name string) (*refs.Log, error) {
	if err := manifest.ValidateName("artifact name", name); err != nil {
		return nil, &httpError{status: http.StatusNotFound, msg: "no artifact: " + err.Error()}
	}
	return q.Log(q.Context(), name)
}

// latest returns the version "latest" names in l, the log of artifact
// name, as everywhere in trove (repo.Repo.Latest): the newest live
// version whose TTL has not run out. ok is false when there is none.
func (q *request) latest(name string, l *refs.Log) (v refs.Version, ok bool, err error) {
	v, ok, err = q.repo.Latest(q.Context(), name, l)
	if errors.Is(err, retention.ErrInvalid) {
		// A bad retention setting is the config's problem, reported by
		// the commands that use it; here, as in retention below, no TTL
		// applies.
		v, ok = l.Latest()
		return v, ok, nil
	}
	return v, ok, err
}

// versionRows describes versions of one artifact: their records, TTLs
// and producing runs. It reads one edge scan per version, and the record
// of each live version not in recs (which may be nil).
func (q *request) versionRows(name string, l *refs.Log, vs []refs.Version, recs map[objects.ID]*manifest.Record) ([]versionRow, error) {
	ctx := q.Context()
	latest, hasLatest, err := q.latest(name, l)
	if err != nil {
		return nil, err
	}
	if recs == nil {
		recs = map[objects.ID]*manifest.Record{}
	}
	rows := make([]versionRow, 0, len(vs))
	var live []refs.Version
	for _, ver := range vs {
		row := versionRow{
			Version: versionNumber(ver.N), State: ver.State, Created: ver.Created,
			Digest: ver.Root.String(), Record: ver.Record.String(),
			Aliases: l.AliasesOf(ver.N), Tags: l.TagsOf(ver.N),
		}
		if hasLatest && ver.N == latest.N {
			row.Aliases = append([]string{"latest"}, row.Aliases...)
		}
		if row.Aliases == nil {
			row.Aliases = []string{}
		}
		if row.Tags == nil {
			row.Tags = []string{}
		}
		if ver.State != refs.StateLive {
			row.Deleted = ver.DeletedText()
		} else {
			rec, ok := recs[ver.Record]
			if !ok {
				var err error
				if rec, err = q.repo.Record(ctx, ver.Record); err != nil {
					return nil, fmt.Errorf("%s:v%d: %w", name, ver.N, err)
				}
				recs[ver.Record] = rec
			}
			row.Size, row.Files = rec.Size, rec.Files
			live = append(live, ver)
		}
		runs, err := q.runs.LoggedBy(ctx, ver.Record)
		if err != nil {
			return nil, err
		}
		row.Runs = runRefs(runs)
		rows = append(rows, row)
	}
	sts, err := q.retention(name, live, recs)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		st, ok := retention.Find(sts, int(rows[i].Version))
		if !ok {
			continue
		}
		rows[i].TTL, rows[i].TTLSource = st.TTL.String(), string(st.Source)
		if left, expires := st.Remaining(q.now); expires {
			e := st.Expires
			rows[i].Expires = &e
			rows[i].Remaining = retention.FormatRemaining(left)
			if st.Expired {
				rows[i].Remaining = "expired"
			}
		}
	}
	return rows, nil
}

// retention evaluates the TTLs of live versions whose records are in
// recs: registry links first, then overrides, records, and the project
// default (package retention).
func (q *request) retention(name string, live []refs.Version, recs map[objects.ID]*manifest.Record) ([]retention.Status, error) {
	if len(live) == 0 {
		return nil, nil
	}
	set, err := retention.NewSettings(q.repo.Config.Defaults.TTL, nil)
	if err != nil {
		// A bad default is the config's problem, reported by the commands
		// that use it; here TTLs are shown as recorded.
		set = retention.Settings{DefaultTTL: retention.NeverTTL()}
	}
	linked, err := registry.LinkedRecords(q.Context(), q.repo.RefsKV())
	if err != nil {
		return nil, err
	}
	sort.Slice(live, func(i, j int) bool { return live[i].N < live[j].N })
	sub := &refs.Log{Versions: live}
	return retention.Evaluate(q.Context(), name, sub, set, retention.Holds{Linked: linked},
		func(_ context.Context, v refs.Version) (string, error) {
			if rec, ok := recs[v.Record]; ok {
				return rec.TTL, nil
			}
			return "", errors.New("web: record not loaded")
		}, q.now)
}
