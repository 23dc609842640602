package main

import (
	"context"
	"fmt"
	"os/user"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/registry"
	"github.com/trove-ml/trove/repo"
)

const registryHelp = `A registry is a curated catalogue of the versions that matter, from which
others pull by alias. The core registries "model" (accepts type model) and
"dataset" (accepts dataset) always exist; custom registries accept the types
they are created with, and types can be added but never removed. A registry
holds collections: named lists of links to artifact versions, numbered v0,
v1, … in link order ("latest" is the most recently linked), with their own
aliases. Link with 'trove link NAME:ALIAS registry/REG/COLL'; address a link
anywhere a version name is accepted as registry/REG/COLL:ALIAS|vN|latest or,
as in W&B, ORG/wandb-registry-REG/COLL:ALIAS.

Protected aliases ('trove registry protect REG ALIAS') can be moved or
removed only with --admin by a registry admin; a version holding one cannot
be deleted. Your identity is $TROVE_USER, or your login name.

This protection is a guard against mistakes, not access control: on a bare
bucket anyone who can write the bucket can write the registry, and identities
are what each user says they are. Real access control is the bucket's IAM
(for example read-only credentials for most, write access for admins).`

// identity is who the registry commands act as: $TROVE_USER, else the login
// name (the rule of repo.Options.User).
func identity(e env) string {
	if u := e.getenv("TROVE_USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

func registries(r *repo.Repo, e env) *registry.Registries {
	return registry.New(r.RefsKV(), registry.Options{User: identity(e)})
}

// parseCollection parses registry/REG/COLL[:SEL] (or W&B's
// ORG/wandb-registry-REG/COLL[:SEL]).
func parseCollection(s string) (reg, coll, sel string, err error) {
	sp, err := refs.ParseSpec(s)
	if err != nil {
		return "", "", "", &usageError{err}
	}
	if sp.Collection == "" {
		return "", "", "", usagef("%q is not a registry path; want registry/REG/COLL (or ORG/wandb-registry-REG/COLL)", s)
	}
	return sp.Registry, sp.Collection, sp.Selector, nil
}

type registryJSON struct {
	Name        string           `json:"name"`
	Core        bool             `json:"core"`
	Types       []string         `json:"types"`
	AnyType     bool             `json:"anyType"`
	Description string           `json:"description,omitempty"`
	Protected   []string         `json:"protected"`
	Admins      []string         `json:"admins"`
	Created     *time.Time       `json:"created,omitempty"`
	CreatedBy   string           `json:"createdBy,omitempty"`
	Collections []collectionJSON `json:"collections"`
}

type collectionJSON struct {
	Registry string            `json:"registry"`
	Name     string            `json:"name"`
	Path     string            `json:"path"`
	Type     string            `json:"type"`
	Links    int               `json:"links"`
	Next     int               `json:"next"`
	Latest   string            `json:"latest,omitempty"`
	Aliases  map[string]string `json:"aliases"`
	Log      []linkJSON        `json:"log,omitempty"`
}

// linkJSON is one link of a collection (docs/CLI.md, Link). Version is the
// collection's "vN"; ArtifactVersion the linked version's number now,
// found by its record in the artifact's log (as trove show does), and
// ArtifactVersionThen its number when it was linked: they differ after a
// push renumbered it. ArtifactState is "live", "deleted", or "unknown"
// when the log here does not hold the record (ArtifactVersion is then the
// number at link time).
type linkJSON struct {
	Version             string     `json:"version"`
	Artifact            string     `json:"artifact"`
	ArtifactVersion     string     `json:"artifactVersion"`
	ArtifactVersionThen string     `json:"artifactVersionThen"`
	ArtifactState       string     `json:"artifactState"`
	Record              string     `json:"record"`
	State               string     `json:"state"`
	Aliases             []string   `json:"aliases"`
	Linked              time.Time  `json:"linked"`
	By                  string     `json:"by"`
	Unlinked            *time.Time `json:"unlinked,omitempty"`
	UnlinkedBy          string     `json:"unlinkedBy,omitempty"`
}

func registryInfo(name string, g *registry.Registry) registryJSON {
	j := registryJSON{
		Name: name, Core: registry.IsCore(name), Types: nonNil(g.Types), AnyType: g.AnyType,
		Description: g.Description, Protected: nonNil(g.Protected), Admins: nonNil(g.Admins),
		CreatedBy: g.CreatedBy, Collections: []collectionJSON{},
	}
	if !g.Created.IsZero() {
		t := g.Created
		j.Created = &t
	}
	for _, c := range g.CollectionNames() {
		j.Collections = append(j.Collections, collectionInfo(name, c, g.Collections[c], nil))
	}
	return j
}

// collectionInfo describes collection c of registry reg; with now (what
// each link names now, registry.VersionsNow), its log too.
func collectionInfo(reg, name string, c *registry.Collection, now map[int]registry.LinkedVersion) collectionJSON {
	j := collectionJSON{
		Registry: reg, Name: name, Path: "registry/" + reg + "/" + name,
		Type: c.Type, Links: c.LiveCount(), Next: c.Next, Aliases: map[string]string{},
	}
	if l, ok := c.Latest(); ok {
		j.Latest = fmt.Sprintf("v%d", l.N)
	}
	for a, n := range c.Aliases {
		j.Aliases[a] = fmt.Sprintf("v%d", n)
	}
	if now != nil {
		j.Log = []linkJSON{}
		for i := len(c.Links) - 1; i >= 0; i-- { // newest first, as trove log
			j.Log = append(j.Log, linkInfo(c, c.Links[i], now[c.Links[i].N]))
		}
	}
	return j
}

func linkInfo(c *registry.Collection, l registry.Link, now registry.LinkedVersion) linkJSON {
	j := linkJSON{
		Version: fmt.Sprintf("v%d", l.N), Artifact: l.Artifact,
		ArtifactVersion: fmt.Sprintf("v%d", now.N), ArtifactVersionThen: fmt.Sprintf("v%d", l.Version), ArtifactState: now.State,
		Record: l.Record.String(), State: l.State, Aliases: nonNil(c.AliasesOf(l.N)),
		Linked: l.Linked, By: l.By, UnlinkedBy: l.UnlinkedBy,
	}
	if !l.Unlinked.IsZero() {
		t := l.Unlinked
		j.Unlinked = &t
	}
	return j
}

// newAdminFlag returns the --admin flag (a new one per command: flags keep
// their parsed value).
func newAdminFlag() cli.Flag {
	return &cli.BoolFlag{Name: "admin", Usage: "act as a registry admin: needed to set, move or remove a protected alias"}
}

// plural spells "1 live link", "2 live links".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func newRegistryCommand(e env) *cli.Command {
	return &cli.Command{
		Name:        "registry",
		Usage:       "create and inspect registries, their collections, protected aliases and admins",
		Description: registryHelp + "\n\n" + exitCodesHelp,
		Commands: []*cli.Command{
			newRegistryCreateCommand(e),
			newRegistryLsCommand(e),
			newRegistryShowCommand(e),
			{
				Name:        "add-type",
				Usage:       "accept more artifact types (types are never removed)",
				ArgsUsage:   "REG TYPE...",
				Description: exitCodesHelp,
				Flags:       []cli.Flag{&cli.BoolFlag{Name: "json", Usage: jsonUsage}},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					a := cmd.Args().Slice()
					if len(a) < 2 {
						return usagef("registry add-type: want REG TYPE...")
					}
					return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
						fetchRegistry(ctx, r, e, a[0], "")
						added, err := registries(r, e).AddTypes(ctx, a[0], a[1:]...)
						if err != nil {
							return err
						}
						if cmd.Bool("json") {
							return printJSON(e.stdout, map[string]any{"registry": a[0], "added": nonNil(added)})
						}
						if len(added) == 0 {
							fmt.Fprintf(e.stdout, "%s accepts %s already\n", a[0], strings.Join(a[1:], ", "))
							return nil
						}
						fmt.Fprintf(e.stdout, "%s now accepts %s\n", a[0], strings.Join(added, ", "))
						return nil
					})
				},
			},
			{
				Name:  "protect",
				Usage: "protect an alias in every collection of a registry (needs a registry admin)",
				Description: "From then on the alias can be set, moved or removed only with --admin by a\n" +
					"registry admin, and a version holding it cannot be deleted.\n\n" + exitCodesHelp,
				ArgsUsage: "REG ALIAS",
				Flags:     []cli.Flag{&cli.BoolFlag{Name: "json", Usage: jsonUsage}},
				Action:    registrySettingAction(e, "protect", "REG ALIAS", protectAlias),
			},
			{
				Name:        "unprotect",
				Usage:       "lift an alias's protection (needs a registry admin)",
				ArgsUsage:   "REG ALIAS",
				Description: exitCodesHelp,
				Flags:       []cli.Flag{&cli.BoolFlag{Name: "json", Usage: jsonUsage}},
				Action:      registrySettingAction(e, "unprotect", "REG ALIAS", unprotectAlias),
			},
			{
				Name:  "admin",
				Usage: "add or remove registry admins",
				Description: "Admins change a registry's settings and move its protected aliases. A\n" +
					"registry's creator is its first admin; the core registries start with none, and\n" +
					"then anyone may add the first. The last admin cannot be removed.",
				Commands: []*cli.Command{
					{
						Name: "add", Usage: "make USER an admin", ArgsUsage: "REG USER", Description: exitCodesHelp,
						Flags:  []cli.Flag{&cli.BoolFlag{Name: "json", Usage: jsonUsage}},
						Action: registrySettingAction(e, "admin add", "REG USER", addAdmin),
					},
					{
						Name: "rm", Usage: "remove USER from the admins", ArgsUsage: "REG USER", Description: exitCodesHelp,
						Flags:  []cli.Flag{&cli.BoolFlag{Name: "json", Usage: jsonUsage}},
						Action: registrySettingAction(e, "admin rm", "REG USER", removeAdmin),
					},
				},
			},
			newRegistryAliasCommand(e),
		},
	}
}

