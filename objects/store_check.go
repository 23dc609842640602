package objects

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/trove-ml/trove/objects/pack"
	"github.com/zeebo/blake3"
)

// A Problem is one thing Check found wrong.
type Problem struct {
	ID   ID     // the object concerned; zero when the problem is a whole file
	Path string // the pack file concerned, "inline" for blobs in the database, or "index"
	Err  error  // what is wrong; wraps ErrCorrupt when bytes are damaged or inconsistent
}

func (p Problem) String() string {
	if p.ID.IsZero() {
		return fmt.Sprintf("%s: %v", p.Path, p.Err)
	}
	return fmt.Sprintf("%s %s: %v", p.Path, p.ID, p.Err)
}

// CheckReport is what Check found.
type CheckReport struct {
	Packs    int       // pack files read
	Bytes    int64     // bytes of pack files read
	Blobs    int64     // packed blobs verified
	Inline   int64     // inline blobs verified
	FileMaps int64     // file-map keys checked
	Problems []Problem // damage and inconsistencies; each is an error
	Warnings []Problem // harmless leftovers, such as stray packs after a crash
}

// OK reports whether Check found no problems (warnings allowed).
func (r *CheckReport) OK() bool { return len(r.Problems) == 0 }

// packFile is a file found under Dir/packs.
type packFile struct {
	id      ID
	path    string
	size    int64
	modTime time.Time
}

// listPacks returns the pack files under Dir/packs in id order. Files that
// are not named like packs go to odd.
func (s *Store) listPacks() (packs []packFile, odd []string, err error) {
	dirs, err := os.ReadDir(s.packDir)
	if err != nil {
		return nil, nil, fmt.Errorf("objects: list packs: %w", err)
	}
	for _, d := range dirs {
		dpath := filepath.Join(s.packDir, d.Name())
		if !d.IsDir() {
			odd = append(odd, dpath)
			continue
		}
		files, err := os.ReadDir(dpath)
		if err != nil {
			return nil, nil, fmt.Errorf("objects: list packs: %w", err)
		}
		for _, f := range files {
			path := filepath.Join(dpath, f.Name())
			id, err := ParseID(f.Name())
			if err != nil || f.IsDir() || f.Name()[:2] != d.Name() {
				odd = append(odd, path)
				continue
			}
			fi, err := f.Info()
			if err != nil {
				return nil, nil, fmt.Errorf("objects: list packs: %w", err)
			}
			packs = append(packs, packFile{id: id, path: path, size: fi.Size(), modTime: fi.ModTime()})
		}
	}
	slices.SortFunc(packs, func(a, b packFile) int { return slices.Compare(a.id[:], b.id[:]) })
	return packs, odd, nil
}

