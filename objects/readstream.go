package objects

// Read-ahead of packs. A pull or a push reads a version's blobs in file
// order, which is mostly the order they were packed in, on several
// goroutines at once. The kernel's own read-ahead follows a sequential
// reader, but interleaved readers of one file keep it small, and a commit
// leaves its packs out of the page cache (dropBehind). So once reads of a
// pack run forward, the kernel is asked for the next aheadSpan bytes,
// again whenever the reads come within half a span of the end of what was
// asked: once per 8 MiB read. A read belongs to the stream when it starts
// at most aheadSpan before the furthest one ended and at most aheadSlack
// after it (or inside what was asked for), since a pull's goroutines read
// the chunks of neighbouring files out of order, up to a few MiB back
// (20,000 small files: 5,000 of 21,000 reads started 1–8 MiB behind the
// furthest; a window of 1 MiB on either side started the stream over
// 1,350 times and asked for 24,000 pieces of read-ahead). Read-ahead
// starts once aheadAfter reads have moved the stream on; a read elsewhere
// starts it over, so scattered reads (a pull of a few files) fetch only
// what they read.
// Pulling a 1 GiB file from packs not in the page cache took 1.05–1.23 s
// without it, 0.84–0.92 s with it (0.61–0.63 s from cached packs).
//
// What the reads leave behind stays in the page cache. Dropping it, as
// the writer drops what it wrote, was tried: on the benchmark machine the
// pull of the 20,000 small files then took 2.2–3.1 s instead of 1.4–1.8 s
// (compare.sh, trove alone, three trials each), the 1 GiB pull no faster.
const (
	aheadSpan  = 16 << 20
	aheadSlack = 1 << 20
	aheadAfter = 3 // reads moving a stream on before read-ahead starts
)

// readStream follows the reads of one pack file and says what to read
// ahead of them. The zero value is ready.
type readStream struct {
	next  int64 // furthest end of the reads running forward
	run   int   // how many reads moved it on since it started
	ahead int64 // end of what the kernel was asked to read ahead
}

// span is the byte range [from, to) of a file; empty when to <= from.
type span struct{ from, to int64 }

// read records a read of [off, end) and returns what to ask the kernel to
// read ahead, empty if nothing.
func (s *readStream) read(off, end int64) (ahead span) {
	switch {
	case s.run > 0 && off >= s.next-aheadSpan && off <= max(s.next+aheadSlack, s.ahead):
		if end > s.next { // it moves the stream on
			s.run++
			s.next = end
		}
	default:
		*s = readStream{run: 1, next: end}
	}
	if s.run < aheadAfter || end <= s.ahead-aheadSpan/2 {
		return span{}
	}
	ahead = span{max(off, s.ahead), end + aheadSpan}
	s.ahead = ahead.to
	return ahead
}
