package checkout

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/trove-ml/trove/objects"
)

// probePrefix begins the names of the files Probe and Plan make, and
// remove, in the cache's and the output's folders.
const probePrefix = ".trove-probe-"

// Placer puts cached files into output folders in one Mode, learning once
// per output filesystem whether reflinks work there, so that a pull of
// 20,000 files onto ext4 tries and fails one reflink rather than 20,000.
// It is safe for concurrent use. Make one per pull: what it learns is
// not meant to outlive the mounts it learnt it from.
type Placer struct {
	cache *Cache
	mode  Mode

	mu sync.Mutex
	// devs maps each output folder seen to its device, about 100 bytes a
	// folder; guarded by mu.
	devs map[string]uint64
	// reflink maps each output device to whether a reflink from the
	// cache's device into it worked (Probe); guarded by mu. The cache's
	// device is the same for every entry, so one device names the pair.
	reflink map[uint64]bool
}

// NewPlacer returns a Placer that puts files from c in mode m.
func NewPlacer(c *Cache, m Mode) *Placer {
	return &Placer{cache: c, mode: m, devs: make(map[string]uint64), reflink: make(map[uint64]bool)}
}

// Mode returns the mode the Placer was made with.
func (p *Placer) Mode() Mode { return p.mode }

// Plan returns the mode Place will use for a file with permissions perm in
// the existing folder dir, trying a link between the cache and dir with a
// tiny file where that decides it. It fails, before any file is placed,
// when the Placer's mode cannot work there: for Reflink with an error
// wrapping [ErrUnsupported], for Hardlink with one wrapping
// [ErrCrossDevice] (or naming what else refused the link). Call it once
// per pull, on the output folder, after creating it.
//
// When Plan says Copy, the cache saves nothing: a caller may then write
// files straight to their place instead of into the cache and from it.
func (p *Placer) Plan(dir string, perm fs.FileMode) (Mode, error) {
	mode := p.mode
	if mode == Hardlink && perm&execBits != 0 {
		mode = Auto // as in Place
	}
	switch mode {
	case Copy:
		return Copy, nil
	case Auto:
		if p.canReflink(dir) {
			return Reflink, nil
		}
		return Copy, nil
	case Reflink:
		return Reflink, probeReflink(p.cache.tmpDir(), dir)
	case Hardlink:
		return Hardlink, p.probeLink(dir)
	}
	return mode, fmt.Errorf("checkout: plan %s: unknown link mode %d", dir, uint8(mode))
}

// Place puts the cached file of content id at dst, as the package's Place
// does in the Placer's mode, and records the file's use for Prune. Auto
// tries a reflink only where Probe found that reflinks work between the
// cache and dst's filesystem, and still falls back to a copy for a file
// the filesystem refuses. The cached file must exist (Lookup or Add
// first); otherwise the error wraps [fs.ErrNotExist] and names it.
func (p *Placer) Place(ctx context.Context, id objects.ID, dst string, perm fs.FileMode) (used Mode, err error) {
	src := p.cache.Path(id)
	if err := p.cache.touch(src); err != nil {
		return p.mode, fmt.Errorf("checkout: place %s: %w", dst, err)
	}
	tryReflink := true
	if p.mode == Auto || (p.mode == Hardlink && perm&execBits != 0) {
		tryReflink = p.canReflink(filepath.Dir(dst))
	}
	return place(ctx, p.mode, src, dst, perm, p.cache.dir, tryReflink)
}

// canReflink reports whether a reflink from the cache into dir worked
// when last probed on dir's device, probing it the first time.
func (p *Placer) canReflink(dir string) bool {
	if !p.cache.devOK {
		return false // no device numbers: not Linux, where alone reflinks are made
	}
	p.mu.Lock()
	dev, known := p.devs[dir]
	p.mu.Unlock()
	if !known {
		fi, err := os.Stat(dir) // outside mu: a slow stat blocks nobody else
		if err != nil {
			return false // the copy will report what is wrong with dir
		}
		if dev, known = device(fi); !known {
			return false
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.devs[dir] = dev
	ok, probed := p.reflink[dev]
	if !probed {
		// Under mu, so that the many first files of a pull on a new
		// device wait for one probe instead of each making its own.
		ok = Probe(p.cache.tmpDir(), dir)
		p.reflink[dev] = ok
	}
	return ok
}

// Probe reports whether a file in the folder cacheDir can be reflinked
// into the folder outDir, by cloning a tiny temp file made in the one
// into a temp file made in the other and removing both. Any failure,
// a folder that cannot be written included, reports false. It costs a
// few system calls; a [Placer] keeps its answers.
func Probe(cacheDir, outDir string) (reflink bool) {
	return probeReflink(cacheDir, outDir) == nil
}

// probeReflink is Probe with the reason it fails, wrapping ErrUnsupported
// where the filesystem is that reason.
func probeReflink(cacheDir, outDir string) error {
	src, err := probeFile(cacheDir)
	if err != nil {
		return err
	}
	defer func() {
		src.Close()
		os.Remove(src.Name())
	}()
	dst, err := os.CreateTemp(outDir, probePrefix+"*")
	if err != nil {
		return fmt.Errorf("checkout: probe reflink into %s: %w", outDir, err)
	}
	defer func() {
		dst.Close()
		os.Remove(dst.Name())
	}()
	if err := clone(dst, src); err != nil {
		return cloneError("from the cache folder "+cacheDir+" into "+outDir, err)
	}
	return nil
}

// probeLink fails as Place would if a hardlink from the cache into dir
// cannot be made.
func (p *Placer) probeLink(dir string) error {
	src, err := probeFile(p.cache.tmpDir())
	if err != nil {
		return err
	}
	defer func() {
		src.Close()
		os.Remove(src.Name())
	}()
	tmp, err := linkTemp(src.Name(), dir, probePrefix)
	if err != nil {
		return linkError("cannot hardlink from the cache into "+dir, p.cache.dir, dir, err)
	}
	os.Remove(tmp) // a probe: nothing depends on it going
	return nil
}

// probeFile makes a small temp file in dir to probe links with.
func probeFile(dir string) (*os.File, error) {
	f, err := os.CreateTemp(dir, probePrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("checkout: probe: %w", err)
	}
	if _, err := f.WriteString("trove link probe\n"); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("checkout: probe: %w", err)
	}
	return f, nil
}
