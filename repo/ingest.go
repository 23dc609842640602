package repo

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/trove-ml/trove/internal/fileinfo"
	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// Files of at least bigFileSize bytes are read in blocks by a pipeline that
// spreads chunk hashing over the pool; smaller ones are read whole by one
// worker.
const (
	bigFileSize  = 4 << 20
	bigBlockSize = 1 << 20
	// bigBlockCount blocks of bigBlockSize (plus a chunker Max each) are in
	// flight across all big files: 5 MiB. Four keep the reader, the file
	// hasher and the chunk workers busy on two cores as well as eight
	// blocks of 2 MiB did (18 MiB, the largest part of a 1 GiB commit's
	// anonymous memory).
	bigBlockCount = 4
	// bigFileConcurrency bounds the big files read at once. It must stay
	// below bigBlockCount: each pipeline holds one block while it waits for
	// the next, and progress needs at least one block held by no waiter.
	bigFileConcurrency = 2
)

// openStable opens path for reading without following a symlink swapped in
// since it was listed, and returns its current stat.
func openStable(path string) (*os.File, fileStat, time.Time, error) {
	now := time.Now()
	f, err := openNoFollow(path)
	if err != nil {
		return nil, fileStat{}, now, fmt.Errorf("%w: %s: %v", ErrInvalid, path, fileinfo.Cause(err))
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fileStat{}, now, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fileStat{}, now, fmt.Errorf("%w: %s is no longer a regular file", ErrFileChanged, path)
	}
	return f, statOf(fi), now, nil
}

// checkUnchanged fails if f's stat differs from before, or if it yielded
// a different number of bytes than its size said.
func checkUnchanged(f *os.File, path string, before fileStat, read int64) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	after := statOf(fi)
	if after != before || read != before.size {
		return fmt.Errorf("%w: %s (size %d→%d, %d bytes read); commit again once nothing writes to it", ErrFileChanged, path, before.size, after.size, read)
	}
	return nil
}

// ingestSmall reads a file whole, stores its chunks and returns its digest.
func (c *committer) ingestSmall(ctx context.Context, path string) (objects.ID, int64, error) {
	f, st, statTime, err := openStable(path)
	if err != nil {
		return objects.ID{}, 0, err
	}
	defer f.Close()
	// Room for one byte more than the size, to notice a file that grew
	// (or a pseudo-file whose size says 0), but reading stops once it has
	// the size: one read where filling the buffer took a second one to
	// reach EOF. A file changed otherwise has another stat afterwards,
	// which checkUnchanged catches.
	buf := c.smallBufs.get(int(st.size) + 1)
	defer c.smallBufs.put(buf)
	n, err := io.ReadAtLeast(f, buf, max(int(st.size), 1))
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return objects.ID{}, 0, fmt.Errorf("read %s: %w", path, err)
	}
	if err := checkUnchanged(f, path, st, int64(n)); err != nil {
		return objects.ID{}, 0, err
	}
	data := buf[:n]
	c.read.Add(int64(n))
	c.meter.Add(int64(n))
	digest := objects.Sum(data)
	if n > 0 {
		if err := c.storeChunks(ctx, path, digest, data); err != nil {
			return objects.ID{}, 0, fmt.Errorf("store %s: %w", path, err)
		}
	}
	c.rememberStat(path, st, statTime, digest)
	return digest, int64(n), nil
}

// storeChunks stores data, the content of the file at path, whose digest
// is given, as one chunk or as several with a file map. A file of one chunk
// is compressed as the files of its kind advise (kindHints), one of several
// as its own first chunks do.
func (c *committer) storeChunks(ctx context.Context, path string, digest objects.ID, data []byte) error {
	cut := c.chunk.Cut(data, true)
	if cut == len(data) {
		return c.putChunk(ctx, digest, data, c.kinds.of(path))
	}
	hint := &objects.CompressHint{}
	fm := manifest.NewFileMapWriter(ctx, c.blobs)
	for len(data) > 0 {
		cut = c.chunk.Cut(data, true)
		id := objects.Sum(data[:cut])
		if err := c.putChunk(ctx, id, data[:cut], hint); err != nil {
			return err
		}
		if err := fm.Add(id, uint32(cut)); err != nil {
			return err
		}
		data = data[cut:]
	}
	mapID, err := fm.Finish()
	if err != nil {
		return err
	}
	c.w.SetFileMap(digest, mapID)
	return nil
}

