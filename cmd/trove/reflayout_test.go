package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trove-ml/trove/internal/gcstest"
)

// wandbPaths returns the paths of a version's W&B manifest, and their refs.
func wandbPaths(t *testing.T, dir, version string) map[string]string {
	t.Helper()
	var m struct {
		Contents map[string]struct{ Ref string } `json:"contents"`
	}
	out := mustTrove(t, dir, "manifest", version, "--format", "wandb")
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%v in\n%s", err, out)
	}
	paths := map[string]string{}
	for p, e := range m.Contents {
		paths[p] = e.Ref
	}
	return paths
}

// TestRefLayout: references lay out their objects as W&B's add_reference
// does (a prefix's relative to it at the root, an object under its base
// name, a location-only S3 reference at its key), so W&B manifests list
// the same paths; two references with one base name share a version, and
// where their objects clash, PATH=URI puts each elsewhere.
func TestRefLayout(t *testing.T) {
	b, c := s3Env(t)
	putS3(t, c, b, "ds/train/1.txt", "s3 one")
	putS3(t, c, b, "ds/s3only.txt", "s3")
	putS3(t, c, b, "data/w.bin", "weights")
	srv := gcstest.Start(t)
	g := srv.NewBucket(t)
	srv.Put(t, g, "ds/train/2.txt", "gs two")
	srv.Put(t, g, "ds/gsonly.txt", "gs")
	proj := newProject(t)

	mustTrove(t, proj, "commit", "one", "--type", "dataset", "--ref", "s3://"+b+"/ds", "--ref", "s3://"+b+"/data/w.bin")
	want := map[string]string{"train/1.txt": "s3://" + b + "/ds/train/1.txt", "s3only.txt": "s3://" + b + "/ds/s3only.txt", "w.bin": "s3://" + b + "/data/w.bin"}
	if got := wandbPaths(t, proj, "one"); !mapsEqual(got, want) {
		t.Fatalf("W&B manifest paths %v, want %v (as W&B's add_reference lays them out)", got, want)
	}

	// One base name, folders merged.
	mustTrove(t, proj, "commit", "two", "--type", "dataset", "--ref", "s3://"+b+"/ds", "--ref", "gs://"+g+"/ds")
	files := refFiles(t, proj, "two")
	var paths []string
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	if want := []string{"gsonly.txt", "s3only.txt", "train/1.txt", "train/2.txt"}; !slices.Equal(paths, want) {
		t.Fatalf("paths %q, want %q", paths, want)
	}
	out := filepath.Join(t.TempDir(), "out")
	mustTrove(t, proj, "pull", "two", "-o", out)
	for p, want := range map[string]string{"train/1.txt": "s3 one", "train/2.txt": "gs two"} {
		if got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(p))); err != nil || string(got) != want {
			t.Fatalf("pulled %s = %q, %v", p, got, err)
		}
	}

	// A clash names both, and the way out works.
	srv.Put(t, g, "ds/train/1.txt", "gs one")
	wantExit(t, proj, exitUsage, []string{"s3://" + b + "/ds and gs://" + g + "/ds both claim the path \"train/1.txt\"", "--ref PATH=URI"},
		"commit", "three", "--type", "dataset", "--ref", "s3://"+b+"/ds", "--ref", "gs://"+g+"/ds")
	mustTrove(t, proj, "commit", "three", "--type", "dataset", "--ref", "s3=s3://"+b+"/ds", "--ref", "gcs/v1/=gs://"+g+"/ds")
	got := wandbPaths(t, proj, "three")
	if got["s3/train/1.txt"] != "s3://"+b+"/ds/train/1.txt" || got["gcs/v1/train/1.txt"] != "gs://"+g+"/ds/train/1.txt" || len(got) != 5 {
		t.Fatalf("W&B manifest paths %v", got)
	}

	// Location-only: at the key, as W&B records it; or at PATH.
	mustTrove(t, proj, "commit", "loc", "--type", "dataset", "--no-checksum", "--ref", "s3://"+b+"/ds/train/", "--ref", "raw=gs://"+g+"/ds")
	if got := wandbPaths(t, proj, "loc"); !mapsEqual(got, map[string]string{"ds/train": "s3://" + b + "/ds/train/", "raw": "gs://" + g + "/ds"}) {
		t.Fatalf("W&B manifest paths %v", got)
	}
	out = filepath.Join(t.TempDir(), "loc")
	mustTrove(t, proj, "pull", "loc", "-o", out)
	if got, err := os.ReadFile(filepath.Join(out, "ds", "train", "1.txt")); err != nil || string(got) != "s3 one" {
		t.Fatalf("pulled ds/train/1.txt = %q, %v", got, err)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestRefKeyPullRefuses: an S3 key that pull and verify would refuse (a
// control character) is refused at commit, named escaped, with what to
// do; no version is written.
func TestRefKeyPullRefuses(t *testing.T) {
	b, c := s3Env(t)
	putS3(t, c, b, "tab/ok.txt", "ok")
	putS3(t, c, b, "tab/a\tb.txt", "tab")
	proj := newProject(t)
	r := wantExit(t, proj, exitUsage, []string{`tab/a\tb.txt`, "control character", "rename"}, "commit", "tabk", "--type", "dataset", "--ref", "s3://"+b+"/tab")
	if strings.Contains(r.stderr, "\t") {
		t.Fatalf("the key is not escaped:\n%s", r.stderr)
	}
	if n := versionCount(t, proj, "tabk"); n != 0 {
		t.Fatalf("%d versions written", n)
	}
}

// TestRefProjectRoot: a file:// reference to the project folder leaves
// out the repository's .trove and the project's .git, as committing the
// folder does, so the version pulls.
func TestRefProjectRoot(t *testing.T) {
	proj := newProject(t)
	writeFiles(t, proj, map[string]string{"data/x.csv": "x", ".git/HEAD": "ref: refs/heads/main"})
	mustTrove(t, proj, "commit", "self", "--type", "dataset", "--ref", "file://"+proj)
	files := refFiles(t, proj, "self")
	for p := range files {
		if strings.HasPrefix(p, ".trove/") || strings.HasPrefix(p, ".git/") {
			t.Fatalf("the reference recorded %s: %+v", p, files)
		}
	}
	if _, ok := files["data/x.csv"]; !ok {
		t.Fatalf("ls: %+v", files)
	}
	out := filepath.Join(t.TempDir(), "out")
	mustTrove(t, proj, "pull", "self", "-o", out)
	mustTrove(t, proj, "verify", "self", out)
	if out := mustTrove(t, proj, "commit", "self", "--ref", "file://"+proj); !strings.Contains(out, "no change") {
		t.Fatalf("a second commit of the project folder changed (the store's own files?):\n%s", out)
	}
	wantExit(t, proj, exitUsage, []string{".trove", "references leave out"}, "commit", "bad", "--type", "dataset", "--ref", "file://"+filepath.Join(proj, ".trove", "config"))
}

// TestRefEmptiedLocation: a location-only reference whose location was
// emptied: the pull error does not advise --no-checksum (the reference
// has it), and --allow-missing-references makes it a warning.
func TestRefEmptiedLocation(t *testing.T) {
	proj := newProject(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a/x": "x"})
	mustTrove(t, proj, "commit", "loc", "--type", "dataset", "--no-checksum", "--ref", "file://"+filepath.Join(src, "a"))
	if err := os.Remove(filepath.Join(src, "a", "x")); err != nil {
		t.Fatal(err)
	}
	r := wantExit(t, proj, exitError, []string{"nothing at", "recorded without checksums"}, "pull", "loc", "-o", t.TempDir())
	if strings.Contains(r.stderr, "--no-checksum") {
		t.Fatalf("the error advises --no-checksum:\n%s", r.stderr)
	}
	wantExit(t, proj, exitOK, []string{"warning: a", "nothing at"}, "pull", "loc", "-o", t.TempDir(), "--allow-missing-references")
}

// TestRefLsMode: a reference is listed with the mode a pull gives its
// file, in text and JSON alike.
func TestRefLsMode(t *testing.T) {
	proj := newProject(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"w.bin": "w"})
	mustTrove(t, proj, "commit", "m", "--type", "dataset", "--ref", "file://"+filepath.Join(src, "w.bin"))
	mustTrove(t, proj, "commit", "loc", "--type", "dataset", "--ref", "file://"+src, "--no-checksum")
	for _, v := range []string{"m", "loc"} {
		files := refFiles(t, proj, v)
		for p, f := range files {
			if f.Mode != "0644" {
				t.Fatalf("ls %s --json: %s has mode %s, want 0644", v, p, f.Mode)
			}
		}
		if line := strings.TrimSpace(mustTrove(t, proj, "ls", v)); !strings.HasPrefix(line, "0644 ") {
			t.Fatalf("ls %s: %q, want mode 0644", v, line)
		}
	}
}

// TestRefArgComma: each --ref is one argument, commas and all (keys,
// paths and URLs may hold them; urfave/cli splits slice flags at ',').
func TestRefArgComma(t *testing.T) {
	proj := newProject(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a,b.txt": "comma"})
	mustTrove(t, proj, "commit", "m", "--type", "dataset", "--ref", "x,y.txt=file://"+filepath.Join(src, "a,b.txt"))
	if files := refFiles(t, proj, "m"); len(files) != 1 || files["x,y.txt"].URL != "file://"+filepath.Join(src, "a,b.txt") {
		t.Fatalf("ls: %+v", files)
	}
}

// TestRefRedirectLoop: a redirect loop's error names the whole URL.
func TestRefRedirectLoop(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/redirloop", http.StatusFound)
	}))
	defer srv.Close()
	proj := newProject(t)
	wantExit(t, proj, exitError, []string{"redirect loop", "redirected back to " + srv.URL + "/redirloop"}, "commit", "web", "--type", "dataset", "--ref", srv.URL+"/redirloop")
}
