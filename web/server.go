package web

import (
	"context"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/trove-ml/trove/lineage"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/registry"
	"github.com/trove-ml/trove/repo"
)

// DefaultLinger is how long the repository stays open after the last
// request using it ends: long enough that a page and the next click share
// one opening, short enough that a waiting commit gets the lock at once.
const DefaultLinger = 300 * time.Millisecond

// Options configure [New].
type Options struct {
	// Open opens the repository for requests. Required.
	Open OpenFunc
	// Token, when not empty, is required on every request (see the package
	// documentation, Access). A server bound to anything but a loopback
	// address must have one.
	Token string
	// Linger is how long the repository stays open after the last request
	// using it; the default is DefaultLinger, and a negative value closes
	// it at once.
	Linger time.Duration
	// Layout lays out lineage graphs. Without one, the lineage page lists
	// the graph's nodes and edges but draws nothing.
	Layout Layouter
	// Now is the clock for ages and TTLs; the default is time.Now.
	Now func() time.Time
	// Logf receives errors that reach no client (a failed write to a
	// closed connection, a corrupt object found while streaming); the
	// default drops them.
	Logf func(format string, args ...any)
}

// Server serves the web UI of one repository. It is an [http.Handler];
// Close it after the HTTP server stops.
type Server struct {
	opts   Options
	repo   *shared
	tmpl   map[string]*template.Template
	static fs.FS
	md     *markdown
	mux    *http.ServeMux
}

var _ http.Handler = (*Server)(nil)

// New returns a Server. It fails only if opts lacks Open.
func New(opts Options) (*Server, error) {
	if opts.Open == nil {
		return nil, errors.New("web: Options.Open is nil")
	}
	if opts.Linger == 0 {
		opts.Linger = DefaultLinger
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	tmpl, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts:   opts,
		repo:   &shared{open: opts.Open, linger: opts.Linger, maxHold: defaultMaxHold, yieldGap: defaultYieldGap},
		tmpl:   tmpl,
		static: static,
		md:     newMarkdown(),
	}
	s.routes()
	return s, nil
}

// Close waits for requests using the repository to end (or ctx to) and
// closes it. Requests after Close fail.
func (s *Server) Close(ctx context.Context) error { return s.repo.close(ctx) }

// routes registers every page. All are GET (which includes HEAD); the
// method check in ServeHTTP runs first, so nothing else reaches them.
func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", s.page(s.artifactsPage))
	m.HandleFunc("GET /artifacts", s.page(s.artifactsPage))
	m.HandleFunc("GET /artifacts/{name}", s.page(s.versionsPage))
	m.HandleFunc("GET /artifacts/{name}/{sel}", s.page(s.versionPage))
	m.HandleFunc("GET /artifacts/{name}/{sel}/files", s.page(s.filesPage))
	m.HandleFunc("GET /artifacts/{name}/{sel}/file", s.page(s.fileDownload))
	m.HandleFunc("GET /artifacts/{name}/{sel}/manifest", s.page(s.manifestDownload))
	m.HandleFunc("GET /artifacts/{name}/{sel}/diff", s.page(s.diffPage))
	m.HandleFunc("GET /artifacts/{name}/{sel}/lineage", s.page(s.lineagePage))
	m.HandleFunc("GET /runs", s.page(s.runsPage))
	m.HandleFunc("GET /runs/{id}", s.page(s.runPage))
	m.HandleFunc("GET /registries", s.page(s.registriesPage))
	m.HandleFunc("GET /registries/{reg}", s.page(s.registryPage))
	m.HandleFunc("GET /registries/{reg}/{coll}", s.page(s.collectionPage))
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(s.static)))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errNotFound("no page at %s", r.URL.Path))
	})
	s.mux = m
}

// ServeHTTP checks the method, the host and the token, sets the security
// headers every response carries, and routes the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// No scripts at all, styles and images only from here: even markup
	// that escaped every other defence could neither run nor load
	// anything from elsewhere.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		s.fail(w, r, &httpError{status: http.StatusMethodNotAllowed, msg: "the trove UI is read-only: only GET and HEAD are served"})
		return
	}
	if !s.authorize(w, r) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// request is what a page handler gets: the request and the repository,
// opened for it, with the domain stores over it. A handler runs on one
// goroutine, so nothing in it is locked.
type request struct {
	*http.Request
	w    http.ResponseWriter
	repo *repo.Repo
	// release lets go of repo early (downloads: see spool); calling it
	// again, as page does when the handler returns, does nothing.
	release    func()
	runs       *lineage.Store
	registries *registry.Registries
	now        time.Time
	// logs holds the artifact logs read so far, so that each is read
	// once per request (see Log).
	logs map[string]logEntry
}

// logEntry is an artifact log as read, or the error reading it gave.
type logEntry struct {
	log *refs.Log
	err error
}

var _ lineage.Logs = (*request)(nil)

// Log returns the log of artifact name, reading it the first time only:
// a page and the lineage graph on it share one reading. It does not check
// the name (see log, which does).
func (q *request) Log(ctx context.Context, name string) (*refs.Log, error) {
	if e, ok := q.logs[name]; ok {
		return e.log, e.err
	}
	l, err := q.repo.Refs().Log(ctx, name)
	if q.logs == nil {
		q.logs = map[string]logEntry{}
	}
	q.logs[name] = logEntry{l, err}
	return l, err
}

// page adapts a page handler: it opens the repository for the request,
// and renders an error the handler returns.
func (s *Server) page(fn func(*request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rp, release, err := s.repo.acquire(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		defer release()
		req := &request{
			Request: r, w: w, repo: rp, release: release, now: s.opts.Now(),
			registries: registry.New(rp.RefsKV(), registry.Options{}),
		}
		// The lineage store names versions from the logs the page reads.
		req.runs = lineage.New(lineage.Options{
			Refs: rp.RefsKV(), Edges: rp.MetaKV(repo.NSLineage), Objects: rp.Store(), Logs: req,
		})
		if err := fn(req); err != nil {
			s.fail(w, r, err)
		}
	}
}
