package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/internal/units"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/repo"
	"github.com/trove-ml/trove/retention"
)

type artifactJSON struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Versions int    `json:"versions"`
	Latest   string `json:"latest,omitempty"`
}

type versionJSON struct {
	Artifact    string    `json:"artifact"`
	Version     string    `json:"version"`
	Digest      string    `json:"digest"`
	Record      string    `json:"record"`
	State       string    `json:"state"`
	Created     time.Time `json:"created"`
	Aliases     []string  `json:"aliases"`
	Tags        []string  `json:"tags"`
	Files       int64     `json:"files"`
	Size        int64     `json:"size"`
	Description string    `json:"description,omitempty"`
	// Local is true for a version no remote has yet: its number is
	// provisional until it is pushed (others may push first).
	Local bool `json:"local,omitempty"`
	// Expires is when the version's TTL runs out (absent for a TTL of
	// never), and Expired is true once it has: the version no longer
	// resolves, and the next trove gc deletes it.
	Expires *time.Time `json:"expires,omitempty"`
	Expired bool       `json:"expired,omitempty"`
}

func newLogCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "log",
		Usage:     "list an artifact's versions, or every artifact when no NAME is given",
		ArgsUsage: "[NAME]",
		Description: "Versions are listed newest first, with their aliases, tags, size and digest.\n" +
			"A version no remote has yet is marked (local): its number may change when it is pushed.\n" +
			"One whose TTL ran out is marked (expired DATE): it no longer resolves, \"latest\" skips\n" +
			"it, and the next trove gc deletes it (trove ttl set can still extend its TTL).\n\n" +
			exitCodesHelp,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: jsonUsage}},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			a := cmd.Args().Slice()
			if len(a) > 1 {
				return usagef("log: want at most one NAME")
			}
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
				if len(a) == 0 {
					return runArtifacts(ctx, e, r, cmd.Bool("json"))
				}
				return runLog(ctx, e, r, a[0], cmd.Bool("json"))
			})
		},
	}
}

func runArtifacts(ctx context.Context, e env, r *repo.Repo, asJSON bool) error {
	out := []artifactJSON{}
	err := r.Refs().Artifacts(ctx, func(name string, l *refs.Log) error {
		live := 0
		for _, v := range l.Versions {
			if v.State == refs.StateLive {
				live++
			}
		}
		a := artifactJSON{Name: name, Type: l.Type, Versions: live}
		// Not l.Latest: "latest" skips versions whose TTL ran out.
		v, ok, err := r.Latest(ctx, name, l)
		if err != nil {
			return err
		}
		if ok {
			a.Latest = fmt.Sprintf("v%d", v.N)
		}
		out = append(out, a)
		return nil
	})
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(e.stdout, out)
	}
	if len(out) == 0 {
		if len(r.Config.Remotes) > 0 {
			fmt.Fprintln(e.stdout, "no artifacts here yet: 'trove fetch' brings the remote's (trove commit NAME --type TYPE PATH... makes one)")
			return nil
		}
		fmt.Fprintln(e.stdout, "no artifacts yet (trove commit NAME --type TYPE PATH...)")
		return nil
	}
	tw := newTable(e.stdout)
	fmt.Fprintln(tw, "NAME\tTYPE\tVERSIONS\tLATEST")
	for _, a := range out {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", a.Name, a.Type, a.Versions, a.Latest)
	}
	return tw.Flush()
}

// versionInfo describes version v of an artifact; sts is retention's
// word on the artifact's live versions (repo.Statuses), which says where
// "latest" is and whether v has expired.
func versionInfo(ctx context.Context, r *repo.Repo, name string, l *refs.Log, v refs.Version, sts []retention.Status) (versionJSON, error) {
	j := versionJSON{
		Artifact: name, Version: fmt.Sprintf("v%d", v.N), Digest: v.Root.String(), Record: v.Record.String(),
		State: v.State, Created: v.Created, Aliases: nonNil(l.AliasesOf(v.N)), Tags: nonNil(l.TagsOf(v.N)),
	}
	if latest, ok := retention.Latest(sts); ok && latest.Version.N == v.N {
		j.Aliases = append([]string{"latest"}, j.Aliases...)
	}
	if st, ok := retention.Find(sts, v.N); ok && !st.Expires.IsZero() {
		j.Expires, j.Expired = &st.Expires, st.Expired
	}
	if v.State != refs.StateLive {
		return j, nil
	}
	rec, err := r.Record(ctx, v.Record)
	if err != nil {
		return j, err
	}
	j.Files, j.Size, j.Description = rec.Files, rec.Size, rec.Description
	return j, nil
}

func runLog(ctx context.Context, e env, r *repo.Repo, name string, asJSON bool) error {
	l, err := r.LogOrFetch(ctx, name)
	if err != nil {
		return err
	}
	pushed, err := r.OnRemotes(ctx, name)
	if err != nil {
		return err
	}
	sts, err := r.Statuses(ctx, name, l, retention.Holds{})
	if err != nil {
		return err
	}
	out := []versionJSON{}
	for i := len(l.Versions) - 1; i >= 0; i-- {
		j, err := versionInfo(ctx, r, name, l, l.Versions[i], sts)
		if err != nil {
			return err
		}
		j.Local = len(r.Config.Remotes) > 0 && !pushed[l.Versions[i].Record]
		out = append(out, j)
	}
	if asJSON {
		return printJSON(e.stdout, out)
	}
	tw := newTable(e.stdout)
	fmt.Fprintf(tw, "VERSION\tCREATED\tFILES\tSIZE\tDIGEST\tALIASES\tTAGS\tDESCRIPTION\n")
	for _, j := range out {
		if j.State != refs.StateLive {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t%s\t(%s)\t\t\n", j.Version, humanTime(j.Created), j.Digest[:12], j.State)
			continue
		}
		desc, _, _ := strings.Cut(j.Description, "\n")
		num := j.Version
		if j.Local {
			// Not pushed yet: the number may change when it is.
			num += " (local)"
		}
		if j.Expired {
			// Its TTL ran out: it no longer resolves, and GC deletes it.
			num += " (expired " + j.Expires.UTC().Format(time.DateOnly) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", num, humanTime(j.Created), j.Files, units.Bytes(j.Size),
			j.Digest[:12], strings.Join(j.Aliases, ","), strings.Join(j.Tags, ","), desc)
	}
	return tw.Flush()
}