// A settingFunc changes one registry setting and says what it did.
type settingFunc func(ctx context.Context, rs *registry.Registries, reg, arg string) (string, error)

func protectAlias(ctx context.Context, rs *registry.Registries, reg, alias string) (string, error) {
	changed, err := rs.Protect(ctx, reg, alias)
	if !changed {
		return fmt.Sprintf("%s is protected in %s already", alias, reg), err
	}
	return fmt.Sprintf("%s is now protected in %s", alias, reg), err
}

func unprotectAlias(ctx context.Context, rs *registry.Registries, reg, alias string) (string, error) {
	return fmt.Sprintf("%s is no longer protected in %s", alias, reg), rs.Unprotect(ctx, reg, alias)
}

func addAdmin(ctx context.Context, rs *registry.Registries, reg, u string) (string, error) {
	changed, err := rs.AddAdmin(ctx, reg, u)
	if !changed {
		return fmt.Sprintf("%s is an admin of %s already", u, reg), err
	}
	return fmt.Sprintf("%s is now an admin of %s", u, reg), err
}

func removeAdmin(ctx context.Context, rs *registry.Registries, reg, u string) (string, error) {
	return fmt.Sprintf("%s is no longer an admin of %s", u, reg), rs.RemoveAdmin(ctx, reg, u)
}

