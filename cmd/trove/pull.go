package main

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/checkout"
	"github.com/trove-ml/trove/internal/units"
	"github.com/trove-ml/trove/repo"
)

func newPullCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "pull",
		Usage:     "materialise a version in a folder, verifying every byte",
		ArgsUsage: "NAME[:ALIAS]",
		Description: "Writes the version's files under -o DIR (default: artifacts/NAME:vN). Files already up\n" +
			"to date are not rewritten, and files not in the version are left alone. Where the version has\n" +
			"a file or link and one with other content is there, or a file and a folder is, or a folder\n" +
			"and a file is, trove replaces it only if trove placed it there (or you committed it) and\n" +
			"nobody changed it since, or it is an empty folder: a file you edited is yours. Otherwise the\n" +
			"pull exits 1 naming what is in the way, having written nothing; move it away, or pull with\n" +
			"--force, which replaces files you changed at the version's paths and removes folders in the\n" +
			"way with all they hold.\n" +
			"On a filesystem that ignores letter case (macOS and Windows by default), a version with two\n" +
			"names in one folder that differ only in case is refused (exit 2, naming both), as one would\n" +
			"overwrite the other there; pull it onto a case-sensitive volume, or each with --prefix.\n" +
			"Referenced objects are downloaded from their source (the recorded version where there is one)\n" +
			"and checked against the recorded checksum; a location recorded with --no-checksum is pulled\n" +
			"as it is now.\n\n" + exitCodesHelp,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "output `DIR`"},
			&cli.StringFlag{Name: "prefix", Usage: "pull only the file or folder at `PATH` of the version"},
			&cli.BoolFlag{Name: "json", Usage: jsonUsage},
			runFlag(),
			&cli.StringFlag{Name: "link", Usage: "how files are placed: auto (reflink from the file cache where the filesystem allows, else write), reflink, hardlink (read-only files shared with the file cache) or copy; default: the project's pull.link, else auto"},
			&cli.BoolFlag{Name: "cache", Usage: "keep the chunks downloaded from the remote in the local store, so the version can be pulled again offline (by default they go straight into the files)"},
			&cli.BoolFlag{Name: "allow-missing-references", Usage: "warn about referenced objects that changed or went missing at their source instead of failing"},
			&cli.BoolFlag{Name: "force", Usage: "replace whatever is at the version's paths: files you changed or made there, and folders in the way with all they hold (other files stay)"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			a, err := argsExactly(cmd, 1, "NAME[:ALIAS]")
			if err != nil {
				return err
			}
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
				run, err := currentRun(ctx, cmd, e, r) // checked before anything is written
				if err != nil {
					return err
				}
				mode, err := checkout.ParseMode(cmp.Or(cmd.String("link"), r.Config.Defaults.PullLink()))
				if err != nil {
					return usagef("pull: --link: %v", err)
				}
				v, err := r.ResolveOrFetch(ctx, a[0])
				if err != nil {
					return err
				}
				dir := cmd.String("output")
				if dir == "" {
					dir = filepath.Join("artifacts", fmt.Sprintf("%s:v%d", v.Name, v.Version.N))
				}
				if dir, err = absPath(cmd, dir); err != nil {
					return err
				}
				refs, closeRefs := newResolver(r)
				defer func() { _ = closeRefs() }() // only a cache write can fail: it costs hashing next time
				res, err := r.Pull(ctx, v, repo.PullOptions{Dir: dir, Prefix: cmd.String("prefix"),
					Refs: refs, Link: mode, Cache: cmd.Bool("cache"), AllowMissingRefs: cmd.Bool("allow-missing-references"),
					Force: cmd.Bool("force"), ForceHint: "pull with --force"})
				if err != nil {
					return err
				}
				for _, w := range res.Warnings {
					fmt.Fprintf(e.stderr, "trove: warning: %s\n", w)
				}
				if err := run.used(ctx, v); err != nil {
					return err
				}
				if cmd.Bool("json") {
					return printJSON(e.stdout, map[string]any{
						"artifact": v.Name, "version": fmt.Sprintf("v%d", v.Version.N), "digest": v.Version.Root.String(),
						"dir": res.Dir, "written": res.Written, "skipped": res.Skipped, "bytesWritten": res.Bytes,
						"bytesDownloaded": res.Downloaded, "reflinked": res.Reflinked, "hardlinked": res.Hardlinked,
						"warnings": append([]string{}, res.Warnings...),
					})
				}
				fmt.Fprintf(e.stdout, "%s -> %s: %d files written (%s), %d up to date", v, res.Dir, res.Written, units.Bytes(res.Bytes), res.Skipped)
				if res.Reflinked > 0 {
					fmt.Fprintf(e.stdout, "; %d reflinked", res.Reflinked)
				}
				if res.Hardlinked > 0 {
					fmt.Fprintf(e.stdout, "; %d hardlinked (read-only)", res.Hardlinked)
				}
				if res.Downloaded > 0 {
					fmt.Fprintf(e.stdout, "; %s downloaded", units.Bytes(res.Downloaded))
				}
				fmt.Fprintln(e.stdout)
				return nil
			})
		},
	}
}

func newVerifyCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "re-hash a materialised folder and report every missing, extra or changed file",
		ArgsUsage: "NAME[:ALIAS] DIR",
		Description: "Reads every byte of every file (no cached digests) and compares it with the version.\n" +
			"Exits 3 if anything differs.\n\n" + exitCodesHelp,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: jsonUsage},
			&cli.BoolFlag{Name: "skip-references", Usage: "check referenced files by size only, without reading their sources"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			a, err := argsExactly(cmd, 2, "NAME[:ALIAS] DIR")
			if err != nil {
				return err
			}
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
				v, err := r.ResolveOrFetch(ctx, a[0])
				if err != nil {
					return err
				}
				dir := a[1]
				if dir, err = absPath(cmd, dir); err != nil {
					return err
				}
				refs, closeRefs := newResolver(r)
				defer func() { _ = closeRefs() }() // only a cache write can fail: it costs hashing next time
				rep, err := r.VerifyWith(ctx, v, dir, repo.VerifyOptions{Refs: refs, SkipReferences: cmd.Bool("skip-references")})
				if err != nil {
					return err
				}
				if cmd.Bool("json") {
					if err := printJSON(e.stdout, verifyJSON{Name: v.String(), Artifact: v.Name, Version: versionName(v.Version.N), OK: rep.OK(), Report: verifyReportInfo(rep)}); err != nil {
						return err
					}
				} else {
					for _, p := range rep.Missing {
						fmt.Fprintf(e.stdout, "missing  %s\n", p)
					}
					for _, p := range rep.Extra {
						fmt.Fprintf(e.stdout, "extra    %s\n", p)
					}
					for _, p := range rep.Changed {
						fmt.Fprintf(e.stdout, "changed  %s\n", p)
					}
					for _, p := range rep.SourceChanged {
						fmt.Fprintf(e.stdout, "source   %s (changed or missing at its source)\n", p)
					}
					for _, p := range rep.Unpinned {
						fmt.Fprintf(e.stderr, "trove: warning: %s is a reference recorded without checksums: not verified\n", p)
					}
					if rep.OK() {
						fmt.Fprintf(e.stdout, "%s: %s matches (%d files, %s verified)\n", dir, v, rep.Files, units.Bytes(rep.Bytes))
					}
				}
				if !rep.OK() {
					return &exitCodeError{exitMismatch, fmt.Errorf("verify: %s differs from %s: %d missing, %d extra, %d changed, %d changed at their source",
						dir, v, len(rep.Missing), len(rep.Extra), len(rep.Changed), len(rep.SourceChanged))}
				}
				return nil
			})
		},
	}
}

func newFsckCommand(e env) *cli.Command {
	return &cli.Command{
		Name:  "fsck",
		Usage: "verify every object and ref; report problems, never repair",
		Description: "Checks every pack and blob against its BLAKE3 id, the index against the packs, and that\n" +
			"every live version reaches only objects that exist. Exits 3 on any problem.\n\n" + exitCodesHelp,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: jsonUsage}},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if _, err := argsExactly(cmd, 0, "none"); err != nil {
				return err
			}
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
				rep, err := r.Fsck(ctx)
				if err != nil {
					return err
				}
				if cmd.Bool("json") {
					if err := printJSON(e.stdout, map[string]any{"ok": rep.OK(), "report": rep}); err != nil {
						return err
					}
				} else {
					printFsck(e, rep)
				}
				if !rep.OK() {
					return &exitCodeError{exitMismatch, fmt.Errorf("fsck: problems found (see above); nothing was changed")}
				}
				return nil
			})
		},
	}
}

func printFsck(e env, rep *repo.FsckReport) {
	for _, w := range rep.Warnings {
		fmt.Fprintf(e.stdout, "warning  %s\n", w)
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(e.stdout, "problem  %s\n", p)
	}
	if rep.OK() {
		fmt.Fprintf(e.stdout, "ok: %d live versions, %d packs, %d blobs (%s) verified\n", rep.Versions, rep.Packs, rep.Blobs, units.Bytes(rep.Bytes))
	}
}
