package objects

import (
	"bytes"
	"runtime"
	"testing"
)

// TestCodecMemory checks what compressing a largest default chunk costs in
// encoder memory: the window is sized to a chunk (compressWindow), so an
// encoder's history is well under a megabyte; zstd's default 8 MiB window
// allocated 8 MiB per encoder, GOMAXPROCS of them, in a process that aims
// at 64 MiB.
func TestCodecMemory(t *testing.T) {
	c := newCodec()
	defer c.close()
	data := bytes.Repeat([]byte("compressible text, again and again. "), (256<<10)/36)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	stored, comp, release := c.compress(data, nil)
	runtime.ReadMemStats(&after)
	if comp != compressionZstd || len(stored) >= len(data)/2 {
		t.Fatalf("chunk of %d bytes stored as %d bytes, compression %d", len(data), len(stored), comp)
	}
	raw, err := c.dec.DecodeAll(stored, make([]byte, 0, len(data)))
	if err != nil || !bytes.Equal(raw, data) {
		t.Fatalf("round trip: %v", err)
	}
	release()
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 2<<20 {
		t.Errorf("the first compression allocated %d bytes, want under 2 MiB", grew)
	}
}
