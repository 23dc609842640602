// Package refs keeps trove's mutable names: the version log of every
// artifact (version numbers, their version records), aliases and tags.
//
// # Artifact logs
//
// Each artifact has exactly one ref, "artifacts/<name>", whose value is the
// artifact's whole log encoded as canonical JSON (see [Log]). A commit that
// appends a version, moves aliases and adds tags therefore changes one value
// in one atomic compare-and-swap, locally in Pebble and later in a bucket
// with a conditional write. The log's Counter grows on every write, so the
// encoded bytes (and a bucket's ETag) change even when nothing else does.
//
// # Numbers and aliases
//
// Versions are numbered v0, v1, … in commit order. Next only grows: a deleted
// version stays in the log with state "deleted", so a number is never given
// out twice (PRODUCT.md invariant 4). "latest" is not stored; it is the
// highest live number. "vN" aliases are implicit and immutable. Custom
// aliases name one version each; setting an alias held by another version
// moves it. Tags may be shared by many versions.
//
// # What refs leaves to others
//
// A ref points at a version record by id; the record, its tree and its
// chunks must be durable before the ref is written (invariant 3). The caller
// (package repo) writes and flushes the objects, then calls [Refs.Commit].
// refs itself only reads and writes ref values through a [KV].
package refs
