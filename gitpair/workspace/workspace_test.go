package workspace

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/repo"
)

func TestPinFor(t *testing.T) {
	v := &repo.Resolved{Name: "mnist", Version: refs.Version{N: 4, Record: objects.Sum([]byte("r")), Root: objects.Sum([]byte("t"))}}
	for _, tc := range []struct{ name, alias string }{
		{"mnist", "latest"},
		{"mnist:best", "best"},
		{"mnist:v4", "v4"},
		{"proj/mnist:best", "best"},
		{"registry/dataset/digits", "registry/dataset/digits:latest"},
		{"registry/dataset/digits:prod", "registry/dataset/digits:prod"},
		{"acme/wandb-registry-dataset/digits:prod", "registry/dataset/digits:prod"},
		{v.Version.Root.String()[:10], "v4"}, // found by digest: exactly that version
	} {
		p, err := pinFor("data/m", tc.name, v)
		if err != nil {
			t.Fatalf("pinFor(%s): %v", tc.name, err)
		}
		if p.Alias != tc.alias || p.Artifact != "mnist" || p.Version != 4 || p.Record != v.Version.Record || p.Digest != v.Version.Root {
			t.Errorf("pinFor(%s) = %+v, want alias %s", tc.name, p, tc.alias)
		}
	}
}

func TestIgnoreLines(t *testing.T) {
	dir := t.TempDir()
	w := &Workspace{dir: dir}
	gi := filepath.Join(dir, ".gitignore")
	// Outside Git, .gitignore is not touched.
	if line, err := w.ignore("data/a"); err != nil || line != "" {
		t.Fatalf("ignore outside Git: %q, %v", line, err)
	}
	if _, err := os.Stat(gi); err == nil {
		t.Fatal(".gitignore written outside Git")
	}
	os.Mkdir(filepath.Join(dir, ".git"), 0o755)
	os.WriteFile(gi, []byte("*.pyc\r\n/build"), 0o600)
	for _, p := range []string{"data/a", "data/b", "data/a"} {
		if _, err := w.ignore(p); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ := os.ReadFile(gi); string(b) != "*.pyc\r\n/build\n/data/a/\n/data/b/\n" {
		t.Fatalf(".gitignore = %q", b)
	}
	if err := w.unignore("data/a"); err != nil {
		t.Fatal(err)
	}
	if err := w.unignore("data/zzz"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(gi)
	fi, _ := os.Stat(gi)
	if string(b) != "*.pyc\r\n/build\n/data/b/\n" || fi.Mode().Perm() != 0o600 {
		t.Fatalf(".gitignore after unignore = %q (%v)", b, fi.Mode())
	}
}
