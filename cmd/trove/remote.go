package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/internal/units"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/file"
	"github.com/trove-ml/trove/remote/leaselock"
	"github.com/trove-ml/trove/remote/retry"
	"github.com/trove-ml/trove/remote/s3"
	"github.com/trove-ml/trove/repo"
)

// openBucket is the one place that maps a remote's URL scheme to a
// backend. Every bucket is wrapped in retries for transient failures.
func openBucket(ctx context.Context, name string, cfg repo.RemoteConfig) (remote.Bucket, error) {
	u, err := parseRemoteURL(cfg)
	if err != nil {
		return nil, err
	}
	var b remote.Bucket
	switch u.Scheme {
	case "file":
		b, err = file.Open(u.Path)
	case "s3":
		b, err = s3.Open(ctx, s3.Config{
			Bucket: u.Host, Prefix: strings.Trim(u.Path, "/"), Region: cfg.Region, Endpoint: cfg.Endpoint,
			SSE: cfg.SSE, SSEKMSKeyID: cfg.KMSKeyID,
		})
	}
	if err != nil {
		return nil, err
	}
	b = retry.New(b, retry.Options{})
	switch cfg.Locking {
	case "":
	case "lease":
		b = leaselock.New(b, leaselock.Options{})
	default:
		return nil, fmt.Errorf("%w: remote %s: unknown locking %q (want lease or nothing)", repo.ErrInvalid, name, cfg.Locking)
	}
	return b, nil
}

// parseRemoteURL checks a remote's URL and endpoint, before it is added and
// whenever it is opened: a config written by hand, or by a trove that
// accepted credentials in URLs, is refused too, so that the secret is
// taken out of it rather than used.
func parseRemoteURL(cfg repo.RemoteConfig) (*url.URL, error) {
	if err := refuseCredentials("remote URL", cfg.URL); err != nil {
		return nil, err
	}
	if err := refuseCredentials("endpoint", cfg.Endpoint); err != nil {
		return nil, err
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("%w: remote URL %q: %v", repo.ErrInvalid, cfg.URL, errors.Unwrap(err))
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("%w: remote URL %q: file URLs name a local path (file:///path)", repo.ErrInvalid, cfg.URL)
		}
	case "s3":
		if u.Host == "" {
			return nil, fmt.Errorf("%w: remote URL %q: want s3://BUCKET[/PREFIX]", repo.ErrInvalid, cfg.URL)
		}
	default:
		return nil, fmt.Errorf("%w: remote URL %q: unknown scheme %q (use s3://BUCKET/PREFIX or file:///PATH)", repo.ErrInvalid, cfg.URL, u.Scheme)
	}
	return u, nil
}

// refuseCredentials refuses a URL that carries credentials (user info,
// "s3://KEY:SECRET@bucket"): remote URLs and endpoints are written to
// .trove/config, which is committed with the code, and printed. The
// message never shows them: it names the URL with them hidden, the URL to
// use instead and where credentials go.
func refuseCredentials(what, raw string) error {
	clean, found := remote.URLCredentials(raw)
	if !found {
		return nil
	}
	how := "give credentials as " + s3.CredentialsHelp
	if strings.HasPrefix(raw, "file:") {
		how = "a file remote needs none"
	}
	return usagef("%s %s: credentials never go in a URL (.trove/config is committed with the code): use %s, and %s",
		what, remote.RedactURL(raw), clean, how)
}

// remoteJSON is one remote as remote ls --json prints it, sorted by name;
// URL and Endpoint never show credentials.
type remoteJSON struct {
	Name     string `json:"name"`
	URL      string `json:"url"`
	Endpoint string `json:"endpoint,omitempty"`
	Region   string `json:"region,omitempty"`
	SSE      string `json:"sse,omitempty"`
	KMSKeyID string `json:"kmsKeyId,omitempty"`
	Locking  string `json:"locking,omitempty"`
}

