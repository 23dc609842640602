package retention

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Fuzz targets for the TTL and duration parsers, which read what users
// type (--ttl, --grace, retention.toml). Their seeds run as unit tests
// with `go test`; crashers found by `go test -fuzz` go to testdata/fuzz/
// and run as unit tests too.

// durationSeeds are spellings for both targets: valid ones, boundaries
// (the largest whole-second duration, one past it) and malformed ones.
var durationSeeds = []string{
	"30d", "12h", "36h", "1d12h", "90s", "1m30s", "0d1s", "01h", "1d1d", "1s",
	"106751d23h47m16s", // the largest duration of whole seconds
	"106751d23h47m17s", "106752d", "9223372036s", "9223372037s", "9223372036854775807s",
	"99999999999999999999d",
	"", "0", "0s", "0d", "3w", "d", "-1d", "+1d", "10", "1.5h", "1ms", "1 d", " 1d", "1d ", "1D", "1h-1m", "\x00",
	"never", "inherit", "Never", "never ", "inherit1d",
}

// FuzzParseTTL checks that ParseTTL fails only with ErrInvalid, and that
// an accepted TTL is exactly one of never, inherit and a positive period
// of whole seconds, whose canonical spelling (String) parses back to the
// same TTL and is a fixed point.
func FuzzParseTTL(f *testing.F) {
	for _, s := range durationSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ttl, err := ParseTTL(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseTTL(%q): error of unknown class: %v", s, err)
			}
			return
		}
		kinds := 0
		for _, is := range []bool{ttl.IsNever(), ttl.IsInherit(), ttl.Period() > 0} {
			if is {
				kinds++
			}
		}
		if kinds != 1 {
			t.Fatalf("ParseTTL(%q) = %#v: never %v, inherit %v, period %v", s, ttl, ttl.IsNever(), ttl.IsInherit(), ttl.Period())
		}
		if ttl.Period()%time.Second != 0 {
			t.Fatalf("ParseTTL(%q) has period %v, not whole seconds", s, ttl.Period())
		}
		if (s == Never) != ttl.IsNever() || (s == Inherit) != ttl.IsInherit() {
			t.Fatalf("ParseTTL(%q) = %v", s, ttl)
		}
		canon := ttl.String()
		again, err := ParseTTL(canon)
		if err != nil || again != ttl {
			t.Fatalf("ParseTTL(%q) = %v, whose spelling %q parses to %v, %v", s, ttl, canon, again, err)
		}
		if again.String() != canon {
			t.Fatalf("canonical spelling %q of ParseTTL(%q) is not a fixed point: %q", canon, s, again.String())
		}
	})
}

// FuzzParseDuration checks that an accepted duration is positive, whole
// seconds, and comes back from FormatDuration's spelling; and, for
// spellings without days, that it agrees with time.ParseDuration, which
// reads the same s, m and h.
func FuzzParseDuration(f *testing.F) {
	for _, s := range durationSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if d != 0 {
				t.Fatalf("ParseDuration(%q) failed (%v) but returned %v", s, err, d)
			}
			return
		}
		if d <= 0 || d%time.Second != 0 {
			t.Fatalf("ParseDuration(%q) = %v: want a positive number of whole seconds", s, d)
		}
		canon := FormatDuration(d)
		again, err := ParseDuration(canon)
		if err != nil || again != d {
			t.Fatalf("ParseDuration(%q) = %v, whose spelling %q parses to %v, %v", s, d, canon, again, err)
		}
		if FormatDuration(again) != canon {
			t.Fatalf("spelling %q of %v is not a fixed point", canon, d)
		}
		if !strings.Contains(s, "d") {
			if std, err := time.ParseDuration(s); err != nil || std != d {
				t.Fatalf("ParseDuration(%q) = %v, but time.ParseDuration gives %v, %v", s, d, std, err)
			}
		}
	})
}
