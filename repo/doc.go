// Package repo is a trove repository on disk: the .trove folder of a
// project, its config, and the operations that tie the object store, the
// trees and the refs together — commit, pull, verify, fsck, push and fetch.
// cmd/trove calls one function of this package per command; the formats
// live in objects, manifest and refs, and docs/ARCHITECTURE.md says how the
// parts fit.
//
// # The repository
//
// Init makes .trove/ with config (JSON, meant to be committed with the
// code), .gitignore (everything else stays out of Git), and the object
// store's db/, packs/ and tmp/. Open finds .trove at or above a folder, as
// git does. An open Repo holds the object store's Pebble lock: one trove
// process works on a repository at a time, and the next waits up to
// Options.LockTimeout. Everything a Repo depends on from outside — clock,
// progress, how to open a remote's bucket, the runs index — comes in
// Options; the package has no global state and knows no URL scheme.
//
// # Commit
//
// Folders are walked on the calling goroutine in name order while a pool
// of workers (more than cores: small files wait on syscalls) reads, hashes
// and stores files and lists up to 16 subfolders ahead of the walk; each
// folder's entries reach its tree in order, with a bounded window in
// flight. Files of 4 MiB and more stream through a
// pipeline of pooled blocks: one goroutine reads and cuts chunks, one
// hashes the whole file, the pool hashes and stores chunks; at most two
// such files run at once, which keeps the block pool deadlock-free and
// memory bounded whatever a file's size. A file whose stat changes while
// it is read fails the commit (ErrFileChanged): a digest always describes
// one state of the file.
//
// The stat cache (statcache.go) lets an unchanged re-commit read nothing:
// an entry is trusted only if size, mtime, ctime, inode and device match
// and the file was not modified within the timestamp granularity of when it
// was stat'ed. An entry also records the store's removal epoch at which
// the store held the content (objects.Store.RemovalEpoch); while the epoch
// has not moved, nothing has left the store and the digest is used as is.
// After a GC or a cache prune, each such file's content is looked up once
// (and its entry brought up to the epoch); a file whose content is gone is
// read and stored again. An entry that no longer matches still names what
// the file held before: a big file is chunked with that content's chunk
// boundaries as hints (hints.go, objects.Chunker.CutHinted), so an edit in
// place stores little beyond the bytes it changed. Because a commit's
// entries are trusted without a lookup, none is written before the
// content it names is durable: a commit writes them every 65,536 files,
// after flushing its writer, and the rest after its final flush. A folder is
// listed 4,096 entries at a time in name order (its names sorted on disk
// past Options.ListMemory), and its stat cache entries are read a page at
// a time, merged with the listing; the root of a commit of several paths
// merges its folders' batches as they come: no folder is held whole.
//
// Order matters, and is the package's main invariant (PRODUCT.md
// invariant 3): chunks, trees, file maps and the version record are
// flushed — packs durable, then their index — before refs.Commit names the
// version. Content equal to latest makes no version and writes no record.
//
// # Pull and verify
//
// Pull materialises a version (or one --prefix path) under a folder: every
// file is written as a new file beside its place — unnamed (O_TMPFILE) where
// Linux allows, else under a temp name — and linked or renamed there only
// after its whole-file digest checked out (tempfile.go), so a failed pull
// never leaves a partial file under a version's path; files already up to date are not
// rewritten (their stat cache entries read in pages of their folder's,
// statpages.go); manifest paths that would leave the folder are refused,
// and so, where the output folder's filesystem ignores case
// (casefold.go), is a version with two names of one folder that differ
// only in case or Unicode form, before anything is written. Chunks
// missing locally come from the default remote in coalesced ranged reads:
// streamed straight into the files that need them (stream.go), or with
// PullOptions.Cache into the local store first (ensureContent), which then
// doubles as the cache. With links (PullOptions.Link, package checkout)
// a file is written once into the file cache under .trove/files and
// reflinked or hardlinked into place (put).
// Verify re-hashes every byte of a folder, trusting no cache unless
// VerifyOptions.StatCache says it may.
//
// # Remotes
//
// Push, fetch and their helpers (push.go, upload.go, fetch.go, remote.go,
// registry_sync.go) implement the order described in docs/ARCHITECTURE.md,
// "Remotes": packs, then their indexes (children before parents), then
// refs moved by compare-and-swap and merged three-way with the state last
// seen on that remote. What is known of each remote — where it keeps
// every blob, the logs and registries last seen there — is a cache in the
// NSRemote namespace, rebuilt by reading the remote again.
//
// A fetch brings records, not trees or content. Commands that name a
// version not known here fetch it first (ResolveOrFetch, LogOrFetch; a
// registry path brings its registry and the artifacts it links; a
// registry command, the registry it names: FetchRegistryIfMissing), and
// those that read a version without pulling it go through a Browser
// (browse.go), which downloads the trees or content a read needs.
package repo
