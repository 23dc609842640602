package objects

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
)

// BenchmarkPackWrite measures a commit's write path: two goroutines (this
// machine's cores) put 256 MiB of distinct incompressible 64 KiB chunks
// with PutChunk, then Flush, with the default 64 MiB packs: writes, index
// commits and (except in "nosync") four pack fsyncs included; chunk hashing
// (the caller's job) and opening the store excluded.
//
// "sync" is bounded by the disk. "nosync" skips only the pack fsyncs, to
// show what the writer itself sustains: it must not be the bottleneck
// (≥ 1.1 GB/s here). "zstd" tries compression, which the per-file hint
// gives up after each stream's first chunks.
func BenchmarkPackWrite(b *testing.B) {
	const total, size = 256 << 20, 64 << 10
	data := pseudoRandom("pack write", total)
	ids := make([]ID, total/size)
	for i := range ids {
		ids[i] = Sum(data[i*size : (i+1)*size])
	}
	cases := []struct {
		name         string
		compression  bool
		unsafeNoSync bool
	}{
		{"sync", false, false},
		{"sync+zstd", true, false},
		{"nosync", false, true},
		{"nosync+zstd", true, true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(total)
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dir, err := os.MkdirTemp("", "trove-bench-")
				if err != nil {
					b.Fatal(err)
				}
				s, err := Open(context.Background(), Options{Dir: dir, Compression: c.compression})
				if err != nil {
					b.Fatal(err)
				}
				s.unsafeNoSync = c.unsafeNoSync
				b.StartTimer()
				writeChunks(b, s, data, ids, size, 2)
				b.StopTimer()
				s.Close()
				os.RemoveAll(dir)
				b.StartTimer()
			}
		})
	}
}

// writeChunks puts the chunks from workers goroutines, one hint per
// worker's stream, and flushes.
func writeChunks(b *testing.B, s *Store, data []byte, ids []ID, size, workers int) {
	ctx := context.Background()
	w := s.NewWriter()
	var wg sync.WaitGroup
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var hint CompressHint
			for i := g; i < len(ids); i += workers {
				if _, err := w.PutChunk(ctx, ids[i], data[i*size:(i+1)*size], &hint); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := w.Flush(ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkGet reads uncompressed 64 KiB chunks on one goroutine, from
// the page cache: index lookup, pread and BLAKE3 verification.
func BenchmarkGet(b *testing.B) {
	const n, size = 1024, 64 << 10
	s := openStore(b, Options{})
	data := pseudoRandom("get", n*size)
	ids := make([]ID, n)
	for i := range ids {
		ids[i] = Sum(data[i*size : (i+1)*size])
	}
	writeChunks(b, s, data, ids, size, 1)
	ctx := context.Background()
	buf := make([]byte, 0, size)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		var err error
		if buf, _, err = s.Get(ctx, ids[i%n], buf); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkGetCompressed is BenchmarkGet for zstd-compressed chunks.
func BenchmarkGetCompressed(b *testing.B) {
	const n, size = 256, 64 << 10
	s := openStore(b, Options{Compression: true})
	data := make([]byte, n*size)
	for i := range data { // text-like: compresses about 3:1
		data[i] = "abcdefghij"[(i*7+i/1000)%10]
	}
	for i := 0; i < len(data); i += 97 {
		data[i] = byte(i >> 8)
	}
	ids := make([]ID, n)
	for i := range ids {
		ids[i] = Sum(data[i*size : (i+1)*size])
	}
	writeChunks(b, s, data, ids, size, 1)
	if info, _ := s.Stat(ids[0]); !info.Compressed {
		b.Fatal("test data did not compress")
	}
	ctx := context.Background()
	buf := make([]byte, 0, size)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		var err error
		if buf, _, err = s.Get(ctx, ids[i%n], buf); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkLookup compares finding 16,384 packed chunks (a 1 GiB file's)
// one Pebble Get at a time with Locate's ordered passes, 32, 128 and 512
// ids a call (a pull locates a big file's chunks 32 at a time, small files
// 128 at a time), in a database shaped like a
// repository between compactions: the index in one table, and four small
// level-0 tables that later commands' writes left.
func BenchmarkLookup(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	const n = 16384
	chunks := testChunks("lookup", n, 32)
	s, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	ids := putAll(b, s, chunks)
	for i := range 5 {
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		if s, err = Open(ctx, Options{Dir: dir}); err != nil {
			b.Fatal(err)
		}
		putAll(b, s, testChunks(fmt.Sprintf("later %d", i), 1, 32))
	}
	defer s.Close()
	b.Run("get", func(b *testing.B) {
		for b.Loop() {
			for _, id := range ids {
				if _, ok, err := s.lookup(id); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/id")
	})
	for _, batch := range []int{32, 128, 512} {
		b.Run(fmt.Sprintf("locate%d", batch), func(b *testing.B) {
			for b.Loop() {
				for i := 0; i < n; i += batch {
					locs, err := s.Locate(ids[i : i+batch])
					if err != nil || !locs[0].Packed() {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/id")
		})
	}
}
