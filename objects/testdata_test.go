package objects

import (
	"io"

	"github.com/zeebo/blake3"
)

// pseudoRandom returns n deterministic, incompressible bytes derived from
// label with the BLAKE3 XOF, so known answers stay stable across Go releases.
func pseudoRandom(label string, n int) []byte {
	h := blake3.New()
	_, _ = h.WriteString(label)
	b := make([]byte, n)
	_, _ = io.ReadFull(h.Digest(), b)
	return b
}