// Check verifies the whole store and reports every problem it finds rather
// than stopping at the first: each pack file's name against the BLAKE3 of
// its table (of its whole file for format 1 packs), its header, table and
// footer, every blob against its id; that
// every index entry names an existing pack and a blob there with the same
// id, offset, lengths, type and compression; the pack records; every inline
// blob against its id; and that every file-map key names a blob the store
// has. Packs that nothing indexes (left by a crash between writing a pack
// and indexing it) are warnings. progress, if not nil, is called on the
// caller's goroutine with the pack bytes read so far and in all.
//
// Check returns an error only when it cannot go on (ctx ended, the store
// closed, a directory unreadable); what it finds is in the report. Check
// reads every byte of every pack and should not run beside a Writer.
func (s *Store) Check(ctx context.Context, progress func(done, total int64)) (*CheckReport, error) {
	if progress == nil {
		progress = func(int64, int64) {}
	}
	r := &CheckReport{}
	packs, odd, err := s.listPacks()
	if err != nil {
		return nil, err
	}
	for _, path := range odd {
		r.Warnings = append(r.Warnings, Problem{Path: path, Err: errors.New("not a pack file (unexpected name)")})
	}
	var total int64
	onDisk := make(map[ID]*packState, len(packs))
	for _, p := range packs {
		total += p.size
		onDisk[p.id] = &packState{file: p}
	}
	progress(0, total)

	// 1. Every pack file, read once from front to back.
	for _, p := range packs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := s.checkPack(r, onDisk[p.id]); err != nil {
			return nil, err
		}
		r.Packs++
		r.Bytes += p.size
		progress(r.Bytes, total)
	}

	// 2. Every index entry against the packs.
	if err := s.checkIndex(ctx, r, onDisk); err != nil {
		return nil, err
	}

	// 3. Pack records against pack files; stray packs.
	recorded := make(map[ID]bool)
	err = s.scan(ctx, []byte{nsPack}, func(k, v []byte) error {
		id, _ := keyID(k)
		info, err := decodePackInfo(id, v)
		if err != nil {
			r.Problems = append(r.Problems, Problem{ID: id, Path: "index", Err: fmt.Errorf("pack record: %w", err)})
			return nil
		}
		recorded[id] = true
		st, ok := onDisk[id]
		switch {
		case !ok:
			r.Problems = append(r.Problems, Problem{ID: id, Path: s.PackPath(id),
				Err: fmt.Errorf("%w: the index records this pack but the file is missing", ErrCorrupt)})
		case st.file.size != info.Size || (st.entries != nil && len(st.entries) != info.Count):
			r.Problems = append(r.Problems, Problem{ID: id, Path: st.file.path,
				Err: fmt.Errorf("%w: pack record says %d bytes and %d blobs, the file has %d bytes and %d blobs",
					ErrCorrupt, info.Size, info.Count, st.file.size, len(st.entries))})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("objects: check pack records: %w", err)
	}
	for _, p := range packs {
		st := onDisk[p.id]
		if !recorded[p.id] && st.indexed == 0 {
			r.Warnings = append(r.Warnings, Problem{ID: p.id, Path: p.path,
				Err: errors.New("stray pack: nothing indexes it (left by an interrupted commit; GC removes it, RebuildIndex adopts it)")})
		} else if !recorded[p.id] {
			r.Problems = append(r.Problems, Problem{ID: p.id, Path: p.path,
				Err: fmt.Errorf("%w: %d index entries name this pack but it has no pack record", ErrCorrupt, st.indexed)})
		}
	}

	// 4. Inline blobs and file maps.
	if err := s.checkInline(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// packState is what Check learned about one pack file.
type packState struct {
	file    packFile
	entries []pack.Entry // nil if the table was unreadable
	// matched counts blobs whose index entry names this pack at their own
	// offset; indexed counts index entries naming this pack. They differ
	// when some index entry points at a place in the pack that holds no
	// such blob.
	matched, indexed int
}

// checkPack reads one pack file, verifying its name, table and blobs, and
// matches its blobs with the index.
func (s *Store) checkPack(r *CheckReport, st *packState) error {
	p := st.file
	problem := func(id ID, err error) {
		r.Problems = append(r.Problems, Problem{ID: id, Path: p.path, Err: err})
	}
	f, err := os.Open(p.path)
	if err != nil {
		problem(ID{}, fmt.Errorf("open: %w", err))
		return nil
	}
	defer f.Close()
	tab, err := pack.Read(f, p.size)
	if err != nil {
		problem(ID{}, packError(err))
		return nil
	}
	entries := tab.Entries
	st.entries = entries
	if tab.NamedBySum() && ID(tab.Sum) != p.id {
		// The table names every blob, whose bytes are checked below: with
		// the name, every byte of the file is accounted for.
		problem(ID{}, fmt.Errorf("%w: table hashes to %s, not its name", ErrCorrupt, ID(tab.Sum)))
	}

	// A format 1 pack is named by the hash of all its bytes.
	var h *blake3.Hasher
	var in io.Reader = io.NewSectionReader(f, 0, p.size)
	if !tab.NamedBySum() {
		h = blake3.New()
		in = io.TeeReader(in, h)
	}
	br := bufio.NewReaderSize(in, 1<<20)
	if _, err := br.Discard(pack.HeaderSize); err != nil {
		problem(ID{}, fmt.Errorf("read: %w", err))
		return nil
	}
	var stored, raw []byte
	for _, e := range entries {
		id := ID(e.ID)
		if e.StoredLen > MaxChunkSize || e.RawLen > MaxChunkSize {
			// No blob trove writes is this large: do not allocate for it.
			problem(id, fmt.Errorf("%w: blob of %d/%d bytes, above the limit of %d", ErrCorrupt, e.StoredLen, e.RawLen, MaxChunkSize))
			if _, err := io.CopyN(io.Discard, br, int64(e.StoredLen)); err != nil {
				problem(ID{}, fmt.Errorf("read: %w", err))
				return nil
			}
			continue
		}
		stored = slices.Grow(stored[:0], int(e.StoredLen))[:e.StoredLen]
		if _, err := io.ReadFull(br, stored); err != nil {
			problem(id, fmt.Errorf("read: %w", err))
			return nil
		}
		r.Blobs++
		raw, err = s.decodeBlob(e.Compression, stored, e.RawLen, raw)
		if err != nil {
			problem(id, fmt.Errorf("%w: %v", ErrCorrupt, err))
		} else if got := Sum(raw); got != id {
			problem(id, fmt.Errorf("%w: bytes at offset %d hash to %s", ErrCorrupt, e.Offset, got))
		}
		if !BlobType(e.Type).Valid() {
			problem(id, fmt.Errorf("%w: unknown blob type %d", ErrCorrupt, e.Type))
		}
		ie, ok, err := s.lookup(id)
		if err != nil {
			if errors.Is(err, ErrCorrupt) {
				problem(id, err)
				continue
			}
			return err
		}
		if !ok || ie.Pack != p.id || ie.Offset != e.Offset {
			// Not indexed here: a duplicate indexed elsewhere, or a
			// blob GC dropped from the index; harmless.
			continue
		}
		if ie.Type != BlobType(e.Type) || ie.Compression != e.Compression || ie.StoredLen != e.StoredLen || ie.RawLen != e.RawLen {
			problem(id, fmt.Errorf("%w: index entry (type %d, compression %d, %d/%d bytes) disagrees with the pack table (type %d, compression %d, %d/%d bytes)",
				ErrCorrupt, ie.Type, ie.Compression, ie.StoredLen, ie.RawLen, e.Type, e.Compression, e.StoredLen, e.RawLen))
			continue
		}
		st.matched++
	}
	if h == nil {
		return nil
	}
	if _, err := io.Copy(io.Discard, br); err != nil { // the table and footer, for the hash
		problem(ID{}, fmt.Errorf("read: %w", err))
		return nil
	}
	var sum ID
	h.Sum(sum[:0])
	if sum != p.id {
		problem(ID{}, fmt.Errorf("%w: file hashes to %s, not its name", ErrCorrupt, sum))
	}
	return nil
}

// checkIndex checks that every index entry names a pack file and, within
// it, a blob with the same id at the same offset.
func (s *Store) checkIndex(ctx context.Context, r *CheckReport, onDisk map[ID]*packState) error {
	visit := func(fn func(id ID, e indexEntry)) error {
		return s.scan(ctx, []byte{nsIndex}, func(k, v []byte) error {
			id, ok := keyID(k)
			if !ok {
				r.Problems = append(r.Problems, Problem{Path: "index", Err: fmt.Errorf("%w: index key %x", ErrCorrupt, k)})
				return nil
			}
			e, err := decodeIndexEntry(v)
			if err != nil {
				r.Problems = append(r.Problems, Problem{ID: id, Path: "index", Err: err})
				return nil
			}
			fn(id, e)
			return nil
		})
	}
	err := visit(func(id ID, e indexEntry) {
		st, ok := onDisk[e.Pack]
		if !ok {
			r.Problems = append(r.Problems, Problem{ID: id, Path: s.PackPath(e.Pack),
				Err: fmt.Errorf("%w: the index names this pack, which is missing", ErrCorrupt)})
			return
		}
		st.indexed++
	})
	if err != nil {
		return fmt.Errorf("objects: check index: %w", err)
	}
	// Packs where some index entries matched no blob: find which.
	bad := make(map[ID]map[int64]pack.Entry)
	for id, st := range onDisk {
		if st.indexed != st.matched && st.entries != nil {
			at := make(map[int64]pack.Entry, len(st.entries))
			for _, e := range st.entries {
				at[e.Offset] = e
			}
			bad[id] = at
		}
	}
	if len(bad) == 0 {
		return nil
	}
	err = visit(func(id ID, e indexEntry) {
		at, ok := bad[e.Pack]
		if !ok {
			return
		}
		if pe, ok := at[e.Offset]; !ok || ID(pe.ID) != id {
			r.Problems = append(r.Problems, Problem{ID: id, Path: s.PackPath(e.Pack),
				Err: fmt.Errorf("%w: the index points at offset %d, where the pack holds no such blob", ErrCorrupt, e.Offset)})
		}
	})
	if err != nil {
		return fmt.Errorf("objects: check index: %w", err)
	}
	return nil
}

// checkInline verifies inline blobs and file-map keys.
func (s *Store) checkInline(ctx context.Context, r *CheckReport) error {
	err := s.scan(ctx, []byte{nsBlob}, func(k, v []byte) error {
		id, ok := keyID(k)
		if !ok {
			r.Problems = append(r.Problems, Problem{Path: "inline", Err: fmt.Errorf("%w: blob key %x", ErrCorrupt, k)})
			return nil
		}
		r.Inline++
		t, data, err := decodeInline(v)
		if err != nil {
			r.Problems = append(r.Problems, Problem{ID: id, Path: "inline", Err: err})
		} else if got := Sum(data); got != id {
			r.Problems = append(r.Problems, Problem{ID: id, Path: "inline", Err: fmt.Errorf("%w: %s bytes hash to %s", ErrCorrupt, t, got)})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("objects: check inline blobs: %w", err)
	}
	// Collect first: Has inside a scan would nest Pebble reads under mu.
	type fm struct{ digest, mapID ID }
	var maps []fm
	err = s.scan(ctx, []byte{nsFileMap}, func(k, v []byte) error {
		digest, ok := keyID(k)
		if !ok {
			r.Problems = append(r.Problems, Problem{Path: "index", Err: fmt.Errorf("%w: file map key %x", ErrCorrupt, k)})
			return nil
		}
		r.FileMaps++
		mapID, err := decodeFileMap(v)
		if err != nil {
			r.Problems = append(r.Problems, Problem{ID: digest, Path: "index", Err: err})
			return nil
		}
		maps = append(maps, fm{digest, mapID})
		return nil
	})
	if err != nil {
		return fmt.Errorf("objects: check file maps: %w", err)
	}
	for _, m := range maps {
		ok, err := s.Has(m.mapID)
		if err != nil {
			return err
		}
		if !ok {
			r.Problems = append(r.Problems, Problem{ID: m.digest, Path: "index",
				Err: fmt.Errorf("%w: the file's map %s is missing", ErrCorrupt, m.mapID)})
		}
	}
	return nil
}

// decodeBlob returns the raw bytes of a stored blob, appended to dst[:0].
func (s *Store) decodeBlob(comp uint8, stored []byte, rawLen uint32, dst []byte) ([]byte, error) {
	switch comp {
	case compressionNone:
		return append(dst[:0], stored...), nil
	case compressionZstd:
		if rawLen > MaxChunkSize {
			return nil, fmt.Errorf("raw length %d above the limit of %d", rawLen, MaxChunkSize)
		}
		out, err := s.codec.dec.DecodeAll(stored, slices.Grow(dst[:0], int(rawLen))[:0:rawLen])
		if err != nil {
			return nil, fmt.Errorf("zstd: %v", err)
		}
		if len(out) != int(rawLen) {
			return nil, fmt.Errorf("decompressed to %d bytes, the table says %d", len(out), rawLen)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown compression %d", comp)
}

// packError maps a pack decoding error to ErrCorrupt, keeping the cause.
func packError(err error) error {
	if errors.Is(err, pack.ErrCorrupt) || errors.Is(err, pack.ErrFormat) {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return err
}

// RebuildIndex replaces the index (the `i` and `p` keys) with one rebuilt
// from the pack files' tables alone: the repair for a lost or damaged
// index. Packs whose table cannot be read are left out and reported in the
// returned error (wrapping [ErrCorrupt], naming each file); the rest are
// indexed. It does not verify blob bytes (Check does). It must not run
// beside a Writer.
func (s *Store) RebuildIndex(ctx context.Context) error {
	packs, _, err := s.listPacks()
	if err != nil {
		return err
	}
	// The old index goes in the first batch; each pack's entries follow in
	// a synced batch of their own, so memory stays bounded by one pack. A
	// crash part way leaves a partial index, which another run completes.
	b := s.newBatch()
	if b == nil {
		return fmt.Errorf("objects: rebuild index: %w", ErrClosed)
	}
	_ = b.DeleteRange([]byte{nsIndex}, []byte{nsIndex + 1}, nil) // batch ops cannot fail
	_ = b.DeleteRange([]byte{nsPack}, []byte{nsPack + 1}, nil)
	// Clearing the index removes content until the packs are read again
	// (and for good where they cannot be): a removal (epoch.go).
	err = s.commitRemoval(b)
	b.Close()
	if err != nil {
		return fmt.Errorf("objects: rebuild index: %w", err)
	}
	commit := func() error {
		defer b.Close()
		if err := s.commitBatch(b, true); err != nil {
			return fmt.Errorf("objects: rebuild index: %w", err)
		}
		return nil
	}
	var bad []error
	for _, p := range packs {
		if err := ctx.Err(); err != nil {
			return err
		}
		entries, err := readPackTable(p.path, p.size)
		if err != nil {
			if errors.Is(err, ErrCorrupt) {
				bad = append(bad, fmt.Errorf("pack %s: %w", p.path, err))
				continue
			}
			return fmt.Errorf("objects: rebuild index: %w", err)
		}
		if b = s.newBatch(); b == nil {
			return fmt.Errorf("objects: rebuild index: %w", ErrClosed)
		}
		var blobBytes int64
		for _, e := range entries {
			if !BlobType(e.Type).Valid() || e.StoredLen > MaxChunkSize || e.RawLen > MaxChunkSize {
				bad = append(bad, fmt.Errorf("%w: pack %s: blob %s of type %d and %d/%d bytes left out",
					ErrCorrupt, p.path, ID(e.ID).Short(), e.Type, e.StoredLen, e.RawLen))
				continue
			}
			ie := indexEntry{Type: BlobType(e.Type), Compression: e.Compression, StoredLen: e.StoredLen,
				RawLen: e.RawLen, Offset: e.Offset, Pack: p.id}
			_ = b.Set(idKey(nsIndex, e.ID), ie.encode(), nil)
			blobBytes += int64(e.StoredLen)
		}
		// The file's modification time stands in for when the pack was
		// made; a copied file looks younger, which only delays GC.
		info := PackInfo{ID: p.id, Size: p.size, Count: len(entries), BlobBytes: blobBytes, Created: p.modTime}
		_ = b.Set(idKey(nsPack, p.id), info.encode(), nil)
		if err := commit(); err != nil {
			return err
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("objects: rebuild index: %d problems, those packs or blobs are not indexed: %w", len(bad), errors.Join(bad...))
	}
	return nil
}

// readPackTable reads the table of the pack file at path.
func readPackTable(path string, size int64) ([]pack.Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := pack.ReadTable(f, size)
	if err != nil {
		return nil, packError(err)
	}
	return entries, nil
}
