package repo

// Progress receives progress of long work (hashing, writing, reading).
// Implementations must be safe for concurrent use of their Meters.
type Progress interface {
	// Start begins a phase. total is the expected amount, or 0 if unknown;
	// bytes says whether amounts are bytes (else counts of things).
	Start(phase string, total int64, bytes bool) Meter
}

// Meter tracks one phase.
type Meter interface {
	// Add records n more units done. It is called from many goroutines.
	Add(n int64)
	// SetTotal changes the expected total.
	SetTotal(total int64)
	// Done ends the phase.
	Done()
}

// NoProgress discards progress.
type NoProgress struct{}

// Start implements Progress.
func (NoProgress) Start(string, int64, bool) Meter { return noMeter{} }

type noMeter struct{}

func (noMeter) Add(int64)      {}
func (noMeter) SetTotal(int64) {}
func (noMeter) Done()          {}
