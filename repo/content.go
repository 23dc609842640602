package repo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// ErrMissingContent means a file's content is not in the local store.
var ErrMissingContent = errors.New("repo: content not in the local store")

// readWindow bounds the chunks of one big file being read at once.
const readWindow = 64

// locateChunks is how many chunks of a big file are located at once: half
// the read window, so that one batch is read while the next is located.
const locateChunks = readWindow / 2

// writeContent writes e's content to f and verifies the whole file against
// e.Digest (checkFile), which covers every chunk. Chunks of big files are
// read by pool workers and written at their offsets; this goroutine hashes
// them in order. at says how e's content is located (locate.go).
func (m *materializer) writeContent(ctx context.Context, f *os.File, path string, e manifest.Entry, at contentAt) error {
	if e.Size == 0 {
		if e.Digest != objects.Sum(nil) {
			return fmt.Errorf("%w: %s: empty file with digest %s", objects.ErrCorrupt, path, e.Digest)
		}
		return nil
	}
	loc, err := at.locate(m.r.store, e.Digest)
	if err != nil {
		return err
	}
	if !loc.HasFileMap() {
		bp := m.bufs.Get().(*[]byte)
		defer m.bufs.Put(bp)
		data, _, err := m.r.store.GetLocated(ctx, loc, *bp, true)
		if errors.Is(err, objects.ErrNotFound) {
			return fmt.Errorf("%w: %s (%s)", ErrMissingContent, path, e.Digest.Short())
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		*bp = data
		if _, err := f.Write(data); err != nil {
			return fmt.Errorf("pull: %w", err)
		}
		m.meter.Add(int64(len(data)))
		return nil
	}
	if e.Size < bigFileSize {
		return m.writeSequential(ctx, f, path, e, loc.FileMap)
	}
	return m.writeParallel(ctx, f, path, e, loc.FileMap)
}

// writeSequential writes a file of a few chunks on this goroutine.
func (m *materializer) writeSequential(ctx context.Context, f *os.File, path string, e manifest.Entry, mapID objects.ID) error {
	bp := m.bufs.Get().(*[]byte)
	defer m.bufs.Put(bp)
	digest, n, err := readChunks(ctx, m.r.store, m.g, path, mapID, false, bp, func(data []byte) error {
		m.meter.Add(int64(len(data)))
		if _, err := f.Write(data); err != nil {
			return fmt.Errorf("pull: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return m.checkFile(ctx, path, e, mapID, digest, n)
}

// readChunks reads the chunks of file map mapID (of the file at path, for
// errors) in order, located locateBatch at a time (objects.Store.Locate),
// hands each to put, and returns the BLAKE3 of them all and their length.
// hash says whether each chunk is also checked against its id: a pull
// leaves that to the file's digest (checkFile). The chunks' bytes are
// read into *buf, which keeps the largest buffer.
func readChunks(ctx context.Context, st *objects.Store, g manifest.BlobGetter, path string, mapID objects.ID, hash bool, buf *[]byte, put func([]byte) error) (objects.ID, int64, error) {
	h := objects.NewHasher()
	var total int64
	var batch []objects.ID
	read := func() error {
		locs, err := st.Locate(batch)
		if err != nil {
			return err
		}
		batch = batch[:0]
		for _, l := range locs {
			data, _, err := st.GetLocated(ctx, l, *buf, hash)
			if err != nil {
				return chunkErr(path, l.ID, err)
			}
			*buf = data
			h.Write(data)
			total += int64(len(data))
			if err := put(data); err != nil {
				return err
			}
		}
		return nil
	}
	err := manifest.ReadFileMap(ctx, g, mapID, func(_ int64, id objects.ID, _ uint32) error {
		if batch = append(batch, id); len(batch) < locateBatch {
			return nil
		}
		return read()
	})
	if err == nil && len(batch) > 0 {
		err = read()
	}
	if err != nil {
		return objects.ID{}, 0, err
	}
	return h.Sum(), total, nil
}

// checkFile compares the digest of a file written from the store with its
// entry's. Its chunks were read without hashing (GetLocated with hash
// false: the file's digest covers every byte), so on a mismatch they are read again and
// verified one by one, to name the corrupt chunk and its pack.
func (m *materializer) checkFile(ctx context.Context, path string, e manifest.Entry, mapID, got objects.ID, n int64) error {
	err := checkDigest(path, e, got, n)
	if err == nil {
		return nil
	}
	var buf []byte
	perr := manifest.ReadFileMap(ctx, m.g, mapID, func(_ int64, id objects.ID, _ uint32) error {
		data, _, err := m.r.store.Get(ctx, id, buf)
		if err != nil {
			return chunkErr(path, id, err)
		}
		buf = data
		return nil
	})
	if perr != nil {
		return perr
	}
	return err
}

func chunkErr(path string, id objects.ID, err error) error {
	if errors.Is(err, objects.ErrNotFound) {
		return fmt.Errorf("%w: %s: chunk %s", ErrMissingContent, path, id.Short())
	}
	return fmt.Errorf("%s: chunk %s: %w", path, id.Short(), err)
}

func checkDigest(path string, e manifest.Entry, got objects.ID, n int64) error {
	if got != e.Digest || n != e.Size {
		return fmt.Errorf("%w: %s: content hashes to %s (%d bytes), manifest says %s (%d bytes)", objects.ErrCorrupt, path, got.Short(), n, e.Digest.Short(), e.Size)
	}
	return nil
}

type readResult struct {
	done chan struct{}
	data []byte
	err  error
}

func (m *materializer) writeParallel(ctx context.Context, f *os.File, path string, e manifest.Entry, mapID objects.ID) error {
	if err := f.Truncate(e.Size); err != nil {
		return fmt.Errorf("pull: %w", err)
	}
	h := objects.NewHasher()
	var total int64
	var queue []*readResult
	free := make(chan []byte, readWindow+1)
	take := func(block bool) error {
		for len(queue) > 0 && (block || len(queue) >= readWindow) {
			head := queue[0]
			<-head.done
			if head.err != nil {
				return head.err
			}
			h.Write(head.data)
			total += int64(len(head.data))
			select {
			case free <- head.data:
			default:
			}
			queue = queue[1:]
		}
		return nil
	}
	defer func() {
		for _, q := range queue {
			<-q.done
		}
	}()
	// Chunks are located in batches (Store.Locate), each batch read by
	// the pool while this goroutine hashes the one before.
	var batch []objects.ID
	var offs []int64
	submit := func() error {
		locs, err := m.r.store.Locate(batch)
		if err != nil {
			return err
		}
		for i, l := range locs {
			if err := take(false); err != nil {
				return err
			}
			var buf []byte
			select {
			case buf = <-free:
			default:
			}
			res := &readResult{done: make(chan struct{})}
			queue = append(queue, res)
			off := offs[i]
			m.pool.submit(func() {
				defer close(res.done)
				data, _, err := m.r.store.GetLocated(ctx, l, buf, false)
				if err != nil {
					res.err = chunkErr(path, l.ID, err)
					return
				}
				if _, err := f.WriteAt(data, off); err != nil {
					res.err = fmt.Errorf("pull: %w", err)
					return
				}
				m.meter.Add(int64(len(data)))
				res.data = data
			})
		}
		batch, offs = batch[:0], offs[:0]
		return nil
	}
	err := manifest.ReadFileMap(ctx, m.g, mapID, func(off int64, id objects.ID, _ uint32) error {
		batch, offs = append(batch, id), append(offs, off)
		if len(batch) < locateChunks {
			return nil
		}
		return submit()
	})
	if err == nil && len(batch) > 0 {
		err = submit()
	}
	if err == nil {
		err = take(true)
	}
	if err != nil {
		return err
	}
	return m.checkFile(ctx, path, e, mapID, h.Sum(), total)
}

// Blobs returns a reader of the store's metadata blobs for the manifest
// package.
func (r *Repo) Blobs() manifest.BlobGetter { return blobs{st: r.store} }

// WriteFileContent writes the content of file entry e to w, verifying each
// chunk and the whole file's digest. The last write may be followed by an
// error if the digest does not match; callers writing to files should
// write to a temp name.
func (r *Repo) WriteFileContent(ctx context.Context, w io.Writer, e manifest.Entry) error {
	if e.Kind != manifest.KindFile {
		return fmt.Errorf("%w: %s is a %v, not a file", ErrInvalid, e.Name, e.Kind)
	}
	if e.Size == 0 {
		return nil
	}
	mapID, ok, err := r.store.FileMap(e.Digest)
	if err != nil {
		return err
	}
	if !ok {
		data, _, err := r.store.Get(ctx, e.Digest, nil)
		if err != nil {
			return chunkErr(e.Name, e.Digest, err)
		}
		_, err = w.Write(data)
		return err
	}
	var buf []byte
	digest, n, err := readChunks(ctx, r.store, blobs{st: r.store}, e.Name, mapID, true, &buf, func(data []byte) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return err
	}
	return checkDigest(e.Name, e, digest, n)
}
