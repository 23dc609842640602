// Package objects is trove's content-addressed object database: BLAKE3
// ids, content-defined chunking, pack files and the Pebble index that finds
// blobs in them. It imports nothing else of trove; the layers above
// (manifest, refs, repo) see it through small interfaces of their own.
//
// # Ids
//
// An [ID] is the BLAKE3-256 of a blob's raw bytes. Ids are the only names
// the store knows: equal bytes get equal ids and are stored once, and any
// byte read back can be checked against the name it was asked for.
//
// # Chunks and packs
//
// File content is cut into chunks by a [Chunker] (FastCDC gear hashing,
// 32/64/256 KiB by default), so an edit changes only the chunks around it.
// Chunks are appended to pack files (format in package objects/pack), up to
// [Options.PackSize] each, optionally zstd-compressed where that saves at
// least 1/16; the caller's [Hint] says when trying is not worth it (a
// [CompressHint] follows one file's first chunks, a [KindHint] the files of
// one kind, for files of one chunk). A pack is named by the BLAKE3 of its
// table (pack format 2; format 1 packs, named by the BLAKE3 of the whole
// file, are still read) and lives at Dir/packs/ab/<id>; it is written once,
// read-only, and deleted only by GC.
// Small blobs (trees, file maps, version records, runs; ≤ 4 MiB) are kept
// inline in Pebble instead, where sorted keys and atomic batches serve them
// better than files.
//
// # The index
//
// Pebble (Dir/db) maps every packed blob to its pack and offset. Keys start
// with a namespace byte; values start with a format byte (1):
//
//	i id(32)      format, type u8, compression u8, stored u32, raw u32, offset u64, pack id(32)
//	b id(32)      format, type u8, bytes            a small blob, inline
//	f digest(32)  format, file map id(32)           a file's content digest → its file map
//	p pack id(32) format, size u64, count u32, blob bytes u64, created unix ns i64
//	a pack id(32) format, last read unix ns i64 (a hint for cache pruning)
//	d             format, removal epoch u64 (absent: 1)
//
// Integers are little-endian. The index is a cache of the packs, which
// describe themselves: [Store.RebuildIndex] rebuilds `i` and `p` from the
// pack files alone. Other namespaces belong to the layers above, through
// [Store.GetMeta], [Store.ScanMeta], [Store.UpdateMeta] and [MetaBatch].
//
// # Write order
//
// A [Writer] (one per commit) appends chunks to a temp pack in Dir/tmp:
// under a lock it reserves each chunk's place in file order; the copy into
// the file happens outside the lock, on the caller's goroutine, as does
// compression, and no pass hashes the pack's bytes (the name is the
// table's hash). A finished pack is fsynced, renamed to its name, and the
// directory fsynced; only then are its index entries
// committed, in one synced batch. Inline blobs and file-map keys are
// committed by [Writer.Flush], after every pack holding chunks put before
// them. So a crash leaves at worst a stray pack (reported by [Store.Check],
// removed by GC) or temp files (removed by the next Open), never an index
// entry or file map naming bytes that are not durable. Callers move refs
// only after Flush returns, which extends the order up to refs.
//
// # Verification
//
// Every read hashes the bytes it returns and compares them with the id it
// was asked for; a mismatch, a bad table or an undecodable entry is an
// error wrapping [ErrCorrupt] that names the blob and its pack file. The
// one exception is asked for by name: [Store.GetLocated] with hash false
// skips the hash for a caller that checks the digest of what the blobs
// make up (a pull, each file it writes) and reads them again with Get to
// name a bad one. [Store.Check] reads everything and reports every
// problem it finds.
//
// Readers of many blobs find them with [Store.Locate] or
// [Store.LocateFiles], ordered passes over the index that cost a third of
// one Pebble Get per id, and read them with [Store.GetLocated].
//
// # The page cache
//
// A pack is not read soon after it is written: the files it came from are
// what a user reads next. So the writer drops a pack's pages from the page
// cache behind its writeback, 8 MiB at a time, and the rest after the
// fsync (pagecache_linux.go), and readers ask the kernel to read ahead of
// reads that run forward through a pack (readstream.go).
//
// # Garbage collection
//
// The store deletes nothing by itself. Package gc decides what goes and
// calls [Store.DropUnreachable], [Store.DeletePack] and [Store.RewritePack],
// each in a written order that leaves a consistent store wherever a crash
// interrupts it: a pack leaves the index (one synced batch) before its
// file is removed, and a rewritten pack's replacement is durable and
// indexed in that same batch. Pack reads record a last-read time (`a`, at
// most once a minute per pack), which cache pruning reads.
//
// Every batch that takes content out of the index (those three, and
// [Store.RebuildIndex]'s first) also moves the removal epoch `d` on, in the
// same batch ([Store.RemovalEpoch]): a caller that saw content present at
// epoch E may rely on it while the epoch is still E, as the stat cache of
// package repo does.
//
// # The lock
//
// Pebble's exclusive lock on Dir/db is the repository lock: one process
// works on a repository at a time. [Open] waits for it up to
// [Options.LockTimeout] and then fails with [ErrLocked]. Holding it is what
// makes in-process mutexes enough for atomic metadata updates, and what
// lets Open delete whatever it finds in Dir/tmp.
package objects
