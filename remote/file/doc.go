// Package file is the [remote.Bucket] kept in a folder: `file:///path` on a
// local disk or on a network file system shared by a team (NFS).
//
// # Layout
//
// An object is a plain file at root/key, with key's '/' as the path
// separator, so the folder can be read, copied or served by ordinary tools.
// The backend adds two kinds of names, both starting with
// [remote.ReservedPrefix] (which no key may use, so they never collide with
// objects, and List never returns them):
//
//	root/<dir>/.trove-tmp-<random>   a Put in progress (or one killed mid-way)
//	root/.trove-locks/<sha256(key)>  the lock file of a key changed by compare-and-swap
//
// Folders are created as needed and never removed: removing an empty folder
// would race with a Put creating a file in it. New files and folders get
// 0666 and 0777 before the umask, so the umask (and a setgid folder) decide
// who else may read and write a shared remote, as for git's shared
// repositories. A key cannot be both an object and a folder ("a" and "a/b"):
// trove's layout never needs that, and S3 would allow it.
//
// # Put
//
// Every Put writes a temp file beside its target, sets its modification time
// from Go's clock, fsyncs it, publishes it under its final name and fsyncs
// the folder before it returns. Readers therefore see the old file or the
// new one, never a part; a crash before the publication leaves only a temp
// file (invisible, and garbage); a Put that returned survives a crash.
// Publication depends on the condition:
//
//   - plain: rename(2) over the target.
//   - IfAbsent: link(2) to the target, which fails if the name exists, then
//     unlink the temp name. No lock is needed, and link is atomic on NFS
//     servers too. On file systems without hard links, it falls back to the
//     locked check-and-rename below.
//   - IfMatch (and Delete with ifMatch): under the key's lock, stat the
//     target, compare its ETag, rename over it, fsync the folder, unlock.
//
// Conditional writers exclude each other; a plain Put or Delete does not take
// the lock and so overrides any condition. trove never writes a ref that way.
//
// # ETag
//
// The ETag is derived from the file's metadata, "ino-size-mtime-ctime" (hex,
// nanoseconds), not from its content: a 64 MiB pack is never read again to
// name it, and List costs one stat per object. It changes on every Put, even
// one that rewrites the same bytes, because:
//
//   - each Put publishes a new inode, and that inode differs from the one it
//     replaces, which is still linked when the rename happens;
//   - an inode number freed by one replacement could be reused by a later
//     one, but that file's mtime is then set from a later reading of Go's
//     nanosecond clock, and its ctime (set by the kernel at publication) is
//     later too. Go's clock does not depend on the file system's timestamp
//     granularity, which may be a whole scheduler tick.
//
// Editing an object in place with another tool changes its mtime or ctime
// and so its ETag too. What the ETag cannot survive is a file system that
// keeps timestamps in whole seconds (FAT, ext4 with 128-byte inodes): there
// an inode reused within one second with an equal size repeats an ETag. Do
// not keep a shared remote on one. Restoring a remote from a backup changes
// every ETag: compare-and-swap then fails once and the writer re-reads.
//
// # NFS
//
// The folder may be shared over NFS by clients on several hosts:
//
//   - rename(2) and link(2) are atomic on the server. A retransmitted request
//     whose first reply was lost can fail even though the first went
//     through (rename with ENOENT, link with EEXIST); Put recognises both by
//     checking that the name now holds its own inode (for link, by the temp
//     file's link count, the remedy open(2) describes for O_EXCL).
//   - Locks are flock(2), which the Linux NFS client turns into byte-range
//     locks held by the server: NFSv4 has them built in; NFSv3 needs the
//     lock manager (rpc.statd and lockd) on clients and server, and without
//     it compare-and-swap fails with ENOLCK rather than run unlocked. The
//     lock file is opened read-write because an NFS write lock needs it.
//   - Read-after-write across hosts rests on close-to-open consistency, the
//     Linux default: do not mount with nocto. Stat and List may answer from
//     the attribute cache for up to actimeo seconds, so another host's new
//     object or ETag can show late there; a compare-and-swap fed a stale
//     ETag then fails and the writer re-reads. The check itself runs under
//     the lock on a freshly opened file (open revalidates with the server;
//     NFSv4 resolves the name on the server), so it never passes wrongly.
//   - A stale file handle (ESTALE) is reported as transient, so the retry
//     wrapper repeats the call, which looks the name up again.
//
// # Platforms
//
// Linux and macOS. On other systems Open fails with [remote.ErrNotSupported]:
// the ETag needs inode numbers and compare-and-swap needs flock.
package file
