package refs

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// Fuzz targets for the version-name parsers of this package. Their seeds
// run as unit tests with `go test`; crashers found by `go test -fuzz` go to
// testdata/fuzz/ and run as unit tests too.

// FuzzParseSpec checks that ParseSpec fails only with ErrBadSpec, and that
// what it accepts is a well-formed Spec whose canonical spelling (String)
// parses back to the same Spec:
//   - exactly one of Name (an artifact) and Collection (a registry
//     collection) is set, a collection always with its registry and never
//     with an entity or project;
//   - path components hold no '/' or ':', the selector no ':';
//   - MaybeDigest only for a bare hex name of MinDigestPrefix..64 digits
//     with no selector;
//   - ParseSpec(sp.String()) == sp, and an input that is not W&B's
//     registry path is already canonical (String gives it back).
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{
		// Valid: every shape PRODUCT.md lists (testdata/spec).
		"mnist", "mnist:best", "mnist:v3", "proj/mnist:prod", "acme/proj/mnist:latest",
		"registry/model/classifier:v2", "registry/model/classifier",
		"acme/wandb-registry-model/classifier:production",
		"registry", "registry:v1", "3fa9c2d1", "3fa9c2d1:latest",
		"mnist:a/b",
		// Digest boundaries: 5, 6, 64 and 65 hex digits, upper case.
		"abcde", "abcdef", strings.Repeat("0", 64), strings.Repeat("0", 65), "ABCDEF",
		// Malformed.
		"", ":", "/", "mnist:", "mnist:a:b", "/mnist", "mnist/", "a//b", "a/b/c/d",
		"registry/onlyone", "registry/model:v1", "registry/model/classifier/extra:v1",
		"wandb-registry-model/classifier:production", "acme/wandb-registry-/classifier:production",
		"registry/", "\x00", "a\xffb:\xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := ParseSpec(s)
		if err != nil {
			if !errors.Is(err, ErrBadSpec) {
				t.Fatalf("ParseSpec(%q): error of unknown class: %v", s, err)
			}
			return
		}
		if (sp.Name == "") == (sp.Collection == "") {
			t.Fatalf("ParseSpec(%q) = %+v: want exactly one of Name and Collection", s, sp)
		}
		if sp.Collection != "" && (sp.Registry == "" || sp.Entity != "" || sp.Project != "") {
			t.Fatalf("ParseSpec(%q) = %+v: a collection wants a registry and no entity or project", s, sp)
		}
		for _, part := range []string{sp.Entity, sp.Project, sp.Name, sp.Registry, sp.Collection} {
			if strings.ContainsAny(part, "/:") {
				t.Fatalf("ParseSpec(%q) = %+v: component %q holds '/' or ':'", s, sp, part)
			}
		}
		if strings.Contains(sp.Selector, ":") {
			t.Fatalf("ParseSpec(%q) = %+v: selector holds ':'", s, sp)
		}
		if sp.MaybeDigest && (sp.Selector != "" || sp.Entity != "" || sp.Project != "" || !isLowerHex(sp.Name) ||
			len(sp.Name) < MinDigestPrefix || len(sp.Name) > 64) {
			t.Fatalf("ParseSpec(%q) = %+v: MaybeDigest for what cannot be a digest", s, sp)
		}
		canon := sp.String()
		again, err := ParseSpec(canon)
		if err != nil || again != sp {
			t.Fatalf("ParseSpec(%q) = %+v, whose spelling %q parses to %+v, %v", s, sp, canon, again, err)
		}
		if wandb := sp.Collection != "" && !strings.HasPrefix(s, "registry/"); !wandb && canon != s {
			t.Fatalf("ParseSpec(%q) = %+v, spelt %q: a canonical input should come back as it was", s, sp, canon)
		}
	})
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// FuzzParseVersionNumber checks ParseVersionNumber against its definition:
// it accepts s exactly when s is "v" followed by the decimal spelling
// strconv.Itoa gives of some n >= 0 (no sign, no leading zeros, no
// overflow), and then returns that n.
func FuzzParseVersionNumber(f *testing.F) {
	for _, s := range []string{
		"v0", "v7", "v12", "v9223372036854775807", // valid, up to MaxInt64
		"", "v", "V1", "x1", "1", "v01", "v00", "v-1", "v+1", "v-0", "v 1", "v1 ", "v1x", "v0x1", "v1_000",
		"v9223372036854775808", "v99999999999999999999", "vv1", "v١",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := ParseVersionNumber(s)
		want := -1 // the n that s spells, or -1
		if digits, isV := strings.CutPrefix(s, "v"); isV {
			if v, err := strconv.Atoi(digits); err == nil && v >= 0 && strconv.Itoa(v) == digits {
				want = v
			}
		}
		switch {
		case ok && n != want:
			t.Fatalf("ParseVersionNumber(%q) = %d, want it refused or %d", s, n, want)
		case !ok && want >= 0:
			t.Fatalf("ParseVersionNumber(%q) refused the spelling of v%d", s, want)
		case !ok && n != 0:
			t.Fatalf("ParseVersionNumber(%q) refused it but returned %d", s, n)
		}
	})
}
