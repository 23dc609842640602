package objects

import (
	"math/rand/v2"
	"testing"
)

// TestReadStream replays read patterns and checks what readStream asks
// for: read-ahead once per half span of reads running forward, even when
// goroutines read out of order, and nothing for scattered reads.
func TestReadStream(t *testing.T) {
	const chunk = 64 << 10
	const size = 256 << 20
	sequential := func() [][2]int64 {
		var rs [][2]int64
		for off := int64(8); off+chunk <= size; off += chunk {
			rs = append(rs, [2]int64{off, off + chunk})
		}
		return rs
	}
	// Two goroutines reading neighbouring files: each window of 64 reads
	// (4 MiB) is read in a shuffled order.
	shuffled := func() [][2]int64 {
		rs := sequential()
		rnd := rand.New(rand.NewPCG(1, 2))
		for i := 0; i < len(rs); i += 64 {
			w := rs[i:min(i+64, len(rs))]
			rnd.Shuffle(len(w), func(a, b int) { w[a], w[b] = w[b], w[a] })
		}
		return rs
	}
	scattered := func() [][2]int64 {
		var rs [][2]int64
		rnd := rand.New(rand.NewPCG(3, 4))
		for range 200 {
			off := rnd.Int64N(size - chunk)
			rs = append(rs, [2]int64{off, off + chunk})
		}
		return rs
	}
	for _, tc := range []struct {
		name     string
		reads    [][2]int64
		maxAsk   int  // read-aheads asked for, at most
		inStream bool // reads past the first 8 MiB find their bytes asked for
	}{
		{"sequential", sequential(), size/(aheadSpan/2) + 2, true},
		{"shuffled", shuffled(), size/(aheadSpan/2) + 8, true},
		{"scattered", scattered(), 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s readStream
			var asks, misses int
			var askedTo int64
			for _, r := range tc.reads {
				if r[0] >= 8<<20 && r[1] > askedTo {
					misses++
				}
				ahead := s.read(r[0], r[1])
				if ahead.to > ahead.from {
					asks++
					if ahead.from < r[0] || ahead.to < r[1]+aheadSpan/2 {
						t.Fatalf("read [%d, %d): read-ahead [%d, %d) is not ahead of it", r[0], r[1], ahead.from, ahead.to)
					}
					askedTo = max(askedTo, ahead.to)
				}
			}
			if asks > tc.maxAsk {
				t.Errorf("%d read-aheads for %d reads, want at most %d", asks, len(tc.reads), tc.maxAsk)
			}
			if tc.inStream && misses > 0 {
				t.Errorf("%d reads past the first 8 MiB found their bytes not asked for", misses)
			}
		})
	}
}
