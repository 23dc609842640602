package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trove-ml/trove/internal/gcstest"
)

// refFiles lists a version's entries as ls --json prints them.
func refFiles(t *testing.T, dir, version string) map[string]fileJSON {
	t.Helper()
	var files []fileJSON
	troveJSON(t, dir, &files, "ls", version)
	m := map[string]fileJSON{}
	for _, f := range files {
		m[f.Path] = f
	}
	return m
}

// wantExit runs trove and fails unless it exits with code, printing a
// message containing each of msgs.
func wantExit(t *testing.T, dir string, code int, msgs []string, args ...string) result {
	t.Helper()
	r := trove(t, dir, args...)
	if r.code != code {
		t.Fatalf("trove %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, code, r.stdout, r.stderr)
	}
	for _, m := range msgs {
		if !strings.Contains(r.stderr, m) {
			t.Fatalf("trove %s: stderr does not say %q:\n%s", strings.Join(args, " "), m, r.stderr)
		}
	}
	return r
}

// versionCount returns the number of versions of an artifact.
func versionCount(t *testing.T, dir, name string) int {
	t.Helper()
	r := trove(t, dir, "log", name, "--json")
	if r.code != 0 {
		return 0
	}
	var log []versionJSON
	troveJSON(t, dir, &log, "log", name)
	return len(log)
}

// TestRefFile: a file:// folder mixed with local files, its files at the
// version's root (as W&B's add_reference lays them out); a new version
// only when the folder changes; pull, verify and a changed source.
func TestRefFile(t *testing.T) {
	proj := newProject(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"train/0.png": "zero", "train/1.png": "one", "train-labels.csv": "0,1", "README": "r"})
	writeFiles(t, proj, map[string]string{"config.json": "{}"})
	ref := "file://" + src
	mustTrove(t, proj, "commit", "ds", "--type", "dataset", "config.json", "--ref", ref)
	files := refFiles(t, proj, "ds")
	f, ok := files["train/1.png"]
	if !ok || f.Kind != "ref" || f.URL != ref+"/train/1.png" || f.ChecksumKind != "b3" || f.Size != 3 || len(files) != 5 {
		t.Fatalf("ls: %+v", files)
	}
	if out := mustTrove(t, proj, "ls", "ds"); !strings.Contains(out, ref+"/train-labels.csv") {
		t.Fatalf("ls does not show the URL:\n%s", out)
	}
	if out := mustTrove(t, proj, "commit", "ds", "config.json", "--ref", ref); !strings.Contains(out, "no change") {
		t.Fatalf("unchanged reference made a version:\n%s", out)
	}
	writeFiles(t, src, map[string]string{"train/2.png": "two"})
	mustTrove(t, proj, "commit", "ds", "config.json", "--ref", ref)
	if n := versionCount(t, proj, "ds"); n != 2 {
		t.Fatalf("%d versions, want 2", n)
	}

	out := filepath.Join(t.TempDir(), "out")
	mustTrove(t, proj, "pull", "ds", "-o", out)
	for p, want := range map[string]string{"train/2.png": "two", "train-labels.csv": "0,1", "config.json": "{}"} {
		if got, err := os.ReadFile(filepath.Join(out, p)); err != nil || string(got) != want {
			t.Fatalf("pulled %s = %q, %v", p, got, err)
		}
	}
	mustTrove(t, proj, "verify", "ds", out)
	// The pulled copy is damaged: verify says which file.
	writeFiles(t, out, map[string]string{"README": "R"})
	if r := wantExit(t, proj, exitMismatch, nil, "verify", "ds", out); !strings.Contains(r.stdout, "changed  README") {
		t.Fatalf("verify:\n%s", r.stdout)
	}
	mustTrove(t, proj, "verify", "ds", out, "--skip-references") // same size: not read

	// The source changes: pull fails naming the entry, or warns when told.
	writeFiles(t, src, map[string]string{"README": "changed"})
	fresh := filepath.Join(t.TempDir(), "fresh")
	wantExit(t, proj, exitMismatch, []string{"README", "changed at its source"}, "pull", "ds", "-o", fresh)
	r := wantExit(t, proj, exitOK, []string{"warning: README"}, "pull", "ds", "-o", fresh, "--allow-missing-references")
	if _, err := os.Stat(filepath.Join(fresh, "README")); err == nil {
		t.Fatalf("a changed object was written:\n%s", r.stderr)
	}
	writeFiles(t, src, map[string]string{"README": "r"})
	os.Remove(filepath.Join(src, "train", "0.png"))
	wantExit(t, proj, exitError, []string{"train/0.png", "not found"}, "pull", "ds", "-o", t.TempDir())
}

