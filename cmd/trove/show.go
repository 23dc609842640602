package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/internal/units"
	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/repo"
	"github.com/trove-ml/trove/retention"
)

type showJSON struct {
	versionJSON
	Type     string          `json:"type"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
	Creator  creatorJSON     `json:"creator"`
	TTL      string          `json:"ttl,omitempty"`
	Parent   string          `json:"parent,omitempty"`
	// LoggedBy and UsedBy are the runs that logged and used the version.
	LoggedBy []runInfoJSON `json:"loggedBy"`
	UsedBy   []runInfoJSON `json:"usedBy"`
}

// creatorJSON is [manifest.Creator] with the keys of the rest of the
// output, which are also those of the version record's canonical encoding
// (manifest.Record.Encode). manifest.Creator has no JSON tags, and needs
// none: the record's canonical, hashed form is written by hand, so the
// output's spelling is chosen here.
type creatorJSON struct {
	User string   `json:"user"`
	Host string   `json:"host,omitempty"`
	Run  string   `json:"run,omitempty"`
	Git  *gitJSON `json:"git,omitempty"`
}

func newCreatorJSON(c manifest.Creator) creatorJSON {
	j := creatorJSON{User: c.User, Host: c.Host, Run: c.Run}
	if c.Git != nil {
		j.Git = &gitJSON{Commit: c.Git.Commit, Dirty: c.Git.Dirty}
	}
	return j
}

func newShowCommand(e env) *cli.Command {
	return &cli.Command{
		Name:        "show",
		Usage:       "show one version: digest, aliases, tags, metadata, who made it",
		ArgsUsage:   "NAME[:ALIAS]",
		Description: exitCodesHelp,
		Flags:       []cli.Flag{&cli.BoolFlag{Name: "json", Usage: jsonUsage}},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			a, err := argsExactly(cmd, 1, "NAME[:ALIAS]")
			if err != nil {
				return err
			}
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
				v, err := r.ResolveOrFetch(ctx, a[0])
				if err != nil {
					return err
				}
				sts, err := r.Statuses(ctx, v.Name, v.Log, retention.Holds{})
				if err != nil {
					return err
				}
				vj, err := versionInfo(ctx, r, v.Name, v.Log, v.Version, sts)
				if err != nil {
					return err
				}
				j := showJSON{versionJSON: vj, Type: v.Record.Type, Metadata: v.Record.Metadata, Creator: newCreatorJSON(v.Record.Creator), TTL: v.Record.TTL}
				if !v.Record.Parent.IsZero() {
					j.Parent = v.Record.Parent.String()
				}
				if j.LoggedBy, j.UsedBy, err = versionRuns(ctx, r, v); err != nil {
					return err
				}
				if cmd.Bool("json") {
					return printJSON(e.stdout, j)
				}
				w := e.stdout
				fmt.Fprintf(w, "%s:%s (%s)\n", j.Artifact, j.Version, j.Type)
				fmt.Fprintf(w, "digest:   %s\n", j.Digest)
				fmt.Fprintf(w, "aliases:  %s\n", strings.Join(j.Aliases, ", "))
				if len(j.Tags) > 0 {
					fmt.Fprintf(w, "tags:     %s\n", strings.Join(j.Tags, ", "))
				}
				fmt.Fprintf(w, "created:  %s by %s", humanTime(j.Created), j.Creator.User)
				if j.Creator.Host != "" {
					fmt.Fprintf(w, "@%s", j.Creator.Host)
				}
				fmt.Fprintln(w)
				fmt.Fprintf(w, "content:  %d files, %s\n", j.Files, units.Bytes(j.Size))
				if j.TTL != "" {
					fmt.Fprintf(w, "ttl:      %s\n", j.TTL)
				}
				if len(j.Metadata) > 0 {
					fmt.Fprintf(w, "metadata: %s\n", j.Metadata)
				}
				printVersionRuns(e, v.String(), j.LoggedBy, j.UsedBy)
				if j.Description != "" {
					fmt.Fprintf(w, "\n%s\n", j.Description)
				}
				return nil
			})
		},
	}
}
