// Package reference records data that stays where it is — in S3 and GCS
// buckets, on HTTP servers, in local folders and shares — as tree entries
// of a version, and reads it back checked against what was recorded
// (ARCHITECTURE.md, "References to external data"; PRODUCT.md, "reference").
//
// # Nouns
//
// A reference URI names a location ([Parse], [Location]): s3://BUCKET/KEY,
// gs://BUCKET/KEY, http(s)://HOST/PATH or file:///PATH. Bucket keys are
// taken literally; http and file URIs are URLs. A key that names an object
// is that object; any other key, or one ending in '/', is a folder (the
// prefix KEY/). A URL is always one object. A file path is a file or a
// folder.
//
// A [Store] reaches one scheme's objects: [S3], [GCS], [HTTP], [Files]. It
// lists a location's objects with their checksums, probes a location, and
// opens a recorded object pinned to its recorded version. Stores make
// their clients on first use, so a program needs credentials only for the
// schemes it meets. A [Resolver] maps schemes to stores; the map is built
// by the program (cmd/trove), never by registration.
//
// A [Source] is one reference to record; package repo consumes it as a
// repo.RefSource. The [Resolver] also fetches recorded objects for pull and
// verify ([Resolver.Fetch], [Resolver.Expand]), as a repo.RefFetcher.
//
// # Where entries land
//
// As W&B's add_reference lays them out, a Source lists each entry at its
// path in the version ([Source.List]): a folder's objects relative to the
// folder, at the version's root (as a committed folder's files); a single
// object under its base name ([Location.Name]); a location-only reference
// under its key (s3, gs; a whole bucket under the bucket's name) or base
// name (http, file). A path given with the reference
// ([SourceOptions.Path]; commit's --ref PATH=URI, W&B's name=) is the
// folder a prefix's objects land in, or the path of the one entry. Several
// references, and local files, share a version: package repo lays their
// trees over each other, merging folders, refusing a path claimed twice.
//
// # What is recorded
//
// With checksums (the default) every object below the location is one
// entry of kind [manifest.KindRef], with its size and:
//
//	scheme  checksum kind      Checksum                     VersionID
//	s3      etag               ETag (no quotes)             -
//	s3      etag+versionid     ETag                         version id (versioned buckets)
//	gs      etag+generation    ETag                         generation
//	http    etag               ETag header as sent          -
//	http    b3                 BLAKE3 of the content        Last-Modified as served, if any (information only)
//	file    b3                 BLAKE3 of the content        -
//
// A b3 checksum is the entry's Digest too. An HTTP object served without
// an ETag (and its length) is downloaded at commit and hashed: a
// Last-Modified date cannot tell a file replaced by another of the same
// size and date (python3 -m http.server serves dates alone), so it is kept
// as information and never trusted; such objects are checked byte for
// byte on every pull. Entries are a pure function of what the source
// holds, so recording an unchanged location again gives the same tree and
// no new version. Without checksums ([SourceOptions.NoChecksum]) a
// reference is one entry of kind [manifest.KindRefLocation] holding the
// canonical URI ([Location.String]): a version changes only when the
// location does.
//
// # Invariants
//
//   - Never silently truncated: more than [SourceOptions.MaxObjects]
//     objects is [ErrTooMany], naming the cap and the flag that raises it.
//     Zero objects is [ErrEmpty]. Names that cannot be tree entries ("a//b",
//     "..", invalid UTF-8), an object that is also a folder ("a" and
//     "a/b"), paths deeper than [manifest.MaxDepth], and keys whose URI
//     pull and verify would refuse ([Parse]: a tab, a newline, any control
//     character) are [ErrInvalid] when listed, naming the object with its
//     URI quoted: never skipped, never renamed, and never accepted at
//     commit to fail at every pull. file:// URIs percent-encode such
//     names, so local files may hold them. The zero-length "folder/"
//     markers consoles create are skipped: they hold no data.
//   - Private folders: [Files] leaves out the paths of
//     [FilesOptions.Exclude] (the repository's .trove and the project's
//     .git, as commit leaves them out of folders) and refuses a reference
//     to or inside them.
//   - Walk order: [Source.List] delivers entries in the order trees are
//     built in, paths compared element by element ("a/b" before "a-b"
//     before "a.txt"), which differs from the bytewise order S3 and GCS
//     list in. Stores that list in any other order are sorted (below);
//     [Files] walks folders in that order itself ([WalkOrdered]).
//   - Bounded memory: listings are sorted in memory up to
//     [SourceOptions.SortMemory] bytes (about 40,000 entries by default) and
//     beyond that in sorted runs written to temp files and merged, so a
//     million-object prefix costs a few runs on disk, not a million
//     entries in memory. Files are hashed by a bounded window of workers.
//   - Checked reads: [Resolver.Fetch] reads the recorded version (S3
//     version id, GCS generation) or asks for the recorded ETag
//     (If-Match), compares the answer's ETag and length with the record,
//     and hashes the bytes wherever the record describes them (BLAKE3; an
//     S3 ETag that is an MD5; a GCS CRC32C). A gone object or version is
//     [ErrNotFound] (which is also [fs.ErrNotExist]); a different one is
//     [ErrChanged] (which is also [objects.ErrCorrupt]). Callers write to a
//     temp file: a mismatch in the bytes shows only at their end.
//
// # Listing S3
//
// A folder is listed by [S3Options.ListConcurrency] requests at once: one
// listing with delimiter '/' yields the folder's own objects and its
// subfolders, each subfolder is listed flat on its own, and past 1,024
// subfolders the rest is one flat listing. A bucket with versioning
// (enabled or suspended) is listed with ListObjectVersions, keeping each
// key's latest version unless that is a delete marker, so version ids
// cost no request per object.
//
// # Retries
//
// Requests to S3, GCS and HTTP servers that fail transiently (429 and 5xx
// answers, throttling, refused or reset connections, timeouts) are
// repeated by remote/retry's loop ([retry.Do]) with its policy: full
// jitter, bounded attempts and time, tuned by each store's Retry option.
// Nothing else is repeated: no 4xx answer but 429, and 408 from GCS and
// RequestTimeout (a 400) from S3; no changed object, no refused
// credentials. The SDKs' own retries are off, so attempts never multiply.
// A pull cut short, or silent for longer than the store's Timeout,
// resumes from its first unread byte ([retry.NewReader], [retry.Watch])
// only as the same object: the recorded S3 version or If-Match on its
// ETag, the GCS generation, If-Range on the HTTP ETag (and the bytes
// checked at the end where nothing pins them); a download hashed at
// commit starts again from the start. Redirects are followed up to 10,
// and a loop is an error naming its URL.
//
// # What it leaves to others
//
// Trees, the stat cache and progress display belong to the caller: a
// [DigestCache] lets [Files] skip hashing unchanged files, and
// [SourceOptions.Progress] reports objects listed. Credentials come from
// each platform's standard chain and are never part of a URI (an http URL
// with user:password@ is refused, since URIs are stored in versions).
package reference
