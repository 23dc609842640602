package repo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// memRefs is a RefSource and RefFetcher over objects held in memory,
// listed in walk order: a prefix mem://name/ given the path name
// (PATH=URI), or with atRoot the default, its objects at the root.
type memRefs struct {
	name    string
	atRoot  bool
	paths   []string          // walk order
	content map[string]string // by URI; a missing URI is gone
}

func (m *memRefs) String() string { return "mem://" + m.name }

func (m *memRefs) uri(p string) string { return "mem://" + m.name + "/" + p }

func (m *memRefs) List(ctx context.Context, fn func(string, manifest.Entry) error) error {
	for _, p := range m.paths {
		c := m.content[m.uri(p)]
		e := manifest.Entry{Name: p[strings.LastIndexByte(p, '/')+1:], Kind: manifest.KindRef, Size: int64(len(c)),
			Ref: &manifest.Reference{URI: m.uri(p), ChecksumKind: "etag", Checksum: fmt.Sprintf("%x", objects.Sum([]byte(c)).Short())}}
		at := p
		if !m.atRoot {
			at = m.name + "/" + p
		}
		if err := fn(at, e); err != nil {
			return err
		}
	}
	return nil
}

func (m *memRefs) Fetch(ctx context.Context, e manifest.Entry, w io.Writer) error {
	c, ok := m.content[e.Ref.URI]
	if !ok {
		return fmt.Errorf("%s: %w", e.Ref.URI, fs.ErrNotExist)
	}
	if fmt.Sprintf("%x", objects.Sum([]byte(c)).Short()) != e.Ref.Checksum {
		return fmt.Errorf("%s: %w", e.Ref.URI, objects.ErrCorrupt)
	}
	_, err := io.WriteString(w, c)
	return err
}

func (m *memRefs) Expand(context.Context, manifest.Entry, func(string, manifest.Entry) error) error {
	return errors.New("not used")
}

