package repo

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// A pull from a remote streams chunks straight into the files it writes,
// instead of downloading them into the local store and reading them back:
// one write per byte, and each byte hashed once, for its file's digest,
// rather than four times (see check). The files that need remote
// chunks are cut, in path order, into windows of about streamWindow
// bytes to download: a window is either whole small files or a stretch of
// one big file. streamAhead windows download while the one before them is
// written, each in spans of at most streamSpan bytes, downloadParallel at
// a time, so memory stays near (streamAhead+1) × streamWindow whatever the
// size of the version. Files are still put in place only once their digest
// checked out, as by put: born unnamed (O_TMPFILE) and linked into place
// where Linux allows, else under a temp name and renamed (tempfile.go), or
// placed from the file cache.
const (
	streamWindow = 16 << 20
	streamSpan   = 4 << 20
	streamGap    = 64 << 10 // see maxGap
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

// window is one unit of download: the chunks of pieces [from, to) of one
// big file, or of whole small files (to == 0).
type window struct {
	files    []*streamFile
	from, to int
	want     []objects.ID
	// repeats sums the lengths of the remote pieces whose chunk is
	// already in want: downloaded once, but counted by the download
	// meter's total (remoteBytes) each time, so added to it with the
	// window's download.
	repeats int64

	// out, for a window of a big file, is that file: chunks are written
	// at their offsets (offs) as they arrive, by the goroutines that
	// download them (or read the local ones, local), while the file's
	// writer hashes in order.
	out   *os.File
	offs  map[objects.ID][]int64
	local []objects.ID

	done chan struct{} // closed when data and err are set
	data map[objects.ID][]byte
	err  error

	arena []byte // the spans' bytes, which data points into
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
		total += f.remoteBytes()
	}
	s := &streamer{m: m, c: c, ctx: ctx, cancel: cancel,
		dl:      m.r.opts.Progress.Start("downloading from "+c.name, total, true),
		slots:   make(chan struct{}, streamAhead+1),
		free:    make(chan []byte, streamAhead+1),
		writers: newPool(ctx, m.r.opts.Workers)}
	defer s.dl.Done()
	batch := &window{}
	var batchBytes int64
	batchSeen := map[objects.ID]bool{}
	for _, f := range files {
		if ctx.Err() != nil {
			break
		}
		if f.e.Size > streamWindow {
			s.batch(batch)
			batch, batchBytes, batchSeen = &window{}, 0, map[objects.ID]bool{}
			s.big(f)
			continue
		}
		batch.files = append(batch.files, f)
		for _, p := range f.pieces {
			switch {
			case !p.remote:
			case batchSeen[p.id]:
				batch.repeats += int64(p.n)
			default:
				batchSeen[p.id] = true
				batch.want = append(batch.want, p.id)
				batchBytes += int64(p.n)
			}
		}
		if batchBytes >= streamWindow {
			s.batch(batch)
			batch, batchBytes, batchSeen = &window{}, 0, map[objects.ID]bool{}
		}
	}
	s.batch(batch)
	s.wg.Wait()
	s.writers.close()
	if err := m.firstErr(); err != nil {
		return err
	}
	return ctx.Err() // cancelled from outside: files were skipped
}

// remoteBytes sums the lengths of f's remote pieces, repeats included
// (see window.repeats).
func (f *streamFile) remoteBytes() int64 {
	var n int64
	for _, p := range f.pieces {
		if p.remote {
			n += int64(p.n)
		}
	}
	return n
}

// streamer runs one streamed pull.
type streamer struct {
	m       *materializer
	c       *conn
	ctx     context.Context
	cancel  context.CancelFunc
	dl      Meter
	slots   chan struct{} // one per window held in memory
	free    chan []byte   // arenas of released windows
	writers *pool         // writes small files
	wg      sync.WaitGroup
}

func (s *streamer) fail(err error) {
	s.m.fail(err)
	s.cancel()
}

// start downloads w once a slot is free, reporting false if the pull was
// cancelled first. The slot is the caller's to release once w is used.
func (s *streamer) start(w *window) bool {
	select {
	case s.slots <- struct{}{}:
	case <-s.ctx.Done():
		return false
	}
	w.done = make(chan struct{})
	go func() {
		defer close(w.done)
		w.data, w.err = s.fetchWindow(w)
	}()
	return true
}

