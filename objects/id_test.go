package objects

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSumKnownAnswers checks Sum against the published BLAKE3 test vectors,
// so a change of hash library cannot silently rename every object.
func TestSumKnownAnswers(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"", "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"},
		{"abc", "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"},
	}
	for _, tt := range tests {
		if got := Sum([]byte(tt.in)).String(); got != tt.want {
			t.Errorf("Sum(%q) = %s, want %s", tt.in, got, tt.want)
		}
		h := NewHasher()
		for _, c := range []byte(tt.in) { // in pieces
			_, _ = h.Write([]byte{c})
		}
		if got := h.Sum().String(); got != tt.want {
			t.Errorf("Hasher over %q = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestIDText(t *testing.T) {
	id := Sum([]byte("abc"))
	back, err := ParseID(id.String())
	if err != nil || back != id {
		t.Fatalf("ParseID(String()) = %v, %v", back, err)
	}
	if id.Short() != "6437b3ac3846" {
		t.Errorf("Short() = %s", id.Short())
	}
	if !(ID{}).IsZero() || id.IsZero() {
		t.Error("IsZero wrong")
	}
	b, err := json.Marshal(map[string]ID{"id": id})
	if err != nil || !strings.Contains(string(b), id.String()) {
		t.Fatalf("json = %s, %v", b, err)
	}
	var m map[string]ID
	if err := json.Unmarshal(b, &m); err != nil || m["id"] != id {
		t.Fatalf("json round trip = %v, %v", m, err)
	}
	for _, bad := range []string{"", "abc", strings.Repeat("g", 64), id.String() + "00", "sha256:" + id.String()[7:]} {
		if _, err := ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) succeeded", bad)
		}
	}
}

// TestParseCanonicalID: canonical encodings accept an id only as String
// writes it; ParseID also takes upper-case digits.
func TestParseCanonicalID(t *testing.T) {
	id := Sum([]byte("abc"))
	if back, err := ParseCanonicalID(id.String()); err != nil || back != id {
		t.Fatalf("ParseCanonicalID(String()) = %v, %v", back, err)
	}
	upper := strings.ToUpper(id.String())
	if back, err := ParseID(upper); err != nil || back != id {
		t.Fatalf("ParseID(%q) = %v, %v", upper, back, err)
	}
	for _, tc := range []struct{ s, want string }{
		{upper, `have 'B' at 4`},
		{id.String()[:10] + "A" + id.String()[11:], `have 'A' at 10`},
		{id.String()[:63], "have 63"},
		{id.String() + "0", "have 65"},
		{strings.Repeat("g", 64), `have 'g' at 0`},
	} {
		_, err := ParseCanonicalID(tc.s)
		if err == nil || !strings.Contains(err.Error(), "lower-case hex") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseCanonicalID(%q) = %v, want an error saying %q", tc.s, err, tc.want)
		}
	}
}

func BenchmarkHash(b *testing.B) {
	data := pseudoRandom("hash", 64<<10)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		Sum(data)
	}
}
