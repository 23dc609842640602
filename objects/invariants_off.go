//go:build !(trove_invariants || race)

package objects

// invariants turns on costly internal checks; see invariants_on.go.
const invariants = false