func newRemoteCommand(e env) *cli.Command {
	return &cli.Command{
		Name:  "remote",
		Usage: "add, list and remove bucket remotes (s3://BUCKET/PREFIX, file:///PATH)",
		Description: "Remotes are recorded in .trove/config without credentials, and a URL carrying some\n" +
			"(s3://KEY:SECRET@bucket) is refused: S3 credentials come from the standard AWS chain\n" +
			"(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, and instance roles for AWS endpoints).\n\n" + exitCodesHelp,
		Commands: []*cli.Command{
			{
				Name:      "add",
				Usage:     "add a remote, checking that it can be reached and shared safely",
				ArgsUsage: "NAME URL",
				Description: "Probes the bucket: trove moves refs only by compare-and-swap (conditional writes), so a\n" +
					"server that ignores If-None-Match/If-Match is refused.\n\n" + exitCodesHelp,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "endpoint", Usage: "S3-compatible server `URL` (default: AWS, or $AWS_ENDPOINT_URL)"},
					&cli.StringFlag{Name: "region", Usage: "S3 `REGION`"},
					&cli.StringFlag{Name: "sse", Usage: "server-side encryption of every object written: AES256 or aws:kms"},
					&cli.StringFlag{Name: "kms-key-id", Usage: "KMS `KEY` for --sse aws:kms"},
					&cli.BoolFlag{Name: "no-probe", Usage: "skip the reachability and conditional-write probe"},
					&cli.BoolFlag{Name: "lock-fallback", Usage: "on a server without conditional writes, move refs under lock objects with leases (see remote/leaselock)"},
				},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					a, err := argsExactly(cmd, 2, "NAME URL")
					if err != nil {
						return err
					}
					if err := checkName("remote name", a[0]); err != nil {
						return err
					}
					rc := repo.RemoteConfig{URL: a[1], Endpoint: cmd.String("endpoint"), Region: cmd.String("region"),
						SSE: cmd.String("sse"), KMSKeyID: cmd.String("kms-key-id")}
					u, err := parseRemoteURL(rc)
					if err != nil {
						return err
					}
					if u.Scheme == "file" && !filepath.IsAbs(u.Path) {
						return usagef("remote add: %q: a file remote needs an absolute path (file:///path)", rc.URL)
					}
					return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
						if !cmd.Bool("no-probe") {
							err := probeRemote(ctx, a[0], rc)
							if errors.Is(err, remote.ErrNotSupported) && cmd.Bool("lock-fallback") {
								fmt.Fprintf(e.stderr, "trove: %v\ntrove: using lock objects with leases instead (--lock-fallback)\n", err)
								rc.Locking = "lease"
								err = nil
							}
							if err != nil {
								return err
							}
						}
						if err := r.AddRemote(a[0], rc); err != nil {
							return err
						}
						fmt.Fprintf(e.stdout, "remote %s -> %s\n", a[0], rc.URL)
						return nil
					})
				},
			},
			{
				Name:        "ls",
				Usage:       "list remotes",
				Description: exitCodesHelp,
				Flags:       []cli.Flag{&cli.BoolFlag{Name: "json", Usage: jsonUsage}},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
						// A config written by hand, or by an older trove, may
						// hold credentials in a URL: they are never shown,
						// and the user is told to take them out.
						out := []remoteJSON{}
						for _, n := range r.RemoteNames() {
							rc := r.Config.Remotes[n]
							if refuseCredentials("", rc.URL) != nil || refuseCredentials("", rc.Endpoint) != nil {
								fmt.Fprintf(e.stderr, "trove: remote %s: .trove/config holds credentials in its URL; remove the remote (trove remote rm %s), add it again without them, and change the secret if the config was ever committed\n", n, n)
							}
							out = append(out, remoteJSON{
								Name: n, URL: remote.RedactURL(rc.URL), Endpoint: remote.RedactURL(rc.Endpoint),
								Region: rc.Region, SSE: rc.SSE, KMSKeyID: rc.KMSKeyID, Locking: rc.Locking,
							})
						}
						if cmd.Bool("json") {
							return printJSON(e.stdout, out)
						}
						tw := newTable(e.stdout)
						for _, rj := range out {
							fmt.Fprintf(tw, "%s\t%s\t%s\n", rj.Name, rj.URL, rj.Endpoint)
						}
						return tw.Flush()
					})
				},
			},
			{
				Name:        "rm",
				Usage:       "remove a remote from the config (the bucket is not touched)",
				ArgsUsage:   "NAME",
				Description: exitCodesHelp,
				Action: func(ctx context.Context, cmd *cli.Command) error {
					a, err := argsExactly(cmd, 1, "NAME")
					if err != nil {
						return err
					}
					return withRepo(ctx, cmd, e, func(r *repo.Repo) error { return r.RemoveRemote(a[0]) })
				},
			},
		},
	}
}

