package repo

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"sync"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// A pull from a remote streams chunks straight into the files it writes,
// instead of downloading them into the local store and reading them back:
// one write per byte, and each byte hashed twice (its chunk's id, its
// file's digest) rather than four times. The files that need remote
// chunks are cut, in path order, into windows of about streamWindow
// bytes to download: a window is either whole small files or a stretch of
// one big file. streamAhead windows download while the one before them is
// written, each in spans of at most streamSpan bytes, downloadParallel at
// a time, so memory stays near (streamAhead+1) × streamWindow whatever the
// size of the version. Files are still written to a temp name and renamed
// into place once their digest checked out.
const (
	streamWindow = 16 << 20
	streamSpan   = 2 << 20
	streamAhead  = 2
)

// streamFile is a file of a pull whose content is, at least in part, on
// the remote only.
type streamFile struct {
	dest   string
	e      manifest.Entry
	pieces []piece // in file order
}

// piece is one chunk of a streamFile, in file order.
type piece struct {
	id     objects.ID
	n      uint32
	remote bool // not in the local store: comes with its window
}

// remoteFile returns e's chunks if any of them is missing here (m.missing),
// else nil: the file is then written from the local store as usual.
func (m *materializer) remoteFile(ctx context.Context, d string, e manifest.Entry) (*streamFile, error) {
	mapID, ok, err := m.r.store.FileMap(e.Digest)
	if err != nil {
		return nil, err
	}
	sf := &streamFile{dest: d, e: e}
	needed := false
	add := func(id objects.ID, n uint32) {
		p := piece{id: id, n: n, remote: m.missing[id]}
		needed = needed || p.remote
		sf.pieces = append(sf.pieces, p)
	}
	if !ok {
		add(e.Digest, uint32(e.Size))
	} else if err := manifest.ReadFileMap(ctx, m.g, mapID, func(_ int64, id objects.ID, n uint32) error {
		add(id, n)
		return nil
	}); err != nil {
		return nil, err
	}
	if !needed {
		return nil, nil
	}
	return sf, nil
}

// window is one unit of download: the chunks of pieces [from, to) of
// files, or of whole files when to is 0.
type window struct {
	files    []*streamFile
	from, to int
	want     []objects.ID

	done chan struct{} // closed when data and err are set
	data map[objects.ID][]byte
	err  error
}

func (w *window) pieces(f *streamFile) []piece {
	if w.to == 0 {
		return f.pieces
	}
	return f.pieces[w.from:w.to]
}

// stream writes files whose chunks are on remote c, downloading only
// those chunks (see the comment on streamWindow).
func (m *materializer) stream(ctx context.Context, c *conn, files []*streamFile) error {
	sort.Slice(files, func(i, j int) bool { return files[i].dest < files[j].dest })
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var total int64
	for _, f := range files {
		for _, p := range f.pieces {
			if p.remote {
				total += int64(p.n)
			}
		}
	}
	dl := m.r.opts.Progress.Start("downloading from "+c.name, total, true)
	defer dl.Done()
	slots := make(chan struct{}, streamAhead+1) // windows held in memory
	writers := newPool(ctx, m.r.opts.Workers)
	var wg sync.WaitGroup
	fail := func(err error) {
		m.fail(err)
		cancel()
	}
	// start downloads w once a slot is free; release frees it.
	start := func(w *window) bool {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return false
		}
		w.done = make(chan struct{})
		go func() {
			defer close(w.done)
			w.data, w.err = m.fetchWindow(ctx, c, w.want, dl)
		}()
		return true
	}
	release := func() { <-slots }

	// Small files, batched until their chunks fill a window.
	var batch window
	flush := func() bool {
		if len(batch.files) == 0 {
			return true
		}
		w := batch
		batch = window{}
		if !start(&w) {
			return false
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer release()
			<-w.done
			if w.err != nil {
				fail(w.err)
				return
			}
			var fwg sync.WaitGroup
			for _, f := range w.files {
				fwg.Add(1)
				writers.submit(func() {
					defer fwg.Done()
					if err := m.streamOne(ctx, f, &w); err != nil {
						fail(err)
					}
				})
			}
			fwg.Wait()
		}()
		return true
	}
	wantOf := func(ps []piece, seen map[objects.ID]bool) (want []objects.ID, n int64) {
		for _, p := range ps {
			if p.remote && !seen[p.id] {
				seen[p.id] = true
				want = append(want, p.id)
				n += int64(p.n)
			}
		}
		return want, n
	}
	var batchBytes int64
	batchSeen := map[objects.ID]bool{}
	for _, f := range files {
		if ctx.Err() != nil {
			break
		}
		want, n := wantOf(f.pieces, map[objects.ID]bool{})
		if n <= streamWindow {
			want, n = wantOf(f.pieces, batchSeen)
			batch.files = append(batch.files, f)
			batch.want = append(batch.want, want...)
			if batchBytes += n; batchBytes >= streamWindow {
				if !flush() {
					break
				}
				batchBytes, batchSeen = 0, map[objects.ID]bool{}
			}
			continue
		}
		// A big file: windows of its own, written in order by one writer.
		if !flush() {
			break
		}
		batchBytes, batchSeen = 0, map[objects.ID]bool{}
		ws := make(chan *window, (n/streamWindow)+2)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.streamBig(ctx, f, ws, release); err != nil {
				fail(err)
			}
		}()
		from, seen, bytes := 0, map[objects.ID]bool{}, int64(0)
		var want2 []objects.ID
		for i, p := range f.pieces {
			if p.remote && !seen[p.id] {
				seen[p.id] = true
				want2 = append(want2, p.id)
				bytes += int64(p.n)
			}
			if bytes >= streamWindow || i == len(f.pieces)-1 {
				w := &window{files: []*streamFile{f}, from: from, to: i + 1, want: want2}
				if !start(w) {
					break
				}
				ws <- w
				from, seen, bytes, want2 = i+1, map[objects.ID]bool{}, 0, nil
			}
		}
		close(ws)
	}
	if ctx.Err() == nil {
		flush()
	}
	wg.Wait()
	writers.close()
	return m.firstErr()
}

