package repo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/trove-ml/trove/internal/fileinfo"
	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
)

// ErrInTheWay means a pull found, at one of the version's paths,
// something that trove may not replace and that is not the version's:
// a file, symbolic link or folder of the user's, or one trove placed that
// changed since (see Repo.Pull and clearPath). The error names the paths
// (the first maxInTheWay, then a count), what is there, and what to do,
// and says whether anything was written: a pull looks through the
// version's paths before it writes (materializer.check), so usually
// nothing was; where it found one only while writing, the files placed
// before stay. PullOptions.Force replaces such things instead.
var ErrInTheWay = errors.New("repo: something trove did not place is in the way")

// maxInTheWay bounds the paths an ErrInTheWay names; the rest are counted.
const maxInTheWay = 3

// wayList collects the paths of a pull that trove may not replace, the
// first maxInTheWay by path (whatever order the checks end in) and a
// count. It is safe for concurrent use.
type wayList struct {
	mu    sync.Mutex
	items []wayItem // sorted by rel, at most maxInTheWay; guarded by mu
	n     int       // guarded by mu
}

// wayItem is one path of a pull in the way: rel, the path under the
// output folder, and its description, "NAME:vN's file P: what is there".
type wayItem struct{ rel, text string }

func (l *wayList) add(rel, text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	i := sort.Search(len(l.items), func(i int) bool { return l.items[i].rel > rel })
	if i == maxInTheWay {
		return
	}
	l.items = append(l.items, wayItem{})
	copy(l.items[i+1:], l.items[i:])
	l.items[i] = wayItem{rel, text}
	if len(l.items) > maxInTheWay {
		l.items = l.items[:maxInTheWay]
	}
}

// err returns the ErrInTheWay error for the paths collected, nil if none.
// written says whether the pull may have written files already.
func (l *wayList) err(m *materializer, written bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == 0 {
		return nil
	}
	texts := make([]string, len(l.items))
	for i, it := range l.items {
		texts[i] = it.text
	}
	s := strings.Join(texts, "; ")
	if l.n > len(l.items) {
		s += fmt.Sprintf(" and %d more", l.n-len(l.items))
	}
	it, they := "it", "it"
	if l.n > 1 {
		it, they = "them", "they"
	}
	done := "Nothing was written"
	if written {
		done = fmt.Sprintf("Nothing there was changed (other files of %s may already be in place)", m.version)
	}
	fix := "pull into another folder"
	if m.forceHint != "" {
		fix = m.forceHint + " to replace " + it
	}
	return fmt.Errorf("%w of %s (in %s). trove did not place %s, or %s changed since. %s: move %s away and try again, or %s",
		ErrInTheWay, s, m.dir, it, they, done, it, fix)
}

// lookThrough says whether what is at d, found by Lstat as fi, where the
// version has a want ("file", "folder", "symbolic link"), is trove's to
// remove:
//
//   - an empty folder, or a folder holding only folders;
//   - a file or symbolic link for which placed says yes: trove put it
//     there (or stored it) and it is unchanged since (placedUnchanged);
//   - a folder holding only such things and folders.
//
// If it is, lookThrough returns the files and folders to remove (none for
// a file or link: d itself goes), else what describes the user's things,
// naming up to maxInTheWay of them by their paths under rel, d's path
// under the output folder. It removes nothing.
func lookThrough(rel, version string, d string, fi fs.FileInfo, placed func(string, fs.FileInfo) bool) (what string, files, dirs []string, err error) {
	if !fi.IsDir() {
		if placed(d, fi) {
			return "", nil, nil, nil
		}
		return fmt.Sprintf("a %s not in %s", kindOf(fi), version), nil, nil, nil
	}
	var theirs []string
	n := 0
	err = filepath.WalkDir(d, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.IsDir() {
			dirs = append(dirs, p)
			return nil
		}
		info, err := de.Info()
		if err != nil {
			return err
		}
		if placed(p, info) {
			files = append(files, p)
			return nil
		}
		if n++; len(theirs) < maxInTheWay {
			theirs = append(theirs, path.Join(rel, filepath.ToSlash(p[len(d)+1:])))
		}
		return nil
	})
	if err != nil {
		return "", nil, nil, err
	}
	if n > 0 {
		what = fmt.Sprintf("a folder holding %d %s not in %s: %s", n, plural(n, "file"), version, strings.Join(theirs, ", "))
		if n > len(theirs) {
			what += fmt.Sprintf(" and %d more", n-len(theirs))
		}
		return what, nil, nil, nil
	}
	return "", files, dirs, nil
}

