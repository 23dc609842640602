package repo

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/packindex"
)

// ErrNoRemote means no remote is configured, or the named one is not.
var ErrNoRemote = errors.New("repo: no such remote")

// OpenBucketFunc opens the bucket of a configured remote. It is supplied by
// the caller (cmd builds the map from URL scheme to backend), so repo
// depends on no backend.
type OpenBucketFunc func(ctx context.Context, name string, cfg RemoteConfig) (remote.Bucket, error)

// What the repository remembers about each remote lives in the NSRemote
// namespace, keyed by the remote's name:
//
//	"seen/<remote>\x00<index id>"   an index already read
//	"blob/<remote>\x00<blob id>"    where the remote keeps a blob (remoteBlob)
//	"fmap/<remote>\x00<digest>"     a file map the remote has, by file digest
//	"run/<remote>\x00<record id>"   a run record the remote has
//	"log/<remote>\x00<artifact>"    the artifact's log as last seen there
//
// It is a cache of the remote's indexes and refs: losing it costs a re-read,
// never data.
func remoteKey(kind, remoteName string, rest []byte) []byte {
	k := make([]byte, 0, len(kind)+len(remoteName)+2+len(rest))
	k = append(k, kind...)
	k = append(k, '/')
	k = append(k, remoteName...)
	k = append(k, 0)
	return append(k, rest...)
}

// remoteBlob is where a remote keeps one blob.
type remoteBlob struct {
	pack       objects.ID
	offset     int64
	stored     uint32
	raw        uint32
	typ        objects.BlobType
	compressed bool
}

const remoteBlobSize = 32 + 8 + 4 + 4 + 1 + 1

func (b remoteBlob) encode() []byte {
	v := make([]byte, remoteBlobSize)
	copy(v, b.pack[:])
	binary.LittleEndian.PutUint64(v[32:], uint64(b.offset))
	binary.LittleEndian.PutUint32(v[40:], b.stored)
	binary.LittleEndian.PutUint32(v[44:], b.raw)
	v[48] = byte(b.typ)
	if b.compressed {
		v[49] = 1
	}
	return v
}

func decodeRemoteBlob(v []byte) (remoteBlob, error) {
	var b remoteBlob
	if len(v) != remoteBlobSize {
		return b, fmt.Errorf("%w: remote blob entry of %d bytes", objects.ErrCorrupt, len(v))
	}
	copy(b.pack[:], v)
	b.offset = int64(binary.LittleEndian.Uint64(v[32:]))
	b.stored = binary.LittleEndian.Uint32(v[40:])
	b.raw = binary.LittleEndian.Uint32(v[44:])
	b.typ = objects.BlobType(v[48])
	b.compressed = v[49] == 1
	return b, nil
}

// conn is an open remote.
type conn struct {
	name string
	rep  *remote.Repository

	// seen holds what one push or fetch has read of the remote's
	// registries, for the next step to read again: remoteHolds reads
	// every registry, and the registry sync that follows starts from
	// those reads instead of a second list and a second GET each. A copy
	// read earlier in the same command is as good a starting point as
	// one read now: a push writes by compare-and-swap, so a registry
	// changed in between is read afresh, and a fetch takes what it saw.
	seen *registriesSeen
}

// registriesSeen is a listing of a remote's registries and the refs read
// since, each handed out once (conn.registry).
type registriesSeen struct {
	names []string
	refs  map[string]remote.Ref
}

// registry reads the ref of registry name: the copy remoteHolds read if
// there is one not handed out yet, else from the remote.
func (c *conn) registry(ctx context.Context, name string) (remote.Ref, error) {
	if c.seen != nil {
		if ref, ok := c.seen.refs[name]; ok {
			delete(c.seen.refs, name)
			return ref, nil
		}
	}
	return c.rep.GetRef(ctx, registryRefPrefix+name)
}