// fetchRegistry fetches registry reg, with its collection coll if coll is
// not empty, from the default remote when it is not here yet
// (repo.FetchRegistryIfMissing), so that a command reads or changes the
// registry a teammate pushed rather than start a second one here. A
// fetch that fails is a warning: the command goes on with what is here,
// as everything works offline.
func fetchRegistry(ctx context.Context, r *repo.Repo, e env, reg, coll string) {
	if err := r.FetchRegistryIfMissing(ctx, reg, coll); err != nil {
		fmt.Fprintf(e.stderr, "warning: registry %s is not here and could not be fetched: %v (going on with what is here)\n", reg, err)
	}
}

func registrySettingAction(e env, name, usage string, fn settingFunc) cli.ActionFunc {
	return func(ctx context.Context, cmd *cli.Command) error {
		a := cmd.Args().Slice()
		if len(a) != 2 {
			return usagef("registry %s: want %s", name, usage)
		}
		return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
			fetchRegistry(ctx, r, e, a[0], "")
			msg, err := fn(ctx, registries(r, e), a[0], a[1])
			if err != nil {
				return err
			}
			if cmd.Bool("json") {
				g, err := registries(r, e).Get(ctx, a[0])
				if err != nil {
					return err
				}
				return printJSON(e.stdout, registryInfo(a[0], g))
			}
			fmt.Fprintln(e.stdout, msg)
			return nil
		})
	}
}

func newRegistryCreateCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "create",
		Usage:     "create a custom registry; you become its first admin",
		ArgsUsage: "NAME",
		Description: "Give the artifact types it accepts (--types model,checkpoint) or accept any\n" +
			"type (--any-type). Types can be added later, never removed.\n\n" + exitCodesHelp,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "description", Aliases: []string{"d"}, Usage: "what the registry is for"},
			&cli.BoolFlag{Name: "json", Usage: jsonUsage},
		},
		MutuallyExclusiveFlags: []cli.MutuallyExclusiveFlags{{
			Required: true,
			Flags: [][]cli.Flag{
				{&cli.StringSliceFlag{Name: "types", Usage: "accepted artifact `TYPES`, comma-separated"}},
				{&cli.BoolFlag{Name: "any-type", Usage: "accept every artifact type"}},
			},
		}},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			a, err := argsExactly(cmd, 1, "NAME")
			if err != nil {
				return err
			}
			req := registry.CreateRequest{
				Name: a[0], Types: cmd.StringSlice("types"), AnyType: cmd.Bool("any-type"),
				Description: cmd.String("description"),
			}
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
				fetchRegistry(ctx, r, e, a[0], "")
				g, err := registries(r, e).Create(ctx, req)
				if err != nil {
					return err
				}
				if cmd.Bool("json") {
					return printJSON(e.stdout, registryInfo(a[0], g))
				}
				fmt.Fprintf(e.stdout, "created registry %s accepting %s; admin: %s\n", a[0], accepts(g), strings.Join(g.Admins, ", "))
				return nil
			})
		},
	}
}

func accepts(g *registry.Registry) string {
	if g.AnyType {
		return "any type"
	}
	return strings.Join(g.Types, ", ")
}

func newRegistryLsCommand(e env) *cli.Command {
	return &cli.Command{
		Name:  "ls",
		Usage: "list registries",
		Description: "Lists the registries this repository has: the core ones, those made here, and those\n" +
			"fetched. A registry that 'trove registry show', 'trove link' or a registry path names\n" +
			"is fetched from the default remote when it is not here; 'trove fetch' brings them all.\n\n" + exitCodesHelp,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: jsonUsage}},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if _, err := argsExactly(cmd, 0, "no arguments"); err != nil {
				return err
			}
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
				es, err := registries(r, e).List(ctx)
				if err != nil {
					return err
				}
				out := []registryJSON{}
				for _, en := range es {
					out = append(out, registryInfo(en.Name, en.Registry))
				}
				if cmd.Bool("json") {
					return printJSON(e.stdout, out)
				}
				tw := newTable(e.stdout)
				fmt.Fprintln(tw, "NAME\tKIND\tACCEPTS\tCOLLECTIONS\tLINKS\tDESCRIPTION")
				for _, j := range out {
					kind, links := "custom", 0
					if j.Core {
						kind = "core"
					}
					for _, c := range j.Collections {
						links += c.Links
					}
					acc := strings.Join(j.Types, ",")
					if j.AnyType {
						acc = "any type"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", j.Name, kind, acc, len(j.Collections), links, firstLine(j.Description))
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				if remote, synced, err := r.RegistriesSynced(ctx); err == nil && !synced {
					fmt.Fprintf(e.stdout, "(these are this repository's; the registries of remote %s are not fetched here yet: 'trove fetch' brings them)\n", remote)
				}
				return nil
			})
		},
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

func newRegistryShowCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "show",
		Usage:     "show a registry (settings, collections) or one collection's links",
		ArgsUsage: "REG | registry/REG/COLL",
		Description: "With a registry name, prints what it accepts, its admins, protected aliases and\n" +
			"collections. With a collection path, prints its links newest first, each with the\n" +
			"version it names as numbered now (a push may have renumbered it since it was linked).\n\n" + exitCodesHelp,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: jsonUsage}},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			a, err := argsExactly(cmd, 1, "REG | registry/REG/COLL")
			if err != nil {
				return err
			}
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
				rs := registries(r, e)
				if strings.Contains(a[0], "/") {
					reg, coll, sel, err := parseCollection(a[0])
					if err != nil {
						return err
					}
					if sel != "" {
						return usagef("registry show: %q names one link; show it with 'trove show %s'", a[0], a[0])
					}
					fetchRegistry(ctx, r, e, reg, coll)
					c, err := rs.Collection(ctx, reg, coll)
					if err != nil {
						return err
					}
					now, err := registry.VersionsNow(ctx, r.RefsKV(), c)
					if err != nil {
						return err
					}
					return showCollection(e, collectionInfo(reg, coll, c, now), cmd.Bool("json"))
				}
				fetchRegistry(ctx, r, e, a[0], "")
				g, err := rs.Get(ctx, a[0])
				if err != nil {
					return err
				}
				return showRegistry(e, registryInfo(a[0], g), cmd.Bool("json"))
			})
		},
	}
}

