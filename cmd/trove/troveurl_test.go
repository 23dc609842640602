package main

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

func TestFileURL(t *testing.T) {
	root := objects.Sum([]byte("tree"))
	for _, p := range []string{"a.txt", "dir/sub/b.bin", "with space/100% #1?.csv", "ünï/cödé", "a+b/c&d=e;f"} {
		u := fileURL(root, p)
		if strings.ContainsAny(strings.TrimPrefix(u, fileURLScheme), " #?") {
			t.Errorf("fileURL(%q) = %q: a space, # or ? left unescaped", p, u)
		}
		gotRoot, gotPath, err := parseFileURL(u)
		if err != nil || gotRoot != root || gotPath != p {
			t.Errorf("parseFileURL(%q) = %s, %q, %v; want %s, %q", u, gotRoot.Short(), gotPath, err, root.Short(), p)
		}
	}
	for _, bad := range []string{
		"trove://", "trove://" + root.String(), "trove://" + root.String() + "/",
		"trove://abc/x", "trove://" + strings.ToUpper(root.String()[:63]) + "/x", "file:///x",
		"trove://" + root.String() + "/a%zz",
	} {
		if _, _, err := parseFileURL(bad); err == nil {
			t.Errorf("parseFileURL(%q) accepted", bad)
		}
	}
}

// FuzzParseFileURL: parseFileURL never panics, and a URL made by fileURL
// of a valid path parses back to its digest and path.
func FuzzParseFileURL(f *testing.F) {
	root := objects.Sum([]byte("tree"))
	for _, s := range []string{"a.txt", "dir/x y", "%", "a/b/c", "trove://x/y", "../x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _, _ = parseFileURL(s)
		_, _, _ = parseFileURL(fileURLScheme + s)
		if !utf8.ValidString(s) {
			return
		}
		for _, el := range strings.Split(s, "/") {
			if manifest.ValidateName("path element", el) != nil {
				return
			}
		}
		gotRoot, gotPath, err := parseFileURL(fileURL(root, s))
		if err != nil || gotRoot != root || gotPath != s {
			t.Fatalf("round trip of %q: %s, %q, %v", s, gotRoot.Short(), gotPath, err)
		}
	})
}

// TestLsURLCat: every stored file has a trove:// URL in ls, and cat
// writes the file from it alone, also when several artifacts hold that
// content; a URL of content nobody here has, or malformed, is an error.
func TestLsURLCat(t *testing.T) {
	dir := newProject(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"data/a b.csv": "1,2\n", "data/%x.txt": "percent\n"})
	mustTrove(t, dir, "commit", "ds", "--type", "dataset", src)
	var files []fileJSON
	troveJSON(t, dir, &files, "ls", "ds")
	if len(files) != 2 {
		t.Fatalf("ls: %+v", files)
	}
	for _, f := range files {
		if !strings.HasPrefix(f.URL, fileURLScheme) {
			t.Fatalf("ls: %s has URL %q", f.Path, f.URL)
		}
	}
	if out := mustTrove(t, dir, "ls", "ds"); !strings.Contains(out, files[0].URL) {
		t.Errorf("ls text has no URLs:\n%s", out)
	}
	mustTrove(t, dir, "commit", "copy", "--type", "dataset", src) // the same content, another artifact
	for _, f := range files {
		want := map[string]string{"data/a b.csv": "1,2\n", "data/%x.txt": "percent\n"}[f.Path]
		if got := mustTrove(t, dir, "cat", f.URL); got != want {
			t.Errorf("cat %s = %q, want %q", f.URL, got, want)
		}
	}
	other := objects.Sum([]byte("nothing here"))
	if r := trove(t, dir, "cat", fileURL(other, "x")); r.code != exitUsage || !strings.Contains(r.stderr, "no version here has content") {
		t.Errorf("cat of unknown content: exit %d %s", r.code, r.stderr)
	}
	if r := trove(t, dir, "cat", "trove://123/x"); r.code != exitUsage || !strings.Contains(r.stderr, "trove://DIGEST/PATH") {
		t.Errorf("cat of a malformed URL: exit %d %s", r.code, r.stderr)
	}
	var one []fileJSON
	if err := json.Unmarshal([]byte(mustTrove(t, dir, "ls", "ds", "data/a b.csv", "--json")), &one); err != nil || len(one) != 1 || one[0].URL != files[0].URL && one[0].URL != files[1].URL {
		t.Errorf("ls of one file: %+v %v", one, err)
	}
}
