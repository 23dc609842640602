package main

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/checkout"
	"github.com/trove-ml/trove/repo"
	"github.com/trove-ml/trove/retention"
)

// configKey is a setting of .trove/config that `trove config` manages.
type configKey struct {
	usage string
	get   func(c *repo.Config) string
	set   func(c *repo.Config, v string) error
	// guarded settings need a TTL admin when the project names some.
	guarded bool
}

var configKeys = map[string]configKey{
	"ttl.default": {
		usage: "the TTL of versions committed without one, or with inherit: a period (90d) or never; it applies to existing versions too",
		get: func(c *repo.Config) string {
			if c.Defaults.TTL == "" {
				return retention.Never
			}
			return c.Defaults.TTL
		},
		set: func(c *repo.Config, v string) error {
			t, err := retention.ParseTTL(v)
			if err != nil {
				return err
			}
			if t.IsInherit() {
				return fmt.Errorf("the default cannot be %q: use a period (90d) or never", retention.Inherit)
			}
			c.Defaults.TTL = t.String()
			return nil
		},
		guarded: true,
	},
	"pull.link": {
		usage: "how pull places files when --link is not given: auto, reflink, hardlink or copy",
		get:   func(c *repo.Config) string { return c.Defaults.PullLink() },
		set: func(c *repo.Config, v string) error {
			m, err := checkout.ParseMode(v)
			if err != nil {
				return err
			}
			c.Defaults.Link = m.String()
			return nil
		},
	},
	"ttl.admins": {
		usage: "comma-separated users who alone may set TTLs, the default and retention policies; empty lets everyone",
		get: func(c *repo.Config) string {
			if c.Retention == nil {
				return ""
			}
			return strings.Join(c.Retention.TTLAdmins, ",")
		},
		set: func(c *repo.Config, v string) error {
			var admins []string
			for _, a := range strings.Split(v, ",") {
				if a = strings.TrimSpace(a); a != "" && !slices.Contains(admins, a) {
					admins = append(admins, a)
				}
			}
			sort.Strings(admins)
			if c.Retention == nil {
				c.Retention = &retention.Config{}
			}
			c.Retention.TTLAdmins = admins
			return nil
		},
		guarded: true,
	},
}

func configKeysHelp() string {
	var b strings.Builder
	b.WriteString("KEYS:\n")
	for _, k := range sortedKeys(configKeys) {
		fmt.Fprintf(&b, "   %-12s %s\n", k, configKeys[k].usage)
	}
	return b.String()
}

func newConfigCommand(e env) *cli.Command {
	lookup := func(k string) (configKey, error) {
		ck, ok := configKeys[k]
		if !ok {
			return ck, usagef("config: unknown key %q (known: %s)", k, strings.Join(sortedKeys(configKeys), ", "))
		}
		return ck, nil
	}
	return &cli.Command{
		Name:  "config",
		Usage: "read and change project settings in .trove/config",
		Description: "Settings live in .trove/config, committed with the code so every clone shares them.\n\n" +
			configKeysHelp(),
		Commands: []*cli.Command{
			{
				Name:        "set",
				Usage:       "change a setting",
				ArgsUsage:   "KEY VALUE",
				Description: configKeysHelp() + "\n" + exitCodesHelp,
				Action: func(ctx context.Context, cmd *cli.Command) error {
					a, err := argsExactly(cmd, 2, "KEY VALUE")
					if err != nil {
						return err
					}
					ck, err := lookup(a[0])
					if err != nil {
						return err
					}
					return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
						if ck.guarded {
							if err := r.MaySetTTL(); err != nil {
								return err
							}
						}
						err := r.UpdateConfig(func(c *repo.Config) error {
							if err := ck.set(c, a[1]); err != nil {
								return usagef("config set %s: %v", a[0], err)
							}
							return nil
						})
						if err != nil {
							return err
						}
						fmt.Fprintf(e.stdout, "%s = %s\n", a[0], ck.get(r.Config))
						return nil
					})
				},
			},
			{
				Name:        "get",
				Usage:       "print a setting",
				ArgsUsage:   "KEY",
				Description: configKeysHelp() + "\n" + exitCodesHelp,
				Action: func(ctx context.Context, cmd *cli.Command) error {
					a, err := argsExactly(cmd, 1, "KEY")
					if err != nil {
						return err
					}
					ck, err := lookup(a[0])
					if err != nil {
						return err
					}
					return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
						fmt.Fprintln(e.stdout, ck.get(r.Config))
						return nil
					})
				},
			},
		},
	}
}
