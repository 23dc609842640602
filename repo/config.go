package repo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"

	"github.com/trove-ml/trove/checkout"
	"github.com/trove-ml/trove/internal/atomicfile"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/retention"
)

// ConfigFormat is the format of .trove/config that this version writes;
// it reads MinConfigFormat..ConfigFormat.
const (
	MinConfigFormat = 1
	ConfigFormat    = 1
)

// ErrConfig means .trove/config is unreadable or invalid.
var ErrConfig = errors.New("repo: bad config")

// Config is the repository's .trove/config: settings meant to be committed
// with the code, so that every clone shares them. It never holds
// credentials.
type Config struct {
	Format int `json:"format"`
	// Project and Entity qualify artifact names; short names resolve
	// against them.
	Project string `json:"project"`
	Entity  string `json:"entity,omitempty"`
	// Chunker is fixed when the repository is created (see
	// docs/ARCHITECTURE.md, "Chunking").
	Chunker ChunkerConfig `json:"chunker"`
	// Remotes maps a remote's name to where it is.
	Remotes map[string]RemoteConfig `json:"remotes,omitempty"`
	// Defaults hold project-wide defaults.
	Defaults Defaults `json:"defaults"`
	// Retention holds TTL admins and retention policies (package
	// retention); absent when none are set.
	Retention *retention.Config `json:"retention,omitempty"`
}

// ChunkerConfig records the content-defined chunking parameters, fixed by
// init: repositories made before objects.ChunkerGear64NC0 became the
// default keep objects.ChunkerGear64NC1 or, older still,
// objects.ChunkerGear64.
type ChunkerConfig struct {
	Algorithm string `json:"algorithm"`
	Min       int    `json:"min"`
	Avg       int    `json:"avg"`
	Max       int    `json:"max"`
	Seed      uint64 `json:"seed"`
}

// Params returns the parameters for the objects package.
func (c ChunkerConfig) Params() objects.ChunkerParams {
	return objects.ChunkerParams{Algorithm: c.Algorithm, Min: c.Min, Avg: c.Avg, Max: c.Max, Seed: c.Seed}
}

// RemoteConfig says where a remote is. Credentials come from the
// environment, never from here.
type RemoteConfig struct {
	URL      string `json:"url"`
	Endpoint string `json:"endpoint,omitempty"`
	Region   string `json:"region,omitempty"`
	SSE      string `json:"sse,omitempty"`
	KMSKeyID string `json:"kmsKeyId,omitempty"`
	// Locking is "" when the server honours conditional writes, or
	// "lease" for the lock-object fallback (remote/leaselock) on servers
	// that do not.
	Locking string `json:"locking,omitempty"`
}

// Defaults are project-wide defaults.
type Defaults struct {
	// TTL applies to versions committed with TTL "inherit" (the default).
	TTL string `json:"ttl,omitempty"`
	// Link is how pull places files when not told (checkout.ParseMode);
	// empty means auto. Read it with PullLink.
	Link string `json:"link,omitempty"`
}

// PullLink returns the name of how pull places files when not told: Link,
// or auto when it is empty.
func (d Defaults) PullLink() string {
	if d.Link == "" {
		return checkout.Auto.String()
	}
	return d.Link
}

func newConfig(project string) *Config {
	p := objects.DefaultChunkerParams()
	return &Config{
		Format:   ConfigFormat,
		Project:  project,
		Chunker:  ChunkerConfig{Algorithm: p.Algorithm, Min: p.Min, Avg: p.Avg, Max: p.Max, Seed: p.Seed},
		Defaults: Defaults{TTL: "never"},
	}
}

func loadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	var c Config
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %s: %v (fix the JSON or restore it from Git)", ErrConfig, path, err)
	}
	if c.Format < MinConfigFormat || c.Format > ConfigFormat {
		return nil, fmt.Errorf("%w: %s: format %d (this trove reads %d..%d; upgrade trove)", ErrConfig, path, c.Format, MinConfigFormat, ConfigFormat)
	}
	// Validate names an unknown algorithm and the ones this trove knows;
	// objects reads an empty one as gear64, but every config names it.
	if c.Chunker.Algorithm == "" {
		return nil, fmt.Errorf("%w: %s: the chunker names no algorithm", ErrConfig, path)
	}
	if err := c.Chunker.Params().Validate(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrConfig, path, err)
	}
	return &c, nil
}

// save writes c to path atomically: temp file, fsync, rename, fsync dir.
func (c *Config) save(path string) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'), 0o644)
}

// writeFileAtomic replaces path with data so that readers see the old or
// the new content, never a part.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	return atomicfile.WriteFile(path, data, mode)
}

// AddRemote records a remote in .trove/config.
func (r *Repo) AddRemote(name string, rc RemoteConfig) error {
	if _, ok := r.Config.Remotes[name]; ok {
		return fmt.Errorf("%w: remote %q exists (trove remote rm %s first)", ErrInvalid, name, name)
	}
	c := *r.Config
	c.Remotes = maps.Clone(r.Config.Remotes)
	if c.Remotes == nil {
		c.Remotes = map[string]RemoteConfig{}
	}
	c.Remotes[name] = rc
	if err := c.save(filepath.Join(r.Dir, "config")); err != nil {
		return err
	}
	r.Config = &c
	return nil
}

// RemoveRemote deletes a remote from .trove/config, and what this
// repository remembered of it.
func (r *Repo) RemoveRemote(name string) error {
	if _, ok := r.Config.Remotes[name]; !ok {
		return fmt.Errorf("%w: %q", ErrNoRemote, name)
	}
	c := *r.Config
	c.Remotes = maps.Clone(r.Config.Remotes)
	delete(c.Remotes, name)
	if err := c.save(filepath.Join(r.Dir, "config")); err != nil {
		return err
	}
	r.Config = &c
	return nil
}
