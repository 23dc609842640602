package repo

import (
	"context"
	"sync"
	"sync/atomic"
)

// pool runs jobs on a fixed number of goroutines. Jobs must not wait for
// other jobs of the same pool.
type pool struct {
	ctx  context.Context
	jobs chan func()
	wg   sync.WaitGroup
	once sync.Once
}

func newPool(ctx context.Context, n int) *pool {
	p := &pool{ctx: ctx, jobs: make(chan func(), 4*n)}
	p.wg.Add(n)
	for range n {
		go func() {
			defer p.wg.Done()
			for job := range p.jobs {
				job()
			}
		}()
	}
	return p
}

// submit queues job; it blocks while the queue is full.
func (p *pool) submit(job func()) { p.jobs <- job }

// close waits for every submitted job to finish.
func (p *pool) close() {
	p.once.Do(func() { close(p.jobs) })
	p.wg.Wait()
}

// bufPool hands out a fixed number of equal buffers; get blocks while all
// are in use, which bounds the memory of big-file pipelines.
type bufPool struct {
	free chan []byte
	size int
}

func newBufPool(n, size int) *bufPool {
	p := &bufPool{free: make(chan []byte, n), size: size}
	for range n {
		p.free <- nil // allocated on first use
	}
	return p
}

func (p *bufPool) get(ctx context.Context) (*block, error) {
	select {
	case b := <-p.free:
		if b == nil {
			b = make([]byte, p.size)
		}
		blk := &block{buf: b, pool: p}
		blk.refs.Store(1)
		return blk, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// block is a pooled buffer shared by the goroutines working on its bytes.
// It returns to its pool when the last reference is released.
type block struct {
	buf  []byte
	refs atomic.Int32
	pool *bufPool
}

func (b *block) ref() { b.refs.Add(1) }

func (b *block) release() {
	if b.refs.Add(-1) == 0 {
		b.pool.free <- b.buf
	}
}

// smallBufs lends the buffers small files are read into, so that reading
// 20,000 files does not allocate and zero 300 MB. Only buffers of at most
// maxPooledSmall bytes are kept, one per worker or so at a time: at most
// Workers × 256 KiB stays allocated; larger files allocate their own.
type smallBufs struct{ p sync.Pool }

// maxPooledSmall is the largest buffer smallBufs keeps.
const maxPooledSmall = 256 << 10

// get returns a buffer of length n. Its bytes are not zeroed.
func (s *smallBufs) get(n int) []byte {
	if n <= maxPooledSmall {
		if b, ok := s.p.Get().(*[]byte); ok {
			return (*b)[:n]
		}
		return make([]byte, n, maxPooledSmall)
	}
	return make([]byte, n)
}

// put takes back a buffer from get; the caller must not use it afterwards.
func (s *smallBufs) put(b []byte) {
	if cap(b) == maxPooledSmall {
		s.p.Put(&b)
	}
}

// atomicInt is a counter shared by workers.
type atomicInt struct{ atomic.Int64 }
