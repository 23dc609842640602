package repo

import (
	"sort"

	"github.com/trove-ml/trove/manifest"
)

// itemStream gives the rest of a vdir's items in name order, a batch at a
// time, after a first batch: a folder's (dirStream), or the merge of the
// folders and files of a commit's root (mergeStream).
type itemStream interface {
	// next returns the next batch; none after the last, and only then.
	next() ([]item, error)
	// close releases what the stream holds; it may be called again.
	close()
}

var (
	_ itemStream = (*dirStream)(nil)
	_ itemStream = (*mergeStream)(nil)
)

// mergeSource is one input of a mergeStream: a batch of items in name
// order, its cursor, and the stream of the batches after it.
type mergeSource struct {
	items []item
	i     int
	rest  itemStream // nil: items is all
}

// head returns the source's current item, reading its next batch when
// the current one is used up; ok is false past its last.
func (s *mergeSource) head() (it *item, ok bool, err error) {
	for s.i == len(s.items) {
		if s.rest == nil {
			return nil, false, nil
		}
		if s.items, err = s.rest.next(); err != nil {
			return nil, false, err
		}
		s.i = 0
		if len(s.items) == 0 {
			s.rest.close()
			s.rest = nil
		}
	}
	return &s.items[s.i], true, nil
}

// mergeStream merges the root of a commit of several paths: the folders'
// items and the loose files, each source already in name order, so that
// no folder is held whole there either. Folders of one name merge into
// one vdir (in the order of the command line); any other clash is an
// error naming both paths.
type mergeStream struct {
	srcs []*mergeSource
}

// merge lists v's folders and loose files merged: a first batch and, if
// there is more, the stream of the rest.
func (c *committer) merge(v *vdir) ([]item, itemStream, error) {
	m := &mergeStream{}
	loose := make([]item, 0, len(v.files))
	for _, f := range v.files {
		if err := manifest.ValidPathElement(f.name); err != nil {
			return nil, nil, invalidName(f.path, err)
		}
		loose = append(loose, item{name: f.name, src: f})
	}
	sort.Slice(loose, func(i, j int) bool { return loose[i].name < loose[j].name })
	m.srcs = append(m.srcs, &mergeSource{items: loose})
	for _, d := range v.dirs {
		items, rest, err := c.listDir(d)
		if err != nil {
			m.close()
			return nil, nil, err
		}
		m.srcs = append(m.srcs, &mergeSource{items: items, rest: rest})
	}
	items, err := m.next()
	if err != nil || !m.more() {
		m.close()
		return items, nil, err
	}
	return items, m, nil
}

// more reports whether any source has a batch to come.
func (m *mergeStream) more() bool {
	for _, s := range m.srcs {
		if s.rest != nil || s.i < len(s.items) {
			return true
		}
	}
	return false
}

func (m *mergeStream) next() ([]item, error) {
	var out []item
	for len(out) < listBatch {
		// The least name at the head of a source, and every source whose
		// head has it.
		var least *item
		var at []*mergeSource
		for _, s := range m.srcs {
			it, ok, err := s.head()
			if err != nil {
				return nil, err
			}
			switch {
			case !ok:
			case least == nil || it.name < least.name:
				least, at = it, []*mergeSource{s}
			case it.name == least.name:
				at = append(at, s)
			}
		}
		if least == nil {
			break
		}
		merged := *least
		at[0].i++
		for _, s := range at[1:] {
			it := &s.items[s.i]
			if merged.sub == nil || it.sub == nil {
				return nil, errClaimed(origin(&merged), origin(it), it.name)
			}
			merged.sub.dirs = append(merged.sub.dirs, it.sub.dirs...)
			s.i++
		}
		out = append(out, merged)
	}
	return out, nil
}

// origin names where an item of a merge comes from, for messages.
func origin(it *item) string {
	if it.sub != nil {
		return it.sub.dirs[0]
	}
	return it.src.fullPath()
}

func (m *mergeStream) close() {
	for _, s := range m.srcs {
		if s.rest != nil {
			s.rest.close()
			s.rest = nil
		}
	}
}
