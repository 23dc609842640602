package checkout

import (
	"context"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/trove-ml/trove/objects"
)

// BenchmarkPlace places one 64 MiB cached file per iteration in each
// mode, at a name that is free (removing it is not timed). Reflink runs
// only where $TMPDIR reflinks. Bytes per second count the file's size:
// for links, bytes not written.
func BenchmarkPlace(b *testing.B) {
	const size = 64 << 20
	c := newCache(b, Options{})
	content := make([]byte, size)
	rng := rand.NewChaCha8([32]byte{1})
	rng.Read(content)
	id := objects.Sum(content)
	if _, err := c.Add(context.Background(), id, size, fillWith(id, content)); err != nil {
		b.Fatal(err)
	}
	src := c.Path(id)
	for _, mode := range []Mode{Copy, Hardlink, Reflink} {
		b.Run(mode.String(), func(b *testing.B) {
			out := b.TempDir()
			if mode == Reflink && !Probe(c.Dir(), out) {
				b.Skipf("no reflinks in %s", out)
			}
			dst := filepath.Join(out, "model.bin")
			b.SetBytes(size)
			b.ResetTimer()
			for range b.N {
				// A fresh destination each time: a hardlink onto a link of
				// the same file is a no-op that would measure nothing.
				b.StopTimer()
				if err := os.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
					b.Fatal(err)
				}
				b.StartTimer()
				if _, err := Place(context.Background(), mode, src, dst, 0o644); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
