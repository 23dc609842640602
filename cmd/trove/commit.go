package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/internal/units"
	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/repo"
)

type commitOptions struct {
	name, typ, prefix, desc, ttl string
	paths, meta, aliases, tags   []string
	metaFile                     string
	json                         bool
	run                          *runLink   // the run logging the version (lineage.go)
	ref                          refOptions // --ref and its flags (reference.go)
}

func newCommitCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "commit",
		Usage:     "log a version of an artifact from files and folders",
		ArgsUsage: "NAME [PATH...] [--ref URI...]",
		Description: "A folder contributes its contents at the version's root, a file its base name;\n" +
			"--prefix puts them under a folder. Content equal to the artifact's latest version makes\n" +
			"no new version: trove says which version it equals and applies --alias and --tag to it.\n\n" +
			refHelp + "\n\n" + exitCodesHelp,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "type", Aliases: []string{"t"}, Usage: "artifact `TYPE` (dataset, model, …); required for a new artifact"},
			&cli.StringFlag{Name: "message", Aliases: []string{"m"}, Usage: "`DESCRIPTION` of the version (Markdown)"},
			&cli.StringSliceFlag{Name: "meta", Usage: "metadata `KEY=VALUE` (VALUE is JSON if it parses, else a string); repeatable"},
			&cli.StringFlag{Name: "meta-file", Usage: "metadata from a JSON object in `FILE` (- for stdin)"},
			&cli.StringSliceFlag{Name: "alias", Aliases: []string{"a"}, Usage: "set `ALIAS` on the version; repeatable"},
			&cli.StringSliceFlag{Name: "tag", Usage: "add `TAG` to the version; repeatable"},
			&cli.StringFlag{Name: "ttl", Usage: "retention `PERIOD`: 30d, 12h, never or inherit"},
			&cli.StringFlag{Name: "prefix", Usage: "put everything under `DIR`/ in the version"},
			&cli.BoolFlag{Name: "json", Usage: jsonUsage},
			runFlag(),
		}, refFlags()...),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			a := cmd.Args().Slice()
			ref, err := parseRefFlags(cmd)
			if err != nil {
				return err
			}
			if len(a) < 1 || len(a) < 2 && len(ref.uris) == 0 {
				return usagef("commit: want NAME and at least one PATH or --ref URI (see trove commit --help)")
			}
			o := commitOptions{
				name: a[0], paths: a[1:], typ: cmd.String("type"), desc: cmd.String("message"),
				meta: cmd.StringSlice("meta"), metaFile: cmd.String("meta-file"),
				aliases: cmd.StringSlice("alias"), tags: cmd.StringSlice("tag"),
				ttl: cmd.String("ttl"), prefix: cmd.String("prefix"), json: cmd.Bool("json"), ref: ref,
			}
			for i, p := range o.paths {
				abs, err := absPath(cmd, p)
				if err != nil {
					return err
				}
				o.paths[i] = abs
			}
			if o.metaFile != "" && o.metaFile != "-" {
				abs, err := absPath(cmd, o.metaFile)
				if err != nil {
					return err
				}
				o.metaFile = abs
			}
			md, err := readMetadata(e, o.metaFile, o.meta)
			if err != nil {
				return err
			}
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
				if o.run, err = commitRun(ctx, cmd, e, r); err != nil {
					return err
				}
				res, closeRefs := newResolver(r)
				defer func() { _ = closeRefs() }() // only a cache write can fail: it costs hashing next time
				if err := o.ref.build(res, r, newProgress(e, cmd.Bool("no-progress"))); err != nil {
					return err
				}
				return runCommit(ctx, e, r, o, md)
			})
		},
	}
}

// readMetadata merges --meta-file and --meta into one canonical object.
func readMetadata(e env, file string, kv []string) (json.RawMessage, error) {
	var base json.RawMessage
	if file != "" {
		var b []byte
		var err error
		if file == "-" {
			b, err = io.ReadAll(e.stdin)
		} else {
			b, err = os.ReadFile(file)
		}
		if err != nil {
			return nil, usagef("--meta-file: %v", err)
		}
		if base, err = manifest.CanonicalMetadata(b); err != nil {
			return nil, usagef("--meta-file %s: %v", file, err)
		}
	}
	if len(kv) == 0 {
		return base, nil
	}
	md, err := manifest.MergeMetadata(base, kv)
	if err != nil {
		return nil, usagef("--meta: %v", err)
	}
	return md, nil
}

type commitJSON struct {
	Artifact  string         `json:"artifact"`
	Version   string         `json:"version"`
	Digest    string         `json:"digest"`
	Unchanged bool           `json:"unchanged"`
	Aliases   []string       `json:"aliases"`
	Moved     map[string]int `json:"movedAliases,omitempty"`
	Files     int64          `json:"files"`
	Size      int64          `json:"size"`
	Read      int64          `json:"bytesRead"`
	Stored    int64          `json:"bytesStored"`
}

func runCommit(ctx context.Context, e env, r *repo.Repo, o commitOptions, md json.RawMessage) error {
	if o.typ == "" {
		l, err := r.Refs().Log(ctx, o.name)
		if errors.Is(err, refs.ErrNotFound) {
			return usagef("commit: %q is a new artifact: give its type with --type (e.g. --type dataset)", o.name)
		}
		if err != nil {
			return err
		}
		o.typ = l.Type
	}
	res, err := r.Commit(ctx, repo.CommitOptions{
		Name: o.name, Type: o.typ, Paths: o.paths, Prefix: o.prefix, Description: o.desc,
		Metadata: md, Aliases: o.aliases, Tags: o.tags, TTL: o.ttl,
		Run: o.run.runID(), Git: o.run.gitInfo(), Refs: o.ref.sources,
	})
	if err != nil {
		return err
	}
	// Also when nothing changed: the run logged that version.
	if err := o.run.logged(ctx, o.name, res.Version); err != nil {
		return err
	}
	l, err := r.Refs().Log(ctx, o.name)
	if err != nil {
		return err
	}
	aliases := append([]string{"v" + fmt.Sprint(res.Version.N)}, l.AliasesOf(res.Version.N)...)
	if latest, ok := l.Latest(); ok && latest.N == res.Version.N {
		aliases = append(aliases, "latest")
	}
	sort.Strings(aliases)
	if o.json {
		return printJSON(e.stdout, commitJSON{
			Artifact: o.name, Version: fmt.Sprintf("v%d", res.Version.N), Digest: res.Version.Root.String(),
			Unchanged: res.Unchanged, Aliases: aliases, Moved: res.Moved,
			Files: res.Files, Size: res.Size, Read: res.Read, Stored: res.Stored,
		})
	}
	if res.Unchanged {
		fmt.Fprintf(e.stdout, "%s: no change; content equals %s:v%d (%s)\n", o.name, o.name, res.Version.N, res.Version.Root.Short())
	} else {
		fmt.Fprintf(e.stdout, "%s:v%d %s\n", o.name, res.Version.N, res.Version.Root)
		fmt.Fprintf(e.stdout, "  %d files, %s; %s new in the store\n", res.Files, units.Bytes(res.Size), units.Bytes(res.Stored))
	}
	for _, a := range sortedKeys(res.Moved) {
		fmt.Fprintf(e.stdout, "  moved alias %s from v%d\n", a, res.Moved[a])
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
