package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/gc"
	"github.com/trove-ml/trove/internal/units"
	"github.com/trove-ml/trove/repo"
)

func newCacheCommand(e env) *cli.Command {
	return &cli.Command{
		Name:  "cache",
		Usage: "manage the local store as a cache of a remote",
		Commands: []*cli.Command{
			{
				Name:  "prune",
				Usage: "evict cached files and locally stored chunks that a remote holds, down to a size",
				Description: "Evicts, least recently used first, whole files of the file cache (what pull --link\n" +
					"reflinks or hardlinks from; always rebuilt from chunks), then chunks the remote verifiably\n" +
					"holds (its index lists them and its packs' own tables agree), until the file cache and the\n" +
					"local packs together fit in --to. Chunks of versions the remote does not have stay.\n" +
					"trove pull fetches evicted chunks again. Hardlinked outputs keep their content.\n\n" + exitCodesHelp,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "to", Usage: "keep at most `SIZE` of cached files and packs here (10GB, 500MiB, 2T)"},
					&cli.StringFlag{Name: "remote", Usage: "the remote `NAME` that holds the chunks (default: the default remote)"},
					&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print what would be evicted"},
					&cli.BoolFlag{Name: "json", Usage: jsonUsage},
				},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					if _, err := argsExactly(cmd, 0, ""); err != nil {
						return err
					}
					if !cmd.IsSet("to") {
						return usagef("cache prune: give the budget with --to SIZE (e.g. --to 10GB)")
					}
					target, err := parseSize(cmd.String("to"))
					if err != nil {
						return usagef("cache prune: --to %q: %v", cmd.String("to"), err)
					}
					return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
						return runCachePrune(ctx, e, cmd, r, cmd.String("remote"), target, cmd.Bool("dry-run"), cmd.Bool("json"))
					})
				},
			},
		},
	}
}

// parseSize parses a size: a number with an optional unit, decimal (KB,
// MB, GB, TB) or binary (KiB, MiB, GiB, TiB, or K, M, G, T as du prints).
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
		{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40}, {"B", 1},
	}
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range units {
		if v, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(v), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || !(f >= 0) { // !(f >= 0) refuses NaN, which ParseFloat takes
		return 0, fmt.Errorf("not a size (use e.g. 10GB, 500MiB, 0)")
	}
	if f*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("too large")
	}
	return int64(f * float64(mult)), nil
}

type pruneJSON struct {
	Remote string `json:"remote"`
	DryRun bool   `json:"dryRun"`
	Target int64  `json:"target"`
	Before int64  `json:"before"`
	After  int64  `json:"after"`
	Chunks int    `json:"chunks"`
	Bytes  int64  `json:"bytes"`
	Packs  int    `json:"packs"`
	Kept   int    `json:"keptLocalOnly"`
	Unheld int    `json:"notOnRemote"`
	// Files and FileBytes are what left the file cache; FilesBefore is
	// its size before.
	Files       int   `json:"files"`
	FileBytes   int64 `json:"fileBytes"`
	FilesBefore int64 `json:"filesBefore"`
}

func runCachePrune(ctx context.Context, e env, cmd *cli.Command, r *repo.Repo, remoteName string, target int64, dryRun, asJSON bool) error {
	h, err := r.Holder(ctx, remoteName)
	if err != nil {
		return err
	}
	local, err := r.NotOnRemote(ctx, h.Name())
	if err != nil {
		return err
	}
	var protect []gc.Root
	for _, v := range local {
		protect = append(protect, gc.Root{Record: v.Record, Tree: v.Root, Why: fmt.Sprintf("%s:v%d (not on %s)", v.Name, v.N, h.Name())})
	}
	// Pinned versions are what a checkout needs: keep them here too.
	_, pins, err := holds(ctx, r)
	if err != nil {
		return err
	}
	protect = append(protect, pins...)
	opts := gc.Options{Now: r.Now, Progress: gcProgress{newProgress(e, cmd.Bool("no-progress"))}}
	p, err := gc.PlanPrune(ctx, r.Store(), h, protect, target, opts)
	if err != nil {
		return err
	}
	p.Remote = h.Name()
	out := pruneJSON{Remote: h.Name(), DryRun: dryRun, Target: target, Before: p.Before, After: p.After, Packs: len(p.Packs), Kept: p.Protected, Unheld: p.Unheld}
	out.Chunks, out.Bytes = p.Freed()
	// The file cache goes first: its files are rebuilt from chunks here,
	// where chunks evicted must be downloaded again. It gets what the
	// packs leave of the budget.
	files, err := r.FileCache()
	if err != nil {
		return err
	}
	_, out.FilesBefore, err = files.Size(ctx)
	if err != nil {
		return err
	}
	filesTarget := max(0, target-p.After)
	if dryRun {
		out.FileBytes = max(0, out.FilesBefore-filesTarget)
		if asJSON {
			return printJSON(e.stdout, out)
		}
		fmt.Fprintf(e.stdout, "file cache: %s, would evict up to %s\n", units.Bytes(out.FilesBefore), units.Bytes(out.FileBytes))
		return p.WriteText(e.stdout)
	}
	if out.Files, out.FileBytes, err = files.Prune(ctx, filesTarget); err != nil {
		return err
	}
	if out.Chunks, out.Bytes, err = gc.ExecutePrune(ctx, r.Store(), p, opts); err != nil {
		return err
	}
	if asJSON {
		return printJSON(e.stdout, out)
	}
	if out.Files > 0 {
		fmt.Fprintf(e.stdout, "evicted %d cached files, %s\n", out.Files, units.Bytes(out.FileBytes))
	}
	fmt.Fprintf(e.stdout, "evicted %d chunks, %s (held by %s); %s of packs left, budget %s\n",
		out.Chunks, units.Bytes(out.Bytes), h.Name(), units.Bytes(p.After), units.Bytes(target))
	if p.After > target {
		fmt.Fprintf(e.stdout, "still over budget: the rest is not on %s (push it first) or belongs to versions it lacks\n", h.Name())
	}
	return nil
}
