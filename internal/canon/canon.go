// Package canon holds the small checks that trove's canonical text
// encodings (version records, runs, run refs) share: the one spelling of
// hex they accept, and where a re-encoding parts from its input, which an
// error about a non-canonical encoding names.
package canon

// lowerHex reports whether s is made of lower-case hex digits only, the
// one spelling canonical encodings write.
func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// GitCommit reports whether s spells a full Git commit id as canonical
// encodings write it: 40 (SHA-1) or 64 (SHA-256) lower-case hex digits.
func GitCommit(s string) bool {
	return (len(s) == 40 || len(s) == 64) && lowerHex(s)
}

// FirstDiff returns the index of the first byte where a and b differ, or
// the length of the shorter if one is a prefix of the other.
func FirstDiff(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