// TestRefNoChecksum: a location-only reference changes the version only
// when the location does, and is pulled as it is now, with a warning.
func TestRefNoChecksum(t *testing.T) {
	proj := newProject(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a/x": "x", "b": "b"})
	ref := "file://" + src
	name := filepath.Base(src)
	mustTrove(t, proj, "commit", "loc", "--type", "dataset", "--ref", ref, "--no-checksum")
	files := refFiles(t, proj, "loc")
	if f := files[name]; len(files) != 1 || f.Kind != "ref-location" || f.URL != ref {
		t.Fatalf("ls: %+v", files)
	}
	writeFiles(t, src, map[string]string{"c": "new"})
	if out := mustTrove(t, proj, "commit", "loc", "--ref", ref, "--no-checksum"); !strings.Contains(out, "no change") {
		t.Fatalf("a location-only reference changed with its content:\n%s", out)
	}
	out := filepath.Join(t.TempDir(), "out")
	wantExit(t, proj, exitOK, []string{"not pinned"}, "pull", "loc", "-o", out)
	for p, want := range map[string]string{"a/x": "x", "b": "b", "c": "new"} {
		if got, err := os.ReadFile(filepath.Join(out, name, p)); err != nil || string(got) != want {
			t.Fatalf("pulled %s = %q, %v", p, got, err)
		}
	}
	wantExit(t, proj, exitOK, []string{"not verified"}, "verify", "loc", out)
	other := t.TempDir()
	writeFiles(t, other, map[string]string{"z": "z"})
	mustTrove(t, proj, "commit", "loc", "--ref", "file://"+other, "--no-checksum")
	if n := versionCount(t, proj, "loc"); n != 2 {
		t.Fatalf("%d versions, want 2", n)
	}
}

// s3Env points the S3 SDK at the shared versitygw for the rest of the test.
func s3Env(t *testing.T) (bucket string, client *awss3.Client) {
	t.Helper()
	srv := s3server.Server(t)
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	return srv.NewBucket(t), srv.Client()
}

func putS3(t *testing.T, c *awss3.Client, bucket, key, content string) {
	t.Helper()
	if _, err := c.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader(content)}); err != nil {
		t.Fatal(err)
	}
}

// TestRefS3: an S3 prefix on the real versitygw, committed, pulled, and
// changed behind trove's back.
func TestRefS3(t *testing.T) {
	b, c := s3Env(t)
	for k, v := range map[string]string{"ds/mnist/train/0": "zero", "ds/mnist/train.csv": "csv", "ds/mnist/test/0": "t0", "ds/other": "o"} {
		putS3(t, c, b, k, v)
	}
	proj := newProject(t)
	ref := "s3://" + b + "/ds/mnist"
	mustTrove(t, proj, "commit", "mnist", "--type", "dataset", "--ref", ref)
	files := refFiles(t, proj, "mnist")
	if f := files["train.csv"]; len(files) != 3 || f.URL != ref+"/train.csv" || f.ChecksumKind != "etag" || f.Digest == "" {
		t.Fatalf("ls: %+v", files)
	}
	if out := mustTrove(t, proj, "commit", "mnist", "--ref", ref+"/"); !strings.Contains(out, "no change") {
		t.Fatalf("unchanged prefix made a version:\n%s", out)
	}
	out := filepath.Join(t.TempDir(), "out")
	mustTrove(t, proj, "pull", "mnist", "-o", out)
	if got, err := os.ReadFile(filepath.Join(out, "train", "0")); err != nil || string(got) != "zero" {
		t.Fatalf("pulled train/0 = %q, %v", got, err)
	}
	mustTrove(t, proj, "verify", "mnist", out)

	putS3(t, c, b, "ds/mnist/train/0", "ZERO")
	fresh := filepath.Join(t.TempDir(), "fresh")
	wantExit(t, proj, exitMismatch, []string{"train/0", "ETag"}, "pull", "mnist", "-o", fresh)
	wantExit(t, proj, exitOK, []string{"warning: train/0"}, "pull", "mnist", "-o", fresh, "--allow-missing-references")
	// out holds v0 as pulled: verified by what the pull learnt of the
	// objects' content, not against their sources now. fresh lacks the
	// object that changed.
	wantExit(t, proj, exitOK, nil, "verify", "mnist", out)
	if r := wantExit(t, proj, exitMismatch, nil, "verify", "mnist", fresh); !strings.Contains(r.stdout, "train/0") {
		t.Fatalf("verify of a folder that lacks train/0:\n%s", r.stdout)
	}
	mustTrove(t, proj, "commit", "mnist", "--ref", ref)
	if n := versionCount(t, proj, "mnist"); n != 2 {
		t.Fatalf("%d versions after a change, want 2", n)
	}
	if _, err := c.DeleteObject(context.Background(), &awss3.DeleteObjectInput{Bucket: &b, Key: aws.String("ds/mnist/test/0")}); err != nil {
		t.Fatal(err)
	}
	wantExit(t, proj, exitError, []string{"test/0", "not found"}, "pull", "mnist", "-o", t.TempDir())
}