// probeRemote checks that a remote can be reached and honours conditional
// writes, without which concurrent pushes could lose refs.
func probeRemote(ctx context.Context, name string, rc repo.RemoteConfig) error {
	b, err := openBucket(ctx, name, rc)
	if errors.Is(err, remote.ErrUnreachable) {
		return fmt.Errorf("remote %s: %w (--endpoint), or add the remote with --no-probe to skip this check", name, err)
	}
	if err != nil {
		return fmt.Errorf("remote %s: %w", name, err)
	}
	sb, ok := remote.As[*s3.Bucket](b)
	if !ok {
		// file remotes: reaching the folder is the probe.
		return b.List(ctx, "refs/", func(remote.ObjectInfo) error { return nil })
	}
	ok, err = s3.ProbeConditionalWrites(ctx, sb)
	if err != nil {
		return fmt.Errorf("remote %s: %w", name, err)
	}
	if !ok {
		return fmt.Errorf("%w: remote %s (%s) does not honour conditional writes (If-None-Match/If-Match); sharing refs there could lose updates, so trove refuses it unless told --lock-fallback", remote.ErrNotSupported, name, b.Location())
	}
	return nil
}

func newPushCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "push",
		Usage:     "upload versions to a remote and move its refs to include them",
		ArgsUsage: "[NAME[:ALIAS]...]",
		Description: "Uploads packs, then indexes, then moves the artifact logs by compare-and-swap, so a push\n" +
			"killed at any point leaves the remote consistent and a rerun uploads only what is missing.\n" +
			"Without arguments (or with --all) every artifact is pushed. Versions that others pushed\n" +
			"first keep their numbers; yours are renumbered after them. Registries are pushed too\n" +
			"(without arguments): where the remote changed the same registry alias or setting first,\n" +
			"its change stands and yours is listed with the command that applies it again (exit 1).\n\n" + exitCodesHelp,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "remote", Aliases: []string{"r"}, Usage: "remote `NAME` (default: origin, or the only one)"},
			&cli.BoolFlag{Name: "all", Usage: "push every artifact (the default without arguments)"},
			&cli.BoolFlag{Name: "background", Usage: "push from a detached process and return at once (see --wait)"},
			&cli.BoolFlag{Name: "wait", Usage: "wait for a background push and report how it ended"},
			&cli.BoolFlag{Name: "json", Usage: jsonUsage},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			names := cmd.Args().Slice()
			if cmd.Bool("all") && len(names) > 0 {
				return usagef("push: --all and NAMEs exclude each other")
			}
			if cmd.Bool("background") || cmd.Bool("wait") {
				wd, err := workDir(cmd)
				if err != nil {
					return err
				}
				root, err := repo.Find(wd)
				if err != nil {
					return err
				}
				if cmd.Bool("wait") {
					return waitBackgroundPush(ctx, e, root, cmd.Bool("json"))
				}
				return startBackgroundPush(e, root, e.args, cmd.Bool("json"))
			}
			var res *repo.PushResult
			err := withRepo(ctx, cmd, e, func(r *repo.Repo) error {
				var err error
				res, err = r.Push(ctx, repo.PushOptions{Remote: cmd.String("remote"), Names: names})
				if res != nil {
					if cmd.Bool("json") {
						if jerr := printJSON(e.stdout, pushInfo(res)); jerr != nil {
							return jerr
						}
					} else {
						printPush(e, res)
					}
				}
				return err
			})
			// A background push leaves its result for push --wait --json.
			if p := e.getenv(pushResultEnv); p != "" {
				writePushResult(p, res, err)
			}
			return err
		},
	}
}

// pushJSON is what push --json prints (docs/CLI.md).
type pushJSON struct {
	Remote            string               `json:"remote"`
	Artifacts         []pushedArtifactJSON `json:"artifacts"`
	Packs             int                  `json:"packs"`
	Blobs             int                  `json:"blobs"`
	Bytes             int64                `json:"bytes"`
	Registries        []string             `json:"registries,omitempty"`
	RegistryConflicts []string             `json:"registryConflicts,omitempty"`
	RegistryNotes     []string             `json:"registryNotes,omitempty"`
	RegistryErrors    []string             `json:"registryErrors,omitempty"`
}

