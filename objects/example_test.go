package objects_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/trove-ml/trove/objects"
)

// Example shows a commit's use of the store: chunk a file, put its chunks,
// flush, and read a chunk back.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "trove-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	s, err := objects.Open(ctx, objects.Options{Dir: dir, Compression: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	w := s.NewWriter()
	chunker := objects.NewChunker(objects.DefaultChunkerParams())
	var text strings.Builder // a 700 KB file that compresses well
	for i := range 25000 {
		fmt.Fprintf(&text, "line %d: all work and no play\n", i)
	}
	cr := chunker.Reader(strings.NewReader(text.String()))
	var hint objects.CompressHint // one per file
	var ids []objects.ID
	for {
		chunk, err := cr.Next()
		if err != nil {
			break // io.EOF
		}
		id := objects.Sum(chunk)
		if _, err := w.PutChunk(ctx, id, chunk, &hint); err != nil {
			fmt.Println(err)
			return
		}
		ids = append(ids, id)
	}
	if err := w.Flush(ctx); err != nil { // durable from here on
		fmt.Println(err)
		return
	}

	data, typ, err := s.Get(ctx, ids[0], nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	info, _ := s.Stat(ids[0])
	fmt.Println(len(ids), "chunks; the first is a", typ, "of", len(data), "bytes, compressed:", info.Compressed)
	// Output: 11 chunks; the first is a chunk of 72273 bytes, compressed: true
}
