package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadInput: each bad input gets a clear error naming the problem, exit
// status 2, and leaves no version behind.
func TestBadInput(t *testing.T) {
	dir := newProject(t)
	writeFiles(t, dir, map[string]string{"data/f.txt": "x"})
	sock := filepath.Join(dir, "sockdir")
	os.Mkdir(sock, 0o755)
	l, err := net.Listen("unix", filepath.Join(sock, "s.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	os.WriteFile(filepath.Join(dir, "meta.json"), []byte(`{"a": NaN}`), 0o644)
	unreadable := filepath.Join(dir, "locked")
	writeFiles(t, dir, map[string]string{"locked/f": "x"})
	os.Chmod(unreadable, 0)
	defer os.Chmod(unreadable, 0o755)

	many := "{"
	for i := range 101 {
		if i > 0 {
			many += ","
		}
		many += `"k` + strings.Repeat("x", i) + `":1`
	}
	many += "}"
	os.WriteFile(filepath.Join(dir, "many.json"), []byte(many), 0o644)
	mustTrove(t, dir, "commit", "present", "--type", "dataset", "data")

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing path", []string{"commit", "ds", "--type", "dataset", "nope"}, "nope"},
		{"no paths", []string{"commit", "ds", "--type", "dataset"}, "at least one PATH"},
		{"bad name", []string{"commit", "bad name!", "--type", "dataset", "data"}, "artifact name"},
		{"long name", []string{"commit", strings.Repeat("n", 129), "--type", "dataset", "data"}, "128"},
		{"bad type", []string{"commit", "ds", "--type", "data set", "data"}, "type"},
		{"new artifact without type", []string{"commit", "ds", "data"}, "--type"},
		{"bad meta", []string{"commit", "ds", "--type", "dataset", "data", "--meta", "novalue"}, "novalue"},
		{"NaN metadata", []string{"commit", "ds", "--type", "dataset", "data", "--meta-file", "meta.json"}, "meta.json"},
		{"101 keys", []string{"commit", "ds", "--type", "dataset", "data", "--meta-file", "many.json"}, "100"},
		{"socket", []string{"commit", "ds", "--type", "dataset", "sockdir"}, "s.sock is a socket"},
		{"reserved alias", []string{"commit", "ds", "--type", "dataset", "data", "--alias", "latest"}, "latest"},
		{"bad ttl", []string{"commit", "ds", "--type", "dataset", "data", "--ttl", "3 weeks"}, "TTL"},
		{"bad prefix", []string{"commit", "ds", "--type", "dataset", "data", "--prefix", "../up"}, "--prefix"},
		{"absolute prefix", []string{"commit", "ds", "--type", "dataset", "data", "--prefix", "/home/me/data"}, `relative to its root ("home/me/data")`},
		{"empty prefix element", []string{"commit", "ds", "--type", "dataset", "data", "--prefix", "a//b"}, "--prefix"},
		{"repo inside itself", []string{"commit", "ds", "--type", "dataset", ".trove"}, ".trove"},
		{"unknown flag", []string{"commit", "ds", "--bogus", "data"}, "bogus"},
		{"bad spec", []string{"show", "a/b/c/d"}, "too many"},
		{"unknown artifact", []string{"show", "nosuch"}, "no such artifact: \"nosuch\" (list artifacts with 'trove log')"},
		{"pull of an unknown artifact", []string{"pull", "nosuch", "-o", "out"}, "no such artifact"},
		{"unknown version", []string{"show", "present:v9"}, "no version v9"},
		{"unknown alias", []string{"pull", "present:nope", "-o", "out"}, "no alias \"nope\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := trove(t, dir, tc.args...)
			if r.code != exitUsage {
				t.Fatalf("exit %d, want %d\nstderr: %s", r.code, exitUsage, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("error does not mention %q:\n%s", tc.want, r.stderr)
			}
		})
	}
	if os.Getuid() != 0 { // root reads anything
		r := trove(t, dir, "commit", "ds", "--type", "dataset", "locked")
		if r.code != exitUsage || !strings.Contains(r.stderr, "permission denied") {
			t.Fatalf("unreadable folder: exit %d: %s", r.code, r.stderr)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Errorf("a pull of something that does not exist made its output folder (%v)", err)
	}
	// None of them left a version.
	r := trove(t, dir, "log", "ds")
	if r.code == 0 {
		t.Fatalf("bad input left a version:\n%s", r.stdout)
	}
	mustTrove(t, dir, "fsck")
}

func TestNotARepository(t *testing.T) {
	r := trove(t, t.TempDir(), "log")
	if r.code != exitError || !strings.Contains(r.stderr, "trove init") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	dir := newProject(t)
	if r := trove(t, dir, "init"); r.code == 0 || !strings.Contains(r.stderr, "already") {
		t.Fatalf("second init: exit %d: %s", r.code, r.stderr)
	}
}

// TestFindFromSubfolder: commands find the repository from any subfolder.
func TestFindFromSubfolder(t *testing.T) {
	dir := newProject(t)
	writeFiles(t, dir, map[string]string{"deep/er/f": "1"})
	mustTrove(t, filepath.Join(dir, "deep", "er"), "commit", "x", "--type", "dataset", "f")
	mustTrove(t, dir, "show", "x")
}