// pushedArtifactJSON says what a push did to one artifact's log. Versions
// are "vN"; Renumbered and Collapsed map a local "vN" to the remote's.
type pushedArtifactJSON struct {
	Name       string            `json:"name"`
	Versions   []string          `json:"versions"`
	Renumbered map[string]string `json:"renumbered,omitempty"`
	Collapsed  map[string]string `json:"collapsed,omitempty"`
	Conflicts  []string          `json:"conflicts,omitempty"`
	Kept       []keptJSON        `json:"kept,omitempty"`
	Pending    []keptJSON        `json:"pending,omitempty"`
}

// keptJSON is a version deleted here that the remote holds, so it was
// not deleted there and is live here again.
type keptJSON struct {
	Version string `json:"version"`
	Why     string `json:"why"`
}

func keptInfo(ks []refs.KeptVersion) []keptJSON {
	var out []keptJSON
	for _, k := range ks {
		out = append(out, keptJSON{Version: fmt.Sprintf("v%d", k.N), Why: k.Why})
	}
	return out
}

// printKept says which deletions the remote did not take, and why: kept
// (held there; live here again) or pending (not known yet; tried again).
func printKept(e env, name, remote string, kept, pending []refs.KeptVersion) {
	for _, k := range kept {
		fmt.Fprintf(e.stdout, "  %s:v%d was not deleted on %s: %s; it is live here again ('trove fetch' brings what holds it)\n", name, k.N, remote, k.Why)
	}
	for _, k := range pending {
		fmt.Fprintf(e.stdout, "  %s:v%d: its deletion was not pushed to %s yet: %s; it stays deleted here, and the next push tries again\n", name, k.N, remote, k.Why)
	}
}

func pushInfo(res *repo.PushResult) *pushJSON {
	j := &pushJSON{
		Remote: res.Remote, Artifacts: []pushedArtifactJSON{}, Packs: res.Packs, Blobs: res.Blobs, Bytes: res.Bytes,
		Registries:        res.RegistriesPushed,
		RegistryConflicts: res.Registries, RegistryNotes: res.RegistryNotes, RegistryErrors: res.RegistryErrors,
	}
	for _, a := range res.Artifacts {
		j.Artifacts = append(j.Artifacts, pushedArtifactJSON{
			Name: a.Name, Versions: versionNames(a.Versions),
			Renumbered: versionMap(a.Renumbered), Collapsed: versionMap(a.Collapsed), Conflicts: a.Conflicts,
			Kept: keptInfo(a.Kept), Pending: keptInfo(a.Pending),
		})
	}
	return j
}

// fetchJSON is what fetch --json prints (docs/CLI.md).
type fetchJSON struct {
	Remote    string                `json:"remote"`
	Artifacts []fetchedArtifactJSON `json:"artifacts"`
	// Skipped says which logs on the remote were not fetched, and why
	// (a name no trove gives an artifact); also on stderr as warnings.
	Skipped []string `json:"skipped"`
	// The registries, as for push: local changes not applied (also on
	// stderr as warnings), what else befell local changes, and the
	// registries that were not fetched (then exit 1).
	RegistryConflicts []string `json:"registryConflicts,omitempty"`
	RegistryNotes     []string `json:"registryNotes,omitempty"`
	RegistryErrors    []string `json:"registryErrors,omitempty"`
}

// fetchedArtifactJSON says what a fetch changed in one artifact's log:
// New lists versions ("vN") not here before; Renumbered maps the local
// "vN" of a version not pushed yet to its "vN" now.
type fetchedArtifactJSON struct {
	Name       string            `json:"name"`
	New        []string          `json:"new"`
	Renumbered map[string]string `json:"renumbered,omitempty"`
	Kept       []keptJSON        `json:"kept,omitempty"`
	Pending    []keptJSON        `json:"pending,omitempty"`
}

func fetchInfo(res *repo.FetchResult) fetchJSON {
	j := fetchJSON{
		Remote: res.Remote, Artifacts: []fetchedArtifactJSON{}, Skipped: nonNil(res.Skipped),
		RegistryConflicts: res.Registries, RegistryNotes: res.RegistryNotes, RegistryErrors: res.RegistryErrors,
	}
	for _, a := range res.Artifacts {
		j.Artifacts = append(j.Artifacts, fetchedArtifactJSON{Name: a.Name, New: versionNames(a.New), Renumbered: versionMap(a.Renumbered), Kept: keptInfo(a.Kept), Pending: keptInfo(a.Pending)})
	}
	return j
}

