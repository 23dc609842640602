// Package pack encodes and decodes trove pack files (formats 1 and 2):
// immutable files that hold many blobs back to back and describe themselves
// in a table at their end.
//
// # Layout
//
// All integers are little-endian.
//
//	offset            size       field
//	0                 7          magic "TRVPACK"
//	7                 1          format version (2; 1 is read too)
//	8                 …          blobs: the stored bytes of each blob, back to back
//	8+B               n × 44     table, one entry per blob, in blob order:
//	                               type u8 (not 0), compression u8, reserved u16 (0),
//	                               stored length u32, raw length u32, id [32]
//	8+B+44n           32         BLAKE3-256 of the table bytes
//	…+32              4          blob count n (u32)
//	…+36              4          table length in bytes (u32, = 44n)
//	…+40              8          magic "TRVPKEND"
//
// A blob's offset is not stored: the first blob starts at [HeaderSize] and
// each next one where the previous ends, so the table fully covers the blob
// area with no gaps. Compression is 0 (none; raw length equals stored length)
// or 1 (zstd). The blob type is opaque to this package; the objects package
// assigns its values.
//
// # Names
//
// Formats 1 and 2 have the same layout and differ only in a pack's name.
// A format 2 pack is named by the BLAKE3-256 of its table, the hash its
// footer carries ([Writer.Name], [Table.Sum]). The table commits to every
// blob's id, type, compression and lengths, hence to every offset, and each
// blob's raw bytes are verified against its id when read; so the name and
// the blob checks together cover every byte, and writing a pack needs no
// hash pass over its blob bytes. Two packs with one name hold the same
// blobs at the same offsets. A format 1 pack is named by the BLAKE3 of all
// its bytes; readers keep accepting it, and checking its name still means
// hashing the whole file ([Table.NamedBySum] tells the two apart).
//
// # Writing
//
// [Writer] appends blobs with Add, or reserves their place with Reserve so
// that several goroutines can write blob bytes into one file at once (the
// objects package does this: it reserves and hashes under a lock and
// copies outside it). Finish writes the table and footer. A Writer that
// failed once stays failed.
//
// # Reading
//
// The table and footer let a reader list a pack from its tail alone: read
// the last [FooterSize] bytes, decode them with [DecodeFooter], read
// [Footer.TailSize] bytes from the end and decode them with [DecodeTail]. A
// remote reader does this with two ranged reads; [ReadTable] does it on an
// [io.ReaderAt] and also checks the header.
//
// Decoders treat their input as hostile: every length is checked against the
// file size before it drives an allocation, the blob count is bounded by
// [MaxCount], the table's hash is verified, offsets and lengths must exactly
// tile the blob area, and reserved bits must be zero. Failures wrap
// [ErrCorrupt], or [ErrFormat] for a format version this package does not
// read; the objects package maps both to objects.ErrCorrupt and adds the
// pack's path.
//
// Blob bytes are not verified here: a blob's id is the BLAKE3 of its raw
// (decompressed) bytes, which the objects package checks on every read.
package pack
