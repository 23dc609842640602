package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/registry"
	"github.com/trove-ml/trove/repo"
)

// version is a version a URL names, resolved.
type version struct {
	name string
	log  *refs.Log
	ver  refs.Version
	rec  *manifest.Record
}

func (v *version) label() string { return v.name + ":" + v.number().String() }

// notHere says what to do when reading v's tree or content failed because
// this repository lacks it: the version was fetched and not pulled.
// Other errors are returned as they are.
func (v *version) notHere(err error) error {
	if !missing(err) {
		return err
	}
	return fmt.Errorf("%s: its files are not in this repository (it was fetched, not pulled): 'trove pull %s' brings them (%w)", v.label(), v.label(), err)
}

// treeError describes a failure to read v's tree: as notHere when the
// tree is not here, else the error named with v.
func (v *version) treeError(err error) error {
	if missing(err) {
		return v.notHere(err)
	}
	return fmt.Errorf("%s: %w", v.label(), err)
}

// missing reports whether err says that this repository lacks a blob.
func missing(err error) bool {
	return errors.Is(err, objects.ErrNotFound) || errors.Is(err, repo.ErrMissingContent)
}

// number is the version's number.
func (v *version) number() versionNumber { return versionNumber(v.ver.N) }

// version resolves {name} and {sel} ("vN", "latest" or a custom alias) to
// a live version. A deleted one is an error wrapping refs.ErrDeleted.
func (q *request) version() (*version, error) {
	return q.versionOf(q.PathValue("name"), q.PathValue("sel"))
}

func (q *request) versionOf(name, sel string) (*version, error) {
	l, err := q.log(name)
	if err != nil {
		return nil, err
	}
	ver, err := q.resolve(name, l, sel)
	if err != nil {
		return nil, err
	}
	rec, err := q.repo.Record(q.Context(), ver.Record)
	if err != nil {
		return nil, fmt.Errorf("%s:v%d: %w", name, ver.N, err)
	}
	return &version{name: name, log: l, ver: ver, rec: rec}, nil
}

// resolve finds the version sel names in l, the log of artifact name.
// "latest" skips versions whose TTL ran out, as everywhere in trove.
func (q *request) resolve(name string, l *refs.Log, sel string) (refs.Version, error) {
	if sel != "latest" {
		ver, err := l.Resolve(sel)
		if err != nil {
			return ver, fmt.Errorf("%s:%s: %w", name, sel, err)
		}
		return ver, nil
	}
	ver, ok, err := q.latest(name, l)
	switch {
	case err != nil:
		return ver, err
	case ok:
		return ver, nil
	}
	if _, live := l.Latest(); live {
		return ver, fmt.Errorf("%s:latest: %w: every live version has expired", name, refs.ErrNoVersion)
	}
	return ver, fmt.Errorf("%s:latest: %w: no live versions", name, refs.ErrNoVersion)
}

// others returns the numbers of the artifact's other live versions,
// newest first.
func (v *version) others() []versionNumber {
	var out []versionNumber
	for i := len(v.log.Versions) - 1; i >= 0; i-- {
		if o := v.log.Versions[i]; o.State == refs.StateLive && o.N != v.ver.N {
			out = append(out, versionNumber(o.N))
		}
	}
	return out
}

// crumbs returns the breadcrumb trail to the version, then extra.
func (v *version) crumbs(extra ...crumb) []crumb {
	c := []crumb{{"Artifacts", "/artifacts"}, {v.name, artifactURL(v.name)}, {v.number().String(), versionURL(v.name, v.number())}}
	if len(extra) == 0 {
		c[len(c)-1].URL = ""
	}
	return append(c, extra...)
}