// kindOf names the kind of file fi describes: "file" for a regular one.
func kindOf(fi fs.FileInfo) string {
	if fi.Mode().IsRegular() {
		return "file"
	}
	return fileinfo.KindName(fi.Mode())
}

// clearPath removes what is at d, found by Lstat as fi, where the version
// has a want, if trove may remove it (lookThrough, with m.troves: with
// PullOptions.Force, anything). Anything else is the user's, and
// clearPath then removes nothing and returns an error wrapping
// ErrInTheWay that names d and lists what of the user's is there.
//
// The folder is looked through whole before anything goes, and removed
// with os.Remove file by file and folder by folder, deepest first, never
// os.RemoveAll: a file the user adds meanwhile makes a folder's removal
// fail, and nothing of theirs is lost.
func (m *materializer) clearPath(d string, fi fs.FileInfo, want string) error {
	what, files, dirs, err := lookThrough(m.rel(d), m.version, d, fi, m.troves)
	if err != nil {
		return lookThroughErr(d, want, err)
	}
	if what != "" {
		return m.inTheWay(d, want, what)
	}
	if !fi.IsDir() {
		if err := os.Remove(d); err != nil {
			return fmt.Errorf("pull: replace %s with a %s: %w", d, want, err)
		}
		return nil
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("pull: replace folder %s with a %s: %w", d, want, err)
		}
	}
	// WalkDir lists a folder before what it holds: backwards is deepest
	// first.
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Remove(dirs[i]); err != nil {
			return fmt.Errorf("pull: replace folder %s with a %s: %w", d, want, err)
		}
	}
	return nil
}

// addAt adds d, where the version has a want and what is there is what,
// to the paths in the way: "NAME:vN's file P: what".
func (l *wayList) addAt(m *materializer, d, want, what string) {
	rel := m.rel(d)
	l.add(rel, fmt.Sprintf("%s's %s %s: %s", m.version, want, rel, what))
}

// inTheWay is the ErrInTheWay error for the one path d, found as a path
// was written (see wayList.err).
func (m *materializer) inTheWay(d, want, what string) error {
	l := &wayList{}
	l.addAt(m, d, want, what)
	return l.err(m, true)
}

// lookThroughErr wraps a failure to look through the folder at d.
func lookThroughErr(d, want string, err error) error {
	return fmt.Errorf("pull: look through the folder in the way of %s %s: %w", want, d, err)
}

// differs describes a file or link, found by Lstat as fi, whose content
// is not the version's.
func differs(fi fs.FileInfo, version string) string {
	return fmt.Sprintf("a %s whose content differs from %s's", kindOf(fi), version)
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}

// rel returns d's slash-separated path under the output folder.
func (m *materializer) rel(d string) string {
	rel, err := filepath.Rel(m.dir, d)
	if err != nil {
		return d
	}
	return filepath.ToSlash(rel)
}

// clearForFile is clearPath for a file of the version.
func (m *materializer) clearForFile(d string, fi fs.FileInfo) error {
	return m.clearPath(d, fi, "file")
}

// replaceable returns nil if the file or symbolic link at d, found by
// Lstat as fi, which does not hold what the version has there (a want),
// may be replaced: with PullOptions.Force, or if it is trove's
// (m.troves). Otherwise it returns an error wrapping ErrInTheWay naming
// d. This is the rule checked again as each path is written: check
// applied it to every path before, but a file may change meanwhile, and a
// location-only reference's paths are known only then.
func (m *materializer) replaceable(d string, fi fs.FileInfo, want string) error {
	if fi.IsDir() || m.troves(d, fi) {
		return nil // a folder is clearPath's to judge
	}
	return m.inTheWay(d, want, differs(fi, m.version))
}

// troves reports whether trove may remove or replace the file or symbolic
// link at d (fi, its Lstat): anything with PullOptions.Force, else what
// placedUnchanged, placedRefUnchanged or placedByInterrupted say is
// trove's.
func (m *materializer) troves(d string, fi fs.FileInfo) bool {
	return m.force || m.placedUnchanged(d, fi) || m.placedRefUnchanged(d, fi) || m.placedByInterrupted(d, fi)
}

// placedUnchanged reports whether the file or symbolic link at d (fi, its
// Lstat) is trove's to remove: its stat cache entry says what it held when
// a pull placed it or a commit stored it, and it holds that still — by
// the entry's stat where that is trusted, else by hashing it again (an
// entry written moments ago is racy, see trustStatEntry) — and trove can
// give that content back. A pull's entry (epoch 0) names content of a
// version, here or on a remote; a commit's names content it stored, which
// a GC may have removed since, so the store is asked. Links are recorded
// by pulls with the digest of their target (symlink).
//
// Entries under refStatKey are not looked at here: the DigestCache writes
// them also for the user's own files that a file:// reference points at,
// which the store does not hold (see placedRefUnchanged).
func (m *materializer) placedUnchanged(d string, fi fs.FileInfo) bool {
	v, err := m.r.store.GetMeta(nsStatCache, statKey(d))
	if err != nil {
		return false
	}
	digest, epoch, ok := m.unchangedSince(d, fi, v)
	return ok && (epoch == 0 || m.r.holds(digest, fi.Size()))
}

