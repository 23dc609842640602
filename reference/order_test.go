package reference

import (
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/trove-ml/trove/manifest"
)

func TestWalkCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"a", "a", 0},
		{"a", "a/b", -1},
		{"a/b", "a-b", -1},
		{"a/b", "a.txt", -1},
		{"a-b", "a.txt", -1},
		{"a/z", "ab", -1},
		{"a b/c", "a/c", 1},
		{"x/a!", "x/a/b", 1},
		{"", "a", -1},
	} {
		if got := walkCompare(tc.a, tc.b); got != tc.want {
			t.Errorf("walkCompare(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := walkCompare(tc.b, tc.a); got != -tc.want {
			t.Errorf("walkCompare(%q, %q) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}

// walkKey is the reference definition of walk order: paths compared
// element by element.
func walkKey(a, b string) int {
	return slices.Compare(strings.Split(a, "/"), strings.Split(b, "/"))
}

// randomPaths returns n distinct paths over a small alphabet that holds
// bytes on both sides of '/'.
func randomPaths(rng *rand.Rand, n int) []string {
	const alphabet = "ab-.!~"
	seen := map[string]bool{}
	var out []string
	for len(out) < n {
		var sb strings.Builder
		depth := 1 + rng.IntN(3)
		for d := range depth {
			if d > 0 {
				sb.WriteByte('/')
			}
			for range 1 + rng.IntN(3) {
				sb.WriteByte(alphabet[rng.IntN(len(alphabet))])
			}
		}
		if p := sb.String(); !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// TestSorter: whatever the memory budget, the sorter returns every entry
// once, in walk order, with its fields.
func TestSorter(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	in := randomPaths(rng, 3000)
	slices.Sort(in) // bytewise, as S3 lists
	want := slices.Clone(in)
	slices.SortFunc(want, walkKey)
	for _, budget := range []int{1, 10_000, 1 << 30} {
		dir := t.TempDir()
		s := newSorter(dir, budget)
		for i, p := range in {
			e := manifest.Entry{Name: p[strings.LastIndexByte(p, '/')+1:], Kind: manifest.KindRef, Size: int64(i),
				Ref: &manifest.Reference{URI: "s3://b/" + p, ChecksumKind: KindETagVersionID, Checksum: "etag" + p, VersionID: "v"}}
			if err := s.add(p, e); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		err := s.finish(func(p string, e manifest.Entry) error {
			if e.Ref.URI != "s3://b/"+p || e.Ref.Checksum != "etag"+p || e.Ref.VersionID != "v" || in[e.Size] != p || !strings.HasSuffix(p, e.Name) {
				t.Fatalf("budget %d: %q came back as %+v %+v", budget, p, e, e.Ref)
			}
			got = append(got, p)
			return nil
		})
		s.close()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("budget %d: order differs", budget)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Fatalf("budget %d: %d temp files left", budget, len(left))
		}
	}
}