// RemoteNames lists the configured remotes, sorted.
func (r *Repo) RemoteNames() []string {
	var names []string
	for n := range r.Config.Remotes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// defaultRemote picks the remote to use when none is named: "origin", or
// the only one.
func (r *Repo) defaultRemote(name string) (string, error) {
	if name != "" {
		if _, ok := r.Config.Remotes[name]; !ok {
			configured := "none"
			if names := r.RemoteNames(); len(names) > 0 {
				configured = strings.Join(names, ", ")
			}
			return "", fmt.Errorf("%w: %q (configured: %s; add one with trove remote add NAME URL)", ErrNoRemote, name, configured)
		}
		return name, nil
	}
	if _, ok := r.Config.Remotes["origin"]; ok {
		return "origin", nil
	}
	switch names := r.RemoteNames(); len(names) {
	case 0:
		return "", fmt.Errorf("%w: none configured (add one with trove remote add NAME URL)", ErrNoRemote)
	case 1:
		return names[0], nil
	default:
		return "", fmt.Errorf("%w: several configured (%v); choose one with --remote", ErrNoRemote, names)
	}
}

// open connects to a remote and checks its layout against this repository.
// With create, an empty bucket is initialised.
func (r *Repo) open(ctx context.Context, name string, create bool) (*conn, error) {
	name, err := r.defaultRemote(name)
	if err != nil {
		return nil, err
	}
	if r.opts.OpenBucket == nil {
		return nil, fmt.Errorf("%w: this program cannot open remotes", ErrNoRemote)
	}
	b, err := r.opts.OpenBucket(ctx, name, r.Config.Remotes[name])
	if err != nil {
		return nil, fmt.Errorf("remote %s: %w", name, err)
	}
	c := &conn{name: name, rep: remote.NewRepository(b)}
	chunker, err := json.Marshal(r.Config.Chunker)
	if err != nil {
		return nil, err
	}
	f, err := c.rep.ReadFormat(ctx)
	if errors.Is(err, remote.ErrNotFound) {
		if !create {
			return nil, fmt.Errorf("remote %s (%s) holds no trove data yet: push to it first", name, c.rep.Location())
		}
		f, err = c.rep.InitFormat(ctx, remote.Format{Chunker: chunker})
	}
	if err != nil {
		return nil, fmt.Errorf("remote %s: %w", name, err)
	}
	var theirs ChunkerConfig
	if err := json.Unmarshal(f.Chunker, &theirs); err != nil {
		return nil, fmt.Errorf("%w: remote %s records an unreadable chunker %s: %v", ErrInvalid, name, f.Chunker, err)
	}
	if theirs != r.Config.Chunker {
		if err := r.adoptChunker(ctx, name, theirs); err != nil {
			return nil, fmt.Errorf("%w: remote %s was made with chunker %s; this repository uses %s: %v", ErrInvalid, name, f.Chunker, chunker, err)
		}
	}
	return c, nil
}

// errHasVersions stops a scan at the first artifact.
var errHasVersions = errors.New("repo: the repository holds versions")

// adoptChunker makes this repository chunk as remote name does when it
// holds no versions yet, and saves that in its config. A repository made by
// trove init, before its first commit, so joins a remote made with other
// chunking parameters (one made before the default changed, say) and
// deduplicates against it. One with versions keeps its own and is refused:
// a remote shared between chunkings would stay correct (ids name bytes, not
// cut points) but would store equal content twice, and a remote GC keeps
// one file map per file.
func (r *Repo) adoptChunker(ctx context.Context, name string, theirs ChunkerConfig) error {
	if theirs.Algorithm == "" {
		return errors.New("it names no chunker algorithm")
	}
	if err := theirs.Params().Validate(); err != nil {
		return fmt.Errorf("this trove cannot chunk that way (%v); upgrade trove", err)
	}
	err := r.refs.Artifacts(ctx, func(string, *refs.Log) error { return errHasVersions })
	if errors.Is(err, errHasVersions) {
		return errors.New("this repository holds versions already, so it keeps its chunking (commit into a fresh repository to share through this remote)")
	}
	if err != nil {
		return err
	}
	c := *r.Config
	c.Chunker = theirs
	if err := c.save(filepath.Join(r.Dir, "config")); err != nil {
		return err
	}
	r.Config = &c
	return nil
}

// refreshIndex reads the remote's indexes not seen before into the local
// cache of where the remote keeps each blob.
func (r *Repo) refreshIndex(ctx context.Context, c *conn) error {
	var fresh, all []objects.ID
	err := c.rep.Indexes(ctx, func(id objects.ID) error {
		all = append(all, id)
		if _, err := r.store.GetMeta(NSRemote, remoteKey("seen", c.name, id[:])); errors.Is(err, objects.ErrNotFound) {
			fresh = append(fresh, id)
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remote %s: list indexes: %w", c.name, err)
	}
	// A GC on the remote replaces indexes: if one remembered here is gone,
	// what it said may name packs since deleted, so everything is
	// forgotten and every index read again (remotegc.go).
	if gone, err := r.forgetVanishedIndexes(ctx, c.name, all); err != nil {
		return err
	} else if gone {
		fresh = all
	}
	for _, id := range fresh {
		ix, err := c.rep.ReadIndex(ctx, id)
		if errors.Is(err, remote.ErrNotFound) {
			continue // deleted by a GC since it was listed
		}
		if err != nil {
			return fmt.Errorf("remote %s: %w", c.name, err)
		}
		if err := r.learnIndex(c, id, ix); err != nil {
			return err
		}
	}
	return nil
}

// learnIndex records what an index says the remote holds.
func (r *Repo) learnIndex(c *conn, id objects.ID, ix *packindex.Index) error {
	mb := r.store.NewMetaBatch()
	defer mb.Close()
	for _, p := range ix.Packs {
		for _, e := range p.Blobs {
			rb := remoteBlob{pack: p.ID, offset: e.Offset, stored: e.StoredLen, raw: e.RawLen, typ: objects.BlobType(e.Type), compressed: e.Compression != 0}
			if err := mb.Set(NSRemote, remoteKey("blob", c.name, e.ID[:]), rb.encode()); err != nil {
				return err
			}
			if rb.typ == objects.TypeRun {
				// Runs are listed apart, so fetch finds them without
				// scanning every blob.
				if err := mb.Set(NSRemote, remoteKey("run", c.name, e.ID[:]), nil); err != nil {
					return err
				}
			}
		}
	}
	for _, f := range ix.FileMaps {
		if err := mb.Set(NSRemote, remoteKey("fmap", c.name, f.Digest[:]), f.Map[:]); err != nil {
			return err
		}
	}
	if err := mb.Set(NSRemote, remoteKey("seen", c.name, id[:]), nil); err != nil {
		return err
	}
	return mb.Commit(false)
}

// remoteHas reports where the remote keeps blob id, if it does.
func (r *Repo) remoteHas(c *conn, id objects.ID) (remoteBlob, bool, error) {
	v, err := r.store.GetMeta(NSRemote, remoteKey("blob", c.name, id[:]))
	if errors.Is(err, objects.ErrNotFound) {
		return remoteBlob{}, false, nil
	}
	if err != nil {
		return remoteBlob{}, false, err
	}
	b, err := decodeRemoteBlob(v)
	return b, err == nil, err
}

// remoteFileMap returns the file map the remote has for a file digest.
func (r *Repo) remoteFileMap(c *conn, digest objects.ID) (objects.ID, bool, error) {
	v, err := r.store.GetMeta(NSRemote, remoteKey("fmap", c.name, digest[:]))
	if errors.Is(err, objects.ErrNotFound) {
		return objects.ID{}, false, nil
	}
	if err != nil || len(v) != objects.IDSize {
		return objects.ID{}, false, err
	}
	return objects.ID(v), true, nil
}

// trackedLog returns an artifact's log as last seen on the remote.
func (r *Repo) trackedLog(c *conn, name string) (*refs.Log, error) {
	v, err := r.store.GetMeta(NSRemote, remoteKey("log", c.name, []byte(name)))
	if errors.Is(err, objects.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return refs.DecodeLog(v)
}
