package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/internal/units"
	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/repo"
	"github.com/trove-ml/trove/retention"
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
		ArgsUsage: "NAME [PATH...] [--ref [PATH=]URI...]",
		Description: "A folder contributes its contents at the version's root, a file its base name;\n" +
			"--prefix puts them under a folder. The project's own .trove and .git folders are left out.\n" +
			"Content equal to the artifact's latest version makes no new version: trove says which\n" +
			"version it equals and applies --alias and --tag to it;\n" +
			"-m, --meta and --meta-file are not applied (a version's description and metadata are fixed\n" +
			"when it is made), nor is --ttl ('trove ttl set NAME:vN D' sets it): trove warns which.\n\n" +
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
			// Bad input fails at once, not after references are listed
			// (minutes on a large prefix or a slow server).
			if err := repo.CheckCommit(o.commitOptions(md)); err != nil {
				return err
			}
			if o.ref.listsAhead() {
				if err := withRepo(ctx, cmd, e, func(r *repo.Repo) error { return o.checkAhead(ctx, r, md) }); err != nil {
					return err
				}
			}
			dir, err := workDir(cmd)
			if err != nil {
				return err
			}
			closeListed, err := o.ref.listAhead(ctx, dir, newProgress(e, cmd.Bool("no-progress")))
			defer closeListed()
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
	Artifact  string   `json:"artifact"`
	Version   string   `json:"version"`
	Digest    string   `json:"digest"`
	Unchanged bool     `json:"unchanged"`
	Aliases   []string `json:"aliases"`
	// Moved maps each alias this commit took from another version to
	// that version ("vN"), as link's movedAliases.
	Moved  map[string]string `json:"movedAliases,omitempty"`
	Files  int64             `json:"files"`
	Size   int64             `json:"size"`
	Read   int64             `json:"bytesRead"`
	Stored int64             `json:"bytesStored"`
	// NotApplied lists the flags of an unchanged commit that were not
	// applied to the version it equals (-m, --meta, --meta-file, --ttl):
	// description and metadata are fixed when a version is made.
	NotApplied []string `json:"notApplied"`
}

// commitOptions returns what the commit asks of the repository, with
// metadata md (see readMetadata).
func (o *commitOptions) commitOptions(md json.RawMessage) repo.CommitOptions {
	return repo.CommitOptions{
		Name: o.name, Type: o.typ, Paths: o.paths, Prefix: o.prefix, Description: o.desc,
		Metadata: md, Aliases: o.aliases, Tags: o.tags, TTL: o.ttl,
		Run: o.run.runID(), Git: o.run.gitInfo(), Refs: o.ref.sources,
	}
}

// commitType returns the type of a commit to artifact name: typ (--type)
// when given, else the artifact's. A new artifact needs --type.
func commitType(ctx context.Context, r *repo.Repo, name, typ string) (string, error) {
	if typ != "" {
		return typ, nil
	}
	l, err := r.Refs().Log(ctx, name)
	if errors.Is(err, refs.ErrNotFound) {
		return "", usagef("commit: %q is a new artifact: give its type with --type (e.g. --type dataset)", name)
	}
	if err != nil {
		return "", err
	}
	return l.Type, nil
}

// checkAhead refuses, before references are listed (see listAhead), what
// the commit would refuse once they are and that the repository tells: a
// new artifact without --type, a type other than the artifact's, a --ttl
// the guard rail refuses, a path that cannot be read. The caller opens
// the repository for this alone and closes it again: the listing must not
// hold its lock.
func (o *commitOptions) checkAhead(ctx context.Context, r *repo.Repo, md json.RawMessage) error {
	co := o.commitOptions(md)
	var err error
	if co.Type, err = commitType(ctx, r, o.name, o.typ); err != nil {
		return err
	}
	return r.CheckCommit(ctx, co)
}

