package retention

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TTL spellings with a meaning of their own.
const (
	Never   = "never"
	Inherit = "inherit"
)

// Day is the unit "d" of durations.
const Day = 24 * time.Hour

// ErrInvalid means a TTL, duration or policy is not acceptable; the
// message says what and how to fix it.
var ErrInvalid = errors.New("retention: invalid")

// TTL is a parsed retention period. The zero TTL is "inherit".
type TTL struct {
	never  bool
	period time.Duration // > 0 for a period
}

// NeverTTL returns the TTL that never runs out.
func NeverTTL() TTL { return TTL{never: true} }

// PeriodTTL returns a TTL of d, which must be positive.
func PeriodTTL(d time.Duration) TTL { return TTL{period: d} }

// IsNever reports whether t never runs out.
func (t TTL) IsNever() bool { return t.never }

// IsInherit reports whether t follows the project default.
func (t TTL) IsInherit() bool { return !t.never && t.period == 0 }

// Period returns the period of t, 0 for never and inherit.
func (t TTL) Period() time.Duration { return t.period }

// String returns the canonical spelling: "never", "inherit" or a duration
// as [FormatDuration] writes it.
func (t TTL) String() string {
	switch {
	case t.never:
		return Never
	case t.period == 0:
		return Inherit
	}
	return FormatDuration(t.period)
}

// ParseTTL parses "never", "inherit" or a duration ([ParseDuration]).
// Errors wrap ErrInvalid.
func ParseTTL(s string) (TTL, error) {
	switch s {
	case Never:
		return NeverTTL(), nil
	case Inherit:
		return TTL{}, nil
	}
	d, err := ParseDuration(s)
	if err != nil {
		return TTL{}, fmt.Errorf("%w: TTL %q: %v (use e.g. 30d, 12h, never or inherit)", ErrInvalid, s, err)
	}
	return PeriodTTL(d), nil
}

// ParseDuration parses a sequence of positive integers with units s, m, h
// and d ("90d", "1d12h"), the durations of TTLs and grace periods. Zero
// and negative durations, and those past about 292 years, are refused.
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("empty duration")
	}
	var total time.Duration
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i || j == len(s) {
			return 0, errors.New("want a number followed by one of s, m, h, d")
		}
		n, err := strconv.ParseInt(s[i:j], 10, 64)
		if err != nil {
			return 0, errors.New("number too large")
		}
		var unit time.Duration
		switch s[j] {
		case 's':
			unit = time.Second
		case 'm':
			unit = time.Minute
		case 'h':
			unit = time.Hour
		case 'd':
			unit = Day
		default:
			return 0, fmt.Errorf("unknown unit %q (use s, m, h or d)", s[j])
		}
		if n > int64((1<<63-1)/unit) || total+time.Duration(n)*unit < total {
			return 0, errors.New("too long")
		}
		total += time.Duration(n) * unit
		i = j + 1
	}
	if total <= 0 {
		return 0, errors.New("must be positive")
	}
	return total, nil
}

// FormatDuration writes d with the units ParseDuration reads, largest
// first and without zero parts: 36h is "1d12h", 90s is "1m30s". Parts
// below a second are dropped. Zero is "0s".
func FormatDuration(d time.Duration) string {
	if d < time.Second {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		d time.Duration
		s string
	}{{Day, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.d; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.s)
			d -= n * u.d
		}
	}
	return b.String()
}

// FormatRemaining writes a time left for people, rounded down to its two
// largest units: "29d 23h", "5h 2m", "40s".
func FormatRemaining(d time.Duration) string {
	if d < time.Second {
		return "0s"
	}
	s := FormatDuration(d)
	// Keep the two largest parts: "29d23h59m" → "29d 23h".
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			parts = append(parts, s[start:i+1])
			start = i + 1
		}
	}
	if len(parts) > 2 {
		parts = parts[:2]
	}
	return strings.Join(parts, " ")
}