// TestRefGCS: a GCS prefix on fake-gcs-server.
func TestRefGCS(t *testing.T) {
	srv := gcstest.Start(t)
	b := srv.NewBucket(t)
	for k, v := range map[string]string{"m/w.bin": "weights", "m/cfg/a.json": "{}"} {
		srv.Put(t, b, k, v)
	}
	proj := newProject(t)
	mustTrove(t, proj, "commit", "model", "--type", "model", "--ref", "gs://"+b+"/m")
	files := refFiles(t, proj, "model")
	if f := files["w.bin"]; f.ChecksumKind != "etag+generation" || f.VersionID == "" || f.URL != "gs://"+b+"/m/w.bin" {
		t.Fatalf("ls: %+v", files)
	}
	out := t.TempDir()
	mustTrove(t, proj, "pull", "model", "-o", out)
	if got, err := os.ReadFile(filepath.Join(out, "cfg", "a.json")); err != nil || string(got) != "{}" {
		t.Fatalf("pulled = %q, %v", got, err)
	}
	mustTrove(t, proj, "verify", "model", out)
	wantExit(t, proj, exitUsage, []string{"no-such-bucket", "does not exist"}, "commit", "model", "--ref", "gs://no-such-bucket/m")
}

// TestRefHTTP: objects served with an ETag and without one (by
// Last-Modified only, as python3 -m http.server serves them), in one
// version; the latter is hashed at commit, so replacing it by bytes of
// the same size and date is caught on pull.
func TestRefHTTP(t *testing.T) {
	t0 := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	var mu sync.Mutex
	content := map[string]string{"/a/weights.bin": "weights", "/b/vocab.txt": "vocab"}
	withETag := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		c, ok := content[r.URL.Path]
		mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", `"`+c+`"`)
		http.ServeContent(w, r, "", t0, strings.NewReader(c))
	}))
	defer withETag.Close()
	without := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		c, ok := content[r.URL.Path]
		mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, "", t0, strings.NewReader(c))
	}))
	defer without.Close()

	proj := newProject(t)
	mustTrove(t, proj, "commit", "web", "--type", "dataset", "--ref", withETag.URL+"/a/weights.bin", "--ref", without.URL+"/b/vocab.txt")
	files := refFiles(t, proj, "web")
	if v := files["vocab.txt"]; files["weights.bin"].ChecksumKind != "etag" || v.ChecksumKind != "b3" || v.VersionID != t0.Format(http.TimeFormat) {
		t.Fatalf("ls: %+v", files)
	}
	out := t.TempDir()
	mustTrove(t, proj, "pull", "web", "-o", out)
	if got, _ := os.ReadFile(filepath.Join(out, "vocab.txt")); !bytes.Equal(got, []byte("vocab")) {
		t.Fatalf("pulled vocab.txt = %q", got)
	}
	mustTrove(t, proj, "verify", "web", out)
	mu.Lock()
	content["/b/vocab.txt"] = "VOCAB" // same size, same date
	mu.Unlock()
	wantExit(t, proj, exitMismatch, []string{"vocab.txt", "content hashes to"}, "pull", "web", "-o", t.TempDir())
	wantExit(t, proj, exitUsage, []string{"both claim the path \"weights.bin\"", "--ref PATH=URI"}, "commit", "web", "--ref", withETag.URL+"/a/weights.bin", "--ref", without.URL+"/a/weights.bin")
	mu.Lock()
	content["/b/vocab.txt"] = "vocab"
	mu.Unlock()
	mustTrove(t, proj, "commit", "web", "--ref", withETag.URL+"/a/weights.bin", "--ref", "b/weights.bin="+without.URL+"/a/weights.bin")
	if files := refFiles(t, proj, "web"); len(files) != 2 || files["b/weights.bin"].URL != without.URL+"/a/weights.bin" {
		t.Fatalf("ls: %+v", files)
	}
}