func runCommit(ctx context.Context, e env, r *repo.Repo, o commitOptions, md json.RawMessage) error {
	var err error
	if o.typ, err = commitType(ctx, r, o.name, o.typ); err != nil {
		return err
	}
	res, err := r.Commit(ctx, o.commitOptions(md))
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
	// "latest" as Resolve sees it: the newest version whose TTL has not run out.
	if latest, ok, err := r.Latest(ctx, o.name, l); err == nil && ok && latest.N == res.Version.N {
		aliases = append(aliases, "latest")
	}
	sort.Strings(aliases)
	notApplied := []string{}
	if res.Unchanged {
		if notApplied, err = unapplied(ctx, r, o, md, res.Version); err != nil {
			return err
		}
		warnUnapplied(e, o.name, res.Version.N, o.ttl, notApplied)
	}
	if o.json {
		return printJSON(e.stdout, commitJSON{
			Artifact: o.name, Version: fmt.Sprintf("v%d", res.Version.N), Digest: res.Version.Root.String(),
			Unchanged: res.Unchanged, Aliases: aliases, Moved: movedAliases(res.Moved),
			Files: res.Files, Size: res.Size, Read: res.Read, Stored: res.Stored, NotApplied: notApplied,
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

// unapplied returns the flags of a commit that made no version (its
// content equals v) whose values v does not already have: -m, --meta,
// --meta-file (a version's description and metadata are in its hashed
// record, fixed when it is made) and --ttl (commit sets a TTL only on the
// version it makes).
func unapplied(ctx context.Context, r *repo.Repo, o commitOptions, md json.RawMessage, v refs.Version) ([]string, error) {
	out := []string{}
	if o.desc == "" && len(o.meta) == 0 && o.metaFile == "" && o.ttl == "" {
		return out, nil
	}
	rec, err := r.Record(ctx, v.Record)
	if err != nil {
		return nil, err
	}
	if o.desc != "" && o.desc != rec.Description {
		out = append(out, "-m")
	}
	if (len(o.meta) > 0 || o.metaFile != "") && !sameMetadata(md, rec.Metadata) {
		if len(o.meta) > 0 {
			out = append(out, "--meta")
		}
		if o.metaFile != "" {
			out = append(out, "--meta-file")
		}
	}
	ttl := v.TTL // a `trove ttl set` override wins over the record
	if ttl == "" {
		ttl = rec.TTL
	}
	if o.ttl != "" && !sameTTL(o.ttl, ttl) {
		out = append(out, "--ttl")
	}
	return out, nil
}

// sameMetadata compares canonical metadata; no object and {} are equal.
func sameMetadata(a, b json.RawMessage) bool {
	empty := func(m json.RawMessage) bool { return len(m) == 0 || string(m) == "{}" }
	return bytes.Equal(a, b) || empty(a) && empty(b)
}

// sameTTL compares TTL spellings by meaning ("36h" is "1d12h"; none is
// inherit).
func sameTTL(a, b string) bool {
	if b == "" {
		b = retention.Inherit
	}
	ta, errA := retention.ParseTTL(a)
	tb, errB := retention.ParseTTL(b)
	return errA == nil && errB == nil && ta == tb
}

// warnUnapplied says on stderr which flags an unchanged commit did not
// apply to NAME:vN, why, and how to get what they asked for.
func warnUnapplied(e env, name string, n int, ttl string, flags []string) {
	var fixed []string
	hasTTL := false
	for _, f := range flags {
		if f == "--ttl" {
			hasTTL = true
			continue
		}
		fixed = append(fixed, f)
	}
	if len(fixed) > 0 {
		fmt.Fprintf(e.stderr, "trove: warning: %s not applied: the content equals %s:v%d, so no version was made, and a version's description and metadata are fixed when it is made (commit changed content to record new ones)\n",
			strings.Join(fixed, ", "), name, n)
	}
	if hasTTL {
		fmt.Fprintf(e.stderr, "trove: warning: --ttl not applied: the content equals %s:v%d, so no version was made; to give that version this TTL, run 'trove ttl set %s:v%d %s'\n",
			name, n, name, n, ttl)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
