package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// Names under which a request carries the token.
const (
	// TokenParam is the query parameter: ?token=T. A request carrying it
	// gets the cookie and is redirected to the same URL without it, so the
	// token leaves the address bar and the history.
	TokenParam = "token"
	// TokenCookie is the cookie set from TokenParam.
	TokenCookie = "trove_ui_token"
	// TokenHeader is the header a program may send instead:
	// "Authorization: Bearer T".
	TokenHeader = "Authorization"
)

// NewToken returns a random token of 256 bits, URL-safe.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("web: make token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// IsLoopback reports whether addr (host:port) binds to loopback only:
// 127.0.0.0/8, ::1 or "localhost". An empty host binds every interface.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	return loopbackHost(host)
}

func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// authorize admits r or answers it. Without a token, only requests naming
// a loopback host are served: a web page elsewhere that points a name of
// its own at 127.0.0.1 (DNS rebinding) then cannot read the UI through
// the visitor's browser. With a token, the token must come with every
// request, in the header, the query or the cookie.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) bool {
	if s.opts.Token == "" {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if !loopbackHost(host) {
			s.fail(w, r, &httpError{status: http.StatusForbidden,
				msg: fmt.Sprintf("host %q is not a loopback name: this trove UI serves only http://127.0.0.1, http://[::1] and http://localhost (run trove ui with --token to serve other names)", r.Host)})
			return false
		}
		return true
	}
	if q := r.URL.Query(); q.Has(TokenParam) {
		if !s.tokenOK(q.Get(TokenParam)) {
			s.unauthorized(w, r)
			return false
		}
		http.SetCookie(w, &http.Cookie{
			Name: TokenCookie, Value: q.Get(TokenParam), Path: "/",
			HttpOnly: true, SameSite: http.SameSiteStrictMode,
		})
		q.Del(TokenParam)
		// One leading slash: "//host" would send the browser elsewhere.
		// The escaped path, so that "%2F" in a name stays one.
		target := "/" + strings.TrimLeft(r.URL.EscapedPath(), "/")
		if enc := q.Encode(); enc != "" {
			target += "?" + enc
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return false
	}
	// A bearer token or the cookie will do; an Authorization header of
	// another scheme (a proxy's Basic) is not ours to judge.
	if a := r.Header.Get(TokenHeader); a != "" {
		// The scheme is case-insensitive (RFC 9110, 11.1).
		if scheme, t, ok := strings.Cut(a, " "); ok && strings.EqualFold(scheme, "Bearer") {
			if s.tokenOK(strings.TrimLeft(t, " ")) {
				return true
			}
			s.unauthorized(w, r)
			return false
		}
	}
	if c, err := r.Cookie(TokenCookie); err == nil && s.tokenOK(c.Value) {
		return true
	}
	s.unauthorized(w, r)
	return false
}

// tokenOK compares in constant time; hashing first hides the length too.
func (s *Server) tokenOK(t string) bool {
	a, b := sha256.Sum256([]byte(t)), sha256.Sum256([]byte(s.opts.Token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="trove"`)
	s.fail(w, r, &httpError{status: http.StatusUnauthorized,
		msg: "this trove UI needs its access token: open the address 'trove ui' printed (it ends in ?token=…), or send Authorization: Bearer TOKEN"})
}
