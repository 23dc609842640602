//go:build trove_invariants || race

package objects

// invariants turns on costly internal checks (a chunk's id against its
// bytes on every put). It is set by the trove_invariants build tag and by
// -race, so tests run with it.
const invariants = true
