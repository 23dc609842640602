package web

import (
	"fmt"
	vis "github.com/trove-ml/trove/internal/visible"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/trove-ml/trove/internal/units"
)

// templateFuncs returns the functions templates use. Every one returns
// plain strings, which html/template escapes for the context they land in;
// none returns template.HTML.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"vis":           visible,
		"bytes":         units.Bytes,
		"count":         humanCount,
		"when":          formatTime,
		"ago":           ago,
		"artifactURL":   artifactURL,
		"versionURL":    versionURL,
		"filesURL":      filesURL,
		"fileURL":       fileURL,
		"manifestURL":   manifestURL,
		"diffURL":       diffURL,
		"lineageURL":    lineageURL,
		"runURL":        runURL,
		"registryURL":   registryURL,
		"collectionURL": collectionURL,
		"statusText":    http.StatusText,
		"pageURL":       pageURL,
		"ttlNote":       ttlNote,
		"deref":         func(p *versionNumber) versionNumber { return *p },
		"entries": func(name string, n versionNumber, rows []fileRow) entriesData {
			return entriesData{Artifact: name, Version: n, Rows: rows}
		},
		"add":  func(a, b int) int { return a + b },
		"fmtf": func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
	}
}

// visible returns s with every invisible character written as an escape
// (package visible), so names and text that users chose show what they
// are.
func visible(s string) string { return vis.String(s) }

// escapeInvisible is [visible]; with lines, line breaks and tabs stay.
func escapeInvisible(s string, lines bool) string {
	if lines {
		return vis.Lines(s)
	}
	return vis.String(s)
}

// humanCount writes a count with thousands separators: "1,000,000".
func humanCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// formatTime writes a time in UTC to the second.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// ago writes how long before now t was: "3 minutes ago".
func ago(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	if d < 0 {
		return "in the future"
	}
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}} {
		if n := int(d / u.d); n > 0 {
			if n == 1 {
				return "1 " + u.name + " ago"
			}
			return fmt.Sprintf("%d %ss ago", n, u.name)
		}
	}
	return "just now"
}

// URLs of pages. Names of artifacts, registries and collections are
// restricted to [A-Za-z0-9_.-] and run ids to base32, but every part is
// escaped anyway; file paths go in the query.

func artifactURL(name string) string { return "/artifacts/" + url.PathEscape(name) }

func versionURL(name string, n versionNumber) string {
	return artifactURL(name) + "/" + n.String()
}

func filesURL(name string, n versionNumber, dir string) string {
	u := versionURL(name, n) + "/files"
	if dir != "" {
		u += "?" + url.Values{"path": {dir}}.Encode()
	}
	return u
}

func fileURL(name string, n versionNumber, path string) string {
	return versionURL(name, n) + "/file?" + url.Values{"path": {path}}.Encode()
}

func manifestURL(name string, n versionNumber) string { return versionURL(name, n) + "/manifest" }

func diffURL(name string, n versionNumber, against string) string {
	u := versionURL(name, n) + "/diff"
	if against != "" {
		u += "?" + url.Values{"against": {against}}.Encode()
	}
	return u
}

func lineageURL(name string, n versionNumber) string { return versionURL(name, n) + "/lineage" }

func runURL(id string) string { return "/runs/" + url.PathEscape(id) }

func registryURL(name string) string { return "/registries/" + url.PathEscape(name) }

func collectionURL(reg, coll string) string {
	return registryURL(reg) + "/" + url.PathEscape(coll)
}

// ttlNote says where a TTL in force comes from, for people (the sources
// of package retention).
func ttlNote(ttl, source string) string {
	switch source {
	case "registry":
		return "linked in a registry, which turns the TTL off"
	case "override":
		return "TTL " + ttl + ", set with trove ttl set"
	case "record":
		return "TTL " + ttl + ", set at commit"
	case "default":
		if ttl == "never" {
			return "no TTL, and the project has no default"
		}
		return "TTL " + ttl + ", the project's default"
	}
	return "TTL " + ttl
}

// pageURL returns base with a query of the given key, value pairs,
// leaving out empty values.
func pageURL(base string, kv ...any) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		k, _ := kv[i].(string)
		v := fmt.Sprint(kv[i+1])
		if k != "" && v != "" {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return base
	}
	return base + "?" + q.Encode()
}

// entriesData is what the "entries" template lists: a folder page's rows
// and the version they belong to.
type entriesData struct {
	Artifact string
	Version  versionNumber
	Rows     []fileRow
}

// joinPath joins a folder and a name with "/".
func joinPath(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}
