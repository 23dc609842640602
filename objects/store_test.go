package objects

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/trove-ml/trove/objects/pack"
)

func TestStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		packSize    int64
		compression bool
		chunks      [][]byte
		wantPacks   int
	}{
		{"one pack", 0, false, testChunks("one", 20, 64<<10), 1},
		{"several packs", 256 << 10, false, testChunks("several", 40, 64<<10), 10},
		{"compressed", 256 << 10, true, append(testChunks("mixed", 8, 64<<10), bytes.Repeat([]byte("text "), 50000)), 3},
		{"sizes", 100 << 10, false, [][]byte{{}, {1}, pseudoRandom("big", MaxChunkSize), pseudoRandom("odd", 12345)}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, Options{PackSize: tt.packSize, Compression: tt.compression})
			ids := putAll(t, s, tt.chunks)
			var buf []byte
			for i, id := range ids {
				ok, err := s.Has(id)
				if err != nil || !ok {
					t.Fatalf("Has(chunk %d) = %v, %v", i, ok, err)
				}
				got, typ, err := s.Get(ctx, id, buf)
				if err != nil {
					t.Fatalf("Get(chunk %d): %v", i, err)
				}
				if typ != TypeChunk || !bytes.Equal(got, tt.chunks[i]) {
					t.Fatalf("Get(chunk %d) = %d bytes of %s, want the %d bytes put", i, len(got), typ, len(tt.chunks[i]))
				}
				buf = got
				info, err := s.Stat(id)
				if err != nil || info.RawSize != int64(len(tt.chunks[i])) || info.Inline || info.Pack.IsZero() {
					t.Fatalf("Stat(chunk %d) = %+v, %v", i, info, err)
				}
			}
			var packs []PackInfo
			if err := s.Packs(ctx, func(p PackInfo) error { packs = append(packs, p); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(packs) != tt.wantPacks {
				t.Errorf("%d packs, want %d", len(packs), tt.wantPacks)
			}
			blobs := 0
			for _, p := range packs {
				blobs += p.Count
				data, err := os.ReadFile(s.PackPath(p.ID))
				if err != nil {
					t.Fatal(err)
				}
				tab, err := pack.Read(bytes.NewReader(data), int64(len(data)))
				if err != nil {
					t.Fatal(err)
				}
				if tab.Version != pack.Version || ID(tab.Sum) != p.ID || int64(len(data)) != p.Size {
					t.Errorf("pack %s: file of %d bytes, format %d, table hashing to %s; record says %d bytes",
						p.ID, len(data), tab.Version, ID(tab.Sum), p.Size)
				}
			}
			if blobs != len(tt.chunks) {
				t.Errorf("packs hold %d blobs, put %d", blobs, len(tt.chunks))
			}
			if names := tmpFiles(t, s.opts.Dir); len(names) != 0 {
				t.Errorf("temp files left after Flush: %v", names)
			}
		})
	}
}

func TestGetReusesBuffer(t *testing.T) {
	s := openStore(t, Options{})
	c := pseudoRandom("buf", 1000)
	id := putAll(t, s, [][]byte{c})[0]
	buf := make([]byte, 10, 4096)
	got, _, err := s.Get(context.Background(), id, buf)
	if err != nil {
		t.Fatal(err)
	}
	if &got[0] != &buf[:1][0] {
		t.Error("Get did not use buf's capacity")
	}
	if _, _, err := s.Get(context.Background(), Sum([]byte("nope")), nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of a missing blob = %v, want ErrNotFound", err)
	}
	if _, err := s.Stat(Sum([]byte("nope"))); !errors.Is(err, ErrNotFound) {
		t.Errorf("Stat of a missing blob = %v, want ErrNotFound", err)
	}
}

func TestDedup(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{PackSize: 128 << 10})
	chunks := testChunks("dedup", 10, 40<<10)
	w := s.NewWriter()
	for round := range 2 {
		for i, c := range chunks {
			stored, err := w.PutChunk(ctx, Sum(c), c, nil)
			if err != nil {
				t.Fatal(err)
			}
			if stored != (round == 0) {
				t.Fatalf("round %d chunk %d: stored = %v", round, i, stored)
			}
		}
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(w.seen) != 0 {
		t.Errorf("writer still remembers %d chunks after Flush", len(w.seen))
	}
	// A second session finds them in the index.
	w2 := s.NewWriter()
	for _, c := range chunks {
		if stored, err := w2.PutChunk(ctx, Sum(c), c, nil); err != nil || stored {
			t.Fatalf("second writer: stored = %v, %v", stored, err)
		}
	}
	if err := w2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	count := 0
	if err := s.Packs(ctx, func(p PackInfo) error { count += p.Count; return nil }); err != nil {
		t.Fatal(err)
	}
	if count != len(chunks) {
		t.Errorf("packs hold %d blobs, want %d", count, len(chunks))
	}
}

