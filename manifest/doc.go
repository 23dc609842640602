// Package manifest defines what a version holds and the formats that
// record it: directory trees, file maps, version records, and the
// manifests exported from them (trove's own JSON and W&B's layout).
//
// Everything here is a pure encoding over two small interfaces that the
// caller provides: [BlobPutter] to store a blob and [BlobGetter] to read
// one back, verified. Where the blobs live (Pebble, packs, a bucket) is
// package objects' business; manifest never sees a file or a database.
//
// # Trees
//
// A directory is a Merkle tree of nodes (blob type 2). A node is a leaf,
// holding a run of the directory's entries, or an index node over lower
// nodes. The layout (format 1):
//
//	node    "TRT" 0x01, kind u8 (1 leaf, 2 index), count uvarint, entries…
//	leaf entry:
//	  kind u8 (1 file, 2 dir, 3 symlink, 4 ref, 5 ref-location)
//	  name     uvarint length, bytes
//	  mode     uvarint
//	  size     uvarint
//	  digest   [32]
//	  dir:           file count uvarint
//	  symlink:       target (uvarint length, bytes)
//	  ref:           uri, checksum kind, checksum, version id (each length-prefixed)
//	  ref-location:  uri (length-prefixed)
//	index entry: first name (length-prefixed), child id [32],
//	             entry count uvarint, size uvarint
//
// What each field holds for each kind is tabulated on [Entry]: files store
// mode 0644 or 0755 only ([FileMode]), every other kind mode 0, so a digest
// does not depend on a umask; a symlink's digest is the BLAKE3 of its
// target and its size 0; a location-only reference records its URI alone.
// A directory's size is the total size below it (files and references)
// and its file count the number of non-directory entries below it.
//
// Names are single path elements: 1 to [MaxNameLen] bytes of valid UTF-8,
// without '/' or NUL, not "." or ".." ([ValidPathElement]). UTF-8 is
// required because manifests are exported as JSON.
//
// # Canonical form
//
// A version's content digest is the id of its root tree, so the encoding
// must be a pure function of the content (PRODUCT.md invariant 1). Within
// a node, entries are sorted bytewise by name and unique; every integer is
// a minimal varint; every limit is named ([MaxNodeEntries], [MaxNodeSize],
// [MaxNameLen], [MaxTargetLen], [MaxRefFieldLen]). [DecodeNode] accepts
// exactly what [EncodeNode] writes and nothing else; the fuzz targets check
// that decoding then encoding returns the input byte for byte.
//
// The shape of a directory's nodes is canonical too ([DirWriter]):
//
//   - A directory whose entries fit one node (at most 2,048 entries and
//     1 MiB encoded) is exactly one leaf; the empty directory is a leaf
//     with no entries.
//   - A larger directory is cut into leaves from its first entry: a leaf
//     ends after an entry whose name's BLAKE3 has its low 9 bits zero
//     (the first two digest bytes read little-endian) once the leaf holds
//     [MinLeafEntries] entries, or when it is full. Leaves average about
//     600 entries, and adding one name to a million-file folder rewrites
//     the leaf it lands in (rarely also the next) and the index above,
//     not every node after it.
//   - Leaves get an index level above them, built by the same rules: one
//     node if all its items fit one, otherwise cut after an item whose
//     first name's hash has its low 9 bits zero (so cuts depend on names,
//     not contents) or when full. Levels repeat until one node remains:
//     the directory's tree id.
//
// # Reading
//
// Readers go node by node: [ReadDir] and [Walk] hold one node per index
// level of each open directory, [Lookup] and [ListDir] read only the
// nodes on the way to a name (an index node's first names say which child
// to take), and [Diff] skips subtrees and nodes whose ids are equal on both
// sides. Beyond decoding, readers check what the nodes say about each
// other: a child holds the first name, entry count and size its index
// entry claims, leaves sit at one depth, names keep increasing across
// leaves, a root index has at least two children, and a directory's
// entries add up to the size and file count of the entry naming it.
// Readers do not recompute cut points; [VerifyTree] and [VerifyFileMap]
// do, for fsck, by rebuilding each directory or map from its items and
// comparing ids. Nesting is bounded by [MaxDepth] and index height by
// [MaxIndexHeight].
//
// Walk order is the order of paths compared element by element, each
// element bytewise: "a" < "a/b" < "a-b" < "a.txt" (plain string order would
// put "a-b" and "a.txt" before "a/b"). Exports and diffs follow it.
//
// # File maps
//
// A file larger than one chunk is described by a file map (blob type 3):
//
//	leaf   "TFM" 0x03, kind u8 = 1, count uvarint, count × (raw length uvarint, chunk id [32])
//	index  "TFM" 0x03, kind u8 = 2, count uvarint, count × (span uvarint, child id [32])
//
// A span is the number of content bytes below a child, so [FileMapRange]
// finds the chunks of a byte range by reading one node per level. A file
// of at most 256 chunks is one leaf; a longer one is cut by the rules of
// trees with content-defined cuts on the item ids (low 6 bits zero after
// 32 items, at most 256 items a node), so an edit in the middle of a large
// file rewrites one small leaf of its map and the index above it. Chunk
// lengths are 1 to 2^32-1; an empty map (an empty file) is a leaf with no
// items. Formats 1 and 2 (version bytes 0x01 and 0x02) are read too: the
// same layout, cut at the low 10 bits after 256 items in nodes of up to
// [MaxFileMapEntries], and at the low 7 bits after 64 items in nodes of up
// to 512, whose longer leaves made every edit rewrite more; a map is
// verified by the rules of its root's format (fileMapCutsOf).
//
// # Version records
//
// A [Record] (blob type 4) is canonical JSON with a fixed field order,
// empty optional fields left out, times in RFC 3339 UTC with nanoseconds,
// and metadata in canonical form ([CanonicalMetadata]: keys sorted at
// every level, numbers as written, no insignificant space). [DecodeRecord]
// re-encodes what it parsed and rejects input that differs in any byte.
//
// # Errors
//
// Bytes that are not a canonical encoding, or nodes that contradict each
// other, are errors wrapping [ErrCorrupt], which also matches
// [objects.ErrCorrupt]; messages name the object. A format version this
// build does not read wraps [ErrUnsupportedFormat] and names the version
// and the range read. Bad caller input (names, entries, metadata, paths)
// wraps [ErrInvalid]; missing paths wrap [ErrNotExist].
//
// # What manifest leaves to others
//
// The store verifies every blob against its id before GetBlob returns it;
// manifest trusts those bytes to be what was written and checks only that
// they are well formed. The commit walker (package repo) reads the file
// system, sorts each folder's names bytewise, builds folders bottom-up
// with one [DirWriter] each, and maps file digests to file maps. Refs,
// numbering and retention live in package refs.
package manifest