func (c *committer) putChunk(ctx context.Context, id objects.ID, data []byte, hint objects.Hint) error {
	stored, err := c.w.PutChunk(ctx, id, data, hint)
	if err != nil {
		return err
	}
	if stored {
		c.stored.Add(int64(len(data)))
	}
	return nil
}

// chunkResult is one chunk of a big file, hashed and stored by a worker.
type chunkResult struct {
	done chan struct{}
	id   objects.ID
	n    uint32
	err  error
}

// ingestBig streams a large file through three stages: this goroutine
// reads blocks and cuts chunks; a second goroutine hashes the whole file;
// pool workers hash, compress and store chunks. Blocks come from a bounded
// pool, so memory does not grow with the file. cached is the file's stat
// cache entry, or nil: chunks end where those of the content it records
// did when the bytes there allow (see cutHints).
func (c *committer) ingestBig(ctx context.Context, path string, cached []byte) (digest objects.ID, size int64, err error) {
	f, st, statTime, err := openStable(path)
	if err != nil {
		return digest, 0, err
	}
	defer f.Close()
	hints := c.hintsFor(ctx, cached)
	defer hints.close()
	maxChunk := c.chunk.Params().Max

	type piece struct {
		blk  *block
		data []byte
	}
	hashIn := make(chan piece, bigBlockCount)
	hashOut := make(chan objects.ID, 1)
	go func() {
		h := objects.NewHasher()
		for p := range hashIn {
			h.Write(p.data)
			p.blk.release()
		}
		hashOut <- h.Sum()
	}()

	hint := &objects.CompressHint{}
	fm := manifest.NewFileMapWriter(ctx, c.blobs)
	var queue []*chunkResult
	drain := func(block bool) error {
		for len(queue) > 0 {
			head := queue[0]
			if !block {
				select {
				case <-head.done:
				default:
					return nil
				}
			}
			<-head.done
			if head.err != nil {
				return head.err
			}
			if err := fm.Add(head.id, head.n); err != nil {
				return err
			}
			queue = queue[1:]
		}
		return nil
	}
	defer func() {
		// On failure, let in-flight chunks finish before buffers go away.
		for _, q := range queue {
			<-q.done
		}
	}()

	var read int64
	var base int64 // the file offset of cur.buf[0]
	rem := 0       // bytes carried over from the previous block
	cur, err := c.bufs.get(ctx)
	if err != nil {
		close(hashIn)
		return digest, 0, err
	}
	for {
		n, rerr := io.ReadFull(f, cur.buf[rem:])
		eof := rerr == io.EOF || rerr == io.ErrUnexpectedEOF
		if rerr != nil && !eof {
			cur.release()
			close(hashIn)
			return digest, 0, fmt.Errorf("read %s: %w", path, rerr)
		}
		read += int64(n)
		c.read.Add(int64(n))
		c.meter.Add(int64(n))
		data := cur.buf[:rem+n]
		cur.ref()
		hashIn <- piece{cur, data[rem:]}
		pos := 0
		for pos < len(data) {
			cut := c.chunk.CutHinted(data[pos:], eof, hints.window(base+int64(pos), maxChunk))
			if cut == 0 {
				break
			}
			chunk := data[pos : pos+cut]
			pos += cut
			res := &chunkResult{done: make(chan struct{}), n: uint32(len(chunk))}
			queue = append(queue, res)
			cur.ref()
			blk := cur
			c.pool.submit(func() {
				defer close(res.done)
				defer blk.release()
				if err := ctx.Err(); err != nil {
					res.err = err
					return
				}
				res.id = objects.Sum(chunk)
				res.err = c.putChunk(ctx, res.id, chunk, hint)
			})
		}
		if err := drain(false); err != nil {
			cur.release()
			close(hashIn)
			return digest, 0, err
		}
		if eof {
			cur.release()
			break
		}
		next, err := c.bufs.get(ctx)
		if err != nil {
			cur.release()
			close(hashIn)
			return digest, 0, err
		}
		rem = copy(next.buf, data[pos:])
		base += int64(pos)
		cur.release()
		cur = next
	}
	close(hashIn)
	digest = <-hashOut
	if err := drain(true); err != nil {
		return digest, 0, err
	}
	if err := checkUnchanged(f, path, st, read); err != nil {
		return digest, 0, err
	}
	mapID, err := fm.Finish()
	if err != nil {
		return digest, 0, err
	}
	c.w.SetFileMap(digest, mapID)
	c.rememberStat(path, st, statTime, digest)
	return digest, read, nil
}