// placedRefUnchanged reports whether the file at d (fi, its Lstat) is a
// referenced object a pull placed and nobody changed since: its entry
// under refStatKey carries pulledRefEpoch, which only pulls write (the
// DigestCache's entries, for files a reference points at, carry 0), and
// it holds the content that entry names. trove can give that back from the
// reference's source.
func (m *materializer) placedRefUnchanged(d string, fi fs.FileInfo) bool {
	if !fi.Mode().IsRegular() {
		return false
	}
	v, err := m.r.store.GetMeta(nsStatCache, refStatKey(d))
	if err != nil {
		return false
	}
	_, epoch, ok := m.unchangedSince(d, fi, v)
	return ok && epoch == pulledRefEpoch
}

// unchangedSince reports whether the file or link at d (fi, its Lstat)
// still holds the content of stat cache entry v, and returns the entry's
// digest and epoch.
func (m *materializer) unchangedSince(d string, fi fs.FileInfo, v []byte) (objects.ID, uint64, bool) {
	old, _, digest, epoch, err := decodeStatEntry(v)
	if err != nil {
		return digest, 0, false
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		t, err := os.Readlink(d)
		return digest, epoch, err == nil && objects.Sum([]byte(t)) == digest
	case !fi.Mode().IsRegular() || old.size != fi.Size():
		return digest, 0, false
	}
	st := statOf(fi)
	if _, _, ok := trustStatEntry(v, st); !ok {
		if got, err := m.hash(d, st); err != nil || got != digest {
			return digest, 0, false
		}
	}
	return digest, epoch, true
}

// hashMemo is a digest of a file hashed while check looked through the
// version's paths, with the file's stat then.
type hashMemo struct {
	st     fileStat
	digest objects.ID
}

// hash returns the BLAKE3 of the file at d, whose stat is st (hashFile).
// A file check hashed is not hashed again by the pull that follows while
// its stat is the same: check keeps what the stat cache will not vouch
// for, files whose content is not the version's (never remembered there,
// see upToDateWith) and racy ones; about 150 bytes each.
func (m *materializer) hash(d string, st fileStat) (objects.ID, error) {
	m.memoMu.Lock()
	h, ok := m.memo[d]
	m.memoMu.Unlock()
	if ok && h.st == st {
		return h.digest, nil
	}
	m.hashed.Add(1)
	digest, err := hashFile(d, st)
	if err == nil && m.checking {
		m.memoMu.Lock()
		m.memo[d] = hashMemo{st, digest}
		m.memoMu.Unlock()
	}
	return digest, err
}

// forget drops d from the hash memo: the stat cache vouches for it.
func (m *materializer) forget(d string) {
	if m.checking {
		m.memoMu.Lock()
		delete(m.memo, d)
		m.memoMu.Unlock()
	}
}

// holds reports whether the local store holds the content with digest.
func (r *Repo) holds(digest objects.ID, size int64) bool {
	if size == 0 {
		return true
	}
	if _, ok, err := r.store.FileMap(digest); err == nil && ok {
		return true
	}
	ok, err := r.store.Has(digest)
	return err == nil && ok
}