// release frees w's slot and its arena once its data is no longer used.
func (s *streamer) release(w *window) {
	if w.arena != nil {
		select {
		case s.free <- w.arena:
		default:
		}
		w.arena = nil
	}
	<-s.slots
}

// arena returns a buffer of n bytes for the spans of one window, reusing
// one released before when it fits: fresh buffers would cost a zeroing
// pass over every byte downloaded.
func (s *streamer) arena(n int64) []byte {
	var b []byte
	select {
	case b = <-s.free:
	default:
	}
	if int64(cap(b)) < n {
		b = make([]byte, max(n, streamWindow+streamSpan))
	}
	return b[:n]
}

// batch starts the download of the small files collected in w, and their
// writing once it is done.
func (s *streamer) batch(w *window) {
	if len(w.files) == 0 {
		return
	}
	if !s.start(w) {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.release(w)
		<-w.done
		if w.err != nil {
			s.fail(w.err)
			return
		}
		var fwg sync.WaitGroup
		for _, f := range w.files {
			fwg.Add(1)
			s.writers.submit(func() {
				defer fwg.Done()
				if err := s.small(f, w); err != nil {
					s.fail(err)
				}
			})
		}
		fwg.Wait()
	}()
}

// small writes a small file whose remote chunks are all in window w.
func (s *streamer) small(f *streamFile, w *window) error {
	return s.m.put(s.ctx, f.dest, f.e, func(out *os.File) error {
		h := objects.NewHasher()
		var off int64
		var buf []byte
		for _, p := range f.pieces {
			data, err := s.piece(w, f, p, &buf)
			if err != nil {
				return err
			}
			h.Write(data)
			if _, err := out.Write(data); err != nil {
				return fmt.Errorf("pull: %w", err)
			}
			off += int64(len(data))
			s.m.meter.Add(int64(len(data)))
		}
		return s.check(f, h.Sum(), off)
	})
}

// check compares a streamed file's digest with its entry's. Chunks from
// the remote were unpacked without hashing (the file's digest covers
// every byte, and a second BLAKE3 pass cost a third of a big pull's
// time), so on a mismatch the file's remote chunks are read again and
// verified one by one, to name the corrupt chunk and its pack.
func (s *streamer) check(f *streamFile, got objects.ID, n int64) error {
	err := checkDigest(f.dest, f.e, got, n)
	if err == nil {
		return nil
	}
	var ids []objects.ID
	seen := map[objects.ID]bool{}
	for _, p := range f.pieces {
		if p.remote && !seen[p.id] {
			seen[p.id] = true
			ids = append(ids, p.id)
		}
	}
	spans, _, perr := s.m.r.planSpans(s.ctx, s.c, ids, streamSpan, streamGap)
	if perr == nil {
		perr = s.m.r.readSpans(s.ctx, s.c, spans, noMeter{}, nil, func(st objects.Stored) error {
			_, err := s.m.r.store.Decode(st)
			return err
		})
	}
	if perr != nil {
		return fmt.Errorf("%s: %w", f.dest, perr)
	}
	return err
}

// piece returns p's bytes: from window w if it is remote, else from the
// local store (into *buf).
func (s *streamer) piece(w *window, f *streamFile, p piece, buf *[]byte) ([]byte, error) {
	if data, ok := w.data[p.id]; ok && p.remote {
		return data, nil
	}
	data, _, err := s.m.r.store.Get(s.ctx, p.id, *buf)
	if err != nil {
		return nil, chunkErr(f.dest, p.id, err)
	}
	*buf = data
	return data, nil
}

// big streams one big file: its windows are started in order from here,
// the chunks written at their offsets as they arrive, and one goroutine
// hashes the file in order. It returns once the file is in place.
func (s *streamer) big(f *streamFile) {
	err := s.m.put(s.ctx, f.dest, f.e, func(out *os.File) error {
		if err := out.Truncate(f.e.Size); err != nil {
			return fmt.Errorf("pull: %w", err)
		}
		ws := make(chan *window, streamAhead+1)
		hashed := make(chan error, 1)
		go func() { hashed <- s.hashBig(f, ws) }()
		s.windows(f, out, ws)
		close(ws)
		return <-hashed
	})
	if err != nil {
		s.fail(err)
	}
}

