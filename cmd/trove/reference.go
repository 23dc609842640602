package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/reference"
	"github.com/trove-ml/trove/repo"
)

// refOptions are commit's reference flags.
type refOptions struct {
	uris       []string // as given: URI or PATH=URI
	noChecksum bool
	maxObjects int64
	sources    []repo.RefSource // made once the repository is open
	// listed holds, by the index of its URI, each reference listed before
	// the repository was opened (see listAhead).
	listed map[int]*reference.Spooled
}

func refFlags() []cli.Flag {
	return []cli.Flag{
		&cli.FlagBase[[]string, cli.NoConfig, refArgs]{Name: "ref", Usage: "record a reference to `[PATH=]URI` (s3://BUCKET/PREFIX, gs://BUCKET/PREFIX, http(s)://HOST/PATH, file:///PATH): its objects stay where they are; PATH= puts it at PATH in the version; repeatable"},
		&cli.BoolFlag{Name: "no-checksum", Usage: "record each --ref's location alone, not its objects and checksums (pulls are then not pinned)"},
		&cli.Int64Flag{Name: "max-objects", Value: reference.DefaultMaxObjects, Usage: "fail if a --ref holds more than `N` objects (never truncated)"},
	}
}

// refArgs is --ref's value: each use of the flag is one argument, kept
// whole. (urfave/cli's slice flags split their values at commas, which
// keys, paths and URLs may hold.) Its zero value creates values.
type refArgs struct{ p *[]string }

func (refArgs) Create(v []string, p *[]string, _ cli.NoConfig) cli.Value {
	*p = append([]string(nil), v...)
	return &refArgs{p: p}
}

func (refArgs) ToString(v []string) string { return strings.Join(v, " ") }

func (a *refArgs) Set(s string) error {
	*a.p = append(*a.p, s)
	return nil
}

func (a *refArgs) String() string {
	if a == nil || a.p == nil {
		return ""
	}
	return strings.Join(*a.p, " ")
}

func (a *refArgs) Get() any {
	if a.p == nil {
		return []string(nil)
	}
	return *a.p
}

const refHelp = "--ref URI records data kept elsewhere, laid out as W&B's add_reference lays it out: a prefix's\n" +
	"objects at the version's root, relative to the prefix (as a folder's files), a single object under\n" +
	"its base name; --ref PATH=URI puts a prefix's objects in the folder PATH, or an object at PATH\n" +
	"(W&B's name=). Each object is recorded with its ETag and version id (S3), ETag and generation\n" +
	"(GCS), ETag (HTTP) or BLAKE3 (file://, and HTTP servers that send no ETag, whose objects are\n" +
	"downloaded to hash them), so a version changes only when they do. --no-checksum records the\n" +
	"location alone, at its key (S3, GCS) or base name (HTTP, file://), or at PATH. file:// references\n" +
	"leave out the project's .trove and .git. S3 credentials and endpoint come from the AWS chain\n" +
	"(AWS_ENDPOINT_URL for other servers), GCS's from application-default credentials\n" +
	"(STORAGE_EMULATOR_HOST for an emulator)."

// parseRefFlags reads and checks the reference flags before any work.
func parseRefFlags(cmd *cli.Command) (refOptions, error) {
	o := refOptions{uris: cmd.StringSlice("ref"), noChecksum: cmd.Bool("no-checksum"), maxObjects: cmd.Int64("max-objects")}
	if len(o.uris) == 0 {
		switch {
		case o.noChecksum:
			return o, usagef("commit: --no-checksum applies to references: name one with --ref URI")
		case cmd.IsSet("max-objects"):
			return o, usagef("commit: --max-objects applies to references: name one with --ref URI")
		}
	}
	if o.maxObjects <= 0 {
		return o, usagef("commit: --max-objects %d: want a positive number of objects", o.maxObjects)
	}
	for _, arg := range o.uris {
		p, u, hasPath := reference.SplitPath(arg)
		if hasPath {
			if err := reference.ValidPath(p); err != nil {
				return o, usagef("commit: --ref %s: %v", arg, err)
			}
		}
		if _, err := reference.Parse(u); err != nil {
			return o, usagef("commit: --ref: %v", err)
		}
	}
	return o, nil
}

// newResolver builds the map from URL scheme to reference store: the one
// place that knows the schemes. close releases the clients and writes
// what the stat cache learned.
func newResolver(r *repo.Repo) (res *reference.Resolver, close func() error) {
	cache := r.DigestCache()
	stores := remoteStores()
	stores[reference.SchemeFile] = reference.NewFiles(reference.FilesOptions{Cache: cache, Exclude: r.PrivatePaths(), TempDir: r.TempDir()})
	res = reference.NewResolver(stores)
	return res, func() error { return errors.Join(cache.Close(), res.Close()) }
}

