package manifest

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/trove-ml/trove/objects"
)

// exportTree builds a tree with one entry of every kind.
func exportTree(t *testing.T, s *memStore) (objects.ID, map[string]string) {
	content := map[string]string{"data/a.csv": "1,2,3", "data/b.csv": "hello", "run.sh": "#!/bin/sh"}
	data, size, files := writeDir(t, s,
		fileEntry("a.csv", content["data/a.csv"]),
		fileEntry("b.csv", content["data/b.csv"]),
		symlinkEntry("link", "a.csv"),
		Entry{Name: "r", Kind: KindRef, Size: 3, Ref: &Reference{URI: "s3://b/k", ChecksumKind: "etag+versionid", Checksum: `"e"`, VersionID: "v"}},
		locEntry("u", "s3://b/p/"),
	)
	root, _, _ := writeDir(t, s, dirEntry("data", data, size, files), execEntry("run.sh", content["run.sh"]))
	return root, content
}

func TestWriteJSON(t *testing.T) {
	s := newMemStore()
	root, content := exportTree(t, s)
	var buf bytes.Buffer
	if err := WriteJSON(t.Context(), &buf, s, root); err != nil {
		t.Fatal(err)
	}
	dataID, _ := Lookup(t.Context(), s, root, "data")
	sum := func(s string) string { return objects.Sum([]byte(s)).String() }
	want := `{"format":1,"root":"` + root.String() + `","entries":[
{"path":"data","kind":"dir","size":13,"files":5,"digest":"` + dataID.Digest.String() + `"},
{"path":"data/a.csv","kind":"file","mode":"0644","size":5,"digest":"` + sum(content["data/a.csv"]) + `"},
{"path":"data/b.csv","kind":"file","mode":"0644","size":5,"digest":"` + sum(content["data/b.csv"]) + `"},
{"path":"data/link","kind":"symlink","target":"a.csv","digest":"` + sum("a.csv") + `"},
{"path":"data/r","kind":"ref","size":3,"uri":"s3://b/k","checksumKind":"etag+versionid","checksum":"\"e\"","versionId":"v"},
{"path":"data/u","kind":"ref-location","uri":"s3://b/p/"},
{"path":"run.sh","kind":"file","mode":"0755","size":9,"digest":"` + sum(content["run.sh"]) + `"}
],"files":6,"size":22}
`
	if buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}
	if !json.Valid(buf.Bytes()) {
		t.Fatal("not valid JSON")
	}
	// An empty tree is still a valid manifest.
	buf.Reset()
	empty, _, _ := writeDir(t, s)
	if err := WriteJSON(t.Context(), &buf, s, empty); err != nil || !json.Valid(buf.Bytes()) {
		t.Fatalf("empty tree: %v, %s", err, buf.String())
	}
}

