// Package packindex encodes and decodes remote pack indexes (format 1).
//
// A remote holds packs (objects/pack format) and, beside them, index
// objects that list what the packs hold, so a client learns where every
// blob lives by reading a few small indexes instead of every pack's tail.
// An index is immutable and named by the BLAKE3 of its bytes; a push writes
// the packs first and the index that names them after, so an index never
// names a pack that is not there (docs/ARCHITECTURE.md, "Remotes").
//
// # Layout
//
//	"TRVIDX" 0x01                      magic, format version
//	pack count uvarint
//	per pack:
//	  pack id [32]
//	  pack size uvarint
//	  blob count uvarint
//	  per blob: type u8, compression u8, stored length uvarint,
//	            raw length uvarint, id [32]
//	file-map count uvarint
//	per file map: file digest [32], file map id [32]
//
// Blob offsets are implied, as in the pack itself: the first blob starts at
// pack.HeaderSize and each next one where the previous ends, and a pack's
// size must hold its blobs and the table and footer after them. File-map entries record, for files of
// more than one chunk, which file map describes the content with a given
// digest (the `f` key of the local store).
//
// Decode treats its input as hostile: counts are bounded by named limits and
// checked against the bytes left before they drive allocation, varints must
// be minimal, and trailing bytes are an error. Errors wrap [ErrCorrupt], or
// [ErrFormat] for an unknown version.
package packindex
