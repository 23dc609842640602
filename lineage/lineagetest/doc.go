// Package lineagetest builds synthetic lineage graphs for tests and
// benchmarks of package lineage and its users, through lineage's own API
// and real version records, so what they measure is what users get.
//
// [Chain] is the benchmark graph: a long chain of resumed training
// runs, each using the previous run's checkpoint and metrics and logging
// new ones, which makes the last checkpoint as deep as a version gets.
package lineagetest
