package manifest

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/trove-ml/trove/objects"
)

// buildSpec builds a tree from lines of the form
//
//	file PATH CONTENT     a file (mode 0644) holding CONTENT
//	exec PATH CONTENT     an executable file
//	link PATH TARGET      a symbolic link
//	ref PATH URI ETAG SIZE  a reference with an ETag
//	loc PATH URI          a location-only reference
//	dir PATH              a directory (needed only when empty)
//
// Parent directories are implied.
func buildSpec(ctx context.Context, s *memStore, spec string) (objects.ID, int64, int64, error) {
	dirs := map[string][]Entry{"": nil} // directory path → entries other than subdirectories
	var addDir func(p string)
	addDir = func(p string) {
		if _, ok := dirs[p]; ok || p == "" {
			return
		}
		dirs[p] = nil
		addDir(parentOf(p))
	}
	for _, line := range strings.Split(strings.TrimSpace(spec), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 {
			return objects.ID{}, 0, 0, fmt.Errorf("bad line %q", line)
		}
		p := f[1]
		var e Entry
		switch f[0] {
		case "file", "exec":
			content := strings.Join(f[2:], " ")
			e = fileEntry(path.Base(p), content)
			if f[0] == "exec" {
				e.Mode = ModeExec
			}
		case "link":
			e = symlinkEntry(path.Base(p), f[2])
		case "ref":
			size, err := strconv.ParseInt(f[4], 10, 64)
			if err != nil {
				return objects.ID{}, 0, 0, err
			}
			e = refEntry(path.Base(p), f[2], f[3], size)
		case "loc":
			e = locEntry(path.Base(p), f[2])
		case "dir":
			addDir(p)
			continue
		default:
			return objects.ID{}, 0, 0, fmt.Errorf("unknown kind %q", f[0])
		}
		addDir(parentOf(p))
		dirs[parentOf(p)] = append(dirs[parentOf(p)], e)
	}
	var build func(dir string) (objects.ID, int64, int64, error)
	build = func(dir string) (objects.ID, int64, int64, error) {
		entries := dirs[dir]
		for p := range dirs {
			if p != "" && parentOf(p) == dir {
				id, size, files, err := build(p)
				if err != nil {
					return objects.ID{}, 0, 0, err
				}
				entries = append(entries, dirEntry(path.Base(p), id, size, files))
			}
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
		w := NewDirWriter(ctx, s)
		for _, e := range entries {
			if err := w.Add(e); err != nil {
				return objects.ID{}, 0, 0, err
			}
		}
		return w.Finish()
	}
	return build("")
}

func parentOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

func describeChange(c Change) string {
	switch c.Op {
	case Added:
		return fmt.Sprintf("added %s %s", c.New.Kind, c.Path)
	case Removed:
		return fmt.Sprintf("removed %s %s", c.Old.Kind, c.Path)
	case TypeChanged:
		return fmt.Sprintf("type-changed %s: %s -> %s", c.Path, c.Old.Kind, c.New.Kind)
	}
	var what []string
	o, n := c.Old, c.New
	if o.Digest != n.Digest {
		what = append(what, "digest")
	}
	if o.Size != n.Size {
		what = append(what, fmt.Sprintf("size %d -> %d", o.Size, n.Size))
	}
	if o.Mode != n.Mode {
		what = append(what, fmt.Sprintf("mode %#o -> %#o", o.Mode, n.Mode))
	}
	if o.Target != n.Target {
		what = append(what, fmt.Sprintf("target %s -> %s", o.Target, n.Target))
	}
	if o.Ref != nil && n.Ref != nil && *o.Ref != *n.Ref {
		what = append(what, "reference")
	}
	return fmt.Sprintf("modified %s %s: %s", c.New.Kind, c.Path, strings.Join(what, ", "))
}

// TestDiffDataDriven runs testdata/diff. Directives:
//
//	tree name=N      build tree N from the input (see buildSpec)
//	diff a=N b=M     print the changes from tree N to tree M ("empty" is
//	                 the zero id)
//	walk name=N      print Walk's paths
func TestDiffDataDriven(t *testing.T) {
	s := newMemStore()
	trees := map[string]objects.ID{"empty": {}}
	datadriven.RunTest(t, "testdata/diff", func(t *testing.T, d *datadriven.TestData) string {
		ctx := context.Background()
		arg := func(key string) objects.ID {
			var name string
			d.ScanArgs(t, key, &name)
			id, ok := trees[name]
			if !ok {
				t.Fatalf("%s: no tree %q", d.Pos, name)
			}
			return id
		}
		switch d.Cmd {
		case "tree":
			var name string
			d.ScanArgs(t, "name", &name)
			id, size, files, err := buildSpec(ctx, s, d.Input)
			if err != nil {
				return "error: " + err.Error() + "\n"
			}
			trees[name] = id
			return fmt.Sprintf("%d files, %d bytes\n", files, size)
		case "diff":
			var out strings.Builder
			err := Diff(ctx, s, arg("a"), arg("b"), func(c Change) error {
				fmt.Fprintln(&out, describeChange(c))
				return nil
			})
			if err != nil {
				fmt.Fprintf(&out, "error: %v\n", err)
			}
			if out.Len() == 0 {
				return "no changes\n"
			}
			return out.String()
		case "walk":
			var out strings.Builder
			err := Walk(ctx, s, arg("name"), func(p string, e Entry) error {
				fmt.Fprintf(&out, "%s %s\n", e.Kind, p)
				return nil
			})
			if err != nil {
				fmt.Fprintf(&out, "error: %v\n", err)
			}
			return out.String()
		}
		t.Fatalf("%s: unknown directive %q", d.Pos, d.Cmd)
		return ""
	})
}
