package objects

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"testing"
)

func TestUpdateMeta(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	boom := errors.New("changed my mind")

	// fn fails: nothing is written.
	err := s.UpdateMeta(ctx, func(tx *MetaTx) error {
		if err := tx.Set('r', []byte("artifacts/a"), []byte("v1")); err != nil {
			return err
		}
		if err := tx.Set('r', []byte("artifacts/b"), []byte("v1")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("UpdateMeta = %v, want fn's error", err)
	}
	for _, k := range []string{"artifacts/a", "artifacts/b"} {
		if _, err := s.GetMeta('r', []byte(k)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("GetMeta(%s) after a failed transaction = %v, want ErrNotFound", k, err)
		}
	}

	// fn succeeds: everything is written, and fn sees its own writes.
	var kept *MetaTx
	err = s.UpdateMeta(ctx, func(tx *MetaTx) error {
		kept = tx
		if _, err := tx.Get('r', []byte("artifacts/a")); !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("Get before Set = %v", err)
		}
		for _, k := range []string{"artifacts/a", "artifacts/b", "artifacts/c", "registry/x"} {
			if err := tx.Set('r', []byte(k), []byte("v:"+k)); err != nil {
				return err
			}
		}
		if err := tx.Delete('r', []byte("artifacts/c")); err != nil {
			return err
		}
		if v, err := tx.Get('r', []byte("artifacts/a")); err != nil || string(v) != "v:artifacts/a" {
			return fmt.Errorf("Get of own write = %q, %v", v, err)
		}
		var keys []string
		err := tx.Scan('r', []byte("artifacts/"), func(k, v []byte) error { keys = append(keys, string(k)); return nil })
		if err != nil || !slices.Equal(keys, []string{"artifacts/a", "artifacts/b"}) {
			return fmt.Errorf("Scan in tx = %v, %v", keys, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.GetMeta('r', []byte("artifacts/b")); err != nil || string(v) != "v:artifacts/b" {
		t.Fatalf("GetMeta = %q, %v", v, err)
	}
	if _, err := s.GetMeta('r', []byte("artifacts/c")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted key: %v", err)
	}
	if err := kept.Set('r', []byte("late"), nil); err == nil {
		t.Error("a transaction accepted a write after UpdateMeta returned")
	}

	var keys []string
	err = s.ScanMeta(ctx, 'r', []byte("artifacts/"), func(k, v []byte) error {
		keys = append(keys, string(k)+"="+string(v))
		return nil
	})
	if err != nil || !slices.Equal(keys, []string{"artifacts/a=v:artifacts/a", "artifacts/b=v:artifacts/b"}) {
		t.Fatalf("ScanMeta = %v, %v", keys, err)
	}
	stop := errors.New("stop")
	n := 0
	if err := s.ScanMeta(ctx, 'r', nil, func(k, v []byte) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Fatalf("ScanMeta stopping = %v after %d calls", err, n)
	}
}

// TestUpdateMetaSerialised runs compare-and-swap increments from many
// goroutines: none may be lost.
func TestUpdateMetaSerialised(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	const workers, rounds = 8, 20
	errs := make(chan error, workers)
	for range workers {
		go func() {
			for range rounds {
				err := s.UpdateMeta(ctx, func(tx *MetaTx) error {
					v, err := tx.Get('m', []byte("counter"))
					if err != nil && !errors.Is(err, ErrNotFound) {
						return err
					}
					return tx.Set('m', []byte("counter"), append(v, 'x'))
				})
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	v, err := s.GetMeta('m', []byte("counter"))
	if err != nil || len(v) != workers*rounds {
		t.Fatalf("counter = %d, %v; want %d", len(v), err, workers*rounds)
	}
}

func TestMetaReservedNamespaces(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	for _, ns := range []byte{'i', 'b', 'f', 'p'} {
		if _, err := s.GetMeta(ns, nil); err == nil {
			t.Errorf("GetMeta(%c) succeeded", ns)
		}
		if err := s.ScanMeta(ctx, ns, nil, func(k, v []byte) error { return nil }); err == nil {
			t.Errorf("ScanMeta(%c) succeeded", ns)
		}
		err := s.UpdateMeta(ctx, func(tx *MetaTx) error { return tx.Set(ns, []byte("k"), []byte("v")) })
		if err == nil {
			t.Errorf("MetaTx.Set(%c) succeeded", ns)
		}
		if err := s.NewMetaBatch().Delete(ns, []byte("k")); err == nil {
			t.Errorf("MetaBatch.Delete(%c) succeeded", ns)
		}
	}
}

func TestMetaBatch(t *testing.T) {
	s := openStore(t, Options{})
	b := s.NewMetaBatch()
	for i := range 100 {
		if err := b.Set('s', fmt.Appendf(nil, "path/%03d", i), []byte("stat")); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Delete('s', []byte("path/007")); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 101 {
		t.Errorf("Len = %d", b.Len())
	}
	if _, err := s.GetMeta('s', []byte("path/001")); !errors.Is(err, ErrNotFound) {
		t.Fatal("batch visible before Commit")
	}
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetMeta('s', []byte("path/001")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetMeta('s', []byte("path/007")); !errors.Is(err, ErrNotFound) {
		t.Fatal("deleted in the same batch, still there")
	}
	// Reusable after Commit; Close drops what is pending.
	_ = b.Set('s', []byte("dropped"), []byte("x"))
	b.Close()
	if _, err := s.GetMeta('s', []byte("dropped")); !errors.Is(err, ErrNotFound) {
		t.Fatal("closed batch was applied")
	}
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct{ in, want []byte }{
		{[]byte("r"), []byte("s")},
		{[]byte("ra\xff"), []byte("rb")},
		{[]byte("\xff\xff"), nil},
		{[]byte{}, nil},
	}
	for _, tt := range tests {
		if got := prefixEnd(tt.in); string(got) != string(tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("prefixEnd(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestCloseDuringScan closes the store while a ScanMeta callback is running
// and reading: the nested read fails with ErrClosed, Close waits for the
// scan, and nothing deadlocks.
func TestCloseDuringScan(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	if err := s.UpdateMeta(ctx, func(tx *MetaTx) error { return tx.Set('r', []byte("a"), []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	err := s.ScanMeta(ctx, 'r', nil, func(k, v []byte) error {
		go func() { closed <- s.Close() }()
		for { // wait until Close has begun
			s.mu.Lock()
			c := s.closed
			s.mu.Unlock()
			if c {
				break
			}
			runtime.Gosched()
		}
		if _, err := s.GetMeta('r', []byte("a")); !errors.Is(err, ErrClosed) {
			return fmt.Errorf("GetMeta during Close = %v, want ErrClosed", err)
		}
		select {
		case <-closed:
			return errors.New("Close returned while a scan was running")
		default:
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
}