func TestWriteWandb(t *testing.T) {
	s := newMemStore()
	root, content := exportTree(t, s)
	md5sum := func(p string, e Entry) (string, error) {
		h := md5.Sum([]byte(content[p]))
		return base64.StdEncoding.EncodeToString(h[:]), nil
	}
	var buf bytes.Buffer
	if err := WriteWandb(t.Context(), &buf, s, root, md5sum); err != nil {
		t.Fatal(err)
	}
	// The shape W&B's ArtifactManifestV1.from_manifest_json reads.
	var m struct {
		Version             int               `json:"version"`
		StoragePolicy       string            `json:"storagePolicy"`
		StoragePolicyConfig map[string]string `json:"storagePolicyConfig"`
		Contents            map[string]struct {
			Digest string            `json:"digest"`
			Ref    string            `json:"ref"`
			Size   *int64            `json:"size"`
			Extra  map[string]string `json:"extra"`
		} `json:"contents"`
	}
	d := json.NewDecoder(&buf)
	d.DisallowUnknownFields()
	if err := d.Decode(&m); err != nil {
		t.Fatalf("%v in\n%s", err, buf.String())
	}
	if m.Version != 1 || m.StoragePolicy != "wandb-storage-policy-v1" || m.StoragePolicyConfig["storageLayout"] != "V2" {
		t.Errorf("header %+v", m)
	}
	var paths []string
	for p := range m.Contents {
		paths = append(paths, p)
	}
	if len(paths) != 5 {
		t.Errorf("contents %v: want 3 files and 2 references, no directory or symlink", paths)
	}
	a := m.Contents["data/a.csv"]
	if want, _ := md5sum("data/a.csv", Entry{}); a.Digest != want {
		t.Errorf("a.csv digest %q", a.Digest)
	}
	if a.Size == nil || *a.Size != 5 {
		t.Errorf("a.csv size %v", a.Size)
	}
	r := m.Contents["data/r"]
	if r.Digest != `"e"` || r.Ref != "s3://b/k" || *r.Size != 3 || r.Extra["etag"] != `"e"` || r.Extra["versionID"] != "v" {
		t.Errorf("reference %+v", r)
	}
	u := m.Contents["data/u"]
	if u.Digest != "s3://b/p/" || u.Ref != "s3://b/p/" || u.Size != nil {
		t.Errorf("location %+v", u)
	}

	boom := errors.New("boom")
	err := WriteWandb(t.Context(), &bytes.Buffer{}, s, root, func(string, Entry) (string, error) { return "", boom })
	if err != boom {
		t.Errorf("md5 error came back as %v", err)
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestExportWriteError(t *testing.T) {
	s := newMemStore()
	root, _ := exportTree(t, s)
	err := WriteJSON(t.Context(), failingWriter{}, s, root)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("WriteJSON to a failing writer: %v", err)
	}
}

// TestWriteWandbHashedReference: a reference whose checksum is a BLAKE3
// (a local file, an HTTP object without an ETag) gets the MD5 W&B records,
// from md5, and no "extra" (an HTTP object's Last-Modified date in its
// VersionID is no version W&B could fetch); one with a source's own
// checksum (an ETag) keeps it, and md5 is not asked.
func TestWriteWandbHashedReference(t *testing.T) {
	s := newMemStore()
	digest := objects.Sum([]byte("local"))
	web := objects.Sum([]byte("web"))
	root, _, _ := writeDir(t, s,
		Entry{Name: "f", Kind: KindRef, Size: 5, Digest: digest, Ref: &Reference{URI: "file:///data/f", ChecksumKind: ChecksumBLAKE3, Checksum: digest.String()}},
		Entry{Name: "h", Kind: KindRef, Size: 3, Digest: web, Ref: &Reference{URI: "http://h/h", ChecksumKind: ChecksumBLAKE3, Checksum: web.String(), VersionID: "Tue, 03 Feb 2026 04:05:06 GMT"}},
		Entry{Name: "r", Kind: KindRef, Size: 3, Ref: &Reference{URI: "s3://b/k", ChecksumKind: "etag", Checksum: `"e"`}},
	)
	var asked []string
	var buf bytes.Buffer
	err := WriteWandb(t.Context(), &buf, s, root, func(p string, e Entry) (string, error) {
		asked = append(asked, p)
		return "md5-of-" + p, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Contents map[string]struct{ Digest, Ref string } `json:"contents"`
	}
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatalf("%v in\n%s", err, buf.String())
	}
	if strings.Join(asked, " ") != "f h" {
		t.Errorf("md5 asked for %q, want f and h", asked)
	}
	if strings.Contains(buf.String(), "versionID") || strings.Contains(buf.String(), "GMT") {
		t.Errorf("the Last-Modified date went into the W&B manifest:\n%s", buf.String())
	}
	if f := m.Contents["f"]; f.Digest != "md5-of-f" || f.Ref != "file:///data/f" {
		t.Errorf("hashed reference %+v", f)
	}
	if r := m.Contents["r"]; r.Digest != `"e"` {
		t.Errorf("ETag reference %+v", r)
	}
}