func TestCompression(t *testing.T) {
	ctx := context.Background()
	text := bytes.Repeat([]byte("the quick brown fox "), 3000)
	noise := pseudoRandom("noise", 60000)
	tests := []struct {
		name        string
		compression bool
		data        []byte
		wantSmaller bool
	}{
		{"text", true, text, true},
		{"noise", true, noise, false},
		{"text, compression off", false, text, false},
		{"barely compressible", true, append(pseudoRandom("mostly", 60000), make([]byte, 3000)...), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, Options{Compression: tt.compression})
			id := putAll(t, s, [][]byte{tt.data})[0]
			info, err := s.Stat(id)
			if err != nil {
				t.Fatal(err)
			}
			if smaller := info.StoredSize < info.RawSize; smaller != tt.wantSmaller || info.Compressed != tt.wantSmaller {
				t.Errorf("stored %d of %d bytes (compressed %v), want compressed %v", info.StoredSize, info.RawSize, info.Compressed, tt.wantSmaller)
			}
			if tt.wantSmaller && info.StoredSize > info.RawSize-info.RawSize/16 {
				t.Errorf("compressed though it saves less than 1/16")
			}
			got, _, err := s.Get(ctx, id, nil)
			if err != nil || !bytes.Equal(got, tt.data) {
				t.Fatalf("Get = %d bytes, %v", len(got), err)
			}
		})
	}
}

func TestCompressHint(t *testing.T) {
	c := newCodec()
	defer c.close()
	text := bytes.Repeat([]byte("abcd"), 4096)
	noise := pseudoRandom("hint", 16384)

	var hint CompressHint
	for range compressGiveUp {
		if _, comp, release := c.compress(noise, &hint); comp != compressionNone {
			t.Fatal("noise compressed")
		} else {
			release()
		}
	}
	if _, comp, _ := c.compress(text, &hint); comp != compressionNone {
		t.Error("hint tried again after the first chunks of its file did not compress")
	}
	if _, comp, _ := c.compress(text, nil); comp != compressionZstd {
		t.Error("nil hint did not try")
	}

	var mixed CompressHint // a compressible header keeps it trying
	_, _, release := c.compress(text, &mixed)
	release()
	for range 2 * compressGiveUp {
		c.compress(noise, &mixed)
	}
	if _, comp, _ := c.compress(text, &mixed); comp != compressionZstd {
		t.Error("hint gave up on a file whose first chunk compressed")
	}
}

func TestKindHint(t *testing.T) {
	c := newCodec()
	defer c.close()
	noise := func(i int) []byte { return pseudoRandom(fmt.Sprint("kind", i), 8192) }
	text := bytes.Repeat([]byte("a compressible line\n"), 400)
	stored := func(data []byte, hint Hint) uint8 {
		_, comp, release := c.compress(data, hint)
		release()
		return comp
	}

	var kind KindHint
	for i := range kindGiveUp {
		if stored(noise(i), &kind) != compressionNone {
			t.Fatal("noise compressed")
		}
	}
	// Past kindGiveUp files that did not compress, one in kindSample is
	// tried: the first compressible file sampled turns the kind back on.
	var raw []int
	for i := range 3 * kindSample {
		if stored(text, &kind) == compressionNone {
			raw = append(raw, i)
		}
	}
	if len(raw) != kindSample-1 || raw[len(raw)-1] != kindSample-2 {
		t.Errorf("compressible files stored raw after the kind gave up: %v, want the first %d only", raw, kindSample-1)
	}

	// A compressible file among the first ones keeps the kind trying: the
	// misses that count are those in a row.
	var mixed KindHint
	for i := range 4 * kindGiveUp {
		if i%kindGiveUp == kindGiveUp-1 {
			if stored(text, &mixed) != compressionZstd {
				t.Fatalf("file %d: kind gave up after fewer than %d misses in a row", i, kindGiveUp)
			}
			continue
		}
		stored(noise(i), &mixed)
	}

	var none *KindHint
	if stored(text, none) != compressionZstd {
		t.Error("nil kind hint did not try")
	}
}

