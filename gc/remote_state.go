package gc

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/objects/pack"
	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/remote"
	"github.com/trove-ml/trove/remote/packindex"
)

// Keys of the bucket layout (docs/ARCHITECTURE.md, "Remotes") that GC
// lists itself, and the keys GC adds under gc/.
const (
	packsPrefix     = "packs/"
	indexPrefix     = "index/"
	refsPrefix      = "artifacts/"
	registryPrefix  = "registry/"
	condemnedPrefix = "gc/condemned/"
	clockPrefix     = "gc/clock/"
)

// CondemnedFormat is the format of a condemnation record, the object
// gc/condemned/<unix nanoseconds>-<random> that lists packs a GC took out
// of every index. Its modification time (the store's clock) starts their
// grace period. Canonical JSON:
//
//	{"format":1,"packs":["<pack id>",…],
//	 "fileMaps":[["<file digest>","<file map id>"],…],
//	 "by":"ana","made":"2026-03-10T00:00:00Z"}
//
// fileMaps are the file-map entries the same GC left out of the indexes
// it replaced: a pack put back in an index gets them back too, or the
// files they describe could not be read.
const CondemnedFormat = 1

type condemnedJSON struct {
	Format   int         `json:"format"`
	Packs    []string    `json:"packs"`
	FileMaps [][2]string `json:"fileMaps,omitempty"`
	By       string      `json:"by,omitempty"`
	Made     string      `json:"made,omitempty"`
}

// maxCondemnedSize bounds a condemnation record GC reads: 64 hex digits
// and quotes per pack, a million packs at most.
const maxCondemnedSize = 72 << 20

func encodeCondemned(packs []objects.ID, fmaps []packindex.FileMap, by string, made time.Time) ([]byte, error) {
	c := condemnedJSON{Format: CondemnedFormat, By: by, Made: made.UTC().Format(time.RFC3339)}
	for _, p := range packs {
		c.Packs = append(c.Packs, p.String())
	}
	sort.Strings(c.Packs)
	for _, f := range fmaps {
		c.FileMaps = append(c.FileMaps, [2]string{f.Digest.String(), f.Map.String()})
	}
	sort.Slice(c.FileMaps, func(i, j int) bool { return c.FileMaps[i][0] < c.FileMaps[j][0] })
	return json.Marshal(&c)
}

func decodeCondemned(b []byte) ([]objects.ID, []packindex.FileMap, error) {
	var c condemnedJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, nil, fmt.Errorf("%w: condemnation record: %v", objects.ErrCorrupt, err)
	}
	if c.Format != CondemnedFormat {
		return nil, nil, fmt.Errorf("%w: condemnation record format %d (reads %d)", objects.ErrCorrupt, c.Format, CondemnedFormat)
	}
	out := make([]objects.ID, 0, len(c.Packs))
	for _, s := range c.Packs {
		id, err := objects.ParseID(s)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: condemnation record: %v", objects.ErrCorrupt, err)
		}
		out = append(out, id)
	}
	var fmaps []packindex.FileMap
	for _, f := range c.FileMaps {
		d, err1 := objects.ParseID(f[0])
		m, err2 := objects.ParseID(f[1])
		if err := errors.Join(err1, err2); err != nil {
			return nil, nil, fmt.Errorf("%w: condemnation record: %v", objects.ErrCorrupt, err)
		}
		fmaps = append(fmaps, packindex.FileMap{Digest: d, Map: m})
	}
	return out, fmaps, nil
}

// blobLoc is where a remote index says a blob is. About 130 bytes per
// remote blob with the map holding it.
type blobLoc struct {
	pack objects.ID
	e    pack.Entry
}

type indexObj struct {
	info remote.ObjectInfo
	ix   *packindex.Index
}

type condemnedObj struct {
	key   string
	info  remote.ObjectInfo
	packs []objects.ID
}

type remoteLog struct {
	etag string
	log  *refs.Log
}