// versionView is a version's page.
type versionView struct {
	Artifact string `json:"artifact"`
	Type     string `json:"type"`
	versionRow
	// Description is the Markdown source; the page shows it rendered.
	Description     string        `json:"description"`
	DescriptionHTML template.HTML `json:"-"`
	// Metadata is the version's metadata object as recorded.
	Metadata json.RawMessage `json:"metadata,omitempty"`
	MetaRows []metaRow       `json:"-"`
	Creator  creatorView     `json:"creator"`
	// TTLGiven is the TTL written in the record at commit.
	TTLGiven string `json:"ttlGiven,omitempty"`
	// Parent is the record of the version that was latest when this one
	// was made.
	Parent string `json:"parent,omitempty"`
	// Links are the live registry links naming the version.
	Links []linkView `json:"links"`
	// UsedBy are the runs that used the version.
	UsedBy []runRef `json:"usedBy"`
	// Root is the first page of the version's top folder.
	Root []fileRow `json:"root"`
	// RootMore is true when the top folder has more entries than Root.
	RootMore bool `json:"rootMore,omitempty"`
	// NotHere is true when the version's files are not in this
	// repository: it was fetched and not pulled.
	NotHere bool `json:"notHere,omitempty"`
	// Others are the other live version numbers, newest first, for the
	// diff form.
	Others []versionNumber `json:"-"`
}

type creatorView struct {
	User      string `json:"user,omitempty"`
	Host      string `json:"host,omitempty"`
	Run       string `json:"run,omitempty"`
	GitCommit string `json:"gitCommit,omitempty"`
	GitDirty  bool   `json:"gitDirty,omitempty"`
}

// metaRow is one top-level metadata key: a string value as it is, any
// other value as compact JSON.
type metaRow struct {
	Key, Value string
}

// linkView is a registry link naming a version.
type linkView struct {
	Registry   string `json:"registry"`
	Collection string `json:"collection"`
	// Link is the link's number in the collection.
	Link      versionNumber `json:"link"`
	Aliases   []string      `json:"aliases"`
	Protected []string      `json:"protected"`
}

// rootEntries is how much of the top folder the version page shows.
const rootEntries = 100

