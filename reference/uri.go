package reference

import (
	"fmt"
	"github.com/trove-ml/trove/remote"
	"net/url"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/trove-ml/trove/manifest"
)

// Schemes understood by [Parse].
const (
	SchemeS3    = "s3"
	SchemeGCS   = "gs"
	SchemeHTTP  = "http"
	SchemeHTTPS = "https"
	SchemeFile  = "file"
)

// Limits of [Parse].
const (
	// MaxURILen bounds a reference URI: it is stored in a tree entry, whose
	// fields are at most [manifest.MaxRefFieldLen] bytes.
	MaxURILen = manifest.MaxRefFieldLen
	// maxBucketLen is the longest bucket name accepted: GCS allows 222
	// characters with dots; S3 63, and S3-compatible servers vary.
	maxBucketLen = 255
	// maxKeyLen is the longest object key of S3 and GCS, in bytes.
	maxKeyLen = 1024
)

// Location is a parsed reference URI. Which fields are set depends on the
// scheme:
//
//	scheme        Bucket  Key                          Path      URL
//	s3, gs        name    key or prefix, may be ""     ""        ""
//	http, https   ""      ""                           ""        the URL
//	file          ""      ""                           absolute  ""
//
// A Key ending in '/' names a prefix (a folder); any other non-empty Key
// names an object if one exists, and the folder Key+"/" otherwise. The
// empty Key names the whole bucket.
type Location struct {
	Scheme string
	Bucket string
	Key    string
	Path   string
	URL    string
}

// Parse checks a reference URI and splits it into a [Location]. It
// accepts:
//
//	s3://BUCKET[/KEY-OR-PREFIX]    gs://BUCKET[/KEY-OR-PREFIX]
//	http://HOST/PATH[?QUERY]       https://HOST/PATH[?QUERY]
//	file:///ABSOLUTE/PATH          file://localhost/ABSOLUTE/PATH
//
// Object keys are taken literally, as the AWS and gcloud command lines do
// (no percent-decoding); http and file URIs are URLs and are decoded as
// such. Every error wraps [ErrInvalid] and says what form is expected.
func Parse(raw string) (Location, error) {
	if p := uriProblem(raw); p != "" {
		return Location{}, fmt.Errorf("%w: %q: %s", ErrInvalid, clip(raw), p)
	}
	if clean, found := remote.URLCredentials(raw); found {
		// The URI is stored in the version and shown by ls, so a secret in
		// it would be shared with everyone who can read the version; the
		// message does not repeat it.
		return Location{}, fmt.Errorf("%w: %q: credentials in the URI would be recorded in the version: use %q, and give credentials through the environment", ErrInvalid, clip(remote.RedactURL(raw)), clip(clean))
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		if s, _, ok := strings.Cut(raw, ":"); ok && isSchemeName(s) {
			return Location{}, fmt.Errorf("%w: %q: want %s://… (with two slashes)", ErrInvalid, clip(raw), strings.ToLower(s))
		}
		return Location{}, fmt.Errorf("%w: %q is not a URI: want s3://BUCKET/PREFIX, gs://BUCKET/PREFIX, http(s)://HOST/PATH or file:///PATH", ErrInvalid, clip(raw))
	}
	switch strings.ToLower(scheme) {
	case SchemeS3, SchemeGCS:
		return parseBucketURI(strings.ToLower(scheme), rest, raw)
	case SchemeHTTP, SchemeHTTPS:
		return parseHTTP(raw)
	case SchemeFile:
		return parseFile(raw)
	}
	return Location{}, fmt.Errorf("%w: %q: unknown scheme %q (use s3://, gs://, http://, https:// or file://)", ErrInvalid, clip(raw), scheme)
}

// uriProblem checks what every URI must satisfy.
func uriProblem(raw string) string {
	switch {
	case raw == "":
		return "empty URI"
	case len(raw) > MaxURILen:
		return fmt.Sprintf("%d bytes long (the limit is %d)", len(raw), MaxURILen)
	case !utf8.ValidString(raw):
		return "not valid UTF-8"
	}
	for _, r := range raw {
		if r < 0x20 || r == 0x7f {
			return "contains a control character"
		}
	}
	return ""
}

func isSchemeName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