// remoteResolver is newResolver without file://, for what needs nothing
// of the repository (listAhead). Close releases its clients.
func remoteResolver() *reference.Resolver { return reference.NewResolver(remoteStores()) }

func remoteStores() map[string]reference.Store {
	web := reference.NewHTTP(reference.HTTPOptions{})
	return map[string]reference.Store{
		reference.SchemeS3:    reference.NewS3(reference.S3Options{}),
		reference.SchemeGCS:   reference.NewGCS(reference.GCSOptions{}),
		reference.SchemeHTTP:  web,
		reference.SchemeHTTPS: web,
	}
}

// listedAhead reports whether listAhead lists the reference of a --ref
// argument: any but file://.
func listedAhead(arg string) bool {
	_, u, _ := reference.SplitPath(arg)
	loc, err := reference.Parse(u)
	return err == nil && loc.Scheme != reference.SchemeFile
}

// listsAhead reports whether listAhead has references to list (in a
// repository).
func (o *refOptions) listsAhead() bool { return slices.ContainsFunc(o.uris, listedAhead) }

// listAhead lists the references that need nothing of the repository
// (all but file://, whose files are hashed through its stat cache) before
// the command opens it: a commit holds the repository's lock from then
// on, and a large or slow listing would keep every other trove command
// out for as long (a training job's trove use, the end of a trove run).
// The listings are spooled to unlinked files in the repository's tmp
// folder. Without a repository (the command then fails as it opens one)
// nothing is listed. close releases the spools.
func (o *refOptions) listAhead(ctx context.Context, dir string, prog repo.Progress) (close func(), err error) {
	close = func() {
		for _, sp := range o.listed {
			_ = sp.Close()
		}
	}
	root, err := repo.Find(dir)
	if err != nil {
		return close, nil
	}
	tmp := filepath.Join(root, repo.DirName, "tmp")
	if _, err := os.Stat(tmp); err != nil {
		tmp = "" // the system's
	}
	var res *reference.Resolver
	defer func() {
		if res != nil {
			_ = res.Close()
		}
	}()
	for i, arg := range o.uris {
		if !listedAhead(arg) {
			continue
		}
		p, u, _ := reference.SplitPath(arg)
		if res == nil {
			res = remoteResolver()
		}
		src, err := res.Source(u, o.sourceOptions(p, tmp, prog))
		if err != nil {
			return close, usagef("commit: --ref: %v", err)
		}
		sp, err := src.Spool(ctx, tmp)
		if isRefInputError(err) {
			return close, &usageError{err}
		}
		if err != nil {
			return close, err
		}
		if o.listed == nil {
			o.listed = map[int]*reference.Spooled{}
		}
		o.listed[i] = sp
	}
	return close, nil
}

func (o *refOptions) sourceOptions(path, tmp string, prog repo.Progress) reference.SourceOptions {
	return reference.SourceOptions{
		Path:       path,
		NoChecksum: o.noChecksum,
		MaxObjects: o.maxObjects,
		TempDir:    tmp,
		Progress:   func(phase string) reference.Meter { return prog.Start(phase, 0, false) },
	}
}

// build makes the sources of the --ref flags: those listed ahead as they
// were listed, the others now.
func (o *refOptions) build(res *reference.Resolver, r *repo.Repo, prog repo.Progress) error {
	for i, arg := range o.uris {
		if sp, ok := o.listed[i]; ok {
			o.sources = append(o.sources, sp)
			continue
		}
		p, u, _ := reference.SplitPath(arg)
		src, err := res.Source(u, o.sourceOptions(p, filepath.Join(r.Dir, "tmp"), prog))
		if err != nil {
			return usagef("commit: --ref: %v", err)
		}
		o.sources = append(o.sources, cliRefSource{src})
	}
	return nil
}

// cliRefSource marks errors that come from bad input (a malformed or
// empty reference, a missing bucket or path, too many objects) as usage
// errors, so that they exit with status 2 like other bad input.
type cliRefSource struct{ *reference.Source }

func (s cliRefSource) List(ctx context.Context, fn func(path string, e manifest.Entry) error) error {
	err := s.Source.List(ctx, fn)
	if isRefInputError(err) {
		return &usageError{err}
	}
	return err
}

func isRefInputError(err error) bool {
	for _, c := range []error{reference.ErrInvalid, reference.ErrEmpty, reference.ErrTooMany, reference.ErrBucketNotFound, reference.ErrNotFound} {
		if errors.Is(err, c) {
			return true
		}
	}
	return false
}