// windows cuts f into windows writing to out, starts each and sends it on
// ws, until done or cancelled.
func (s *streamer) windows(f *streamFile, out *os.File, ws chan<- *window) {
	offs := make([]int64, len(f.pieces)+1)
	for i, p := range f.pieces {
		offs[i+1] = offs[i] + int64(p.n)
	}
	for from := 0; from < len(f.pieces); {
		w := &window{files: []*streamFile{f}, from: from, out: out, offs: map[objects.ID][]int64{}}
		var n int64
		for w.to = from; w.to < len(f.pieces) && n < streamWindow; w.to++ {
			p := f.pieces[w.to]
			if w.offs[p.id] == nil {
				if p.remote {
					w.want = append(w.want, p.id)
				} else {
					w.local = append(w.local, p.id)
				}
				n += int64(p.n)
			} else if p.remote {
				w.repeats += int64(p.n)
			}
			w.offs[p.id] = append(w.offs[p.id], offs[w.to])
		}
		if !s.start(w) {
			return
		}
		ws <- w
		from = w.to
	}
}

// hashBig hashes big file f in order as its windows complete and checks
// its digest. Every window received is waited for and released, also
// after an error, so that no download still writes to the file when it is
// removed.
func (s *streamer) hashBig(f *streamFile, ws <-chan *window) (err error) {
	defer func() {
		if err != nil {
			s.cancel() // stop the windows still to come
		}
		for w := range ws {
			<-w.done
			s.release(w)
		}
	}()
	h := objects.NewHasher()
	var off int64
	for w := range ws {
		err := func() error {
			defer s.release(w)
			<-w.done
			if w.err != nil {
				return w.err
			}
			for _, p := range w.pieces(f) {
				data, ok := w.data[p.id]
				if !ok {
					return fmt.Errorf("pull: %s: chunk %s missing from its window", f.dest, p.id.Short()) // a bug, not bad data
				}
				h.Write(data)
				off += int64(len(data))
				s.m.meter.Add(int64(len(data)))
			}
			return nil
		}()
		if err != nil {
			return err
		}
	}
	if err := s.ctx.Err(); err != nil {
		return err // the windows stopped early
	}
	return s.check(f, h.Sum(), off)
}

// fetchWindow downloads w's chunks and verifies each against its id; for
// a window of a big file it also reads the window's local chunks, and
// writes every chunk at its offsets.
func (s *streamer) fetchWindow(w *window) (map[objects.ID][]byte, error) {
	ctx, c, m := s.ctx, s.c, s.m
	data := make(map[objects.ID][]byte, len(w.want)+len(w.local))
	var mu sync.Mutex
	got := func(id objects.ID, raw []byte) error {
		for _, off := range w.offs[id] {
			if _, err := w.out.WriteAt(raw, off); err != nil {
				return fmt.Errorf("pull: %w", err)
			}
		}
		mu.Lock()
		data[id] = raw
		mu.Unlock()
		return nil
	}
	var localErr error
	var lwg sync.WaitGroup
	if len(w.local) > 0 {
		lwg.Add(1)
		go func() {
			defer lwg.Done()
			for _, id := range w.local {
				raw, _, err := m.r.store.Get(ctx, id, nil)
				if err == nil {
					err = got(id, raw)
				}
				if err != nil {
					localErr = chunkErr(w.files[0].dest, id, err)
					return
				}
			}
		}()
	}
	var err error
	if len(w.want) > 0 {
		var spans []span
		if spans, _, err = m.r.planSpans(ctx, c, w.want, streamSpan, streamGap); err == nil {
			// One arena holds the window's spans, each at its own offset.
			at := make([]int64, len(spans)+1)
			for i, sp := range spans {
				at[i+1] = at[i] + sp.end - sp.off
			}
			w.arena = s.arena(at[len(spans)])
			buf := func(i int) []byte { return w.arena[at[i]:at[i+1]] }
			err = m.r.readSpans(ctx, c, spans, noMeter{}, buf, func(st objects.Stored) error {
				raw, err := m.r.store.Unpack(st) // verified with the file: see check
				if err != nil {
					return err
				}
				s.dl.Add(int64(len(raw))) // the total counts raw lengths
				return got(st.ID, raw)
			})
		}
	}
	lwg.Wait()
	if err == nil {
		err = localErr
	}
	if err == nil && w.repeats > 0 {
		s.dl.Add(w.repeats)
	}
	return data, err
}