func parseBucketURI(scheme, rest, raw string) (Location, error) {
	bucket, key, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return Location{}, fmt.Errorf("%w: %q: no bucket name: want %s://BUCKET/PREFIX", ErrInvalid, clip(raw), scheme)
	}
	if len(bucket) > maxBucketLen {
		return Location{}, fmt.Errorf("%w: %q: bucket name is %d characters long (the limit is %d)", ErrInvalid, clip(raw), len(bucket), maxBucketLen)
	}
	for _, r := range bucket {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return Location{}, fmt.Errorf("%w: %q: bucket name %q contains %q (bucket names use letters, digits, '.', '-' and '_')", ErrInvalid, clip(raw), bucket, r)
		}
	}
	if len(key) > maxKeyLen {
		return Location{}, fmt.Errorf("%w: %q: key is %d bytes long (the limit is %d)", ErrInvalid, clip(raw), len(key), maxKeyLen)
	}
	if strings.HasPrefix(key, "/") {
		return Location{}, fmt.Errorf("%w: %q: key starts with '/' (write %s://%s/%s)", ErrInvalid, clip(raw), scheme, bucket, strings.TrimLeft(key, "/"))
	}
	return Location{Scheme: scheme, Bucket: bucket, Key: key}, nil
}

func parseHTTP(raw string) (Location, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Location{}, fmt.Errorf("%w: %q: %v", ErrInvalid, clip(raw), unwrapURLError(err))
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch {
	case u.Host == "":
		return Location{}, fmt.Errorf("%w: %q: no host: want %s://HOST/PATH", ErrInvalid, clip(raw), u.Scheme)
	case u.Fragment != "" || strings.HasSuffix(raw, "#"):
		return Location{}, fmt.Errorf("%w: %q: a fragment (#…) names no object; leave it out", ErrInvalid, clip(raw))
	}
	return Location{Scheme: u.Scheme, URL: u.String()}, nil
}

