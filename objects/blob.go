package objects

import "fmt"

// BlobType says what a blob holds. The values are persisted in packs and in
// the index: never renumber them; retired values stay reserved.
type BlobType uint8

const (
	TypeChunk   BlobType = 1 // a piece of file content
	TypeTree    BlobType = 2 // a directory node (manifest package)
	TypeFileMap BlobType = 3 // a file's ordered chunk list (manifest package)
	TypeRecord  BlobType = 4 // a version record (manifest package)
	TypeRun     BlobType = 5 // a run record (lineage)
)

// String returns the type's name.
func (t BlobType) String() string {
	switch t {
	case TypeChunk:
		return "chunk"
	case TypeTree:
		return "tree"
	case TypeFileMap:
		return "filemap"
	case TypeRecord:
		return "record"
	case TypeRun:
		return "run"
	}
	return fmt.Sprintf("blobtype(%d)", uint8(t))
}

// Valid reports whether t is a known type.
func (t BlobType) Valid() bool { return t >= TypeChunk && t <= TypeRun }
