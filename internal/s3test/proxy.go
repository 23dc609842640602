package s3test

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fault is what a [Proxy] does to a request.
type Fault int

const (
	// Pass forwards the request untouched (a rule with a Hook only).
	Pass Fault = iota
	// Respond answers without forwarding: Rule.Status with an S3 error
	// document of code Rule.Code, or for a 2xx status an empty success
	// with a made-up ETag (a server that ignores a condition).
	Respond
	// ResetBefore resets the connection without forwarding: nothing
	// happened on the server.
	ResetBefore
	// ResetAfter forwards the request, waits for the server's answer and
	// resets the connection instead of passing it on: the change is made
	// and its answer lost.
	ResetAfter
	// Slow waits Rule.Delay before forwarding.
	Slow
	// Stall forwards the request, sends the response headers and the
	// first KiB of the body, then waits Rule.Delay before the rest.
	Stall
	// Cut forwards the request, sends the response headers and the first
	// KiB of the body, then closes the connection: a download cut short.
	Cut
)

func (f Fault) String() string {
	names := [...]string{"pass", "respond", "reset-before", "reset-after", "slow", "stall", "cut"}
	if int(f) < len(names) {
		return names[f]
	}
	return fmt.Sprintf("fault(%d)", int(f))
}

// Rule makes a proxy act on a share of requests, deterministically: on
// every Every-th request that Match accepts (counting from 1 per rule).
type Rule struct {
	Every int
	Fault Fault
	// Match selects the requests the rule counts; nil means all.
	Match func(*http.Request) bool
	// Delay is the wait of Slow and Stall.
	Delay time.Duration
	// Status and Code are Respond's answer.
	Status int
	Code   string
	// Hook, if not nil, runs when the rule acts, before the fault: to
	// change something on the server in the middle of an exchange.
	Hook func(*http.Request)
}

// Request is a request the proxy saw, and what it did to it.
type Request struct {
	Method string
	Path   string // escaped, with the bucket
	Query  url.Values
	Header http.Header
	Fault  Fault
}

// Proxy is an HTTP reverse proxy on 127.0.0.1 in front of an S3 server that
// injects faults into a share of the requests. It keeps the Host header, so
// requests signed for the proxy's address verify at the server.
type Proxy struct {
	// URL is the proxy's base URL: the endpoint to give clients.
	URL string

	srv *httptest.Server
	rp  *httputil.ReverseProxy

	mu       sync.Mutex
	rules    []Rule
	counts   []int     // per rule, guarded by mu
	requests []Request // guarded by mu
}

// NewProxy starts a proxy to target (a server's Endpoint) with rules, tried
// in order: the first that acts on a request decides its fault. It stops
// when t ends.
func NewProxy(t testing.TB, target string, rules ...Rule) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{rules: rules, counts: make([]int, len(rules))}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = pr.In.Host // part of the signature
		},
		// Clients hang up on purpose here (timeouts); that is no news.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

// Requests returns the requests seen so far.
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}

// Count returns how many requests got fault f.
func (p *Proxy) Count(f Fault) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, r := range p.requests {
		if r.Fault == f {
			n++
		}
	}
	return n
}

// decide counts r against every rule that matches it and returns the first
// that acts.
func (p *Proxy) decide(r *http.Request) (Rule, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var act Rule
	acted := false
	for i, rule := range p.rules {
		if rule.Match != nil && !rule.Match(r) {
			continue
		}
		p.counts[i]++
		if !acted && rule.Every > 0 && p.counts[i]%rule.Every == 0 {
			act, acted = rule, true
		}
	}
	f := Pass
	if acted {
		f = act.Fault
	}
	p.requests = append(p.requests, Request{
		Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.Query(), Header: r.Header.Clone(), Fault: f,
	})
	return act, acted
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	rule, ok := p.decide(r)
	if !ok {
		p.rp.ServeHTTP(w, r)
		return
	}
	if rule.Hook != nil {
		rule.Hook(r)
	}
	switch rule.Fault {
	case Pass:
		p.rp.ServeHTTP(w, r)
	case Respond:
		respond(w, r, rule.Status, rule.Code)
	case ResetBefore:
		reset(w)
	case ResetAfter:
		p.rp.ServeHTTP(&discard{h: http.Header{}}, r)
		reset(w)
	case Slow:
		select {
		case <-time.After(rule.Delay):
		case <-r.Context().Done():
			return
		}
		p.rp.ServeHTTP(w, r)
	case Stall:
		p.rp.ServeHTTP(&staller{ResponseWriter: w, delay: rule.Delay, done: r.Context().Done()}, r)
	case Cut:
		p.rp.ServeHTTP(&staller{ResponseWriter: w, cut: true, done: r.Context().Done()}, r)
	}
}

// respond answers like an S3 server would.
func respond(w http.ResponseWriter, r *http.Request, status int, code string) {
	if status >= 200 && status < 300 {
		w.Header().Set("ETag", `"00000000000000000000000000000000"`)
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>%s</Code><Message>injected by s3test.Proxy</Message><Resource>%s</Resource><RequestId>s3test</RequestId></Error>`,
			code, r.URL.Path)
	}
}

// reset closes the client's connection with a TCP RST (SO_LINGER 0), as a
// crashed server or a middlebox would.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // closes the connection, without RST
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// discard is a ResponseWriter that drops the answer.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// staller passes a response on, pausing once after its first KiB, or
// with cut set ending it there.
type staller struct {
	http.ResponseWriter
	delay   time.Duration
	cut     bool
	done    <-chan struct{}
	written int
	stalled bool
}

func (s *staller) Write(p []byte) (int, error) {
	const head = 1 << 10
	if s.stalled || s.written+len(p) <= head {
		n, err := s.ResponseWriter.Write(p)
		s.written += n
		return n, err
	}
	cut := max(head-s.written, 0)
	n, err := s.ResponseWriter.Write(p[:cut])
	s.written += n
	if err != nil {
		return n, err
	}
	_ = http.NewResponseController(s.ResponseWriter).Flush()
	if s.cut {
		// The server closes the connection short of Content-Length.
		panic(http.ErrAbortHandler)
	}
	s.stalled = true
	select {
	case <-time.After(s.delay):
	case <-s.done:
		return n, http.ErrAbortHandler
	}
	m, err := s.ResponseWriter.Write(p[cut:])
	return n + m, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (s *staller) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// ObjectRequest matches requests for an object (a path with a key after the
// bucket), not for the bucket itself.
func ObjectRequest(r *http.Request) bool {
	return strings.Count(strings.Trim(r.URL.Path, "/"), "/") >= 1
}