func TestVerifyOnRead(t *testing.T) {
	ctx := context.Background()
	for _, compression := range []bool{false, true} {
		t.Run(map[bool]string{false: "raw", true: "zstd"}[compression], func(t *testing.T) {
			s := openStore(t, Options{Compression: compression})
			chunks := [][]byte{bytes.Repeat([]byte("compressible "), 4000), pseudoRandom("other", 5000)}
			ids := putAll(t, s, chunks)
			info, err := s.Stat(ids[0])
			if err != nil {
				t.Fatal(err)
			}
			path := s.PackPath(info.Pack)
			patchFile(t, path, info.Offset+info.StoredSize/2, 0x40)
			_, _, err = s.Get(ctx, ids[0], nil)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), ids[0].String()) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Get of a damaged blob = %v, want ErrCorrupt naming %s and %s", err, ids[0], path)
			}
			if got, _, err := s.Get(ctx, ids[1], nil); err != nil || !bytes.Equal(got, chunks[1]) {
				t.Fatalf("undamaged blob in the same pack: %v", err)
			}
		})
	}
}

func TestTruncatedPack(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	chunks := testChunks("trunc", 3, 10000)
	ids := putAll(t, s, chunks)
	info, _ := s.Stat(ids[2])
	path := s.PackPath(info.Pack)
	if err := os.Truncate(path, info.Offset+100); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.Get(ctx, ids[2], nil)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "truncated") || !strings.Contains(err.Error(), path) {
		t.Fatalf("Get from a truncated pack = %v", err)
	}
	if _, _, err := s.Get(ctx, ids[0], nil); err != nil {
		t.Fatalf("blob before the cut: %v", err)
	}
	r, err := s.Check(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK() || !strings.Contains(r.Problems[0].String(), path) {
		t.Fatalf("Check of a truncated pack: %+v", r.Problems)
	}
}