func parseFile(raw string) (Location, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Location{}, fmt.Errorf("%w: %q: %v", ErrInvalid, clip(raw), unwrapURLError(err))
	}
	switch {
	case u.Host != "" && u.Host != "localhost":
		return Location{}, fmt.Errorf("%w: %q: file URIs name a local path (file:///PATH); mount the share and name its path", ErrInvalid, clip(raw))
	case u.RawQuery != "" || u.Fragment != "":
		return Location{}, fmt.Errorf("%w: %q: a file URI has no query or fragment (escape '?' as %%3F and '#' as %%23)", ErrInvalid, clip(raw))
	case !strings.HasPrefix(u.Path, "/"):
		return Location{}, fmt.Errorf("%w: %q: want an absolute path: file:///PATH", ErrInvalid, clip(raw))
	}
	p := path.Clean(u.Path)
	if p == "/" {
		return Location{}, fmt.Errorf("%w: %q: the root folder cannot be referenced; name a folder or file below it", ErrInvalid, clip(raw))
	}
	return Location{Scheme: SchemeFile, Path: p}, nil
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// clip shortens a URI for messages.
func clip(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// String returns the location's canonical URI: the one recorded in a
// location-only reference.
func (l Location) String() string {
	switch l.Scheme {
	case SchemeS3, SchemeGCS:
		if l.Key == "" {
			return l.Scheme + "://" + l.Bucket
		}
		return l.Scheme + "://" + l.Bucket + "/" + l.Key
	case SchemeFile:
		return fileURI(l.Path)
	}
	return l.URL
}

// objectURI returns the URI of the object key in l's bucket.
func (l Location) objectURI(key string) string {
	return l.Scheme + "://" + l.Bucket + "/" + key
}

// fileURI returns the file:// URI of an absolute slash-separated path.
func fileURI(p string) string {
	return (&url.URL{Scheme: SchemeFile, Path: p}).String()
}

// Name returns the base name of the location: of its key, path or URL
// path, or the bucket or host name when that is empty. A single object
// lands under it in a version unless a path is given
// ([SourceOptions.Path]). The error wraps [ErrInvalid] when that name
// cannot be a tree entry's name.
func (l Location) Name() (string, error) {
	var name string
	switch l.Scheme {
	case SchemeS3, SchemeGCS:
		k := strings.TrimRight(l.Key, "/")
		name = k[strings.LastIndexByte(k, '/')+1:]
		if name == "" {
			name = l.Bucket
		}
	case SchemeFile:
		name = path.Base(l.Path)
	case SchemeHTTP, SchemeHTTPS:
		u, err := url.Parse(l.URL)
		if err != nil {
			return "", fmt.Errorf("%w: %q: %v", ErrInvalid, clip(l.URL), err)
		}
		p := strings.TrimRight(u.Path, "/")
		name = p[strings.LastIndexByte(p, '/')+1:]
		if name == "" {
			name = u.Hostname()
		}
	default:
		return "", fmt.Errorf("%w: unknown scheme %q", ErrInvalid, l.Scheme)
	}
	if err := manifest.ValidPathElement(name); err != nil {
		return "", fmt.Errorf("%w: %q lands under the name %q, which cannot be stored: %v (give it a path: --ref PATH=URI)", ErrInvalid, clip(l.String()), name, err)
	}
	return name, nil
}

// locationPath returns where a location-only reference lands in a version
// unless a path is given, as W&B's add_reference with checksum=False puts
// it: an s3:// or gs:// location under its whole key (without a trailing
// '/'), or the bucket's name for a whole bucket; an http(s):// or file://
// location under its base name ([Location.Name]). The error wraps
// [ErrInvalid] when that path cannot be stored.
func (l Location) locationPath() (string, error) {
	if l.Scheme != SchemeS3 && l.Scheme != SchemeGCS {
		return l.Name()
	}
	p := strings.TrimSuffix(l.Key, "/")
	if p == "" {
		p = l.Bucket
	}
	if err := checkElements(p); err != nil {
		return "", fmt.Errorf("%w: %q lands at the path %q, which cannot be stored: %v (give it a path: --ref PATH=URI)", ErrInvalid, clip(l.String()), p, err)
	}
	return p, nil
}

// SplitPath splits a reference argument of the form PATH=URI, as commit's
// --ref takes it, into PATH and URI. An argument without PATH comes back
// whole as uri, with found false. A URI holds no '=' before the "://"
// that ends its scheme (scheme names are letters, digits, '+', '-' and
// '.'), so the last '=' before the first "://" ends PATH: the split is
// unambiguous, and a URI's own '=' (in a query, say) stays in it. An
// argument without "://" is split at the last '=' before its first ':',
// so that a malformed URI is reported as one.
func SplitPath(arg string) (path, uri string, found bool) {
	end := strings.Index(arg, "://")
	if end < 0 {
		end = strings.IndexByte(arg, ':')
	}
	if end < 0 {
		return "", arg, false
	}
	i := strings.LastIndexByte(arg[:end], '=')
	if i < 0 {
		return "", arg, false
	}
	return arg[:i], arg[i+1:], true
}

// ValidPath checks the PATH of a PATH=URI reference
// ([SourceOptions.Path]) as commit checks --prefix: a slash-separated path
// relative to the version's root, each element a valid name
// ([manifest.ValidPathElement]), at most [manifest.MaxDepth] elements, and
// optionally a trailing '/'. The error wraps [ErrInvalid].
func ValidPath(p string) error {
	_, _, err := cleanPath(p)
	return err
}

// cleanPath checks p (see [ValidPath]) and returns it without its trailing
// '/', and whether it had one.
func cleanPath(p string) (clean string, dir bool, err error) {
	switch {
	case p == "":
		return "", false, fmt.Errorf("%w: empty PATH in PATH=URI: give the folder or file name the reference lands at, or leave out PATH= for the default", ErrInvalid)
	case strings.HasPrefix(p, "/"):
		return "", false, fmt.Errorf("%w: PATH %q in PATH=URI: give a path inside the version, relative to its root (%q), not a path on this machine", ErrInvalid, clip(p), clip(strings.Trim(p, "/")))
	}
	clean, dir = strings.CutSuffix(p, "/")
	if err := checkElements(clean); err != nil {
		return "", false, fmt.Errorf("%w: PATH %q in PATH=URI: %v", ErrInvalid, clip(p), err)
	}
	return clean, dir, nil
}

// checkElements checks that p is a path a version can hold: valid names
// ([manifest.ValidPathElement]) joined by '/', at most [manifest.MaxDepth]
// of them.
func checkElements(p string) error {
	if n := strings.Count(p, "/") + 1; n > manifest.MaxDepth {
		return fmt.Errorf("%d path elements (the limit is %d)", n, manifest.MaxDepth)
	}
	for el := range strings.SplitSeq(p, "/") {
		if err := manifest.ValidPathElement(el); err != nil {
			return err
		}
	}
	return nil
}