// fetchWindow downloads chunks and verifies each against its id.
func (m *materializer) fetchWindow(ctx context.Context, c *conn, want []objects.ID, meter Meter) (map[objects.ID][]byte, error) {
	data := make(map[objects.ID][]byte, len(want))
	if len(want) == 0 {
		return data, nil
	}
	spans, _, err := m.r.planSpans(ctx, c, want, streamSpan)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	err = m.r.readSpans(ctx, c, spans, meter, func(st objects.Stored) error {
		raw, err := m.r.store.Decode(st)
		if err != nil {
			return err
		}
		mu.Lock()
		data[st.ID] = raw
		mu.Unlock()
		return nil
	})
	return data, err
}

// streamBig writes a big file from its windows, in order; every window
// received is released, also after an error.
func (m *materializer) streamBig(ctx context.Context, f *streamFile, ws <-chan *window, release func()) error {
	defer func() {
		for range ws {
			release() // windows after a failure: started, never used
		}
	}()
	return m.streamFileFrom(ctx, f, func() (*window, bool) { w, ok := <-ws; return w, ok }, release)
}

// streamOne writes a small file whose chunks are all in window w; the
// window's owner releases it.
func (m *materializer) streamOne(ctx context.Context, f *streamFile, w *window) error {
	used := false
	return m.streamFileFrom(ctx, f, func() (*window, bool) {
		if used {
			return nil, false
		}
		used = true
		return w, true
	}, func() {})
}

// streamFileFrom writes f from the windows next returns, each covering the
// pieces after the previous one's; local pieces come from the store. It
// calls done after each window is used.
func (m *materializer) streamFileFrom(ctx context.Context, f *streamFile, next func() (*window, bool), done func()) error {
	st, statTime, err := replaceFile(f.dest, fs.FileMode(f.e.Mode), func(out *os.File) error {
		h := objects.NewHasher()
		var total int64
		var buf []byte
		for {
			w, ok := next()
			if !ok {
				break
			}
			err := func() error {
				defer done()
				select {
				case <-w.done:
				case <-ctx.Done():
					return ctx.Err()
				}
				if w.err != nil {
					return w.err
				}
				for _, p := range w.pieces(f) {
					data, ok := w.data[p.id]
					if !p.remote || !ok {
						var err error
						if data, _, err = m.r.store.Get(ctx, p.id, buf); err != nil {
							return chunkErr(f.dest, p.id, err)
						}
						buf = data
					}
					h.Write(data)
					total += int64(len(data))
					if _, err := out.Write(data); err != nil {
						return fmt.Errorf("pull: %w", err)
					}
					m.meter.Add(int64(len(data)))
				}
				return nil
			}()
			if err != nil {
				return err
			}
		}
		return checkDigest(f.dest, f.e, h.Sum(), total)
	})
	if err != nil {
		return err
	}
	m.remember(f.dest, st, statTime, f.e.Digest)
	m.written.Add(1)
	m.bytes.Add(f.e.Size)
	return nil
}
