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
// Behind such reads, what lies more than aheadSpan back is dropped from
// the page cache, as the writer drops what it wrote: a pull's packs would
// otherwise take as much memory as the files it writes, which are what
// the user reads next. On the benchmark machine, where page cache grown
// into fresh memory costs a host fault per page, pulling the 1 GiB file
// took 1.9–2.3 s with 2.5–3.7 s of system time when its packs stayed in
// the cache, as the files it wrote could not reuse their pages.
const (
	aheadSpan  = 16 << 20
	aheadSlack = 1 << 20 // a power of two: it aligns what is dropped
	aheadAfter = 3       // reads moving a stream on before read-ahead starts
)

// readStream follows the reads of one pack file and says what to read
// ahead of them and what to drop behind them. The zero value is ready.
type readStream struct {
	next    int64 // furthest end of the reads running forward
	run     int   // how many reads moved it on since it started
	ahead   int64 // end of what the kernel was asked to read ahead
	dropped int64 // end of what was dropped behind them
}

// span is the byte range [from, to) of a file; empty when to <= from.
type span struct{ from, to int64 }

// read records a read of [off, end) and returns what to ask the kernel to
// read ahead and what to drop from the page cache; either may be empty.
func (s *readStream) read(off, end int64) (ahead, drop span) {
	switch {
	case s.run > 0 && off >= s.next-aheadSpan && off <= max(s.next+aheadSlack, s.ahead):
		if end > s.next { // it moves the stream on
			s.run++
			s.next = end
		}
	default:
		*s = readStream{run: 1, next: end, dropped: max(off-aheadSpan, 0) &^ (aheadSlack - 1)}
	}
	if s.run < aheadAfter || end <= s.ahead-aheadSpan/2 {
		return ahead, drop
	}
	ahead = span{max(off, s.ahead), end + aheadSpan}
	s.ahead = ahead.to
	// Far enough behind for reads running out of order on other
	// goroutines to be done with it; aligned, since the kernel drops
	// only whole pages and the next range starts here.
	if behind := (s.next - aheadSpan) &^ (aheadSlack - 1); behind > s.dropped {
		drop = span{s.dropped, behind}
		s.dropped = behind
	}
	return ahead, drop
}