// remoteState is one reading of a remote: what is stored, what the
// indexes say, the refs, and the store's clock.
type remoteState struct {
	now       time.Time // by the store's clock
	packs     map[objects.ID]remote.ObjectInfo
	indexes   map[objects.ID]*indexObj
	condemned []*condemnedObj
	refs      refsView // every ref, by name
	logs      map[string]*remoteLog
	where     map[objects.ID][]blobLoc
	fmaps     map[objects.ID]objects.ID
	indexedBy map[objects.ID][]objects.ID // pack → indexes naming it
	// tables holds the tables of condemned packs still in the bucket and
	// named by no index, read from the packs themselves, and spare where
	// their blobs are: marking reads them too, so that a ref that reached
	// such a blob after it was condemned keeps it (and the pack is put
	// back in an index) rather than losing it.
	tables     map[objects.ID][]pack.Entry
	spare      map[objects.ID][]blobLoc
	spareFmaps map[objects.ID]objects.ID // file-map entries left out of indexes, from the records
}

// storeClock returns the store's idea of now: GC writes a tiny object and
// reads its modification time back, so that ages of packs (by the store's
// clock) are compared with a now on the same clock, whatever the skew of
// this machine's. A store that reports no time leaves the local now.
func storeClock(ctx context.Context, b remote.Bucket, local time.Time, rnd io.Reader) (time.Time, error) {
	var r [8]byte
	if _, err := io.ReadFull(rnd, r[:]); err != nil {
		return time.Time{}, err
	}
	key := clockPrefix + hex.EncodeToString(r[:])
	if _, err := b.Put(ctx, key, bytes.NewReader(nil), 0, remote.PutOptions{IfAbsent: true}); err != nil {
		return time.Time{}, fmt.Errorf("gc: read the store's clock: %w", err)
	}
	oi, err := b.Stat(ctx, key)
	_ = b.Delete(ctx, key, "") // a leftover probe is harmless; the next GC lists and removes it
	if err != nil {
		return time.Time{}, fmt.Errorf("gc: read the store's clock: %w", err)
	}
	if oi.ModTime.IsZero() {
		return local, nil
	}
	return oi.ModTime, nil
}