// check looks through what is at the version's paths under the output
// folder before anything is written, so that a pull that may not replace
// something there writes nothing: where the version has a file, symbolic
// link or referenced object and something of other content is there, or
// a folder and a file or link is, or a file or link and a folder is, that
// must be trove's (troves, lookThrough). It returns an error wrapping
// ErrInTheWay listing the paths that are not.
//
// The cost is a second walk of the version's tree, read from the local
// store, and a Lstat of each path under a folder that exists: below a
// folder that does not (or that a pull replaces) nothing can be in the
// way, so a pull into an empty folder walks no further than its top
// entries, and one into an absent or empty folder, or with Force, skips
// check altogether. Files are compared as the write pass compares them
// (upToDate: stat cache, else hashing); what check hashes, the write pass
// does not hash again: matches go to the stat cache, which is written
// before the write pass, and the rest stay in the hash memo.
//
// A location-only reference is not looked at: what it names is listed
// only as it is pulled, where replaceable applies the same rule.
func (m *materializer) check(ctx context.Context, base string, top manifest.Entry) error {
	if m.force || m.empty {
		return nil
	}
	m.checking, m.memo = true, map[string]hashMemo{}
	defer func() { m.checking = false }()
	l := &wayList{}
	var wg sync.WaitGroup
	err := func() error {
		// The folders above a --prefix path, as Pull makes them.
		for i := range base {
			if base[i] == '/' {
				skip, err := m.checkEntry(l, &wg, base[:i], manifest.Entry{Kind: manifest.KindDir})
				if err != nil || skip {
					return err
				}
			}
		}
		skip, err := m.checkEntry(l, &wg, base, top)
		if err != nil || skip || top.Kind != manifest.KindDir {
			return err
		}
		return manifest.Walk(ctx, m.g, top.Digest, func(sub string, e manifest.Entry) error {
			skip, err := m.checkEntry(l, &wg, path.Join(base, sub), e)
			if err == nil && skip && e.Kind == manifest.KindDir {
				return manifest.SkipDir
			}
			return err
		})
	}()
	wg.Wait()
	if err == nil {
		err = m.firstErr()
	}
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// The write pass finds the digests check remembered (see hash), in
	// pages read after they were written.
	if err := m.stat.commit(); err != nil {
		return fmt.Errorf("pull: stat cache: %w", err)
	}
	m.pages.reset()
	return l.err(m, false)
}

// checkEntry applies check's rule to entry e at version path p, adding
// to l the paths in the way; files are looked at on m.pool, counted by
// wg, their errors left with m.fail. skip says that nothing below p needs
// looking at: p is not a folder now, so the pull makes it anew.
func (m *materializer) checkEntry(l *wayList, wg *sync.WaitGroup, p string, e manifest.Entry) (skip bool, err error) {
	d, err := m.dest(p)
	if err != nil {
		return false, err
	}
	if e.Kind == manifest.KindFile || e.Kind == manifest.KindRef {
		// Nothing lies below a file for the walk to skip, so its Lstat
		// goes to the pool with the rest of its check: in a folder of a
		// million files, the lstats are most of the check's time.
		wg.Add(1)
		m.pool.submit(func() {
			defer wg.Done()
			if err := m.checkFileAt(l, d, e); err != nil {
				m.fail(err)
			}
		})
		return false, nil
	}
	fi, err := lstatWay(d)
	if err != nil || fi == nil {
		return true, err
	}
	want := "symbolic link"
	switch e.Kind {
	case manifest.KindDir:
		if fi.IsDir() {
			return false, nil
		}
		want = "folder"
	case manifest.KindRefLocation:
		return false, nil
	}
	if fi.IsDir() || e.Kind == manifest.KindDir {
		return true, m.checkReplace(l, d, want, fi)
	}
	if t, err := os.Readlink(d); err == nil && t == e.Target {
		return false, nil
	}
	if !m.troves(d, fi) {
		l.addAt(m, d, want, differs(fi, m.version))
	}
	return false, nil
}

// checkFileAt is checkEntry for a file or a referenced object at d.
func (m *materializer) checkFileAt(l *wayList, d string, e manifest.Entry) error {
	fi, err := lstatWay(d)
	if err != nil || fi == nil {
		return err
	}
	if fi.IsDir() {
		return m.checkReplace(l, d, "file", fi)
	}
	var same bool
	if e.Kind == manifest.KindFile {
		same = m.upToDate(d, fi, e)
	} else {
		e.Digest = m.refContent(d, e)
		same = !e.Digest.IsZero() && m.refUpToDate(d, e)
	}
	if !same && !m.troves(d, fi) {
		l.addAt(m, d, "file", differs(fi, m.version))
	}
	return nil
}

// lstatWay is the Lstat of d for check: nil, and no error, where nothing
// is there (nor can be: a file is where a folder of the path would be).
func lstatWay(d string) (fs.FileInfo, error) {
	fi, err := os.Lstat(d)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("pull: %w", err)
	}
	return fi, nil
}

// checkReplace adds d to l unless what is there (fi), where the version
// has a want of another kind (a folder where it has a file, or the other
// way), is trove's to replace.
func (m *materializer) checkReplace(l *wayList, d, want string, fi fs.FileInfo) error {
	what, _, _, err := lookThrough(m.rel(d), m.version, d, fi, m.troves)
	if err != nil {
		return lookThroughErr(d, want, err)
	}
	if what != "" {
		l.addAt(m, d, want, what)
	}
	return nil
}

// emptyDir reports whether dir holds nothing (or cannot be read: the pull
// then fails on its own).
func emptyDir(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return true
	}
	defer f.Close()
	names, _ := f.Readdirnames(1)
	return len(names) == 0
}
