package repo

import (
	"context"
	"sort"
	"sync"

	"github.com/trove-ml/trove/objects"
)

// statPages answers a pull's stat cache lookups, one per file already in
// place, from pages of a folder's entries rather than with a point lookup
// each. A Pebble Get sets up an iterator over every table, 7–40 µs; a
// re-pull of a million files made two million of them (45 s). The files
// of a folder are looked up in about name order, by several workers at
// once, so a page read from the first name that no page covers serves the
// lookups after it.
//
// A page is a snapshot: an entry written after it was read is not seen,
// and its file is hashed instead, as it would be were the entry still in
// the recorder's unflushed batch. A few recent pages are kept, so memory
// does not grow with the folder.
type statPages struct {
	ctx  context.Context
	r    *Repo
	size int // entries a page holds at most

	mu    sync.Mutex
	pages []*statSpan // most recently read first; guarded by mu
}

// statSpan is one page of a folder's entries: those from the name first
// on, through its last entry if the page is full, else to the folder's end.
type statSpan struct {
	dir, first string
	l          *statList
}

// statSpansKept bounds the pages a statPages holds (each at most statPage
// entries, some 400 KB): enough for the folders being pulled at once.
const statSpansKept = 8

func newStatPages(ctx context.Context, r *Repo) *statPages {
	return &statPages{ctx: ctx, r: r, size: statPage}
}

// reset drops the pages: entries written since they were read are seen.
func (p *statPages) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pages = nil
}

// cachedDigest is Repo.cachedDigest from the pages.
func (p *statPages) cachedDigest(path string, cur fileStat) (objects.ID, bool) {
	v := p.entry(statSplit(path))
	if v == nil {
		return objects.ID{}, false
	}
	d, _, ok := trustStatEntry(v, cur)
	return d, ok
}

// entry returns the entry of name in folder dir, or nil.
func (p *statPages) entry(dir, name string) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, s := range p.pages {
		if v, ok := s.find(dir, name); ok {
			if i > 0 { // keep the pages in use at the front
				copy(p.pages[1:i+1], p.pages[:i])
				p.pages[0] = s
			}
			return v
		}
	}
	// Most folders are small: the page's buffers start small and grow.
	s := &statSpan{dir: dir, first: name, l: p.r.statListFrom(p.ctx, dir, []byte(name), min(p.size, 128), p.size)}
	if len(p.pages) == statSpansKept {
		p.pages = p.pages[:statSpansKept-1]
	}
	p.pages = append([]*statSpan{s}, p.pages...)
	v, _ := s.find(dir, name)
	return v
}

// find looks name up in the span; ok reports whether the span covers it,
// so that a nil entry means the folder has none.
func (s *statSpan) find(dir, name string) (v []byte, ok bool) {
	l := s.l
	if dir != s.dir || name < s.first || l.more && name > string(l.name(len(l.ends)-1)) {
		return nil, false
	}
	i := sort.Search(len(l.ends), func(i int) bool { return string(l.name(i)) >= name })
	if i == len(l.ends) || string(l.name(i)) != name {
		return nil, true
	}
	return l.val(i), true
}
