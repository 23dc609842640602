package main

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"io"
	"path"
	"strings"
	"text/tabwriter"

	"github.com/trove-ml/trove/internal/visible"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/repo"
)

type fileJSON struct {
	Path   string `json:"path"`
	Kind   string `json:"kind"`
	Mode   string `json:"mode"`
	Size   int64  `json:"size"`
	Digest string `json:"digest,omitempty"`
	Target string `json:"target,omitempty"`
	URL    string `json:"url,omitempty"`
	// References only: what Digest is, and the pinned object version.
	ChecksumKind string `json:"checksumKind,omitempty"`
	VersionID    string `json:"versionId,omitempty"`
}

func newLsCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "ls",
		Usage:     "list the files of a version",
		ArgsUsage: "NAME[:ALIAS] [PATH]",
		Description: "Lists every file under PATH (default: all) with its mode, size and BLAKE3 digest\n" +
			"(the same as b3sum prints), and the URL it can be fetched from: for a reference, its\n" +
			"source; for a stored file, trove://DIGEST/PATH, which 'trove cat' writes (DIGEST is the\n" +
			"version's content digest, so the URL names these bytes for good).\n\n" + exitCodesHelp,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: jsonUsage}},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			a := cmd.Args().Slice()
			if len(a) < 1 || len(a) > 2 {
				return usagef("ls: want NAME[:ALIAS] [PATH]")
			}
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
				v, _, trees, err := browseVersion(ctx, r, a[0])
				if err != nil {
					return err
				}
				root, base := v.Record.Root, ""
				if len(a) == 2 {
					base = strings.Trim(a[1], "/")
					ent, err := manifest.Lookup(ctx, trees, root, base)
					if err != nil {
						return usagef("ls: %s has no path %q", v, base)
					}
					if ent.Kind != manifest.KindDir {
						return printFiles(e, cmd.Bool("json"), []fileJSON{lsInfo(v.Record.Root, base, ent)})
					}
					root = ent.Digest
				}
				// Rows go out as the trees are walked: a version of a
				// million files is listed in the memory of a few thousand.
				l := newFileLister(e.stdout, cmd.Bool("json"))
				err = manifest.Walk(ctx, trees, root, func(p string, ent manifest.Entry) error {
					if ent.Kind == manifest.KindDir {
						return nil
					}
					return l.add(lsInfo(v.Record.Root, path.Join(base, p), ent))
				})
				if err != nil {
					return err
				}
				return l.close()
			})
		},
	}
}

// lsInfo is fileInfo with, for a stored file, its URL in the version
// whose content digest is root (troveurl.go).
func lsInfo(root objects.ID, p string, e manifest.Entry) fileJSON {
	f := fileInfo(p, e)
	if e.Kind == manifest.KindFile {
		f.URL = fileURL(root, p)
	}
	return f
}

func fileInfo(p string, e manifest.Entry) fileJSON {
	mode := e.Mode
	if e.Kind == manifest.KindRef || e.Kind == manifest.KindRefLocation {
		// A reference records no mode (its 0 means none): show, in text
		// and JSON alike, the mode of the file a pull writes.
		mode = manifest.ModeFile
	}
	f := fileJSON{Path: p, Kind: e.Kind.String(), Mode: fmt.Sprintf("%04o", mode), Size: e.Size}
	switch e.Kind {
	case manifest.KindFile:
		f.Digest = e.Digest.String()
	case manifest.KindSymlink:
		f.Target = e.Target
	case manifest.KindRef, manifest.KindRefLocation:
		if e.Ref != nil {
			f.URL = e.Ref.URI
			f.Digest = e.Ref.Checksum
			f.ChecksumKind, f.VersionID = e.Ref.ChecksumKind, e.Ref.VersionID
		}
	}
	return f
}

func printFiles(e env, asJSON bool, files []fileJSON) error {
	l := newFileLister(e.stdout, asJSON)
	for _, f := range files {
		if err := l.add(f); err != nil {
			return err
		}
	}
	return l.close()
}

// lsBlock is how many rows of text a fileLister aligns at a time: every
// listing of up to 65,536 files is one table, and a longer one is a table
// per block, whose column widths may differ by a few characters.
const lsBlock = 1 << 16

// A fileLister prints files as they come: as JSON, one element of an
// array at a time (the bytes printJSON writes for the whole slice); as
// text, in a table aligned over blocks of lsBlock rows.
type fileLister struct {
	w      *bufio.Writer
	asJSON bool
	tw     *tabwriter.Writer
	n      int
	buf    []byte // one JSON element, reused
}

func newFileLister(w io.Writer, asJSON bool) *fileLister {
	l := &fileLister{w: bufio.NewWriterSize(w, 64<<10), asJSON: asJSON}
	if !asJSON {
		l.tw = newTable(l.w)
	}
	return l
}

