package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/internal/visible"
	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/repo"
)

func newCatCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "cat",
		Usage:     "write one file of a version to stdout, verified",
		ArgsUsage: "NAME[:ALIAS] PATH | trove://DIGEST/PATH",
		Description: "For scripts that need one file and not a folder (git show REV:PATH, W&B's get_entry).\n" +
			"A stored file's chunks are each verified before they are written, so what reaches stdout\n" +
			"is the version's bytes; a referenced object is fetched from its source and checked against\n" +
			"what was recorded before any of it is written. A version that is on the remote only is\n" +
			"fetched, and the file's chunks are kept in the local store. Inside 'trove run', the version\n" +
			"is recorded as an input of the run, as pull does. A file's URL, as 'trove ls' prints it,\n" +
			"names the version by its content digest and the path in one argument.\n\n" + exitCodesHelp,
		Flags: []cli.Flag{runFlag()},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			a := cmd.Args().Slice()
			var name, p string
			var content objects.ID // from a URL: any version of this content
			switch {
			case len(a) == 1 && strings.HasPrefix(a[0], fileURLScheme):
				var err error
				if content, p, err = parseFileURL(a[0]); err != nil {
					return usagef("cat: %v", err)
				}
			case len(a) == 2:
				name, p = a[0], strings.Trim(a[1], "/")
			default:
				return usagef("cat: want NAME[:ALIAS] PATH, or a file's trove:// URL")
			}
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
				run, err := currentRun(ctx, cmd, e, r) // checked before anything is written
				if err != nil {
					return err
				}
				var v *repo.Resolved
				if content.IsZero() {
					v, err = r.ResolveOrFetch(ctx, name)
				} else {
					v, err = r.ResolveContent(ctx, content)
				}
				if err != nil {
					return err
				}
				b, trees, err := browseTrees(ctx, r, v)
				if err != nil {
					return err
				}
				ent, err := manifest.Lookup(ctx, trees, v.Record.Root, p)
				if errors.Is(err, manifest.ErrNotExist) || errors.Is(err, manifest.ErrNotDir) {
					return usagef("cat: %s has no file %s ('trove ls %s' lists its files)", v, quoted(p), v)
				}
				if err != nil {
					return fmt.Errorf("%s: %w", v, err)
				}
				switch ent.Kind {
				case manifest.KindFile:
					err = b.WriteFileContent(ctx, e.stdout, ent)
				case manifest.KindRef:
					err = catReference(ctx, r, e.stdout, ent)
				case manifest.KindDir:
					return usagef("cat: %s is a folder of %s: 'trove ls %s %s' lists it, 'trove pull %s --prefix %s' writes it", quoted(p), v, v, quoted(p), v, quoted(p))
				case manifest.KindSymlink:
					return usagef("cat: %s of %s is a symbolic link to %s", quoted(p), v, quoted(ent.Target))
				default: // a location recorded without checksums: nothing pins its bytes
					return usagef("cat: %s of %s records only a location, %s: read it from there", quoted(p), v, quoted(ent.Ref.URI))
				}
				if err != nil {
					return fmt.Errorf("%s: %s: %w", v, visible.String(p), err)
				}
				return run.used(ctx, v)
			})
		},
	}
}

// quoted is s in quotes with invisible characters escaped, for messages.
func quoted(s string) string { return strconv.Quote(visible.String(s)) }

// catReference writes the object reference entry ent records to w. The
// source's bytes are checked only once all of them were read, so they go
// to an unnamed temp file first: nothing reaches w unless they match.
func catReference(ctx context.Context, r *repo.Repo, w io.Writer, ent manifest.Entry) error {
	f, err := os.CreateTemp(filepath.Join(r.Dir, "tmp"), "cat-*")
	if err != nil {
		return err
	}
	_ = os.Remove(f.Name()) // unnamed from now on: it goes when closed
	defer f.Close()
	refs, closeRefs := newResolver(r)
	defer func() { _ = closeRefs() }() // only a cache write can fail: it costs hashing next time
	if err := refs.Fetch(ctx, ent, f); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err = io.Copy(w, f)
	return err
}
