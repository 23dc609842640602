package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/repo"
	"github.com/trove-ml/trove/retention"
)

func newRetentionCommand(e env) *cli.Command {
	return &cli.Command{
		Name:  "retention",
		Usage: "keep only an artifact's last versions",
		Description: "A retention policy expires, at each trove gc, the versions older than the last N that\n" +
			"nothing else holds: a registry link, a pin in trove.lock, or (with --keep-aliased) a\n" +
			"custom alias. Policies live in .trove/config, committed with the code.",
		Commands: []*cli.Command{
			{
				Name:        "set",
				Usage:       "set an artifact's retention policy",
				ArgsUsage:   "NAME",
				Description: exitCodesHelp,
				Flags: []cli.Flag{
					&cli.IntFlag{Name: "keep-last", Usage: "keep the newest `N` versions (at least 1)"},
					&cli.BoolFlag{Name: "keep-aliased", Usage: "also keep every version with a custom alias"},
				},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					a, err := argsExactly(cmd, 1, "NAME")
					if err != nil {
						return err
					}
					p := retention.Policy{KeepLast: int(cmd.Int("keep-last")), KeepAliased: cmd.Bool("keep-aliased")}
					if !cmd.IsSet("keep-last") {
						return usagef("retention set: give --keep-last N")
					}
					if err := p.Check(); err != nil {
						return usagef("retention set: %v", err)
					}
					return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
						if err := r.MaySetTTL(); err != nil {
							return err
						}
						if _, err := r.LogOrFetch(ctx, a[0]); err != nil {
							return err
						}
						err := r.UpdateConfig(func(c *repo.Config) error {
							if c.Retention == nil {
								c.Retention = &retention.Config{}
							}
							if c.Retention.Policies == nil {
								c.Retention.Policies = map[string]retention.Policy{}
							}
							c.Retention.Policies[a[0]] = p
							return nil
						})
						if err != nil {
							return err
						}
						fmt.Fprintf(e.stdout, "%s: %s (applied by trove gc; preview with trove retention show %s)\n", a[0], p, a[0])
						return nil
					})
				},
			},
			{
				Name:        "rm",
				Usage:       "remove an artifact's retention policy",
				ArgsUsage:   "NAME",
				Description: exitCodesHelp,
				Action: func(ctx context.Context, cmd *cli.Command) error {
					a, err := argsExactly(cmd, 1, "NAME")
					if err != nil {
						return err
					}
					return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
						if err := r.MaySetTTL(); err != nil {
							return err
						}
						if r.Config.Retention == nil || r.Config.Retention.Policies[a[0]] == (retention.Policy{}) {
							return usagef("retention rm: %s has no retention policy", a[0])
						}
						err := r.UpdateConfig(func(c *repo.Config) error {
							delete(c.Retention.Policies, a[0])
							return nil
						})
						if err == nil {
							fmt.Fprintf(e.stdout, "%s: retention policy removed\n", a[0])
						}
						return err
					})
				},
			},
			{
				Name:        "show",
				Usage:       "show retention policies and what the next GC expires by them",
				ArgsUsage:   "[NAME]",
				Description: exitCodesHelp,
				Flags:       []cli.Flag{&cli.BoolFlag{Name: "json", Usage: jsonUsage}},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					if cmd.Args().Len() > 1 {
						return usagef("retention show: want at most one NAME")
					}
					return withRepo(ctx, cmd, e, func(r *repo.Repo) error { return runRetentionShow(ctx, e, r, cmd.Args().First(), cmd.Bool("json")) })
				},
			},
		},
	}
}

type retentionJSON struct {
	Artifact    string   `json:"artifact"`
	KeepLast    int      `json:"keepLast"`
	KeepAliased bool     `json:"keepAliased"`
	Expires     []string `json:"expires"`
	Held        []string `json:"held"`
}

func runRetentionShow(ctx context.Context, e env, r *repo.Repo, only string, asJSON bool) error {
	set, err := r.Retention()
	if err != nil {
		return err
	}
	h, _, err := holds(ctx, r)
	if err != nil {
		return err
	}
	out := []retentionJSON{}
	for _, name := range sortedKeys(set.Policies) {
		if only != "" && name != only {
			continue
		}
		p := set.Policies[name]
		j := retentionJSON{Artifact: name, KeepLast: p.KeepLast, KeepAliased: p.KeepAliased, Expires: []string{}, Held: []string{}}
		l, err := r.Refs().Log(ctx, name)
		if err == nil {
			sts, err := r.Statuses(ctx, name, l, h)
			if err != nil {
				return err
			}
			for _, st := range sts {
				if st.ByPolicy {
					j.Expires = append(j.Expires, fmt.Sprintf("v%d", st.Version.N))
				}
				if len(st.HeldBy) > 0 {
					j.Held = append(j.Held, fmt.Sprintf("v%d (%s)", st.Version.N, strings.Join(st.HeldBy, ", ")))
				}
			}
		}
		out = append(out, j)
	}
	if only != "" && len(out) == 0 {
		return usagef("retention show: %s has no retention policy", only)
	}
	if asJSON {
		return printJSON(e.stdout, out)
	}
	if len(out) == 0 {
		fmt.Fprintln(e.stdout, "no retention policies (set one with trove retention set NAME --keep-last N)")
	}
	for _, j := range out {
		fmt.Fprintf(e.stdout, "%s: %s\n", j.Artifact, retention.Policy{KeepLast: j.KeepLast, KeepAliased: j.KeepAliased})
		if len(j.Expires) > 0 {
			fmt.Fprintf(e.stdout, "  the next trove gc deletes %s\n", strings.Join(j.Expires, ", "))
		}
		for _, h := range j.Held {
			fmt.Fprintf(e.stdout, "  kept: %s\n", h)
		}
	}
	return nil
}