func showRegistry(e env, j registryJSON, asJSON bool) error {
	if asJSON {
		return printJSON(e.stdout, j)
	}
	w := e.stdout
	kind := "custom registry"
	if j.Core {
		kind = "core registry"
	}
	acc := strings.Join(j.Types, ", ")
	if j.AnyType {
		acc = "any type"
	}
	none := func(s []string) string {
		if len(s) == 0 {
			return "(none)"
		}
		return strings.Join(s, ", ")
	}
	fmt.Fprintf(w, "%s (%s)\n", j.Name, kind)
	fmt.Fprintf(w, "accepts:    %s\n", acc)
	fmt.Fprintf(w, "admins:     %s\n", none(j.Admins))
	fmt.Fprintf(w, "protected:  %s\n", none(j.Protected))
	if j.Created != nil {
		fmt.Fprintf(w, "created:    %s by %s\n", humanTime(*j.Created), j.CreatedBy)
	}
	if j.Description != "" {
		fmt.Fprintf(w, "\n%s\n", j.Description)
	}
	fmt.Fprintln(w)
	if len(j.Collections) == 0 {
		fmt.Fprintf(w, "no collections (link one: trove link NAME:ALIAS registry/%s/COLLECTION)\n", j.Name)
		return nil
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "COLLECTION\tTYPE\tLINKS\tLATEST\tALIASES")
	for _, c := range j.Collections {
		latest := c.Latest
		if latest == "" {
			latest = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", c.Name, c.Type, c.Links, latest, aliasList(c.Aliases))
	}
	return tw.Flush()
}

// aliasList spells an alias map as "prod=v3, staging=v4", sorted.
func aliasList(m map[string]string) string {
	var out []string
	for a, v := range m {
		out = append(out, a+"="+v)
	}
	sort.Strings(out)
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, ", ")
}

func showCollection(e env, c collectionJSON, asJSON bool) error {
	if asJSON {
		return printJSON(e.stdout, c)
	}
	latest := c.Latest
	if latest == "" {
		latest = "none"
	}
	fmt.Fprintf(e.stdout, "%s (%s): %s, latest %s\n\n", c.Path, c.Type, plural(c.Links, "live link"), latest)
	tw := newTable(e.stdout)
	fmt.Fprintln(tw, "VERSION\tARTIFACT\tALIASES\tLINKED\tBY\tSTATE")
	for _, l := range c.Log {
		al := strings.Join(l.Aliases, ", ")
		if c.Latest == l.Version {
			al = strings.TrimPrefix(al+", latest", ", ")
		}
		if al == "" {
			al = "-"
		}
		state := l.State
		if l.Unlinked != nil {
			state += " " + humanTime(*l.Unlinked) + " by " + l.UnlinkedBy
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", l.Version, linkedVersionText(l), al, humanTime(l.Linked), l.By, state)
	}
	return tw.Flush()
}

// linkedVersionText names the version a link names now: "cnn:v3",
// "cnn:v3 (deleted)", or, when this repository's log does not hold it,
// the artifact with its number at link time.
func linkedVersionText(l linkJSON) string {
	switch l.ArtifactState {
	case refs.StateLive:
		return l.Artifact + ":" + l.ArtifactVersion
	case registry.StateUnknown:
		return fmt.Sprintf("%s (%s when linked; not here: trove fetch)", l.Artifact, l.ArtifactVersionThen)
	}
	return fmt.Sprintf("%s:%s (%s)", l.Artifact, l.ArtifactVersion, l.ArtifactState)
}
