package web

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	vis "github.com/trove-ml/trove/internal/visible"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/trove-ml/trove/lineage"
	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/registry"
	"github.com/trove-ml/trove/repo"
)

// assets holds the templates and the static files, so the binary needs
// nothing else at run time.
//
//go:embed templates/*.html static/*
var assets embed.FS

// parseTemplates parses each page template together with the layout.
func parseTemplates() (map[string]*template.Template, error) {
	// Templates whose names start with "_" are partials shared by pages.
	base, err := template.New("base.html").Funcs(templateFuncs()).ParseFS(assets, "templates/base.html", "templates/_*.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse templates: %w", err)
	}
	pages, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, p := range pages {
		name := strings.TrimSuffix(strings.TrimPrefix(p, "templates/"), ".html")
		if name == "base" || strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(assets, p)
		if err != nil {
			return nil, fmt.Errorf("web: parse template %s: %w", p, err)
		}
		out[name] = t
	}
	return out, nil
}

// page is what the layout template renders: the page's own view in Data,
// and what every page shows around it.
type page struct {
	Title string
	// Section is the navigation tab to mark: "artifacts", "runs" or
	// "registries".
	Section string
	Crumbs  []crumb
	Now     time.Time
	Data    any
}

// crumb is one step of the breadcrumb trail.
type crumb struct {
	Label, URL string
}

// wantsJSON reports whether the client asked for JSON: ?format=json, or
// an Accept header naming application/json and not text/html (browsers
// name text/html first; programs asking for JSON do not name it).
func wantsJSON(r *http.Request) bool {
	switch r.URL.Query().Get("format") {
	case "json":
		return true
	case "html":
		return false
	}
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
}

// render writes view as JSON or, through template name, as HTML.
func (s *Server) render(q *request, name string, p page) error {
	if wantsJSON(q.Request) {
		return writeJSON(q.w, http.StatusOK, p.Data)
	}
	p.Now = q.now
	return s.writeHTML(q.w, http.StatusOK, name, p)
}

// writeHTML renders a template into memory first, so a template error
// becomes a clean error page instead of half a page.
func (s *Server) writeHTML(w http.ResponseWriter, status int, name string, p page) error {
	t, ok := s.tmpl[name]
	if !ok {
		return fmt.Errorf("web: no template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "base.html", p); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// writeJSON writes v as indented JSON. encoding/json escapes <, > and &,
// so the output is safe even if a browser were tricked into reading it as
// HTML (and nosniff forbids that).
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("web: encode JSON: %w", err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err = w.Write(append(b, '\n'))
	return err
}

// versionNumber is a version's number in a page's view, or a link's
// number in a registry collection. Pages and their JSON both spell it
// "vN": the JSON as the command line's --json does (docs/CLI.md), so a
// script reading both sees one shape, and a number in the JSON is never a
// version.
type versionNumber int

// String returns "vN".
func (n versionNumber) String() string { return "v" + strconv.Itoa(int(n)) }

// MarshalText returns "vN", which JSON writes as a string.
func (n versionNumber) MarshalText() ([]byte, error) { return []byte(n.String()), nil }

// UnmarshalText reads "vN" as [refs.ParseVersionNumber] does; anything
// else, a bare number included, is an error.
func (n *versionNumber) UnmarshalText(b []byte) error {
	v, ok := refs.ParseVersionNumber(string(b))
	if !ok {
		return fmt.Errorf("web: version %q: want vN", b)
	}
	*n = versionNumber(v)
	return nil
}

// httpError is an error with the HTTP status it answers with.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func errNotFound(format string, args ...any) error {
	return &httpError{status: http.StatusNotFound, msg: fmt.Sprintf(format, args...)}
}

func errBadRequest(format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// statusOf maps an error to the HTTP status that describes it.
func statusOf(err error) int {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he.status
	case errors.Is(err, objects.ErrLocked), errors.Is(err, ErrClosed):
		return http.StatusServiceUnavailable
	case errors.Is(err, refs.ErrDeleted), errors.Is(err, registry.ErrUnlinked), errors.Is(err, registry.ErrDangling):
		return http.StatusGone
	case errors.Is(err, refs.ErrNotFound), errors.Is(err, refs.ErrNoVersion),
		errors.Is(err, manifest.ErrNotExist), errors.Is(err, lineage.ErrNotFound),
		errors.Is(err, registry.ErrNotFound), errors.Is(err, registry.ErrNoCollection),
		errors.Is(err, registry.ErrNoLink), errors.Is(err, objects.ErrNotFound), errors.Is(err, repo.ErrMissingContent):
		return http.StatusNotFound
	case errors.Is(err, refs.ErrBadSpec), errors.Is(err, repo.ErrInvalid), errors.Is(err, repo.ErrAmbiguous),
		errors.Is(err, manifest.ErrInvalid), errors.Is(err, manifest.ErrNotDir),
		errors.Is(err, lineage.ErrAmbiguous), errors.Is(err, registry.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// errorView is the page, and the JSON, of an error.
type errorView struct {
	Status int    `json:"status"`
	Error  string `json:"error"`
	// Busy is true when another trove process holds the repository.
	Busy bool `json:"busy,omitempty"`
}

// fail answers r with err.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	v := errorView{Status: status, Error: err.Error()}
	if errors.Is(err, objects.ErrLocked) {
		v.Busy = true
		v.Error = "the repository is busy: " + err.Error()
		w.Header().Set("Retry-After", "2")
	}
	if status >= 500 && !v.Busy {
		s.opts.Logf("trove ui: %s %s: %v", r.Method, r.URL.Path, err)
	}
	if r.Context().Err() != nil {
		return // the client went away
	}
	var werr error
	if wantsJSON(r) {
		werr = writeJSON(w, status, v)
	} else {
		werr = s.writeHTML(w, status, "error", page{Title: http.StatusText(status), Now: s.opts.Now(), Data: v})
	}
	if werr != nil {
		s.opts.Logf("trove ui: %s %s: write error page: %v", r.Method, r.URL.Path, werr)
	}
}

// attachment sets the headers of a download named name: never shown
// inline, whatever the bytes look like.
func attachment(w http.ResponseWriter, name, contentType string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": downloadName(name)}))
	h.Set("Cache-Control", "no-store")
}

// downloadName makes a file name safe for Content-Disposition: control
// characters, quotes, slashes and backslashes become '_'; FormatMediaType
// then encodes non-ASCII names per RFC 2231.
func downloadName(name string) string {
	name = strings.ToValidUTF8(name, "_")
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' || r == '\\' || r == '/' || vis.Invisible(r) {
			return '_'
		}
		return r
	}, name)
	if name == "" || name == "." || name == ".." {
		return "download"
	}
	return name
}
