// Package checkout puts files into output folders from a cache of whole
// files, by reflink, hardlink or copy, whichever the filesystem allows and
// the user asked for. It is what lets `trove pull` materialise a version
// without writing its bytes again, and lets a re-pull of an up-to-date
// folder rewrite nothing. Of trove it imports only objects (for
// [objects.ID]) and internal/fileinfo (for error messages), and beyond the
// standard library only golang.org/x/sys/unix (for reflinks on Linux); the
// repository, its store and the stat cache are the caller's.
//
// # Modes
//
// A [Mode] is what `--link` says: [Auto] (the default), [Copy], [Reflink]
// or [Hardlink].
//
// A reflink (the FICLONE ioctl; btrfs, XFS with reflink=1, bcachefs,
// OCFS2, ZFS 2.2 with block cloning) makes a new, ordinary, writable file
// that shares the cache file's blocks until either is written: no bytes
// are copied, and writing the output cannot hurt the cache. So Auto uses
// it wherever it works and copies elsewhere. On Linux a copy is
// copy_file_range, done in the kernel.
//
// A hardlink is cheaper still and works on every local filesystem, but
// the output then is the cache's file: the same inode, the same bytes,
// the same mode. Writing it in place would change the cache and every
// other output linked to it, silently. Cached files are therefore
// read-only (0444), a hardlinked output is read-only too, and the caller
// must never chmod it writable. Auto never chooses hardlinks: read-only
// outputs are a behaviour the user asks for, as in DVC's cache.type.
// Tools that write a new file and rename it over the old one (most
// editors, torch.save to a new path, `trove pull` itself) are fine; what
// must not happen is an open for writing of the output itself.
// `trove commit` of a hardlinked folder works as of any other: it only
// reads, and it records 0444 as mode 0644, as the manifest spells every
// non-executable file. A file with an execute bit is never hardlinked
// (its bit would land on the shared inode), nor one whose cache file has
// as many links as its filesystem allows (65,000 on ext4, which a
// dataset of many empty or identical files reaches): Hardlink places
// those as Auto does and says so in the mode it returns.
//
// Every way of placing writes a new name beside the destination and
// renames it over the destination, so a reader sees the old file or the
// new one, a failure leaves the old one, and a hardlinked or reflinked
// file from an earlier pull is replaced, never written through.
//
// # The cache
//
// A [Cache] is a folder:
//
//	files/ab/abcdef…   the file whose content has BLAKE3 abcdef… (64 hex digits), mode 0444
//	tmp/add-…          an Add in progress, or left by a crash (removed by Open after a day)
//	tmp/probe-…        Open's probe of the filesystem
//	tmp/.trove-probe-… Plan's and Probe's link probes
//
// Content-named files are written once and never modified: Add writes a
// temp file, which the caller's fill verifies against the digest, then
// fsyncs it, makes it read-only and links it to its name only if the
// name is free (so concurrent Adds of one id keep one file, and an inode
// that outputs already share is never replaced). Order matters: the
// content is durable before its name exists. Files leave the cache only
// by Remove and Prune. Outputs hardlinked to a removed file keep their
// content.
//
// The cache holds whole files, where the object store holds chunks in
// packs: a link needs a whole file on the output's filesystem. Its cost is
// a second copy of what it holds beside the packs, which is the cost of
// a copied output today; with links, the outputs then cost nothing more.
// Where links do not work (Plan says Copy), the cache only adds a write,
// and the caller should go around it.
//
// # Trust
//
// A cached file was verified when it was added and is trusted afterwards
// by its size and mode: Lookup removes, and reports absent, a file whose
// size differs or that has become writable (through a hardlinked output
// made writable, say), on filesystems whose modes mean anything (Open
// probes that). It does not re-hash: a file written by someone who first
// made it writable and then read-only again is beyond that check, as it
// would be for any file under .trove.
//
// # Use and pruning
//
// Prune removes least recently used files first. "Used" means placed:
// every Placer.Place sets the cached file's access time, which the kernel
// keeps when set explicitly whatever the mount's atime policy (noatime and
// relatime govern only the implicit updates on read). Open learns with a
// probe file whether the filesystem keeps access times at all; where it
// does not (FAT keeps only the day; some FUSE filesystems none), Place
// sets the modification time instead. The modification time is left alone
// otherwise, so that a hardlinked output does not appear modified, to
// rsync or make, when its content is placed somewhere else. Prune orders
// by the later of the two times, so reads the filesystem does record
// count as use too. Times come from Options.Now.
//
// Setting a time changes the inode's change time (ctime), as making or
// removing a hardlink does. For hardlinked outputs that means a stat
// cache keyed on ctime (trove's is) sees the output as possibly changed
// whenever its content is placed again elsewhere, and re-hashes it once:
// slower, never wrong.
//
// # Probing
//
// Whether a reflink works is a property of the pair of filesystems, not
// of each file, so a [Placer] asks once per output device (Probe: clone a
// tiny temp file from the cache into the folder) and keeps the answer in
// itself, not in the package: a pull of 20,000 files onto ext4 tries one
// reflink, not 20,000. Auto still falls back per file, for filesystems
// that refuse some files (btrfs between nodatacow and datacow files).
// Plan answers, before any work, what a mode will do in a folder, and
// fails early for Reflink where reflinks do not work and for Hardlink
// across filesystems.
//
// Reflinks are Linux only here (reflink_linux.go); elsewhere Reflink
// fails with [ErrUnsupported] and Auto copies. macOS's clonefile(2)
// could be added: it makes a file by path, so it would take a path of
// its own through place.go rather than the open-file clone.
//
// # Using it from pull
//
// The integration the package is built for, in repo/pull.go:
//
//  1. Open the cache (say .trove/files: on the repository's filesystem,
//     under its lock) and make a Placer for the pull's mode.
//  2. After creating the output folder, Plan(out, 0o644). An error stops
//     the pull before any work, with a message naming both folders. If it
//     says Copy, write files straight to their places from the store, as
//     pull does without a cache: the cache would only add a write.
//  3. For each file, the up-to-date check comes first and stays the
//     caller's. If it finds the file current it must not chmod it when
//     Cache.Linked says it shares the cache's inode: a re-pull with
//     Hardlink then has nothing to do, and with another mode the output
//     must be placed anew (Place replaces it), never chmodded. Pull
//     does not Cache.Touch a file that needed nothing: setting a time
//     changes the ctime of every output linked to the cached file, and
//     the stat cache would then hash them all again on the next pull.
//     Such a file's cache entry ages from its last Place, and may be
//     pruned while still linked; its outputs keep their content.
//  4. Otherwise Lookup(id, size); on a miss, Add(ctx, id, size, fill) with
//     a fill that writes the file from the store and fails on a digest
//     mismatch; then Placer.Place(ctx, id, dst, perm) and stat dst for the
//     stat cache. The mode Place returns can be counted for the summary.
//  5. `trove cache prune --to SIZE` calls Prune; Size reports the usage.
package checkout
