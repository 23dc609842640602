package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/trove-ml/trove/lineage"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/registry"
	"github.com/trove-ml/trove/repo"
)

// Hostile values: markup, script URLs, terminal escapes, bidirectional
// overrides, quotes.
const (
	xssScript = `<script>alert("x")</script>`
	xssImg    = `<img src=x onerror=alert(1)>`
	jsURL     = `javascript:alert(1)`
	termEsc   = "\x1b[2J\x1b[31m"
	bidi      = "\u202e"
)

// hostileRepo holds a version whose every user-controlled string is
// hostile, and an artifact log under a hostile name, as a hostile remote
// could deliver.
func hostileRepo(t *testing.T) *fixture {
	b := newBuilder(t)
	dir := b.files(map[string]string{
		xssScript + ".txt":          "1",
		jsURL:                       "2",
		"ctl" + termEsc + "red.txt": "3",
		"photo" + bidi + "gnp.exe":  "4",
		`q"uo'te&amp;.txt`:          "5",
		"new\nline.txt":             "6",
		xssImg + "/inner.txt":       "7",
	})
	desc := "# Title\n\n" + xssScript + "\n\n" + xssImg + "\n\n[click me](" + jsURL + ")\n\n" +
		"[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)\n\n![img](" + jsURL + ")\n\n" +
		"<a href=\"" + jsURL + "\">raw link</a>\n\n" + "escape " + termEsc + " and " + bidi + "override\n\n" +
		"<iframe src=\"https://evil.example\"></iframe>\n"
	md, _ := json.Marshal(map[string]any{
		xssScript:          jsURL,
		"esc" + termEsc:    "value" + bidi + "txt",
		"nested":           map[string]string{"k": xssImg},
		`"><svg onload=x>`: 1,
	})
	b.commit(repo.CommitOptions{Name: "evil", Type: "dataset", Paths: []string{dir}, Description: desc, Metadata: md})
	b.commit(repo.CommitOptions{Name: "evil", Type: "dataset", Paths: []string{b.files(map[string]string{"x": "x"})}})
	b.setLog("evil", func(l *refs.Log) {
		l.Aliases = map[string]int{xssScript: 0, jsURL + termEsc: 0}
		l.Tags = map[string][]int{xssImg: {0}, bidi + "tag": {0}}
	})
	b.run(lineage.Run{Name: xssImg + bidi, JobType: "train", Command: []string{"sh", "-c", "echo '</code>" + xssScript + "'" + termEsc},
		Config: map[string]string{xssScript: jsURL + termEsc}, User: "mallory" + bidi, Host: xssImg,
		Started: b.now.Add(-time.Hour), Ended: b.now, State: lineage.StateKilled, Signal: "SIG" + xssScript},
		[]string{"evil:v0"}, []string{"evil:v1"})
	if _, err := b.regs.Create(b.ctx, registry.CreateRequest{Name: "evilreg", AnyType: true, Description: xssScript + termEsc}); err != nil {
		t.Fatal(err)
	}
	ref := b.ref("evil:v0")
	if _, err := b.regs.Link(b.ctx, registry.LinkRequest{Registry: "evilreg", Collection: "c", Artifact: "evil", Version: 0, Type: "dataset", Record: ref.Record}); err != nil {
		t.Fatal(err)
	}
	// An artifact log under a name no trove would write, of a hostile type.
	l, err := b.r.Refs().Log(b.ctx, "evil")
	if err != nil {
		t.Fatal(err)
	}
	l.Type = xssScript
	enc, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.r.RefsKV().Update(b.ctx, func(tx refs.Txn) error { return tx.Set([]byte("artifacts/"+xssImg), enc) }); err != nil {
		t.Fatal(err)
	}
	return b.done()
}

