package repo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
)

// DirName is the name of the repository folder inside a project folder.
const DirName = ".trove"

// Sentinel errors callers branch on.
var (
	// ErrNotRepository means no .trove folder was found.
	ErrNotRepository = errors.New("repo: not a trove repository")
	// ErrExists means init found a repository already there.
	ErrExists = errors.New("repo: repository exists")
	// ErrInvalid means the user's input is unacceptable; the message says
	// what and how to fix it.
	ErrInvalid = errors.New("repo: invalid input")
)

// Options configure Open and Init. The zero value is the default.
type Options struct {
	// LockTimeout bounds the wait for another trove process to release the
	// repository. The default is objects' (2 minutes).
	LockTimeout time.Duration
	// Now is the clock; the default is time.Now.
	Now func() time.Time
	// Progress receives progress of long work; the default discards it.
	Progress Progress
	// Workers is the number of goroutines reading, hashing and storing
	// content. The default is 4 × GOMAXPROCS: small files wait on syscalls,
	// and each worker holds at most one small file (< 4 MiB) in memory.
	Workers int
	// PackSize overrides the target pack size (tests use small packs).
	PackSize int64
	// User names who makes versions; the default is $TROVE_USER, then the
	// login name.
	User string
	// OpenBucket opens a configured remote's bucket; without it, remotes
	// cannot be used.
	OpenBucket OpenBucketFunc
	// Runs gives push and fetch the repository's runs, so that lineage
	// travels with versions; without it, runs stay local.
	Runs func(*Repo) RunIndex
	// CaseSensitive reports whether the filesystem of a pull's output
	// folder tells apart names that differ only in case. The default
	// looks the folder's name up in the other case (a temp file there
	// for a name without letters); tests stand in for filesystems the
	// machine lacks.
	CaseSensitive func(dir string) bool
	// StatFlush is how many stat cache entries a commit holds before it
	// makes their content durable and writes them; the default is
	// 65,536. Tests set it low.
	StatFlush int
	// ListMemory bounds the bytes of names a commit or verify holds to
	// sort one folder's listing; a folder of more is sorted in runs on
	// disk. The default is fileinfo.DefaultListMemory (8 MiB: some
	// 200,000 names).
	ListMemory int
}

// Repo is an open repository.
type Repo struct {
	// Root is the project folder holding .trove.
	Root string
	// Dir is the .trove folder.
	Dir string
	// Config is the loaded .trove/config.
	Config *Config

	store *objects.Store
	refs  *refs.Refs
	opts  Options

	// downloaded counts bytes read from remotes by this Repo.
	downloaded atomicInt
}

// Downloaded returns the bytes this Repo has read from remotes' packs.
func (r *Repo) Downloaded() int64 { return r.downloaded.Load() }

// InitOptions configure Init.
type InitOptions struct {
	// Project names the project; the default is the folder's base name.
	Project string
	// Entity names the user or team the project belongs to, as in W&B's
	// entity/project/name. Empty: names with any entity resolve here.
	Entity string
}

var projectNameRE = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// Init creates a repository in dir and opens it. It fails with ErrExists if
// dir already has one.
func Init(ctx context.Context, dir string, io InitOptions, opts Options) (*Repo, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	tdir := filepath.Join(abs, DirName)
	if _, err := os.Stat(filepath.Join(tdir, "config")); err == nil {
		return nil, fmt.Errorf("%w: %s already holds a trove repository", ErrExists, abs)
	}
	project := io.Project
	if project == "" {
		project = strings.Trim(projectNameRE.ReplaceAllString(filepath.Base(abs), "-"), "-.")
		if project == "" {
			project = "project"
		}
	}
	if err := validName("project name", project); err != nil {
		return nil, err
	}
	if io.Entity != "" {
		if err := validName("entity name", io.Entity); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(tdir, 0o755); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	// .trove/.gitignore keeps everything but the config out of Git, so the
	// config is shared with the code and the data is not.
	if err := writeFileAtomic(filepath.Join(tdir, ".gitignore"), []byte("# trove: share the config, not the data\n*\n!.gitignore\n!config\n"), 0o644); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	// The config is written last: its presence marks a complete repository.
	cfg := newConfig(project)
	cfg.Entity = io.Entity
	r, err := openAt(ctx, abs, cfg, opts)
	if err != nil {
		return nil, err
	}
	if err := r.Config.save(filepath.Join(tdir, "config")); err != nil {
		r.Close()
		return nil, fmt.Errorf("init: %w", err)
	}
	return r, nil
}

// Find returns the project folder at or above dir that holds a repository.
func Find(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; {
		if _, err := os.Stat(filepath.Join(d, DirName, "config")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("%w: no %s folder in %s or any parent (run 'trove init' in your project folder)", ErrNotRepository, DirName, abs)
		}
		d = parent
	}
}

// Open opens the repository at or above dir.
func Open(ctx context.Context, dir string, opts Options) (*Repo, error) {
	root, err := Find(dir)
	if err != nil {
		return nil, err
	}
	cfg, err := loadConfig(filepath.Join(root, DirName, "config"))
	if err != nil {
		return nil, err
	}
	return openAt(ctx, root, cfg, opts)
}

func openAt(ctx context.Context, root string, cfg *Config, opts Options) (*Repo, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Progress == nil {
		opts.Progress = NoProgress{}
	}
	if opts.Workers <= 0 {
		// More workers than cores: reading many small files waits on
		// syscalls, and extra workers overlap those waits.
		opts.Workers = 4 * runtime.GOMAXPROCS(0)
	}
	if opts.User == "" {
		opts.User = currentUser()
	}
	tdir := filepath.Join(root, DirName)
	st, err := objects.Open(ctx, objects.Options{
		Dir:         tdir,
		PackSize:    opts.PackSize,
		LockTimeout: opts.LockTimeout,
		Compression: true,
	})
	if err != nil {
		return nil, err
	}
	r := &Repo{Root: root, Dir: tdir, Config: cfg, store: st, opts: opts}
	r.refs = refs.New(metaKV{st: st, ns: nsRefs})
	return r, nil
}

// Close releases the repository.
func (r *Repo) Close() error { return r.store.Close() }

// Store returns the object store (for fsck and tests).
func (r *Repo) Store() *objects.Store { return r.store }

// Refs returns the refs.
func (r *Repo) Refs() *refs.Refs { return r.refs }

func currentUser() string {
	if u := os.Getenv("TROVE_USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	return h
}