func printPush(e env, res *repo.PushResult) {
	for _, a := range res.Artifacts {
		for _, n := range a.Versions {
			fmt.Fprintf(e.stdout, "%s:v%d -> %s\n", a.Name, n, res.Remote)
		}
		for _, from := range sortedIntKeys(a.Renumbered) {
			fmt.Fprintf(e.stdout, "  %s:v%d is %s:v%d on %s (others pushed first)\n", a.Name, from, a.Name, a.Renumbered[from], res.Remote)
		}
		for _, from := range sortedIntKeys(a.Collapsed) {
			fmt.Fprintf(e.stdout, "  %s:v%d equals %s:v%d already on %s\n", a.Name, from, a.Name, a.Collapsed[from], res.Remote)
		}
		for _, c := range a.Conflicts {
			fmt.Fprintf(e.stdout, "  %s: %s\n", a.Name, c)
		}
		printKept(e, a.Name, res.Remote, a.Kept, a.Pending)
	}
	for _, name := range res.RegistriesPushed {
		fmt.Fprintf(e.stdout, "registry %s -> %s\n", name, res.Remote)
	}
	for _, c := range res.Registries {
		fmt.Fprintf(e.stdout, "  %s\n", c)
	}
	for _, n := range res.RegistryNotes {
		fmt.Fprintf(e.stdout, "  %s\n", n)
	}
	fmt.Fprintf(e.stdout, "uploaded %d packs (%s, %d blobs)\n", res.Packs, units.Bytes(res.Bytes), res.Blobs)
}

func newFetchCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "fetch",
		Usage:     "bring a remote's artifact logs, aliases and tags here (content comes with pull)",
		ArgsUsage: "[NAME...]",
		Description: "Local versions that were not pushed yet are renumbered after the remote's, so numbers\n" +
			"here match the remote's. Registries are fetched too (without arguments): where you and\n" +
			"the remote changed the same registry alias or setting, the remote's change stands and\n" +
			"yours is listed, as a warning, with the command that applies it again.\n\n" + exitCodesHelp,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "remote", Aliases: []string{"r"}, Usage: "remote `NAME` (default: origin, or the only one)"},
			&cli.BoolFlag{Name: "json", Usage: jsonUsage},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return withRepo(ctx, cmd, e, func(r *repo.Repo) error {
				res, err := r.Fetch(ctx, repo.FetchOptions{Remote: cmd.String("remote"), Names: cmd.Args().Slice()})
				// Registries that failed do not stop a fetch: it reports
				// what it did, then fails naming them.
				if err != nil && (res == nil || len(res.RegistryErrors) == 0) {
					return err
				}
				for _, s := range res.Skipped {
					fmt.Fprintf(e.stderr, "trove: warning: skipped %s\n", s)
				}
				for _, c := range res.Registries {
					fmt.Fprintf(e.stderr, "trove: warning: %s\n", c)
				}
				if cmd.Bool("json") {
					if jerr := printJSON(e.stdout, fetchInfo(res)); jerr != nil {
						return jerr
					}
					return err
				}
				for _, a := range res.Artifacts {
					fmt.Fprintf(e.stdout, "%s: %d new version(s)\n", a.Name, len(a.New))
					for _, from := range sortedIntKeys(a.Renumbered) {
						fmt.Fprintf(e.stdout, "  local %s:v%d is now %s:v%d (not pushed yet)\n", a.Name, from, a.Name, a.Renumbered[from])
					}
					printKept(e, a.Name, res.Remote, a.Kept, a.Pending)
				}
				for _, n := range res.RegistryNotes {
					fmt.Fprintf(e.stdout, "  %s\n", n)
				}
				return err
			})
		},
	}
}

func sortedIntKeys(m map[int]int) []int {
	var ks []int
	for k := range m {
		ks = append(ks, k)
	}
	for i := 1; i < len(ks); i++ {
		for j := i; j > 0 && ks[j] < ks[j-1]; j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
	return ks
}