// TestWebHostileValues renders every page that shows user-controlled
// strings and checks, on the parsed HTML, that none became markup, a
// script URL or an invisible character.
func TestWebHostileValues(t *testing.T) {
	f := serve(t, hostileRepo(t), Options{})
	pages := []string{
		"/artifacts", "/artifacts/evil", "/artifacts/evil/v0", "/artifacts/evil/v0/files",
		"/artifacts/evil/v0/files?path=" + url.QueryEscape(xssImg),
		"/artifacts/evil/v0/files?path=" + url.QueryEscape("ctl"+termEsc+"red.txt"),
		"/artifacts/evil/v1/diff", "/artifacts/evil/v0/lineage", "/runs", "/runs/" + f.runs[xssImg+bidi],
		"/registries", "/registries/evilreg", "/registries/evilreg/c",
		"/artifacts/" + url.PathEscape(xssImg), "/artifacts/evil/" + url.PathEscape(xssScript),
		"/artifacts/evil/v0/file?path=" + url.QueryEscape(xssScript), // an error page naming the path
	}
	for _, p := range pages {
		t.Run(p, func(t *testing.T) {
			resp, body := f.get(t, p)
			if resp.StatusCode >= 500 {
				t.Fatalf("%s\n%s", resp.Status, body)
			}
			checkSafeHTML(t, body)
			// The JSON carries the same strings, escaped as JSON.
			resp, body = f.get(t, withQuery(p, "format=json"))
			if resp.StatusCode < 500 && (!json.Valid([]byte(body)) || strings.ContainsAny(body, "<>")) {
				t.Errorf("JSON not valid or not HTML-escaped:\n%s", body)
			}
		})
	}
	// What the pages must show, made visible.
	_, body := f.get(t, "/artifacts/evil/v0/files")
	for _, want := range []string{`ctl\x1b[2J\x1b[31mred.txt`, `photo\u202egnp.exe`, `new\x0aline.txt`, "&lt;script&gt;"} {
		if !strings.Contains(body, want) {
			t.Errorf("files page does not show %q", want)
		}
	}
	_, body = f.get(t, "/artifacts/evil/v0")
	for _, want := range []string{"&lt;script&gt;", `\x1b[2J`, `\u202e`, "<h1>Title</h1>", "raw HTML omitted"} {
		if !strings.Contains(body, want) {
			t.Errorf("version page does not show %q", want)
		}
	}
}

// checkSafeHTML parses a page and fails on script elements, event handler
// attributes, script or data URLs, frames, and invisible characters.
func checkSafeHTML(t *testing.T, body string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(body))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Fatalf("parse: %v", z.Err())
			}
			break
		}
		tok := z.Token()
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			switch tok.Data {
			case "script", "iframe", "object", "embed", "base", "meta":
				if tok.Data != "meta" || hasAttr(tok, "http-equiv") {
					t.Errorf("element <%s> in the page", tok.Data)
				}
			case "img":
				// Markdown images keep their element; goldmark empties a
				// dangerous source, and the CSP blocks any other site.
				if src := attr(tok, "src"); src != "/static/favicon.svg" && src != "" {
					t.Errorf("image from %q", src)
				}
			}
			for _, a := range tok.Attr {
				v := strings.ToLower(strings.TrimSpace(a.Val))
				if strings.HasPrefix(a.Key, "on") {
					t.Errorf("event handler attribute %s=%q on <%s>", a.Key, a.Val, tok.Data)
				}
				if (a.Key == "href" || a.Key == "src" || a.Key == "action") && (strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "data:") || strings.HasPrefix(v, "vbscript:")) {
					t.Errorf("%s=%q on <%s>", a.Key, a.Val, tok.Data)
				}
				if (a.Key == "href" || a.Key == "action") && v != "" && !strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "?") && !strings.HasPrefix(v, "#") && !strings.HasPrefix(v, "https://example.com") {
					t.Errorf("%s=%q leaves the UI", a.Key, a.Val)
				}
				if invisible.MatchString(a.Val) {
					t.Errorf("invisible character in %s=%q", a.Key, a.Val)
				}
			}
		case html.TextToken:
			if invisible.MatchString(strings.ReplaceAll(strings.ReplaceAll(tok.Data, "\n", ""), "\t", "")) {
				t.Errorf("invisible character in text %q", tok.Data)
			}
		}
	}
}

// invisible matches control and format characters other than line breaks
// and tabs, which markup may hold.
var invisible = regexp.MustCompile(`[\x00-\x08\x0b-\x1f\x7f-\x9f\p{Cf}]`)