func (s *Server) versionPage(q *request) error {
	v, err := q.version()
	if err != nil {
		return err
	}
	ctx := q.Context()
	rows, err := q.versionRows(v.name, v.log, []refs.Version{v.ver}, map[objects.ID]*manifest.Record{v.ver.Record: v.rec})
	if err != nil {
		return err
	}
	view := versionView{
		Artifact: v.name, Type: v.log.Type, versionRow: rows[0],
		Description: v.rec.Description, Metadata: v.rec.Metadata, TTLGiven: v.rec.TTL,
		Creator: creatorView{User: v.rec.Creator.User, Host: v.rec.Creator.Host, Run: v.rec.Creator.Run},
		Links:   []linkView{},
	}
	if g := v.rec.Creator.Git; g != nil {
		view.Creator.GitCommit, view.Creator.GitDirty = g.Commit, g.Dirty
	}
	if !v.rec.Parent.IsZero() {
		view.Parent = v.rec.Parent.String()
	}
	if view.DescriptionHTML, err = s.md.render(v.rec.Description); err != nil {
		return err
	}
	if view.MetaRows, err = metadataRows(v.rec.Metadata); err != nil {
		return err
	}
	holds, err := registry.Holds(ctx, q.repo.RefsKV(), v.ver.Record)
	if err != nil {
		return err
	}
	for _, h := range holds {
		view.Links = append(view.Links, linkView{Registry: h.Registry, Collection: h.Collection, Link: versionNumber(h.N),
			Aliases: nonNil(h.Aliases), Protected: nonNil(h.Protected)})
	}
	used, err := q.runs.UsedBy(ctx, v.ver.Record)
	if err != nil {
		return err
	}
	view.UsedBy = runRefs(used)
	entries, err := manifest.ListDir(ctx, q.repo.Blobs(), v.rec.Root, "", "", rootEntries+1)
	if errors.Is(err, objects.ErrNotFound) {
		view.NotHere = true // fetched, not pulled: the rest of the page still holds
		entries, err = nil, nil
	}
	if err != nil {
		return err
	}
	if len(entries) > rootEntries {
		entries, view.RootMore = entries[:rootEntries], true
	}
	view.Root = fileRows("", entries)
	view.Others = v.others()
	return s.render(q, "version", page{Title: v.label(), Section: "artifacts", Crumbs: v.crumbs(), Data: view})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// metadataRows splits a metadata object into its top-level keys, in the
// record's (sorted) order.
func metadataRows(md json.RawMessage) ([]metaRow, error) {
	if len(bytes.TrimSpace(md)) == 0 {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(md, &m); err != nil {
		return nil, fmt.Errorf("web: metadata: %w", err)
	}
	rows := make([]metaRow, 0, len(m))
	for k, raw := range m {
		var str string
		val := string(raw)
		if json.Unmarshal(raw, &str) == nil {
			val = str
		}
		rows = append(rows, metaRow{Key: k, Value: val})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Key < rows[j].Key })
	return rows, nil
}

// fileRow is one entry of a folder listing.
type fileRow struct {
	Name string `json:"name"`
	// Path is the entry's path in the version.
	Path string `json:"path"`
	// Kind is file, dir, symlink, ref or ref-location.
	Kind string `json:"kind"`
	// Size is a file's size, a folder's total, a reference's object size.
	Size int64 `json:"size"`
	// Files counts the files below a folder.
	Files int64 `json:"files,omitempty"`
	// Mode is a file's permission bits, in octal.
	Mode string `json:"mode,omitempty"`
	// Digest is a file's BLAKE3, a folder's tree id, a symlink's target's
	// BLAKE3, or a checksummed reference's content digest when known.
	Digest string `json:"digest,omitempty"`
	// Target is a symlink's target; URI a reference's location, shown as
	// text and never fetched.
	Target string `json:"target,omitempty"`
	URI    string `json:"uri,omitempty"`
}

func fileRows(dir string, es []manifest.Entry) []fileRow {
	rows := make([]fileRow, 0, len(es))
	for _, e := range es {
		row := fileRow{Name: e.Name, Path: joinPath(dir, e.Name), Kind: e.Kind.String(), Size: e.Size, Files: e.Files, Target: e.Target}
		if e.Kind == manifest.KindFile {
			row.Mode = fmt.Sprintf("%04o", e.Mode)
		}
		if !e.Digest.IsZero() {
			row.Digest = e.Digest.String()
		}
		if e.Ref != nil {
			row.URI = e.Ref.URI
		}
		rows = append(rows, row)
	}
	return rows
}

// Folder listing page sizes: entries are small and need no records, so
// pages can be larger than lists of versions.
const (
	defaultFileLimit = 200
	maxFileLimit     = 5000
)

// filesView is one page of one folder of a version.
type filesView struct {
	Artifact string        `json:"artifact"`
	Version  versionNumber `json:"version"`
	// Path is the folder ("" for the top); Entry describes it (absent for
	// the top) or, when Path names something else, that entry, and then
	// Entries is empty.
	Path    string    `json:"path"`
	Entry   *fileRow  `json:"entry,omitempty"`
	Entries []fileRow `json:"entries"`
	// Size and Files total the folder.
	Size  int64 `json:"size"`
	Files int64 `json:"files"`
	// After is where the page starts; Next, when set, is the after= of
	// the next page.
	After string `json:"after,omitempty"`
	Next  string `json:"next,omitempty"`
	Limit int    `json:"limit"`
	// Trail is the path's folders, for the breadcrumbs.
	Trail []crumb `json:"-"`
}

// filesPage lists one page of one folder, reading only the tree nodes
// that hold it (manifest.ListDir), so a folder of a million files costs
// what a page of it costs.
func (s *Server) filesPage(q *request) error {
	v, err := q.version()
	if err != nil {
		return err
	}
	ctx := q.Context()
	qs := q.URL.Query()
	limit, err := limitParam(q.Request, defaultFileLimit, maxFileLimit)
	if err != nil {
		return err
	}
	dir := strings.Trim(qs.Get("path"), "/")
	view := filesView{Artifact: v.name, Version: v.number(), Path: dir, After: qs.Get("after"), Limit: limit,
		Size: v.rec.Size, Files: v.rec.Files, Entries: []fileRow{}}
	if dir != "" {
		e, err := manifest.Lookup(ctx, q.repo.Blobs(), v.rec.Root, dir)
		if err != nil {
			return v.treeError(err)
		}
		row := fileRows(parentDir(dir), []manifest.Entry{e})[0]
		view.Entry, view.Size, view.Files = &row, e.Size, e.Files
		elems := strings.Split(dir, "/")
		for i := range elems {
			view.Trail = append(view.Trail, crumb{Label: elems[i], URL: filesURL(v.name, v.number(), strings.Join(elems[:i+1], "/"))})
		}
		if e.Kind != manifest.KindDir {
			view.Files = 1
			return s.render(q, "files", page{Title: v.label() + " " + dir, Section: "artifacts",
				Crumbs: v.crumbs(crumb{"files", filesURL(v.name, v.number(), "")}), Data: view})
		}
	}
	entries, err := manifest.ListDir(ctx, q.repo.Blobs(), v.rec.Root, dir, view.After, limit+1)
	if err != nil {
		return v.treeError(err)
	}
	if len(entries) > limit {
		entries = entries[:limit]
		view.Next = entries[limit-1].Name
	}
	view.Entries = fileRows(dir, entries)
	return s.render(q, "files", page{Title: v.label() + " files", Section: "artifacts",
		Crumbs: v.crumbs(crumb{"files", ""}), Data: view})
}

func parentDir(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// fileDownload sends one file's bytes, read from the store and verified
// chunk by chunk and as a whole (repo.WriteFileContent). The path is
// looked up in the version's tree; nothing on disk is ever opened by name,
// so no path reaches outside the store.
func (s *Server) fileDownload(q *request) error {
	v, err := q.version()
	if err != nil {
		return err
	}
	path := q.URL.Query().Get("path")
	if path == "" {
		return errBadRequest("which file? add ?path=PATH")
	}
	e, err := manifest.Lookup(q.Context(), q.repo.Blobs(), v.rec.Root, path)
	if err != nil {
		return v.treeError(err)
	}
	switch e.Kind {
	case manifest.KindFile:
	case manifest.KindDir:
		return errBadRequest("%s: %q is a folder: download its files one by one, or run 'trove pull %s --prefix %s'", v.label(), path, v.label(), path)
	case manifest.KindSymlink:
		return errBadRequest("%s: %q is a symbolic link to %q", v.label(), path, visible(e.Target))
	default:
		return errBadRequest("%s: %q is a reference to data kept elsewhere: the UI never fetches it ('trove pull %s --prefix %s' does)", v.label(), path, v.label(), path)
	}
	if wantsJSON(q.Request) {
		return writeJSON(q.w, http.StatusOK, fileRows(parentDir(path), []manifest.Entry{e})[0])
	}
	etag := `"` + e.Digest.String() + `"`
	h := q.w.Header()
	h.Set("ETag", etag)
	h.Set("X-Trove-Digest", "blake3:"+e.Digest.String())
	if q.Header.Get("If-None-Match") == etag {
		q.w.WriteHeader(http.StatusNotModified)
		return nil
	}
	if q.Method == http.MethodHead {
		attachment(q.w, e.Name, "application/octet-stream")
		h.Set("Content-Length", fmt.Sprint(e.Size))
		return nil
	}
	f, err := spool(q, func(w io.Writer) error { return q.repo.WriteFileContent(q.Context(), w, e) })
	if err != nil {
		return v.notHere(err)
	}
	defer f.Close() // read-only, and unnamed: nothing to lose
	attachment(q.w, e.Name, "application/octet-stream")
	http.ServeContent(q.w, q.Request, "", time.Time{}, f)
	return nil
}

// manifestDownload sends the version's manifest in trove's JSON layout
// (manifest.WriteJSON), streamed: it never holds the whole tree.
func (s *Server) manifestDownload(q *request) error {
	v, err := q.version()
	if err != nil {
		return err
	}
	name := fmt.Sprintf("%s-v%d.manifest.json", v.name, v.ver.N)
	if q.Method == http.MethodHead {
		attachment(q.w, name, "application/json")
		return nil
	}
	f, err := spool(q, func(w io.Writer) error {
		return manifest.WriteJSON(q.Context(), w, q.repo.Blobs(), v.rec.Root)
	})
	if err != nil {
		return v.notHere(err)
	}
	defer f.Close() // read-only, and unnamed: nothing to lose
	attachment(q.w, name, "application/json")
	http.ServeContent(q.w, q.Request, "", time.Time{}, f)
	return nil
}

// spool writes a download's body to an unnamed temp file in the
// repository's tmp folder, on the store's disk, and returns it rewound
// after letting go of the repository. A slow or stalled client then holds
// a file, not the lock every other trove command waits for; and since the
// body is whole and verified before its first byte goes out, a failure is
// an error page, never a broken download. ServeContent then also answers
// range requests.
func spool(q *request, write func(io.Writer) error) (*os.File, error) {
	f, err := os.CreateTemp(filepath.Join(q.repo.Dir, "tmp"), "ui-download-*")
	if err != nil {
		return nil, fmt.Errorf("web: download: %w", err)
	}
	// Unnamed from now on: it goes when closed, whatever happens.
	_ = os.Remove(f.Name())
	if err := write(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("web: download: %w", err)
	}
	q.release()
	return f, nil
}

// Diff limits: a diff shows up to ?limit= changes (default 1,000).
const (
	defaultDiffLimit = 1000
	maxDiffLimit     = 10000
)

// diffView lists what changed from another version to this one.
type diffView struct {
	Artifact string        `json:"artifact"`
	Version  versionNumber `json:"version"`
	// Against names the version compared with ("name:vN"); the changes
	// turn it into this one.
	Against        string        `json:"against"`
	AgainstName    string        `json:"againstArtifact"`
	AgainstVersion versionNumber `json:"againstVersion"`
	// Changes are in walk order; Truncated is set when there were more
	// than Limit. Counts counts Changes by op: with Truncated, the changes
	// listed, not all (the walk stops at Limit, so that its cost stays
	// bounded whatever the size of the difference).
	Changes   []changeRow     `json:"changes"`
	Counts    map[string]int  `json:"counts"`
	Truncated bool            `json:"truncated,omitempty"`
	Limit     int             `json:"limit"`
	Others    []versionNumber `json:"-"`
}

type changeRow struct {
	Op        string `json:"op"`
	Path      string `json:"path"`
	Kind      string `json:"kind"`
	OldSize   *int64 `json:"oldSize,omitempty"`
	NewSize   *int64 `json:"newSize,omitempty"`
	OldDigest string `json:"oldDigest,omitempty"`
	NewDigest string `json:"newDigest,omitempty"`
}

var errEnough = errors.New("web: enough changes")

// diffPage compares the version with ?against= ("vN", an alias, "latest",
// or "other:SEL" for another artifact); by default with the live version
// before it. manifest.Diff skips equal subtrees, so the cost follows the
// size of the difference.
func (s *Server) diffPage(q *request) error {
	v, err := q.version()
	if err != nil {
		return err
	}
	limit, err := limitParam(q.Request, defaultDiffLimit, maxDiffLimit)
	if err != nil {
		return err
	}
	against := q.URL.Query().Get("against")
	if against == "" {
		for i := len(v.log.Versions) - 1; i >= 0; i-- {
			if o := v.log.Versions[i]; o.N < v.ver.N && o.State == refs.StateLive {
				against = fmt.Sprintf("v%d", o.N)
				break
			}
		}
		if against == "" {
			return errBadRequest("%s is the first live version: choose one to compare with (?against=vN)", v.label())
		}
	}
	oname, osel := v.name, against
	if n, sel, ok := strings.Cut(against, ":"); ok {
		oname, osel = n, sel
	}
	other, err := q.versionOf(oname, osel)
	if err != nil {
		return err
	}
	view := diffView{Artifact: v.name, Version: v.number(), Against: other.label(), AgainstName: other.name,
		AgainstVersion: other.number(), Changes: []changeRow{}, Counts: map[string]int{}, Limit: limit, Others: v.others()}
	err = manifest.Diff(q.Context(), q.repo.Blobs(), other.rec.Root, v.rec.Root, func(c manifest.Change) error {
		if len(view.Changes) == limit {
			view.Truncated = true
			return errEnough
		}
		view.Counts[c.Op.String()]++
		row := changeRow{Op: c.Op.String(), Path: c.Path}
		if c.Old != nil {
			size := c.Old.Size
			row.Kind, row.OldSize = c.Old.Kind.String(), &size
			if !c.Old.Digest.IsZero() {
				row.OldDigest = c.Old.Digest.String()
			}
		}
		if c.New != nil {
			size := c.New.Size
			row.Kind, row.NewSize = c.New.Kind.String(), &size
			if !c.New.Digest.IsZero() {
				row.NewDigest = c.New.Digest.String()
			}
		}
		view.Changes = append(view.Changes, row)
		return nil
	})
	if errors.Is(err, objects.ErrNotFound) {
		if ok, _ := q.repo.Store().Has(v.rec.Root); !ok {
			return v.notHere(err)
		}
		return other.notHere(err)
	}
	if err != nil && !errors.Is(err, errEnough) {
		return err
	}
	return s.render(q, "diff", page{Title: v.label() + " vs " + other.label(), Section: "artifacts",
		Crumbs: v.crumbs(crumb{"diff", ""}), Data: view})
}
