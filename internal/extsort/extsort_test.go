package extsort

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// sortAll sorts values through a Sorter with the given budget and returns
// them as the iterator gives them back, with the number of runs spilled.
func sortAll[T any](t *testing.T, dir string, budget int, c Codec[T], values []T) ([]T, int) {
	t.Helper()
	s := New(dir, budget, c)
	defer s.Close()
	for _, v := range values {
		if err := s.Add(v); err != nil {
			t.Fatal(err)
		}
	}
	runs := s.Spilled()
	it, err := s.Sorted()
	if err != nil {
		t.Fatal(err)
	}
	var got []T
	for {
		v, ok, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		got = append(got, v)
	}
	if _, ok, err := it.Next(); ok || err != nil {
		t.Fatalf("Next after the end: %v, %v", ok, err)
	}
	return got, runs
}

func TestSortStrings(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			b := make([]byte, rng.IntN(40))
			for j := range b {
				b[j] = byte(rng.IntN(256))
			}
			out[i] = string(b)
		}
		return out
	}
	dupes := random(50)
	dupes = append(dupes, dupes...)
	for _, tt := range []struct {
		name     string
		values   []string
		budget   int
		wantRuns bool
	}{
		{"empty", nil, 1 << 20, false},
		{"in memory", random(1000), 1 << 20, false},
		{"one value a run", random(20), 1, true},
		{"many runs", random(10000), 4 << 10, true},
		{"duplicates across runs", dupes, 200, true},
		{"empty strings", []string{"", "b", "", "a", ""}, 30, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			got, runs := sortAll(t, dir, tt.budget, Strings(64), tt.values)
			want := slices.Sorted(slices.Values(tt.values))
			if !slices.Equal(got, want) {
				t.Fatalf("sorted %d values into %d, not in order or not all", len(tt.values), len(got))
			}
			if (runs > 0) != tt.wantRuns {
				t.Fatalf("%d runs spilled", runs)
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Fatalf("temp folder holds %d files after Close", len(left))
			}
			if got := sortInBatches(t, tt.budget, tt.values, 7); !slices.Equal(got, want) {
				t.Fatalf("sorted %d values into %d in batches of 7, not in order or not all", len(tt.values), len(got))
			}
		})
	}
}

// sortInBatches sorts values as sortAll does, reading them back n at a
// time with NextN.
func sortInBatches(t *testing.T, budget int, values []string, n int) []string {
	t.Helper()
	s := New(t.TempDir(), budget, Strings(64))
	defer s.Close()
	for _, v := range values {
		if err := s.Add(v); err != nil {
			t.Fatal(err)
		}
	}
	it, err := s.Sorted()
	if err != nil {
		t.Fatal(err)
	}
	var got, batch []string
	for {
		if batch, err = it.NextN(batch[:0], n); err != nil {
			t.Fatal(err)
		}
		if len(batch) == 0 {
			return got
		}
		if len(batch) > n {
			t.Fatalf("a batch of %d, asked for %d", len(batch), n)
		}
		got = append(got, batch...)
	}
}

func TestDamagedRun(t *testing.T) {
	for _, tt := range []struct {
		name   string
		damage func(f *os.File) error
	}{
		{"cut inside a value", func(f *os.File) error { return f.Truncate(5) }},
		{"length past the limit", func(f *os.File) error {
			_, err := f.WriteAt([]byte{0xff, 0x7f}, 0)
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t.TempDir(), 100, Strings(64))
			defer s.Close()
			for i := range 50 {
				if err := s.Add(fmt.Sprintf("name-%04d", i)); err != nil {
					t.Fatal(err)
				}
			}
			if s.Spilled() == 0 {
				t.Fatal("nothing spilled")
			}
			if err := tt.damage(s.runs[0]); err != nil {
				t.Fatal(err)
			}
			it, err := s.Sorted()
			for err == nil {
				var ok bool
				if _, ok, err = it.Next(); !ok && err == nil {
					t.Fatal("a damaged run sorted without an error")
				}
			}
			if !errors.Is(err, ErrDamaged) {
				t.Fatalf("err = %v, want ErrDamaged", err)
			}
		})
	}
}

func TestSpillError(t *testing.T) {
	s := New(t.TempDir()+"/missing", 1, Strings(64))
	defer s.Close()
	if err := s.Add("a"); err == nil {
		t.Fatal("a run in a missing folder was written")
	}
}

func FuzzReadString(f *testing.F) {
	for _, s := range []string{"", "a", "name-0001", string(make([]byte, 300))} {
		f.Add(AppendString(nil, s))
	}
	f.Add([]byte{0x80})
	f.Add([]byte{5, 'a'})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bufio.NewReader(bytes.NewReader(b))
		s, err := ReadString(r, 256)
		switch {
		case err == io.EOF:
			if len(b) != 0 {
				t.Fatalf("io.EOF with %d bytes to read", len(b))
			}
		case err == nil:
			if len(s) > 256 || len(s) >= len(b) {
				t.Fatalf("read %d bytes from %d, limit 256", len(s), len(b))
			}
			if !bytes.Contains(b, []byte(s)) {
				t.Fatalf("read %q, which the input does not hold", s)
			}
		}
	})
}
