package repo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// caseSensitive reports whether names in the folder dir that differ only
// in case name different files there: Options.CaseSensitive, else a
// probe (the package function caseSensitive).
func (r *Repo) caseSensitive(dir string) bool {
	if r.opts.CaseSensitive != nil {
		return r.opts.CaseSensitive(dir)
	}
	return caseSensitive(dir)
}

// caseSensitive reports whether names in the folder dir that differ only
// in case name different files. Where dir's own name has letters, it looks
// the name up again in the other case, writing nothing: the same entry
// means case is ignored. Otherwise it makes a temp file in dir (named as a
// pull's temp files are) and looks for its name in upper case. It says
// false where it cannot tell.
func caseSensitive(dir string) bool {
	if fi, err := os.Lstat(dir); err == nil {
		base := filepath.Base(dir)
		other := strings.ToUpper(base)
		if other == base {
			other = strings.ToLower(base)
		}
		if other != base {
			fo, err := os.Lstat(filepath.Join(filepath.Dir(dir), other))
			if err != nil {
				return errors.Is(err, fs.ErrNotExist)
			}
			return !os.SameFile(fi, fo)
		}
	}
	f, err := os.CreateTemp(dir, pullTempPrefix+"*")
	if err != nil {
		return false
	}
	name := f.Name()
	f.Close()
	defer os.Remove(name)
	_, err = os.Lstat(filepath.Join(dir, strings.ToUpper(filepath.Base(name))))
	return errors.Is(err, fs.ErrNotExist)
}

// foldName is the key under which a filesystem that ignores case, and
// Unicode normalisation as macOS's does, files name: its NFC form with
// each letter mapped to upper and back to lower case, one rune for one
// (so "Σ", "σ" and "ς" meet, while "ß" and "ss" stay apart, as they do on
// NTFS).
func foldName(name string) string {
	return strings.ToLower(strings.ToUpper(norm.NFC.String(name)))
}

// checkCaseCollisions walks the tree root, to be pulled at base under
// the output folder dir, and fails with an error wrapping ErrInvalid
// naming the first two entries of one folder whose names fold to the same
// key (foldName): on a filesystem that ignores case they would be one
// file. Memory holds the names of the folders on the walk's current path
// only.
func checkCaseCollisions(ctx context.Context, g manifest.BlobGetter, root objects.ID, base, dir string) error {
	type folder struct {
		prefix string            // the folder's path and "/", "" at the root
		names  map[string]string // folded name → name
	}
	var open []folder
	var a, b string
	err := manifest.Walk(ctx, g, root, func(p string, _ manifest.Entry) error {
		prefix, name := path.Split(p)
		for len(open) > 0 && !strings.HasPrefix(prefix, open[len(open)-1].prefix) {
			open = open[:len(open)-1]
		}
		if len(open) == 0 || open[len(open)-1].prefix != prefix {
			open = append(open, folder{prefix: prefix, names: map[string]string{}})
		}
		f := open[len(open)-1]
		k := foldName(name)
		if other, ok := f.names[k]; ok {
			a, b = prefix+other, p
			return manifest.SkipAll
		}
		f.names[k] = name
		return nil
	})
	if err != nil {
		return err
	}
	if a == "" {
		return nil
	}
	return fmt.Errorf("%w: pull: %s and %s differ only in letter case (or Unicode form), which the filesystem of %s ignores: one would overwrite the other. Pull into a folder on a case-sensitive volume, or pull each with --prefix into a folder of its own",
		ErrInvalid, path.Join(base, a), path.Join(base, b), dir)
}