// TestCommitRefs: a reference's objects become a folder, nested by path in
// walk order, beside local files; pull fetches them, and a gone object is
// an error or, when allowed, a warning.
func TestCommitRefs(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	src := filepath.Join(t.TempDir(), "src")
	write(t, filepath.Join(src, "local.txt"), []byte("local"))
	m := &memRefs{name: "ds", paths: []string{"a/b/c", "a/b-d", "a/x", "a.txt", "b", "z/y/x/w"}, content: map[string]string{}}
	for _, p := range m.paths {
		m.content[m.uri(p)] = "content of " + p
	}
	res, err := r.Commit(ctx, CommitOptions{Name: "mixed", Type: "dataset", Paths: []string{src}, Refs: []RefSource{m}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 7 {
		t.Fatalf("%d files, want 7", res.Files)
	}
	var got []string
	if err := manifest.Walk(ctx, r.Blobs(), res.Version.Root, func(p string, e manifest.Entry) error {
		got = append(got, p+":"+e.Kind.String())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := "ds:dir ds/a:dir ds/a/b:dir ds/a/b/c:ref ds/a/b-d:ref ds/a/x:ref ds/a.txt:ref ds/b:ref ds/z:dir ds/z/y:dir ds/z/y/x:dir ds/z/y/x/w:ref local.txt:file"
	if strings.Join(got, " ") != want {
		t.Fatalf("tree:\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
	again, err := r.Commit(ctx, CommitOptions{Name: "mixed", Type: "dataset", Paths: []string{src}, Refs: []RefSource{m}})
	if err != nil || !again.Unchanged {
		t.Fatalf("recommit: %+v, %v", again, err)
	}
	if _, err := r.Commit(ctx, CommitOptions{Name: "clash", Type: "dataset", Refs: []RefSource{m, m}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("two references under one name: %v", err)
	}
	bad := &memRefs{name: "bad", paths: []string{"b", "a"}, content: m.content}
	if _, err := r.Commit(ctx, CommitOptions{Name: "bad", Type: "dataset", Refs: []RefSource{bad}}); !errors.Is(err, manifest.ErrInvalid) {
		t.Fatalf("entries out of order: %v", err)
	}

	v, err := r.Resolve(ctx, "mixed")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, err := r.Pull(ctx, v, PullOptions{Dir: out, Refs: m}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(out, "ds", "z", "y", "x", "w")); err != nil || !bytes.Equal(b, []byte("content of z/y/x/w")) {
		t.Fatalf("pulled = %q, %v", b, err)
	}
	if _, err := r.Pull(ctx, v, PullOptions{Dir: t.TempDir()}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("pull without a fetcher: %v", err)
	}
	delete(m.content, m.uri("a/x"))
	if _, err := r.Pull(ctx, v, PullOptions{Dir: t.TempDir(), Refs: m}); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "ds/a/x") {
		t.Fatalf("pull of a gone object: %v", err)
	}
	res2, err := r.Pull(ctx, v, PullOptions{Dir: t.TempDir(), Refs: m, AllowMissingRefs: true})
	if err != nil || len(res2.Warnings) != 1 || !strings.Contains(res2.Warnings[0], "ds/a/x") {
		t.Fatalf("pull allowing missing: %+v, %v", res2, err)
	}
	// out holds v as pulled: the pull learnt each object's content, so
	// verify compares with that, not with the sources now.
	if rep, err := r.VerifyWith(ctx, v, out, VerifyOptions{Refs: m}); err != nil || !rep.OK() {
		t.Fatalf("verify of the folder pulled here: %+v, %v", rep, err)
	}
	// Without that (a folder pulled elsewhere), objects recorded by
	// ETag are compared with their sources, and one gone is reported.
	err = r.store.UpdateMeta(ctx, func(tx *objects.MetaTx) error {
		var keys [][]byte
		err := r.store.ScanMeta(ctx, nsStatCache, []byte{refObjectMark}, func(k, _ []byte) error {
			keys = append(keys, bytes.Clone(k))
			return nil
		})
		for _, k := range keys {
			if err := tx.Delete(nsStatCache, k); err != nil {
				return err
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.VerifyWith(ctx, v, out, VerifyOptions{Refs: m})
	if err != nil || rep.OK() || strings.Join(rep.SourceChanged, ",") != "ds/a/x" {
		t.Fatalf("verify: %+v, %v", rep, err)
	}
	if rep, err := r.VerifyWith(ctx, v, out, VerifyOptions{Refs: m, SkipReferences: true}); err != nil || !rep.OK() {
		t.Fatalf("verify skipping references: %+v, %v", rep, err)
	}
}

// treePaths lists a version's paths in walk order with their kinds.
func treePaths(t *testing.T, r *Repo, root objects.ID) string {
	t.Helper()
	var got []string
	if err := manifest.Walk(context.Background(), r.Blobs(), root, func(p string, e manifest.Entry) error {
		got = append(got, p+":"+e.Kind.String())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return strings.Join(got, " ")
}

// TestCommitRefsLayOver: references whose objects land at the version's
// root (as W&B's add_reference without a name) are laid over the local
// files and each other: folders of one name merge, in a tree equal to one
// built from all the entries at once, and a path claimed twice is an
// error naming both claimants and the way out.
func TestCommitRefsLayOver(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	src := filepath.Join(t.TempDir(), "src")
	write(t, filepath.Join(src, "train", "local.txt"), []byte("local"))
	write(t, filepath.Join(src, "top.txt"), []byte("top"))
	content := map[string]string{}
	ref := func(name string, paths ...string) *memRefs {
		m := &memRefs{name: name, atRoot: true, paths: paths, content: content}
		for _, p := range paths {
			content[m.uri(p)] = name + " " + p
		}
		return m
	}
	s3 := ref("s3", "a.txt", "train/1", "train/sub/x")
	gs := ref("gs", "b.txt", "train/2", "train/sub/y", "val/1")
	res, err := r.Commit(ctx, CommitOptions{Name: "over", Type: "dataset", Paths: []string{src}, Refs: []RefSource{s3, gs}})
	if err != nil {
		t.Fatal(err)
	}
	want := "a.txt:ref b.txt:ref top.txt:file train:dir train/1:ref train/2:ref train/local.txt:file train/sub:dir train/sub/x:ref train/sub/y:ref val:dir val/1:ref"
	if got := treePaths(t, r, res.Version.Root); got != want {
		t.Fatalf("tree:\n%s\nwant\n%s", got, want)
	}
	if res.Files != 9 {
		t.Fatalf("%d files, want 9", res.Files)
	}
	// Order does not matter, and the merged tree is the one a single
	// source of all the entries builds: content decides the digest.
	again, err := r.Commit(ctx, CommitOptions{Name: "over", Type: "dataset", Paths: []string{src}, Refs: []RefSource{gs, s3}})
	if err != nil || !again.Unchanged {
		t.Fatalf("the same references in another order: %+v, %v", again, err)
	}
	only, err := r.Commit(ctx, CommitOptions{Name: "refs", Type: "dataset", Refs: []RefSource{s3, gs}})
	if err != nil {
		t.Fatal(err)
	}
	all := &memRefs{atRoot: true, paths: []string{"a.txt", "b.txt", "train/1", "train/2", "train/sub/x", "train/sub/y", "val/1"}}
	var uris []string
	for _, m := range []*memRefs{s3, gs, s3, gs, s3, gs, gs} {
		uris = append(uris, m.String())
	}
	one := &listedRefs{m: all, uris: uris, content: content}
	if whole, err := r.Commit(ctx, CommitOptions{Name: "whole", Type: "dataset", Refs: []RefSource{one}}); err != nil || whole.Version.Root != only.Version.Root {
		t.Fatalf("merged tree %v differs from the tree of one listing: %+v, %v", only.Version.Root, whole, err)
	}

	// Pulled as laid out.
	v, err := r.Resolve(ctx, "over")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, err := r.Pull(ctx, v, PullOptions{Dir: out, Refs: s3}); err != nil { // content is shared: s3 fetches gs's too
		t.Fatal(err)
	}
	for p, want := range map[string]string{"train/1": "s3 train/1", "train/2": "gs train/2", "train/local.txt": "local", "val/1": "gs val/1"} {
		if b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(p))); err != nil || string(b) != want {
			t.Fatalf("pulled %s = %q, %v", p, b, err)
		}
	}

	for _, tc := range []struct {
		name  string
		paths []string
		refs  []RefSource
		msg   []string
	}{
		{"two references", nil, []RefSource{s3, ref("s3b", "train/sub/x")}, []string{"mem://s3 and mem://s3b both claim the path \"train/sub/x\"", "--ref PATH=URI"}},
		{"object and folder", nil, []RefSource{s3, ref("s3c", "train/sub")}, []string{"mem://s3 and mem://s3c both claim the path \"train/sub\""}},
		{"a local file", []string{src}, []RefSource{ref("s3d", "top.txt")}, []string{filepath.Join(src, "top.txt") + " and mem://s3d both claim the path \"top.txt\""}},
		{"a local folder's file", []string{src}, []RefSource{ref("s3e", "train/local.txt")}, []string{filepath.Join(src, "train", "local.txt") + " and mem://s3e"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Commit(ctx, CommitOptions{Name: "clash", Type: "dataset", Paths: tc.paths, Refs: tc.refs})
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v, want ErrInvalid", err)
			}
			for _, m := range tc.msg {
				if !strings.Contains(err.Error(), m) {
					t.Fatalf("error %q does not say %q", err, m)
				}
			}
			if _, err := r.Resolve(ctx, "clash"); err == nil {
				t.Fatal("a version was written")
			}
		})
	}
}

// listedRefs lists the paths of m at the root, each with the URI of the
// reference it came from.
type listedRefs struct {
	m       *memRefs
	uris    []string
	content map[string]string
}

func (l *listedRefs) String() string { return "mem://all" }

func (l *listedRefs) List(ctx context.Context, fn func(string, manifest.Entry) error) error {
	for i, p := range l.m.paths {
		uri := l.uris[i] + "/" + p
		c := l.content[uri]
		e := manifest.Entry{Name: p[strings.LastIndexByte(p, '/')+1:], Kind: manifest.KindRef, Size: int64(len(c)),
			Ref: &manifest.Reference{URI: uri, ChecksumKind: "etag", Checksum: fmt.Sprintf("%x", objects.Sum([]byte(c)).Short())}}
		if err := fn(p, e); err != nil {
			return err
		}
	}
	return nil
}
