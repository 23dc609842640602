package main

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/trove-ml/trove/internal/units"
	"github.com/trove-ml/trove/repo"
)

// newProgress returns bars on a terminal, plain lines elsewhere, or
// nothing when disabled.
func newProgress(e env, disabled bool) repo.Progress {
	switch {
	case disabled:
		return repo.NoProgress{}
	case isTerminal(e.stderr):
		return barProgress{w: e.stderr}
	}
	return &lineProgress{w: e.stderr, every: 2 * time.Second}
}

// barProgress draws one mpb bar per phase.
type barProgress struct{ w io.Writer }

func (b barProgress) Start(phase string, total int64, bytes bool) repo.Meter {
	p := mpb.New(mpb.WithOutput(b.w), mpb.WithWidth(40), mpb.WithRefreshRate(150*time.Millisecond))
	var unit any = 0
	if bytes {
		unit = decor.SizeB1024(0)
	}
	var bar *mpb.Bar
	if total > 0 {
		bar = p.New(total, mpb.BarStyle(),
			mpb.PrependDecorators(decor.Name(phase+" ", decor.WC{C: decor.DindentRight}), decor.Counters(unit, "% .1f / % .1f")),
			mpb.AppendDecorators(decor.AverageSpeed(unit, "% .1f"), decor.Name(" "), decor.Percentage()))
	} else {
		bar = p.New(0, mpb.SpinnerStyle(),
			mpb.PrependDecorators(decor.Name(phase+" ")),
			mpb.AppendDecorators(decor.Current(unit, "% .1f"), decor.Name(" "), decor.AverageSpeed(unit, "% .1f")))
	}
	return &barMeter{p: p, bar: bar}
}

type barMeter struct {
	p    *mpb.Progress
	bar  *mpb.Bar
	once sync.Once
}

func (m *barMeter) Add(n int64)          { m.bar.IncrInt64(n) }
func (m *barMeter) SetTotal(total int64) { m.bar.SetTotal(total, false) }
func (m *barMeter) Done() {
	m.once.Do(func() {
		m.bar.SetTotal(-1, true)
		m.p.Wait()
	})
}

// lineProgress prints a line per phase at most every `every`, and a last
// line for phases that lasted longer than that; short work prints nothing.
type lineProgress struct {
	w     io.Writer
	every time.Duration
	mu    sync.Mutex // serialises writes to w
}

func (l *lineProgress) Start(phase string, total int64, bytes bool) repo.Meter {
	m := &lineMeter{l: l, phase: phase, bytes: bytes, start: time.Now(), stop: make(chan struct{})}
	m.total.Store(total)
	go m.loop()
	return m
}

type lineMeter struct {
	l       *lineProgress
	phase   string
	bytes   bool
	start   time.Time
	done    atomic.Int64
	total   atomic.Int64
	stop    chan struct{}
	once    sync.Once
	printed atomic.Bool
}

func (m *lineMeter) Add(n int64)          { m.done.Add(n) }
func (m *lineMeter) SetTotal(total int64) { m.total.Store(total) }

func (m *lineMeter) loop() {
	t := time.NewTicker(m.l.every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			m.print()
		case <-m.stop:
			return
		}
	}
}

func (m *lineMeter) print() {
	done, total := m.done.Load(), m.total.Load()
	el := time.Since(m.start).Seconds()
	amount := func(n int64) string {
		if m.bytes {
			return units.Bytes(n)
		}
		return fmt.Sprint(n)
	}
	line := m.phase + ": " + amount(done)
	if total > 0 {
		line += fmt.Sprintf(" of %s (%.0f%%)", amount(total), 100*float64(done)/float64(total))
	}
	if m.bytes && el > 0 {
		line += fmt.Sprintf(", %s/s", units.Bytes(int64(float64(done)/el)))
	}
	m.l.mu.Lock()
	fmt.Fprintln(m.l.w, line)
	m.l.mu.Unlock()
	m.printed.Store(true)
}

func (m *lineMeter) Done() {
	m.once.Do(func() {
		close(m.stop)
		if m.printed.Load() {
			m.print()
		}
	})
}