func hasAttr(tok html.Token, key string) bool {
	for _, a := range tok.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func attr(tok html.Token, key string) string {
	for _, a := range tok.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// TestWebDownload checks that downloads send a version's verified bytes,
// never render inline, and reach nothing but the version's own files.
func TestWebDownload(t *testing.T) {
	b := newBuilder(t)
	big := randomBytes(9, 1<<20) // several chunks
	b.commit(repo.CommitOptions{Name: "d", Type: "dataset", Paths: []string{b.files(map[string]string{
		"small.html": "<script>alert(1)</script>", "big.bin": string(big), "sub/empty": "", "sub/x.txt": "x",
	})}})
	f := serve(t, b.done(), Options{})

	resp, body := f.get(t, "/artifacts/d/v0/file?path=big.bin")
	if resp.StatusCode != 200 || body != string(big) {
		t.Fatalf("big.bin: %s, %d bytes (want %d)", resp.Status, len(body), len(big))
	}
	resp, body = f.get(t, "/artifacts/d/v0/file?path=small.html")
	if resp.StatusCode != 200 || body != "<script>alert(1)</script>" {
		t.Fatalf("small.html: %s %q", resp.Status, body)
	}
	if ct, cd := resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"); ct != "application/octet-stream" || !strings.HasPrefix(cd, "attachment") {
		t.Errorf("served as %q, %q: a browser could render it", ct, cd)
	}
	etag := resp.Header.Get("ETag")
	if resp, _ := f.get(t, "/artifacts/d/v0/file?path=small.html", "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %s", resp.Status)
	}
	resp, body = f.do(t, http.MethodHead, "/artifacts/d/v0/file?path=big.bin")
	if resp.StatusCode != 200 || body != "" || resp.ContentLength != int64(len(big)) {
		t.Errorf("HEAD: %s, %d bytes, Content-Length %d", resp.Status, len(body), resp.ContentLength)
	}
	if resp, body := f.get(t, "/artifacts/d/v0/file?path=sub/empty"); resp.StatusCode != 200 || body != "" {
		t.Errorf("empty file: %s %q", resp.Status, body)
	}
	var row fileRow
	f.getJSON(t, "/artifacts/d/v0/file?path=sub/x.txt", &row)
	if row.Kind != "file" || row.Size != 1 || row.Digest == "" {
		t.Errorf("file as JSON: %+v", row)
	}

	for _, p := range []string{"", "../../etc/passwd", "/etc/passwd", "sub/../small.html", "sub/../../x", "./small.html",
		"sub//x.txt", "sub", "nothing", "big.bin/inner", "%2e%2e/x", "..", "sub/x.txt/"} {
		resp, body := f.get(t, "/artifacts/d/v0/file?path="+url.QueryEscape(p))
		if resp.StatusCode != 400 && resp.StatusCode != 404 {
			t.Errorf("path %q: %s\n%.200s", p, resp.Status, body)
		}
	}

	resp, body = f.get(t, "/artifacts/d/v0/manifest")
	var m struct {
		Entries []struct{ Path string } `json:"entries"`
		Files   int                     `json:"files"`
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil || m.Files != 4 || len(m.Entries) != 5 {
		t.Errorf("manifest: %v %+v\n%s", err, m, body)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "d-v0.manifest.json") {
		t.Errorf("manifest Content-Disposition %q", cd)
	}
}

func TestWebDownloadName(t *testing.T) {
	for in, want := range map[string]string{
		"a.txt": "a.txt", `q"uote.txt`: "q_uote.txt", "a\x1b[2J": "a_[2J", "photo\u202egnp.exe": "photo_gnp.exe",
		"..": "download", `back\slash`: "back_slash", "ünï": "ünï",
	} {
		if got := downloadName(in); got != want {
			t.Errorf("downloadName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestWebCorruptDownload damages a chunk in the middle of a file: the
// download must not arrive whole, and it must not look complete.
func TestWebCorruptDownload(t *testing.T) {
	b := newBuilder(t)
	big := randomBytes(11, 2<<20)
	b.commit(repo.CommitOptions{Name: "d", Type: "dataset", Paths: []string{b.files(map[string]string{"big.bin": string(big)})}})
	f := serve(t, b.done(), Options{Logf: func(string, ...any) {}})
	packs, err := filepath.Glob(filepath.Join(f.root, repo.DirName, "packs", "*", "*"))
	if err != nil || len(packs) == 0 {
		t.Fatalf("no packs: %v", err)
	}
	for _, p := range packs {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) < len(big) {
			continue
		}
		// Flip bytes a little past the middle: inside a chunk, not the
		// first.
		for i := len(data) * 6 / 10; i < len(data)*6/10+64; i++ {
			data[i] ^= 0xff
		}
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.Get(f.hs.URL + "/artifacts/d/v0/file?path=big.bin")
	if err != nil {
		return // refused outright: fine
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	t.Logf("status %s, %d of %d bytes, read error %v", resp.Status, len(got), len(big), err)
	if resp.StatusCode == 200 && err == nil {
		t.Fatalf("a corrupt file downloaded as complete: %d of %d bytes", len(got), len(big))
	}
	if len(got) >= len(big) {
		t.Errorf("all %d bytes were sent before the corruption was reported", len(got))
	}
}