// TestRefBadInput: each kind of bad input is a clear error, and no
// version is written.
func TestRefBadInput(t *testing.T) {
	b, c := s3Env(t)
	putS3(t, c, b, "p/1", "1")
	putS3(t, c, b, "p/2", "2")
	proj := newProject(t)
	writeFiles(t, proj, map[string]string{"p": "local file named like the reference"})
	for _, tc := range []struct {
		name string
		args []string
		code int
		msgs []string
	}{
		{"unknown scheme", []string{"--ref", "ftp://host/x"}, exitUsage, []string{`unknown scheme "ftp"`}},
		{"malformed", []string{"--ref", "s3:/" + b}, exitUsage, []string{"two slashes"}},
		{"no bucket", []string{"--ref", "s3://"}, exitUsage, []string{"no bucket name"}},
		{"missing bucket", []string{"--ref", "s3://missing-" + b + "/p"}, exitUsage, []string{"bucket does not exist", "missing-" + b}},
		{"empty prefix", []string{"--ref", "s3://" + b + "/nothing/"}, exitUsage, []string{"no objects", "s3://" + b + "/nothing/"}},
		{"past the cap", []string{"--ref", "s3://" + b + "/p", "--max-objects", "1"}, exitUsage, []string{"more than 1 objects", "--max-objects"}},
		{"bad cap", []string{"--ref", "s3://" + b + "/p", "--max-objects", "0"}, exitUsage, []string{"--max-objects 0"}},
		{"no-checksum alone", []string{"x", "--no-checksum"}, exitUsage, []string{"--no-checksum applies to references"}},
		{"name clash", []string{"p", "--ref", "p=s3://" + b + "/p"}, exitUsage, []string{"both claim the path \"p\"", "--ref PATH=URI"}},
		{"bad path", []string{"--ref", "/abs=s3://" + b + "/p"}, exitUsage, []string{"PATH \"/abs\"", "relative to its root"}},
		{"folder path for an object", []string{"--ref", "d/=s3://" + b + "/p/1"}, exitUsage, []string{"one object", "d/1=s3://" + b + "/p/1"}},
		{"missing file", []string{"--ref", "file:///no/such/folder"}, exitUsage, []string{"no such file or folder"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantExit(t, proj, tc.code, tc.msgs, append([]string{"commit", "bad", "--type", "dataset"}, tc.args...)...)
			if n := versionCount(t, proj, "bad"); n != 0 {
				t.Fatalf("%d versions written", n)
			}
		})
	}
	t.Run("access denied", func(t *testing.T) {
		t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
		wantExit(t, proj, exitError, []string{"access denied", "AWS_SECRET_ACCESS_KEY"}, "commit", "bad", "--type", "dataset", "--ref", "s3://"+b+"/p")
	})
	t.Run("no credentials", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "")
		wantExit(t, proj, exitError, []string{"no credentials", "AWS_ACCESS_KEY_ID"}, "commit", "bad", "--type", "dataset", "--ref", "s3://"+b+"/p")
	})
	if n := versionCount(t, proj, "bad"); n != 0 {
		t.Fatalf("%d versions written", n)
	}
}

// TestRefFileWandbManifest: in W&B's manifest layout a file:// reference
// has the base64 MD5 of its content as digest, as W&B records one. An
// export remembers it, so a later one gives it even after the source
// changed; a source changed before any export read it is an error, not a
// wrong digest.
func TestRefFileWandbManifest(t *testing.T) {
	proj := newProject(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"w.bin": "weights"})
	mustTrove(t, proj, "commit", "m", "--type", "model", "--ref", "file://"+filepath.Join(src, "w.bin"))
	var m struct {
		Contents map[string]struct{ Digest, Ref string } `json:"contents"`
	}
	out := mustTrove(t, proj, "manifest", "m", "--format", "wandb")
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%v in\n%s", err, out)
	}
	sum := md5.Sum([]byte("weights"))
	if e := m.Contents["w.bin"]; e.Digest != base64.StdEncoding.EncodeToString(sum[:]) || e.Ref != "file://"+filepath.Join(src, "w.bin") {
		t.Fatalf("w.bin: %+v in\n%s", e, out)
	}
	writeFiles(t, src, map[string]string{"w.bin": "WEIGHTS", "b.bin": "bias"})
	if again := mustTrove(t, proj, "manifest", "m", "--format", "wandb"); again != out {
		t.Errorf("export after the source changed, read before:\n%s\nwant\n%s", again, out)
	}
	mustTrove(t, proj, "commit", "b", "--type", "model", "--ref", "file://"+filepath.Join(src, "b.bin"))
	writeFiles(t, src, map[string]string{"b.bin": "BIAS"})
	if r := trove(t, proj, "manifest", "b", "--format", "wandb"); r.code == 0 || !strings.Contains(r.stderr, "b.bin") || !strings.Contains(r.stderr, "changed") {
		t.Fatalf("manifest of a changed source never read: exit %d\n%s", r.code, r.stderr)
	}
}
