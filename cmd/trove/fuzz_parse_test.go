package main

import (
	"errors"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trove-ml/trove/refs"
	"github.com/trove-ml/trove/retention"
)

// Fuzz targets for the parsers of flag values: cache prune --to, gc
// --grace and --repack-threshold, and the registry paths of link, unlink
// and registry. Their seeds run as unit tests with `go test`; crashers
// found by `go test -fuzz` go to testdata/fuzz/ and run as unit tests too.

// sizeUnits are the units parseSize reads, with what each multiplies by.
var sizeUnits = []struct {
	suffix string
	mult   uint64
	binary bool // a power of two: a product of it is exact in a float64
}{
	{"", 1, true}, {"B", 1, true},
	{"K", 1 << 10, true}, {"M", 1 << 20, true}, {"G", 1 << 30, true}, {"T", 1 << 40, true},
	{"KiB", 1 << 10, true}, {"MiB", 1 << 20, true}, {"GiB", 1 << 30, true}, {"TiB", 1 << 40, true},
	{"KB", 1e3, false}, {"MB", 1e6, false}, {"GB", 1e9, false}, {"TB", 1e12, false},
}

// FuzzParseSize checks that parseSize returns an error or a size in
// 0..2^62 for any text, and that a whole number n with a unit (with or
// without a space before it) parses to n times the unit: exactly for the
// binary units and for products up to 2^53, and refused as too large past
// 2^62.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{
		"0", "10GB", "500MiB", "2T", "1.5K", "0.5", "1e3", " 7 KiB ", "4611686018427387904", "4194304TiB",
		"", "B", "KB", "-1", "-1KB", "4611686018427387905B", "4194305TiB", "1e300", "Inf", "-Inf", "10 XB", "10kb", "1,5G", "0x10",
		"NaN", "nan", "NaNKB", "NaN GiB", // ParseFloat takes NaN: once a size of -2^63

	} {
		f.Add(s, uint32(len(s)), uint8(len(s)))
	}
	f.Add("", uint32(4194304), uint8(9))    // 4194304TiB = 2^62, the largest size
	f.Add("", uint32(4194305), uint8(9))    // one TiB more
	f.Add("", uint32(1000000), uint8(13))   // 1000000TB = 10^18: past 2^53, below 2^62
	f.Add("", uint32(1<<32-1), uint8(13))   // 4294967295TB: past 2^62
	f.Add("", uint32(1<<32-1), uint8(0x86)) // "4294967295 KiB": a space before the unit
	f.Fuzz(func(t *testing.T, s string, n uint32, unit uint8) {
		if size, err := parseSize(s); err == nil && (size < 0 || size > 1<<62) {
			t.Fatalf("parseSize(%q) = %d, outside 0..2^62", s, size)
		}

		u := sizeUnits[int(unit&0x7f)%len(sizeUnits)]
		sp := ""
		if unit&0x80 != 0 {
			sp = " "
		}
		in := strconv.FormatUint(uint64(n), 10) + sp + u.suffix
		size, err := parseSize(in)
		hi, want := bits.Mul64(uint64(n), u.mult)
		switch {
		case hi != 0 || want > 1<<62:
			// A decimal product just past 2^62 may round down to it.
			if err == nil && u.binary {
				t.Fatalf("parseSize(%q) = %d, want it refused as too large", in, size)
			}
		case err != nil:
			t.Fatalf("parseSize(%q): %v, want %d", in, err, want)
		case (u.binary || want <= 1<<53) && uint64(size) != want:
			t.Fatalf("parseSize(%q) = %d, want %d", in, size, want)
		}
	})
}

// FuzzParseGrace checks that parseGrace takes "0" and "0s" as no grace and
// everything else as retention.ParseDuration does, and that the grace it
// returns is never negative, is whole seconds, and comes back from its
// spelling by retention.FormatDuration (which spells no grace "0s").
func FuzzParseGrace(f *testing.F) {
	for _, s := range []string{
		"0", "0s", "30m", "1h", "1d", "4s", "24h", "1d12h", "106751d23h47m16s",
		"", "00", "0m", "0d", "-1h", "1.5h", "1ms", "1w", "h", "10", " 0", "0s ", "106752d", "never",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseGrace(s)
		if s == "0" || s == "0s" {
			if err != nil || d != 0 {
				t.Fatalf("parseGrace(%q) = %v, %v; want 0", s, d, err)
			}
			return
		}
		rd, rerr := retention.ParseDuration(s)
		if d != rd || (err == nil) != (rerr == nil) {
			t.Fatalf("parseGrace(%q) = %v, %v; retention.ParseDuration gives %v, %v", s, d, err, rd, rerr)
		}
		if err != nil {
			return
		}
		if d < 0 || d%time.Second != 0 {
			t.Fatalf("parseGrace(%q) = %v: want whole seconds, not negative", s, d)
		}
		spelt := retention.FormatDuration(d)
		if again, err := parseGrace(spelt); err != nil || again != d {
			t.Fatalf("parseGrace(%q) = %v, whose spelling %q parses to %v, %v", s, d, spelt, again, err)
		}
	})
}