func TestConcurrentPutChunk(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{PackSize: 200 << 10, Compression: true})
	chunks := testChunks("conc", 64, 16<<10)
	for i := range 8 { // some compressible chunks too
		chunks = append(chunks, bytes.Repeat([]byte{byte(i), 'x', 'y'}, 5000))
	}
	w := s.NewWriter()
	var stored atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			order := rand.New(rand.NewPCG(uint64(g), 1)).Perm(len(chunks))
			var hint CompressHint
			for _, i := range order { // every goroutine puts every chunk
				ok, err := w.PutChunk(ctx, Sum(chunks[i]), chunks[i], &hint)
				if err != nil {
					errs <- err
					return
				}
				if ok {
					stored.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// A put racing with the commit of a pack may store a duplicate.
	if n := stored.Load(); n < int64(len(chunks)) || n > int64(len(chunks))+8 {
		t.Errorf("stored %d chunks, want %d", n, len(chunks))
	}
	for i, c := range chunks {
		got, _, err := s.Get(ctx, Sum(c), nil)
		if err != nil || !bytes.Equal(got, c) {
			t.Fatalf("chunk %d: %v", i, err)
		}
	}
	r, err := s.Check(ctx, nil)
	if err != nil || !r.OK() || len(r.Warnings) != 0 {
		t.Fatalf("Check: %v %+v %+v", err, r.Problems, r.Warnings)
	}
}

func TestPutBlob(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	w := s.NewWriter()
	tree := []byte("TRT\x01 pretend tree")
	id, err := w.PutBlob(ctx, TypeTree, tree)
	if err != nil || id != Sum(tree) {
		t.Fatalf("PutBlob = %s, %v", id, err)
	}
	if again, err := w.PutBlob(ctx, TypeTree, tree); err != nil || again != id {
		t.Fatalf("second PutBlob = %s, %v", again, err)
	}
	digest := Sum([]byte("some big file"))
	w.SetFileMap(digest, id)
	if ok, _ := s.Has(id); ok {
		t.Error("blob visible before Flush")
	}
	if _, ok, _ := s.FileMap(digest); ok {
		t.Error("file map visible before Flush")
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got, typ, err := s.Get(ctx, id, nil)
	if err != nil || typ != TypeTree || !bytes.Equal(got, tree) {
		t.Fatalf("Get = %q, %s, %v", got, typ, err)
	}
	info, err := s.Stat(id)
	if err != nil || !info.Inline || info.Type != TypeTree || info.RawSize != int64(len(tree)) {
		t.Fatalf("Stat = %+v, %v", info, err)
	}
	if m, ok, err := s.FileMap(digest); err != nil || !ok || m != id {
		t.Fatalf("FileMap = %s, %v, %v", m, ok, err)
	}
	if _, ok, err := s.FileMap(Sum(nil)); err != nil || ok {
		t.Fatalf("FileMap of an unknown digest = %v, %v", ok, err)
	}

	if _, err := w.PutBlob(ctx, TypeRecord, make([]byte, MaxInlineBlobSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("PutBlob over the limit = %v, want ErrTooLarge", err)
	}
	if _, err := w.PutBlob(ctx, TypeChunk, []byte("x")); err == nil {
		t.Error("PutBlob accepted a chunk")
	}
	if _, err := w.PutBlob(ctx, BlobType(77), []byte("x")); err == nil {
		t.Error("PutBlob accepted type 77")
	}
	if _, err := w.PutChunk(ctx, ID{}, make([]byte, MaxChunkSize+1), nil); !errors.Is(err, ErrTooLarge) {
		t.Errorf("PutChunk over the limit = %v, want ErrTooLarge", err)
	}
}

// TestPendingInlineBounded checks that a session of many blobs commits them
// as it goes, after the chunks put before them.
func TestPendingInlineBounded(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	w := s.NewWriter()
	chunk := pseudoRandom("before", 1000)
	if _, err := w.PutChunk(ctx, Sum(chunk), chunk, nil); err != nil {
		t.Fatal(err)
	}
	var last ID
	for i := range 3 {
		var err error
		if last, err = w.PutBlob(ctx, TypeRecord, pseudoRandom(string(rune('a'+i)), 3<<20)); err != nil {
			t.Fatal(err)
		}
	}
	// 9 MiB of blobs passed the 8 MiB bound: they, and the chunk before
	// them, are committed without an explicit Flush.
	if ok, _ := s.Has(Sum(chunk)); !ok {
		t.Error("chunk put before the blobs not committed")
	}
	if ok, _ := s.Has(last); !ok {
		t.Error("pending blobs not committed past the bound")
	}
}

func TestWriterStaysFailed(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	w := s.NewWriter()
	c := pseudoRandom("fail", 1000)
	if err := os.RemoveAll(s.tmpDir); err != nil {
		t.Fatal(err)
	}
	_, err := w.PutChunk(ctx, Sum(c), c, nil)
	if err == nil {
		t.Fatal("PutChunk without a temp dir succeeded")
	}
	if err := os.Mkdir(s.tmpDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err2 := w.PutChunk(ctx, Sum(c), c, nil); err2 == nil || err2.Error() != err.Error() {
		t.Fatalf("PutChunk after failure = %v, want the first error %v", err2, err)
	}
	if err2 := w.Flush(ctx); err2 == nil {
		t.Fatal("Flush after failure succeeded")
	}
	if _, err2 := w.PutBlob(ctx, TypeTree, []byte("t")); err2 == nil {
		t.Fatal("PutBlob after failure succeeded")
	}
	// Other sessions are unaffected.
	putAll(t, s, [][]byte{c})
}

func TestAbort(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	w := s.NewWriter()
	chunks := testChunks("abort", 5, 1000)
	for _, c := range chunks {
		if _, err := w.PutChunk(ctx, Sum(c), c, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.PutBlob(ctx, TypeTree, []byte("tree")); err != nil {
		t.Fatal(err)
	}
	if len(tmpFiles(t, s.opts.Dir)) != 1 {
		t.Fatalf("want one temp pack, have %v", tmpFiles(t, s.opts.Dir))
	}
	w.Abort()
	if names := tmpFiles(t, s.opts.Dir); len(names) != 0 {
		t.Errorf("temp files after Abort: %v", names)
	}
	if _, err := w.PutChunk(ctx, Sum(chunks[0]), chunks[0], nil); !errors.Is(err, ErrClosed) {
		t.Errorf("PutChunk after Abort = %v, want ErrClosed", err)
	}
	if err := w.Flush(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Abort = %v, want ErrClosed", err)
	}
	if ok, _ := s.Has(Sum([]byte("tree"))); ok {
		t.Error("aborted blob is visible")
	}
}

// TestCrashBeforeFlush drops a session without Flush and closes the store,
// as a killed process would leave it.
func TestCrashBeforeFlush(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	kept := putAll(t, s, testChunks("kept", 3, 5000))
	w := s.NewWriter()
	lost := testChunks("lost", 10, 20000)
	for _, c := range lost {
		if _, err := w.PutChunk(ctx, Sum(c), c, nil); err != nil {
			t.Fatal(err)
		}
	}
	w.SetFileMap(Sum([]byte("file")), Sum(lost[0]))
	if len(tmpFiles(t, dir)) == 0 {
		t.Fatal("no temp pack while writing")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if len(tmpFiles(t, dir)) == 0 {
		t.Fatal("temp pack gone before the reopen")
	}

	s = openStore(t, Options{Dir: dir})
	if names := tmpFiles(t, dir); len(names) != 0 {
		t.Errorf("Open left temp files: %v", names)
	}
	late := []byte("late")
	if _, err := w.PutChunk(ctx, Sum(late), late, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("PutChunk to the closed store = %v, want ErrClosed", err)
	}
	for _, c := range lost {
		if ok, err := s.Has(Sum(c)); err != nil || ok {
			t.Fatalf("unflushed chunk: Has = %v, %v", ok, err)
		}
	}
	if _, ok, _ := s.FileMap(Sum([]byte("file"))); ok {
		t.Error("unflushed file map survived")
	}
	for _, id := range kept {
		if _, _, err := s.Get(ctx, id, nil); err != nil {
			t.Fatalf("flushed chunk lost: %v", err)
		}
	}
	r, err := s.Check(ctx, nil)
	if err != nil || !r.OK() || len(r.Warnings) != 0 {
		t.Fatalf("Check after the crash: %v %+v %+v", err, r.Problems, r.Warnings)
	}
}

func TestClosedStore(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	id := putAll(t, s, [][]byte{[]byte("x")})[0]
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if _, _, err := s.Get(ctx, id, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close = %v", err)
	}
	if _, err := s.Has(id); !errors.Is(err, ErrClosed) {
		t.Errorf("Has after Close = %v", err)
	}
	if _, err := s.GetMeta('r', []byte("k")); !errors.Is(err, ErrClosed) {
		t.Errorf("GetMeta after Close = %v", err)
	}
	if err := s.UpdateMeta(ctx, func(*MetaTx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("UpdateMeta after Close = %v", err)
	}
}

func TestOpenOptions(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, Options{}); err == nil {
		t.Error("Open without Dir succeeded")
	}
	if _, err := Open(ctx, Options{Dir: t.TempDir(), PackSize: -1}); err == nil {
		t.Error("Open with a negative PackSize succeeded")
	}
	// Dir/tmp garbage from a crash is removed, whatever it is.
	dir := t.TempDir()
	if err := os.MkdirAll(dir+"/tmp/sub", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/tmp/pack-123.tmp", []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	openStore(t, Options{Dir: dir})
	if names := tmpFiles(t, dir); len(names) != 0 {
		t.Errorf("Open left %v in tmp", names)
	}
}

// TestFailedPackCommit breaks the packs directory so that installing a
// pack fails: the writer fails for good, removes its temp file, and the
// index names nothing.
func TestFailedPackCommit(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{PackSize: 50000})
	if err := os.RemoveAll(s.packDir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.packDir, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	w := s.NewWriter()
	chunks := testChunks("fail commit", 5, 20000)
	var err error
	for _, c := range chunks {
		if _, err = w.PutChunk(ctx, Sum(c), c, nil); err != nil {
			break
		}
	}
	if err == nil {
		err = w.Flush(ctx)
	}
	if err == nil {
		t.Fatal("writing into a broken packs directory succeeded")
	}
	if err2 := w.Flush(ctx); err2 == nil {
		t.Fatal("Flush after a failed commit succeeded")
	}
	if names := tmpFiles(t, s.opts.Dir); len(names) != 0 {
		t.Errorf("temp files after the failure: %v", names)
	}
	for _, c := range chunks {
		if ok, _ := s.Has(Sum(c)); ok {
			t.Fatal("index names a chunk whose pack was never installed")
		}
	}
}
