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
// listed in walk order.
type memRefs struct {
	name    string
	paths   []string          // walk order
	content map[string]string // by URI; a missing URI is gone
}

func (m *memRefs) Name() string { return m.name }

func (m *memRefs) uri(p string) string { return "mem://" + m.name + "/" + p }

func (m *memRefs) List(ctx context.Context, fn func(string, manifest.Entry) error) error {
	for _, p := range m.paths {
		c := m.content[m.uri(p)]
		e := manifest.Entry{Name: p[strings.LastIndexByte(p, '/')+1:], Kind: manifest.KindRef, Size: int64(len(c)),
			Ref: &manifest.Reference{URI: m.uri(p), ChecksumKind: "etag", Checksum: fmt.Sprintf("%x", objects.Sum([]byte(c)).Short())}}
		if err := fn(p, e); err != nil {
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
