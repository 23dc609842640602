package canon

import "testing"

func TestLowerHex(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"", true},
		{"0123456789abcdef", true},
		{"0123456789ABCDEF", false},
		{"abcg", false},
		{"ab cd", false},
	} {
		if got := lowerHex(tc.s); got != tc.want {
			t.Errorf("lowerHex(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

func TestGitCommit(t *testing.T) {
	sha1 := "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{sha1, true},
		{sha1 + sha1[:24], true},
		{sha1[:39], false},
		{sha1 + "0", false},
		{"0123456789ABCDEF0123456789abcdef01234567", false},
	} {
		if got := GitCommit(tc.s); got != tc.want {
			t.Errorf("GitCommit(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

func TestFirstDiff(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "abc", 3},
		{"abc", "abd", 2},
		{"ab", "abc", 2},
		{"xbc", "abc", 0},
	} {
		if got := FirstDiff([]byte(tc.a), []byte(tc.b)); got != tc.want {
			t.Errorf("FirstDiff(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
