package objects

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/iotest"
)

// cutAll splits data with c.Cut as a caller with the whole input would.
func cutAll(c *Chunker, data []byte) []int {
	var cuts []int
	for len(data) > 0 {
		n := c.Cut(data, true)
		cuts = append(cuts, n)
		data = data[n:]
	}
	return cuts
}

// TestChunkerKnownAnswer pins every algorithm: if these lengths change,
// existing repositories stop deduplicating against new commits.
func TestChunkerKnownAnswer(t *testing.T) {
	tests := []struct {
		name string
		p    ChunkerParams
		n    int
		want []int
	}{
		{"gear64", ChunkerParams{Algorithm: ChunkerGear64, Min: 16 << 10, Avg: 64 << 10, Max: 256 << 10}, 4 << 20, []int{105285, 37696, 93246, 71799, 72423, 65603, 94902, 34341, 72331, 67353, 68237, 68715, 74541, 69086, 69701, 125672, 71169, 77604, 72450, 74244, 122302, 66694, 68428, 80239, 65914, 68880, 92882, 92696, 104563, 92407, 44315, 68045, 25309, 81586, 107893, 83468, 92328, 100496, 87108, 71290, 115931, 72650, 66569, 103730, 60816, 67658, 78096, 87641, 108968, 85400, 72640, 139183, 31781}},
		{"gear64 unnamed", ChunkerParams{Min: 16 << 10, Avg: 64 << 10, Max: 256 << 10}, 1 << 20, []int{105285, 37696, 93246, 71799, 72423, 65603, 94902, 34341, 72331, 67353, 68237, 68715, 74541, 69086, 53018}},
		{"small seed 42", ChunkerParams{Min: 64, Avg: 256, Max: 1024, Seed: 42}, 4096, []int{285, 375, 279, 351, 146, 287, 323, 371, 180, 330, 135, 306, 365, 267, 96}},
		{"gear64nc1", ChunkerParams{Algorithm: ChunkerGear64NC1, Min: 16 << 10, Avg: 64 << 10, Max: 256 << 10}, 4 << 20, []int{47464, 61189, 30750, 41037, 214722, 52204, 50089, 77840, 47616, 53479, 45992, 60834, 43427, 71288, 120722, 72382, 171065, 77604, 35337, 233659, 80108, 115093, 69826, 59988, 161677, 85043, 203327, 70001, 25309, 81586, 57941, 97483, 35937, 92328, 100496, 49900, 53716, 45693, 125020, 61225, 77994, 42218, 61512, 42828, 17988, 41167, 45924, 58663, 129652, 108819, 121152, 47277, 86932, 31781}},
		{"gear64nc0 default", DefaultChunkerParams(), 4 << 20, []int{38710, 69943, 34063, 37724, 214722, 35061, 67232, 77840, 47616, 53479, 45992, 60834, 43427, 71288, 39556, 81166, 72382, 171065, 77604, 35337, 233659, 80108, 115093, 69826, 33161, 188504, 85043, 203327, 70001, 66151, 40744, 57941, 97483, 35937, 38344, 53984, 100496, 49900, 53716, 45693, 125020, 61225, 36650, 41344, 42218, 61512, 42828, 59155, 45924, 58663, 129652, 108819, 121152, 47277, 86932, 31781}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cutAll(NewChunker(tt.p), pseudoRandom("trove chunker known answer", tt.n))
			if !slices.Equal(got, tt.want) {
				t.Errorf("cuts changed:\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

// referenceCut is Cut written as the plain byte-at-a-time loop of the
// format's definition: the gear hash from Min on, the small-chunk mask
// before the normal point, the large-chunk mask after it.
func referenceCut(c *Chunker, data []byte, eof bool) int {
	n := len(data)
	if n <= c.p.Min {
		if eof {
			return n
		}
		return 0
	}
	end := min(n, c.p.Max)
	normal := min(end, c.normal)
	var h uint64
	for i := c.p.Min; i < end; i++ {
		h = h<<1 + c.gear[data[i]]
		mask := c.maskL
		if i < normal {
			mask = c.maskS
		}
		if h&mask == 0 {
			return i + 1
		}
	}
	if end == c.p.Max || eof {
		return end
	}
	return 0
}

// TestChunkerMatchesReference checks that Cut's unrolled loop finds the
// cut points of the plain loop, at every length around the places where
// the unrolled loop changes mode, with and without eof.
func TestChunkerMatchesReference(t *testing.T) {
	params := []ChunkerParams{
		DefaultChunkerParams(),
		{Algorithm: ChunkerGear64, Min: 16 << 10, Avg: 64 << 10, Max: 256 << 10},
		{Min: 64, Avg: 256, Max: 1024, Seed: 42},
		{Algorithm: ChunkerGear64NC1, Min: 64, Avg: 256, Max: 1024, Seed: 42},
		{Min: 1000, Avg: 1024, Max: 1025},
		{Min: 65, Avg: 512, Max: 4099, Seed: 7},
	}
	for _, p := range params {
		c := NewChunker(p)
		data := pseudoRandom(fmt.Sprint("reference ", p), 8*p.Max+3)
		for off := 0; off < len(data); {
			d := data[off:]
			if got, want := c.Cut(d, true), referenceCut(c, d, true); got != want {
				t.Fatalf("%+v at %d: Cut = %d, reference %d", p, off, got, want)
			}
			off += referenceCut(c, d, true)
		}
		for _, n := range []int{0, 1, p.Min - 1, p.Min, p.Min + 1, p.Min + 3, p.Min + 4, p.Min + 5,
			p.Avg - 1, p.Avg, p.Avg + 1, p.Avg + 2, p.Max - 1, p.Max, p.Max + 1, 3 * p.Max} {
			for _, eof := range []bool{false, true} {
				d := data[:min(max(n, 0), len(data))]
				if got, want := c.Cut(d, eof), referenceCut(c, d, eof); got != want {
					t.Fatalf("%+v, %d bytes, eof %v: Cut = %d, reference %d", p, len(d), eof, got, want)
				}
			}
		}
	}
}

// FuzzChunkerCut compares Cut with the plain loop on arbitrary input,
// including runs of bytes that make the hash cut early.
func FuzzChunkerCut(f *testing.F) {
	f.Add(pseudoRandom("fuzz", 3000), false)
	f.Add(make([]byte, 1500), true)
	c := NewChunker(ChunkerParams{Min: 64, Avg: 256, Max: 1024, Seed: 3})
	f.Fuzz(func(t *testing.T, data []byte, eof bool) {
		if got, want := c.Cut(data, eof), referenceCut(c, data, eof); got != want {
			t.Fatalf("Cut(%d bytes, eof %v) = %d, reference %d", len(data), eof, got, want)
		}
	})
}

// FuzzChunkerCutHinted checks CutHinted's contract on arbitrary input and
// hints: it cuts where Cut does, or at the first hint before that which is
// at least Min/4 in and whose 64 bytes hash to a boundary.
func FuzzChunkerCutHinted(f *testing.F) {
	c := NewChunker(ChunkerParams{Min: 512, Avg: 1024, Max: 4096, Seed: 3})
	data := pseudoRandom("fuzz hinted", 9000)
	var hints []byte
	for q := c.hintMin; q < 4096; q++ { // every hash boundary of data, as a hint
		if c.boundaryAt(data[q-64 : q]) {
			hints = binary.LittleEndian.AppendUint16(hints, uint16(q))
		}
	}
	f.Add(data, true, hints)
	f.Add(data[:3000], false, hints)
	f.Add(make([]byte, 5000), true, []byte{200, 0, 0, 2})
	f.Fuzz(func(t *testing.T, data []byte, eof bool, hintBytes []byte) {
		var hints []int
		for i := 0; i+2 <= len(hintBytes); i += 2 {
			hints = append(hints, int(binary.LittleEndian.Uint16(hintBytes[i:])))
		}
		slices.Sort(hints)
		n := c.Cut(data, eof)
		got := c.CutHinted(data, eof, hints)
		if got == n {
			for _, p := range hints {
				if p >= c.hintMin && p <= len(data) && (p < n || n == 0) && c.boundaryAt(data[p-64:p]) {
					t.Fatalf("CutHinted(%d bytes, eof %v) = %d, Cut's boundary, passing over the hint %d", len(data), eof, got, p)
				}
			}
			return
		}
		i := slices.Index(hints, got)
		switch {
		case i < 0:
			t.Fatalf("CutHinted(%d bytes, eof %v) = %d: neither Cut's %d nor a hint %v", len(data), eof, got, n, hints)
		case got < c.hintMin || got > len(data) || (n > 0 && got >= n) || !c.boundaryAt(data[got-64:got]):
			t.Fatalf("CutHinted(%d bytes, eof %v) = %d: a hint it should have passed over (Cut: %d)", len(data), eof, got, n)
		}
		for _, p := range hints[:i] {
			if p >= c.hintMin && c.boundaryAt(data[p-64:p]) {
				t.Fatalf("CutHinted(%d bytes, eof %v) = %d, passing over the earlier hint %d", len(data), eof, got, p)
			}
		}
	})
}

func TestChunkerSeedChangesBoundaries(t *testing.T) {
	data := pseudoRandom("seed", 2<<20)
	p := DefaultChunkerParams()
	a := cutAll(NewChunker(p), data)
	p.Seed = 1
	b := cutAll(NewChunker(p), data)
	if slices.Equal(a, b) {
		t.Fatal("seeds 0 and 1 cut identically")
	}
}

func TestChunkerBounds(t *testing.T) {
	zeros := make([]byte, 1<<20) // no boundary ever: every chunk is Max
	tests := []struct {
		name string
		p    ChunkerParams
		data []byte
	}{
		{"default random", DefaultChunkerParams(), pseudoRandom("bounds", 4<<20)},
		{"default zeros", DefaultChunkerParams(), zeros},
		{"small random", ChunkerParams{Min: 64, Avg: 256, Max: 1024}, pseudoRandom("bounds small", 1<<20)},
		{"tight", ChunkerParams{Min: 1000, Avg: 1024, Max: 1025}, pseudoRandom("tight", 1<<20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cuts := cutAll(NewChunker(tt.p), tt.data)
			total := 0
			for i, n := range cuts {
				total += n
				last := i == len(cuts)-1
				if n > tt.p.Max || (n < tt.p.Min && !last) || n == 0 {
					t.Fatalf("chunk %d of %d has length %d, outside [%d, %d]", i, len(cuts), n, tt.p.Min, tt.p.Max)
				}
			}
			if total != len(tt.data) {
				t.Fatalf("chunks cover %d bytes of %d", total, len(tt.data))
			}
		})
	}
}

// TestChunkerMean checks where each algorithm centres chunk lengths on
// random data: gear64nc0, the default, and gear64nc1 within Avg/16 of Avg;
// gear64 more than Avg/16 above it (about 1.15 × Avg), which is why new
// repositories no longer use it.
func TestChunkerMean(t *testing.T) {
	const segments, size = 4, 64 << 20
	var data [][]byte
	for i := range segments {
		data = append(data, pseudoRandom(fmt.Sprint("mean ", i), size))
	}
	mean := func(p ChunkerParams) int {
		c, n := NewChunker(p), 0
		for _, d := range data {
			n += len(cutAll(c, d))
		}
		return segments * size / n
	}
	for _, p := range []ChunkerParams{
		DefaultChunkerParams(),
		{Algorithm: ChunkerGear64NC1, Min: 16 << 10, Avg: 64 << 10, Max: 256 << 10},
	} {
		if m := mean(p); m < p.Avg-p.Avg/16 || m > p.Avg+p.Avg/16 {
			t.Errorf("%s: mean chunk %d bytes, want %d ± %d", p.Algorithm, m, p.Avg, p.Avg/16)
		}
	}
	p := ChunkerParams{Algorithm: ChunkerGear64, Min: 16 << 10, Avg: 64 << 10, Max: 256 << 10}
	if m := mean(p); m <= p.Avg+p.Avg/16 {
		t.Errorf("%s: mean chunk %d bytes, want more than %d (its known skew)", p.Algorithm, m, p.Avg+p.Avg/16)
	}
}

func TestChunkerCutNeedsMore(t *testing.T) {
	c := NewChunker(DefaultChunkerParams())
	data := pseudoRandom("more", 1<<20)
	full := c.Cut(data, false)
	if full == 0 {
		t.Fatal("Cut with 1 MiB of input and eof=false returned 0")
	}
	tests := []struct {
		name string
		data []byte
		eof  bool
		want int
	}{
		{"empty", nil, false, 0},
		{"empty eof", nil, true, 0},
		{"short", data[:100], false, 0},
		{"short eof", data[:100], true, 100},
		{"before boundary", data[:full-1], false, 0},
		{"before boundary eof", data[:full-1], true, full - 1},
		{"at boundary", data[:full], false, full},
		{"zeros up to max", make([]byte, 256<<10), false, 256 << 10},
		{"zeros below max", make([]byte, 256<<10-1), false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Cut(tt.data, tt.eof); got != tt.want {
				t.Errorf("Cut(%d bytes, eof=%v) = %d, want %d", len(tt.data), tt.eof, got, tt.want)
			}
		})
	}
}

// TestChunkerInsertStable checks the point of content-defined chunking: bytes
// inserted at the front change the first chunks only.
func TestChunkerInsertStable(t *testing.T) {
	c := NewChunker(DefaultChunkerParams())
	data := pseudoRandom("insert", 4<<20)
	for _, insert := range []int{1, 4096, 70000} {
		shifted := append(pseudoRandom("prefix", insert), data...)
		a := chunkSet(data, cutAll(c, data))
		b := chunkSet(shifted, cutAll(c, shifted))
		changed := 0
		for k := range b {
			if !a[k] {
				changed++
			}
		}
		if changed > 3 {
			t.Errorf("inserting %d bytes at the front changed %d of %d chunks, want at most 3", insert, changed, len(b))
		}
	}
}

func chunkSet(data []byte, cuts []int) map[ID]bool {
	m := make(map[ID]bool)
	for _, n := range cuts {
		m[Sum(data[:n])] = true
		data = data[n:]
	}
	return m
}

func TestChunkReaderMatchesCut(t *testing.T) {
	p := ChunkerParams{Min: 1 << 10, Avg: 4 << 10, Max: 16 << 10}
	c := NewChunker(p)
	data := pseudoRandom("reader", 1<<20+12345)
	want := cutAll(c, data)
	readers := map[string]io.Reader{
		"plain":    bytes.NewReader(data),
		"one byte": iotest.OneByteReader(bytes.NewReader(data)),
		"half":     iotest.HalfReader(bytes.NewReader(data)),
		"data eof": iotest.DataErrReader(bytes.NewReader(data)),
	}
	for name, r := range readers {
		t.Run(name, func(t *testing.T) {
			cr := c.Reader(r)
			var got []int
			var joined []byte
			for {
				chunk, err := cr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, len(chunk))
				joined = append(joined, chunk...)
			}
			if !slices.Equal(got, want) {
				t.Errorf("reader cut %d chunks %v, Cut gave %d", len(got), got[:min(5, len(got))], len(want))
			}
			if !bytes.Equal(joined, data) {
				t.Error("chunks do not join to the input")
			}
			if _, err := cr.Next(); err != io.EOF {
				t.Errorf("Next after EOF = %v, want io.EOF", err)
			}
		})
	}
}

func TestChunkReaderErrors(t *testing.T) {
	c := NewChunker(DefaultChunkerParams())
	boom := errors.New("boom")
	cr := c.Reader(io.MultiReader(bytes.NewReader(make([]byte, 100)), iotest.ErrReader(boom)))
	if _, err := cr.Next(); !errors.Is(err, boom) {
		t.Fatalf("Next = %v, want the read error", err)
	}
	if _, err := cr.Next(); !errors.Is(err, boom) {
		t.Fatalf("second Next = %v, want the read error again", err)
	}
	cr = c.Reader(strings.NewReader(""))
	if _, err := cr.Next(); err != io.EOF {
		t.Fatalf("Next on empty input = %v, want io.EOF", err)
	}
	cr = c.Reader(stuckReader{})
	if _, err := cr.Next(); !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("Next on a stuck reader = %v, want io.ErrNoProgress", err)
	}
}

type stuckReader struct{}

func (stuckReader) Read([]byte) (int, error) { return 0, nil }

func TestChunkerParamsValidate(t *testing.T) {
	tests := []struct {
		name    string
		p       ChunkerParams
		wantErr string
	}{
		{"default", DefaultChunkerParams(), ""},
		{"smallest", ChunkerParams{Min: 64, Avg: 256, Max: 257}, ""},
		{"avg not power of two", ChunkerParams{Min: 1024, Avg: 3000, Max: 8192}, "power of two"},
		{"min too small", ChunkerParams{Min: 10, Avg: 1024, Max: 8192}, "min 10"},
		{"max too large", ChunkerParams{Min: 1024, Avg: 4096, Max: 1 << 30}, "max 1073741824"},
		{"min above avg", ChunkerParams{Min: 8192, Avg: 4096, Max: 16384}, "min < avg < max"},
		{"max below avg", ChunkerParams{Min: 1024, Avg: 4096, Max: 2048}, "min < avg < max"},
		{"zero", ChunkerParams{}, "power of two"},
		{"negative", ChunkerParams{Min: -1, Avg: -1, Max: -1}, "want at least"},
		{"gear64 named", ChunkerParams{Algorithm: ChunkerGear64, Min: 64, Avg: 256, Max: 257}, ""},
		{"unknown algorithm", ChunkerParams{Algorithm: "rabin", Min: 64, Avg: 256, Max: 1024}, `unknown algorithm "rabin"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate(%+v) = %v, want nil", tt.p, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate(%+v) = %v, want an error containing %q", tt.p, err, tt.wantErr)
			}
			// An invalid config must still give a chunker that terminates
			// and respects its (clamped) bounds.
			c := NewChunker(tt.p)
			q := c.Params()
			if err := q.Validate(); err != nil {
				t.Fatalf("clamped params %+v invalid: %v", q, err)
			}
			for _, n := range cutAll(c, pseudoRandom("clamp", 64<<10)) {
				if n > q.Max {
					t.Fatalf("chunk of %d bytes above clamped max %d", n, q.Max)
				}
			}
		})
	}
}

func BenchmarkChunker(b *testing.B) {
	c := NewChunker(DefaultChunkerParams())
	data := pseudoRandom("bench", 64<<20)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		for d := data; len(d) > 0; {
			d = d[c.Cut(d, true):]
		}
	}
}

// TestChunkerEditCost checks what a 1 MiB overwrite stores beyond the
// bytes it changed, with the default chunker on random data: the chunks
// that straddle its ends and those after it until the boundaries fall back
// into step, about 1.5 mean chunks; more than 1.75 would mean boundaries
// that realign late.
func TestChunkerEditCost(t *testing.T) {
	if testing.Short() {
		t.Skip("chunks 64 MiB and 200 edits")
	}
	p := DefaultChunkerParams()
	c := NewChunker(p)
	data := pseudoRandom("edit cost", 64<<20)
	var bounds []int
	set := map[int]bool{}
	for pos := 0; pos < len(data); {
		pos += c.Cut(data[pos:], true)
		bounds = append(bounds, pos)
		set[pos] = true
	}
	const edits, size = 200, 1 << 20
	rnd := pseudoRandom("edit cost offsets", 8*edits)
	noise := pseudoRandom("edit cost bytes", size)
	// extra returns the bytes that chunking edited from the chunk the edit
	// begins in stores beyond the edit, and checks that they end where an
	// old chunk does: everything after is shared with the old version.
	extra := func(edited []byte, a int, hinted bool) int {
		start := bounds[sort.SearchInts(bounds, a+1)-1] // the chunk the edit begins in
		end := start
		for end <= a+size || !set[end] {
			var n int
			if hinted {
				k := sort.SearchInts(bounds, end+1)
				hints := make([]int, 0, 8)
				for ; k < len(bounds) && bounds[k] <= end+p.Max; k++ {
					hints = append(hints, bounds[k]-end)
				}
				n = c.CutHinted(edited[end:], true, hints)
			} else {
				n = c.Cut(edited[end:], true)
			}
			if end += n; end > a+size+4<<20 {
				t.Fatalf("edit at %d: chunks still out of step with the old ones 4 MiB after it", a)
			}
		}
		return end - start - size
	}
	var plain, hinted int
	for i := range edits {
		a := 4<<20 + int(binary.LittleEndian.Uint32(rnd[8*i:])%uint32(len(data)-12<<20))
		edited := append([]byte(nil), data[:a+8<<20]...)
		copy(edited[a:], noise)
		plain += extra(edited, a, false)
		hinted += extra(edited, a, true)
	}
	mean := float64(len(data) / len(bounds))
	perEdit := func(n int) float64 { return float64(n) / edits / mean }
	t.Logf("a 1 MiB overwrite stores %.2f mean chunks beyond its bytes, %.2f with hints", perEdit(plain), perEdit(hinted))
	if got := perEdit(plain); got > 1.75 {
		t.Errorf("a 1 MiB overwrite stores %.2f mean chunks beyond its bytes, want about 1.5", got)
	}
	if got := perEdit(hinted); got > 1.35 || hinted >= plain {
		t.Errorf("with the old boundaries as hints a 1 MiB overwrite stores %.2f mean chunks beyond its bytes (%.2f without), want about 1.25", got, perEdit(plain))
	}
}

// TestChunkerCutHinted checks which hints end a chunk: only those far
// enough into it, before its own boundary, whose bytes hash to a boundary.
func TestChunkerCutHinted(t *testing.T) {
	p := DefaultChunkerParams()
	c := NewChunker(p)
	data := pseudoRandom("cut hinted", 4<<20)
	// Find a chunk start with a hash boundary between Min/4 and Min,
	// where Cut does not look.
	var start, cand int
	for pos := 0; cand == 0; pos += c.Cut(data[pos:], true) {
		if pos > len(data)-p.Max {
			t.Fatal("no chunk has a boundary before its minimum")
		}
		for q := pos + p.Min/4; q < pos+p.Min; q++ {
			if c.boundaryAt(data[q-64 : q]) {
				start, cand = pos, q-pos
				break
			}
		}
	}
	d := data[start:]
	n := c.Cut(d, true)
	tests := []struct {
		name  string
		data  []byte
		eof   bool
		hints []int
		want  int
	}{
		{"no hints", d, true, nil, n},
		{"a boundary", d, true, []int{cand}, cand},
		{"not a boundary", d, true, []int{cand - 1, cand + 1}, n},
		{"the first boundary", d, true, []int{cand - 7, cand, n}, cand},
		{"too early", d[cand-p.Min/8:], true, []int{p.Min / 8}, c.Cut(d[cand-p.Min/8:], true)},
		{"after the chunk's own", d, true, []int{n + 100}, n},
		{"beyond the data", d[:cand-1], false, []int{cand}, 0},
		{"within the data so far", d[:cand], false, []int{cand}, cand},
		{"end of the data", d[:cand+5], true, []int{cand}, cand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.CutHinted(tt.data, tt.eof, tt.hints); got != tt.want {
				t.Errorf("CutHinted(%d bytes, eof %v, %v) = %d, want %d", len(tt.data), tt.eof, tt.hints, got, tt.want)
			}
		})
	}
}
