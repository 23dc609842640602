package repo

import (
	"path/filepath"
	"strings"
	"sync"

	"github.com/trove-ml/trove/objects"
)

// maxKinds bounds the kinds a commit keeps a hint for: a folder whose
// names end in numbers (x.1, x.2, ...) has as many extensions as files,
// and past this many every further kind is tried file by file, as
// without hints.
const maxKinds = 256

// kindHints holds what compressing the one-chunk files of a commit taught,
// one objects.KindHint per file name extension (compared in lower case),
// so that a folder of 10,000 JPEGs or .npy shards pays for a few hundred
// zstd attempts rather than one per file. It is safe for concurrent use;
// the zero value is ready to use.
type kindHints struct {
	mu sync.Mutex
	m  map[string]*objects.KindHint
}

// of returns the hint for the files named like name, or nil (a hint that
// tries every file) once the commit has met maxKinds other kinds.
func (k *kindHints) of(name string) *objects.KindHint {
	ext := strings.ToLower(filepath.Ext(name))
	k.mu.Lock()
	defer k.mu.Unlock()
	if h, ok := k.m[ext]; ok {
		return h
	}
	if len(k.m) >= maxKinds {
		return nil
	}
	if k.m == nil {
		k.m = make(map[string]*objects.KindHint)
	}
	h := new(objects.KindHint)
	k.m[ext] = h
	return h
}