func (l *fileLister) add(f fileJSON) error {
	l.n++
	if l.asJSON {
		sep := ",\n  "
		if l.n == 1 {
			sep = "[\n  "
		}
		l.buf = appendFileJSON(append(l.buf[:0], sep...), &f)
		_, err := l.w.Write(l.buf)
		return err
	}
	// Names are the committer's choice: escape what would hide or fake
	// them on a terminal (package visible). JSON carries them as they are.
	p := visible.String(f.Path)
	switch {
	case f.Target != "":
		fmt.Fprintf(l.tw, "%s\t%d\t%s\t%s -> %s\n", f.Mode, f.Size, "symlink", p, visible.String(f.Target))
	case f.URL != "":
		fmt.Fprintf(l.tw, "%s\t%d\t%s\t%s\t%s\n", f.Mode, f.Size, f.Digest, p, visible.String(f.URL))
	default:
		fmt.Fprintf(l.tw, "%s\t%d\t%s\t%s\n", f.Mode, f.Size, f.Digest, p)
	}
	if l.n%lsBlock == 0 {
		return l.tw.Flush()
	}
	return nil
}

// close ends the listing and writes what is buffered.
func (l *fileLister) close() error {
	switch {
	case l.asJSON && l.n == 0:
		l.w.WriteString("[]\n")
	case l.asJSON:
		l.w.WriteString("\n]\n")
	default:
		if err := l.tw.Flush(); err != nil {
			return err
		}
	}
	return l.w.Flush()
}

func newManifestCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "manifest",
		Usage:     "print a version's manifest as JSON (trove's layout, or W&B's)",
		ArgsUsage: "NAME[:ALIAS]",
		Description: "--format trove (default) lists path, kind, size, mode and BLAKE3 digest of every entry;\n" +
			"--format wandb writes W&B's artifact manifest (version 1) with base64 MD5 digests, which\n" +
			"reads every file's content to compute them (downloading what is on the remote only), once:\n" +
			"the MD5s are remembered by content, and a second export reads nothing. A reference trove\n" +
			"hashed itself (file://, HTTP with no ETag) is read from its source for its MD5: once the\n" +
			"source changed, an export that has not read it before fails with exit 3, as a pull would.\n\n" + exitCodesHelp,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Value: "trove", Usage: "`FORMAT`: trove or wandb"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			a, err := argsExactly(cmd, 1, "NAME[:ALIAS]")
			if err != nil {
				return err
			}
			format := cmd.String("format")
			if format != "trove" && format != "wandb" {
				return usagef("manifest: --format %q: want trove or wandb", format)
			}
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
				v, b, trees, err := browseVersion(ctx, r, a[0])
				if err != nil {
					return err
				}
				if format == "trove" {
					return manifest.WriteJSON(ctx, e.stdout, trees, v.Record.Root)
				}
				sums := r.MD5Cache()
				defer func() { _ = sums.Close() }() // only a cache write can fail: it costs hashing next time
				// Every file whose MD5 is not known yet is read: bring
				// what is on the remote only, at once.
				if !sums.Knows(ctx, trees, v.Record.Root) {
					if err := b.Content(ctx, v.Record.Root); err != nil {
						return fmt.Errorf("%s: %w", v, err)
					}
				}
				refs, closeRefs := newResolver(r)
				defer func() { _ = closeRefs() }() // the same
				return manifest.WriteWandb(ctx, e.stdout, trees, v.Record.Root, func(p string, ent manifest.Entry) (string, error) {
					// A reference recorded by its source's checksum alone
					// has no BLAKE3 to know its MD5 by.
					known := !ent.Digest.IsZero()
					if known {
						if sum, ok := sums.Get(ent.Digest); ok {
							return base64.StdEncoding.EncodeToString(sum[:]), nil
						}
					}
					h := md5.New()
					var err error
					if ent.Kind == manifest.KindRef {
						// Read from its source, and checked against the
						// BLAKE3 recorded at commit.
						err = refs.Fetch(ctx, ent, h)
					} else {
						err = r.WriteFileContent(ctx, h, ent) // here since b.Content
					}
					if err != nil {
						return "", fmt.Errorf("%s: %w", p, err)
					}
					var sum [md5.Size]byte
					h.Sum(sum[:0])
					if known {
						sums.Put(ent.Digest, sum)
					}
					return base64.StdEncoding.EncodeToString(sum[:]), nil
				})
			})
		},
	}
}

// browseVersion resolves a version name, fetching the artifact if it is
// on the remote only, and returns a Browser with the version's trees
// (browseTrees).
func browseVersion(ctx context.Context, r *repo.Repo, name string) (*repo.Resolved, *repo.Browser, manifest.BlobGetter, error) {
	v, err := r.ResolveOrFetch(ctx, name)
	if err != nil {
		return nil, nil, nil, err
	}
	b, trees, err := browseTrees(ctx, r, v)
	return v, b, trees, err
}

// browseTrees returns a Browser with version v's trees, downloaded if v
// was fetched and not pulled.
func browseTrees(ctx context.Context, r *repo.Repo, v *repo.Resolved) (*repo.Browser, manifest.BlobGetter, error) {
	b := r.Browse()
	trees, err := b.Trees(ctx, v.Record.Root)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", v, err)
	}
	return b, trees, nil
}