// FuzzParsePercent checks that whatever parsePercent accepts is within
// (0, 1] as documented, and that the value comes back from its spelling
// as a fraction (exactly) and as a percentage (to rounding).
func FuzzParsePercent(f *testing.F) {
	for _, s := range []string{
		"25%", "0.25", "100%", "1", "1e-300", "0.0001%", "5e-324", "1.0", "99.999%", "0x1p-2",
		"", "%", "0", "0%", "-25%", "101%", "1.0000001", "25%%", "%25", " 25%", "25 %", "abc", "Inf", "-Inf", "1e400",
		"NaN", "NaN%", "nan", // ParseFloat takes NaN: once a threshold of NaN

	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePercent(s)
		if err != nil {
			return
		}
		if !(p > 0 && p <= 1) {
			t.Fatalf("parsePercent(%q) = %v, outside (0, 1]", s, p)
		}
		frac := strconv.FormatFloat(p, 'g', -1, 64)
		if again, err := parsePercent(frac); err != nil || again != p {
			t.Fatalf("parsePercent(%q) = %v, but its spelling %q parses to %v, %v", s, p, frac, again, err)
		}
		if p < 1e-300 {
			return // a subnormal fraction of a percent rounds too coarsely to compare
		}
		pct := strconv.FormatFloat(p*100, 'g', -1, 64) + "%"
		if again, err := parsePercent(pct); err != nil || math.Abs(again-p) > 1e-15*p {
			t.Fatalf("parsePercent(%q) = %v, but its spelling %q parses to %v, %v", s, p, pct, again, err)
		}
	})
}

// FuzzParseCollection checks that parseCollection accepts exactly the
// version names refs.ParseSpec reads as a registry collection, returns
// their registry, collection and selector, refuses the rest with a usage
// error (exit code 2), and reads the canonical spelling
// registry/REG/COLL[:SEL] of what it accepts back to the same parts.
func FuzzParseCollection(f *testing.F) {
	for _, s := range []string{
		"registry/model/classifier", "registry/model/classifier:v2", "registry/model/classifier:production",
		"acme/wandb-registry-model/classifier:production", "registry/registry/registry", "registry/m/c:a/b",
		"", "mnist", "mnist:v1", "proj/mnist:prod", "acme/proj/mnist", "registry", "registry/onlyone", "registry/model:v1",
		"registry/model/classifier/extra", "registry//c", "registry/m/c:", "registry/m/c:a:b",
		"wandb-registry-model/classifier", "acme/wandb-registry-/classifier", "3fa9c2d1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		reg, coll, sel, err := parseCollection(s)
		sp, serr := refs.ParseSpec(s)
		if want := serr == nil && sp.Collection != ""; (err == nil) != want {
			t.Fatalf("parseCollection(%q) = %q, %q, %q, %v; refs.ParseSpec gives %+v, %v", s, reg, coll, sel, err, sp, serr)
		}
		if err != nil {
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Fatalf("parseCollection(%q): %v is not a usage error", s, err)
			}
			if serr != nil && !errors.Is(err, refs.ErrBadSpec) {
				t.Fatalf("parseCollection(%q): %v does not wrap refs.ErrBadSpec", s, err)
			}
			return
		}
		if reg != sp.Registry || coll != sp.Collection || sel != sp.Selector || reg == "" || coll == "" {
			t.Fatalf("parseCollection(%q) = %q, %q, %q; refs.ParseSpec gives %+v", s, reg, coll, sel, sp)
		}
		canon := "registry/" + reg + "/" + coll
		if sel != "" {
			canon += ":" + sel
		}
		if r2, c2, s2, err := parseCollection(canon); err != nil || r2 != reg || c2 != coll || s2 != sel {
			t.Fatalf("parseCollection(%q) = %q, %q, %q, but its spelling %q gives %q, %q, %q, %v", s, reg, coll, sel, canon, r2, c2, s2, err)
		}
		if strings.HasPrefix(s, "registry/") && canon != s {
			t.Fatalf("parseCollection(%q): canonical spelling %q differs", s, canon)
		}
	})
}