// readRemote reads everything GC decides on. Refs are read last, so that a
// ref never reaches a blob of an index pushed after the indexes were read
// and not seen (push writes indexes before refs).
func readRemote(ctx context.Context, rep *remote.Repository, localNow time.Time, rnd io.Reader) (*remoteState, error) {
	b := rep.Bucket()
	s := &remoteState{
		packs: map[objects.ID]remote.ObjectInfo{}, indexes: map[objects.ID]*indexObj{},
		refs: refsView{}, logs: map[string]*remoteLog{}, where: map[objects.ID][]blobLoc{},
		fmaps: map[objects.ID]objects.ID{}, indexedBy: map[objects.ID][]objects.ID{},
		tables: map[objects.ID][]pack.Entry{}, spare: map[objects.ID][]blobLoc{}, spareFmaps: map[objects.ID]objects.ID{},
	}
	var err error
	if s.now, err = storeClock(ctx, b, localNow, rnd); err != nil {
		return nil, err
	}
	err = b.List(ctx, clockPrefix, func(oi remote.ObjectInfo) error {
		if s.now.Sub(oi.ModTime) > time.Hour { // probes of GCs that died
			return b.Delete(ctx, oi.Key, oi.ETag)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("gc: list %s: %w", clockPrefix, err)
	}
	err = b.List(ctx, packsPrefix, func(oi remote.ObjectInfo) error {
		name := oi.Key[strings.LastIndexByte(oi.Key, '/')+1:]
		if id, err := objects.ParseID(name); err == nil && oi.Key == remote.PackKey(id) {
			s.packs[id] = oi
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("gc: list packs: %w", err)
	}
	var infos []remote.ObjectInfo
	err = b.List(ctx, indexPrefix, func(oi remote.ObjectInfo) error {
		infos = append(infos, oi)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("gc: list indexes: %w", err)
	}
	for _, oi := range infos {
		id, err := objects.ParseID(strings.TrimPrefix(oi.Key, indexPrefix))
		if err != nil {
			continue // not ours
		}
		ix, err := rep.ReadIndex(ctx, id)
		if errors.Is(err, remote.ErrNotFound) {
			continue // deleted meanwhile, by another GC
		}
		if err != nil {
			return nil, fmt.Errorf("gc: %w", err)
		}
		s.addIndex(id, oi, ix)
	}
	err = b.List(ctx, condemnedPrefix, func(oi remote.ObjectInfo) error {
		if oi.Size > maxCondemnedSize {
			return fmt.Errorf("%w: %s: %d bytes", objects.ErrCorrupt, oi.Key, oi.Size)
		}
		rc, err := b.Get(ctx, oi.Key, 0, -1)
		if errors.Is(err, remote.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return err
		}
		packs, fmaps, err := decodeCondemned(body)
		if err != nil {
			return fmt.Errorf("%s: %w", oi.Key, err)
		}
		for _, f := range fmaps {
			s.spareFmaps[f.Digest] = f.Map
		}
		s.condemned = append(s.condemned, &condemnedObj{key: oi.Key, info: oi, packs: packs})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("gc: list %s: %w", condemnedPrefix, err)
	}
	for _, c := range s.condemned {
		for _, id := range c.packs {
			oi, exists := s.packs[id]
			if _, done := s.tables[id]; done || !exists || len(s.indexedBy[id]) > 0 {
				continue
			}
			entries, err := pack.ReadTable(packReader{ctx, rep, id}, oi.Size)
			if errors.Is(err, remote.ErrNotFound) {
				delete(s.packs, id) // deleted meanwhile
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("gc: condemned pack %s: %w", id.Short(), err)
			}
			s.tables[id] = entries
			for _, e := range entries {
				s.spare[e.ID] = append(s.spare[e.ID], blobLoc{pack: id, e: e})
			}
		}
	}
	if err := s.readRefs(ctx, rep); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *remoteState) addIndex(id objects.ID, oi remote.ObjectInfo, ix *packindex.Index) {
	s.indexes[id] = &indexObj{info: oi, ix: ix}
	for _, p := range ix.Packs {
		s.indexedBy[p.ID] = append(s.indexedBy[p.ID], id)
		for _, e := range p.Blobs {
			s.where[e.ID] = append(s.where[e.ID], blobLoc{pack: p.ID, e: e})
		}
	}
	for _, f := range ix.FileMaps {
		s.fmaps[f.Digest] = f.Map
	}
}

// learnNewIndexes reads the indexes written since s was read, and forgets
// where the packs in gone held blobs.
func (s *remoteState) learnNewIndexes(ctx context.Context, rep *remote.Repository, gone map[objects.ID]bool) error {
	var fresh []objects.ID
	err := rep.Indexes(ctx, func(id objects.ID) error {
		if _, ok := s.indexes[id]; !ok {
			fresh = append(fresh, id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("gc: list indexes: %w", err)
	}
	for _, id := range fresh {
		ix, err := rep.ReadIndex(ctx, id)
		if errors.Is(err, remote.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("gc: %w", err)
		}
		s.addIndex(id, remote.ObjectInfo{Key: indexPrefix + id.String()}, ix)
	}
	if len(gone) == 0 {
		return nil
	}
	for id, locs := range s.where {
		kept := locs[:0]
		for _, l := range locs {
			if !gone[l.pack] {
				kept = append(kept, l)
			}
		}
		s.where[id] = kept
	}
	for id, locs := range s.spare {
		kept := locs[:0]
		for _, l := range locs {
			if !gone[l.pack] {
				kept = append(kept, l)
			}
		}
		s.spare[id] = kept
	}
	return nil
}

// readRefs reads every artifact log and registry.
func (s *remoteState) readRefs(ctx context.Context, rep *remote.Repository) error {
	s.refs, s.logs = refsView{}, map[string]*remoteLog{}
	for _, prefix := range []string{refsPrefix, registryPrefix} {
		var names []string
		err := rep.Refs(ctx, prefix, func(name string) error {
			names = append(names, name)
			return nil
		})
		if err != nil {
			return fmt.Errorf("gc: list refs: %w", err)
		}
		for _, name := range names {
			ref, err := rep.GetRef(ctx, name)
			if err != nil {
				return fmt.Errorf("gc: %w", err)
			}
			if ref.Body == nil {
				continue // deleted meanwhile
			}
			s.refs[name] = ref.Body
			if prefix == refsPrefix {
				l, err := refs.DecodeLog(ref.Body)
				if err != nil {
					return fmt.Errorf("gc: remote ref %s: %w", name, err)
				}
				s.logs[strings.TrimPrefix(name, refsPrefix)] = &remoteLog{etag: ref.ETag, log: l}
			}
		}
	}
	return nil
}

// refsView is a read-only refs.KV over refs read from a remote, for
// package registry's readers.
type refsView map[string][]byte

var errReadOnly = errors.New("gc: remote refs are read-only here")

func (v refsView) Get(key []byte) ([]byte, bool, error) {
	b, ok := v[string(key)]
	return b, ok, nil
}

func (v refsView) Scan(ctx context.Context, prefix []byte, fn func(k, v []byte) error) error {
	var names []string
	for k := range v {
		if strings.HasPrefix(k, string(prefix)) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn([]byte(k), v[k]); err != nil {
			return err
		}
	}
	return nil
}

func (v refsView) Update(context.Context, func(refs.Txn) error) error { return errReadOnly }

// logsView lists the remote's artifact logs for FindRoots.
type logsView map[string]*remoteLog

func (v logsView) Artifacts(ctx context.Context, fn func(name string, l *refs.Log) error) error {
	for _, name := range sortedKeys(v) {
		if err := fn(name, v[name].log); err != nil {
			return err
		}
	}
	return nil
}

// remoteSource reads blobs for marking: from the local store when it has
// them, else from the remote's packs where its indexes say, verified.
type remoteSource struct {
	local LocalReader
	rep   *remote.Repository
	st    *remoteState
}

// LocalReader is what a remote GC reads of the local store: blobs it has
// (to spare remote reads), file maps, and the decoder that verifies blobs
// read from the remote. *objects.Store satisfies it.
type LocalReader interface {
	Get(ctx context.Context, id objects.ID, buf []byte) ([]byte, objects.BlobType, error)
	Has(id objects.ID) (bool, error)
	FileMap(digest objects.ID) (objects.ID, bool, error)
	Decode(st objects.Stored) ([]byte, error)
}

var _ LocalReader = (*objects.Store)(nil)

func (s remoteSource) GetBlob(ctx context.Context, id objects.ID) ([]byte, error) {
	b, _, err := s.local.Get(ctx, id, nil)
	if err == nil || !isNotFound(err) {
		return b, err
	}
	locs := append(s.st.where[id], s.st.spare[id]...)
	if len(locs) == 0 {
		return nil, fmt.Errorf("gc: blob %s: %w", id.Short(), objects.ErrNotFound)
	}
	var lastErr error
	for _, l := range locs {
		b, err := s.rep.ReadPack(ctx, l.pack, l.e.Offset, int64(l.e.StoredLen))
		if err != nil {
			lastErr = err
			continue
		}
		raw, err := s.local.Decode(objects.Stored{ID: id, Type: objects.BlobType(l.e.Type),
			Compressed: l.e.Compression == pack.CompressionZstd, RawLen: int(l.e.RawLen), Bytes: b})
		if err != nil {
			return nil, fmt.Errorf("remote pack %s: %w", l.pack.Short(), err)
		}
		return raw, nil
	}
	return nil, lastErr
}

func (s remoteSource) Has(_ context.Context, id objects.ID) (bool, error) {
	if len(s.st.where[id]) > 0 || len(s.st.spare[id]) > 0 {
		return true, nil
	}
	return s.local.Has(id)
}

func (s remoteSource) FileMap(_ context.Context, d objects.ID) (objects.ID, bool, error) {
	if m, ok := s.st.fmaps[d]; ok {
		return m, true, nil
	}
	if m, ok := s.st.spareFmaps[d]; ok {
		return m, true, nil
	}
	return s.local.FileMap(d)
}

// packReader reads a remote pack by ranges, for pack.ReadTable.
type packReader struct {
	ctx context.Context
	rep *remote.Repository
	id  objects.ID
}

func (r packReader) ReadAt(p []byte, off int64) (int, error) {
	// ReadPackInto fills p whole or fails (a short read included).
	if err := r.rep.ReadPackInto(r.ctx, r.id, off, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func randomSuffix(rnd io.Reader) (string, error) {
	var r [8]byte
	if _, err := io.ReadFull(rnd, r[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(r[:]), nil
}

func defaultRand(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}
