package repo

import (
	"fmt"
	"strconv"
	"time"
)

// TTL spellings with a meaning of their own.
const (
	TTLNever   = "never"
	TTLInherit = "inherit"
)

// ParseTTL parses a retention period: "never", "inherit", or a sequence of
// positive integers with units s, m, h, d ("30d", "1d12h"). It returns 0 for
// never and -1 for inherit.
func ParseTTL(s string) (time.Duration, error) {
	switch s {
	case TTLNever:
		return 0, nil
	case TTLInherit:
		return -1, nil
	}
	d, err := ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%w: TTL %q: %v (use e.g. 30d, 12h, never or inherit)", ErrInvalid, s, err)
	}
	return d, nil
}

// ParseDuration parses durations with units s, m, h and d, as "90d" or
// "1d12h". Zero and negative durations are refused.
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var total time.Duration
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i || j == len(s) {
			return 0, fmt.Errorf("want a number followed by one of s, m, h, d")
		}
		n, err := strconv.ParseInt(s[i:j], 10, 64)
		if err != nil {
			return 0, err
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
			unit = 24 * time.Hour
		default:
			return 0, fmt.Errorf("unknown unit %q (use s, m, h or d)", s[j])
		}
		if n > int64((1<<63-1)/unit) || total+time.Duration(n)*unit < total {
			return 0, fmt.Errorf("too long")
		}
		total += time.Duration(n) * unit
		i = j + 1
	}
	if total <= 0 {
		return 0, fmt.Errorf("must be positive")
	}
	return total, nil
}
