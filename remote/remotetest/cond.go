package remotetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/trove-ml/trove/remote"
)

// Concurrency of the race tests: enough writers to collide often, few
// enough to stay quick on two cores against a real server.
const (
	racers       = 8
	incrementers = 4
	increments   = 8
)

// testIfAbsent: IfAbsent creates a missing object and refuses an existing
// one with ErrExists, leaving it unchanged.
func testIfAbsent(t *testing.T, b remote.Bucket) {
	ctx := context.Background()
	first := put(t, b, "format", []byte("one"), remote.PutOptions{IfAbsent: true})
	_, err := b.Put(ctx, "format", bytes.NewReader([]byte("two")), 3, remote.PutOptions{IfAbsent: true})
	wantErr(t, "second put if absent", err, remote.ErrExists)
	if remote.IsTransient(err) {
		t.Error("ErrExists counts as transient")
	}
	if got := get(t, b, "format", 0, -1); string(got) != "one" {
		t.Errorf("a refused put changed the object to %q", got)
	}
	if st := stat(t, b, "format"); st.ETag != first.ETag {
		t.Errorf("a refused put changed the ETag")
	}
	// After a delete the key is absent again.
	if err := b.Delete(ctx, "format", ""); err != nil {
		t.Fatal(err)
	}
	put(t, b, "format", []byte("three"), remote.PutOptions{IfAbsent: true})
	if got := get(t, b, "format", 0, -1); string(got) != "three" {
		t.Errorf("put if absent after delete: got %q", got)
	}
}

// testIfAbsentRace: of concurrent IfAbsent puts on one key, exactly one
// wins, the rest get ErrExists, and the object holds the winner's bytes.
func testIfAbsentRace(t *testing.T, b remote.Bucket) {
	ctx := context.Background()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []int
	)
	start := make(chan struct{})
	for i := range racers {
		wg.Go(func() {
			<-start
			data := payload(uint64(i), 4096)
			_, err := b.Put(ctx, "refs/race", bytes.NewReader(data), int64(len(data)), remote.PutOptions{IfAbsent: true})
			switch {
			case err == nil:
				mu.Lock()
				winners = append(winners, i)
				mu.Unlock()
			case !errors.Is(err, remote.ErrExists):
				t.Errorf("racer %d: %v, want nil or ErrExists", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("%d of %d racers created the object (%v), want exactly one", len(winners), racers, winners)
	}
	if got := get(t, b, "refs/race", 0, -1); !bytes.Equal(got, payload(uint64(winners[0]), 4096)) {
		t.Errorf("the object does not hold the winner's bytes")
	}
}

// testIfMatch: IfMatch replaces the object only while its ETag matches; a
// stale ETag, a missing object or both conditions at once change nothing.
func testIfMatch(t *testing.T, b remote.Bucket) {
	ctx := context.Background()
	v1 := put(t, b, "ref", []byte("v1"), remote.PutOptions{})
	v2 := put(t, b, "ref", []byte("v2"), remote.PutOptions{IfMatch: v1.ETag})
	if v2.ETag == v1.ETag {
		t.Fatalf("compare-and-swap kept the ETag %s", v1.ETag)
	}
	_, err := b.Put(ctx, "ref", bytes.NewReader([]byte("v3")), 2, remote.PutOptions{IfMatch: v1.ETag})
	wantErr(t, "put with a stale ETag", err, remote.ErrPreconditionFailed)
	if remote.IsTransient(err) {
		t.Error("ErrPreconditionFailed counts as transient")
	}
	if got := get(t, b, "ref", 0, -1); string(got) != "v2" {
		t.Errorf("a refused compare-and-swap changed the object to %q", got)
	}
	_, err = b.Put(ctx, "missing", bytes.NewReader([]byte("x")), 1, remote.PutOptions{IfMatch: v2.ETag})
	wantErr(t, "put if match on a missing key", err, remote.ErrPreconditionFailed)
	if _, err := b.Stat(ctx, "missing"); !errors.Is(err, remote.ErrNotFound) {
		t.Errorf("put if match on a missing key created it: %v", err)
	}
	_, err = b.Put(ctx, "ref", bytes.NewReader([]byte("v4")), 2, remote.PutOptions{IfAbsent: true, IfMatch: v2.ETag})
	if err == nil {
		t.Error("put with IfAbsent and IfMatch succeeded")
	}
	v5 := put(t, b, "ref", []byte("v5"), remote.PutOptions{IfMatch: v2.ETag})
	if st := stat(t, b, "ref"); st.ETag != v5.ETag {
		t.Errorf("stat ETag %s, compare-and-swap returned %s", st.ETag, v5.ETag)
	}
}

// testIfMatchCASLoop: concurrent read-modify-write loops (Stat, Get, Put
// with IfMatch, again on ErrPreconditionFailed) lose no update.
func testIfMatchCASLoop(t *testing.T, b remote.Bucket) {
	ctx := context.Background()
	put(t, b, "refs/counter", []byte("0"), remote.PutOptions{IfAbsent: true})
	var wg sync.WaitGroup
	for w := range incrementers {
		wg.Go(func() {
			for range increments {
				if err := increment(ctx, b, "refs/counter"); err != nil {
					t.Errorf("worker %d: %v", w, err)
					return
				}
			}
		})
	}
	wg.Wait()
	got := get(t, b, "refs/counter", 0, -1)
	if want := strconv.Itoa(incrementers * increments); string(got) != want {
		t.Errorf("counter is %s after %d increments: updates were lost", got, incrementers*increments)
	}
}

// increment adds one to a decimal counter by compare-and-swap.
func increment(ctx context.Context, b remote.Bucket, key string) error {
	for attempt := 0; attempt < 1000; attempt++ {
		// Stat before Get: the ETag is never newer than the bytes.
		st, err := b.Stat(ctx, key)
		if err != nil {
			return err
		}
		data, err := read(b, key, 0, -1)
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(string(data))
		if err != nil {
			return fmt.Errorf("counter holds %q: %w", data, err)
		}
		next := []byte(strconv.Itoa(n + 1))
		_, err = b.Put(ctx, key, bytes.NewReader(next), int64(len(next)), remote.PutOptions{IfMatch: st.ETag})
		if errors.Is(err, remote.ErrPreconditionFailed) {
			continue
		}
		return err
	}
	return errors.New("no progress after 1000 attempts")
}

// testDelete: Delete removes the object from Stat, Get and List; deleting a
// missing object without ifMatch is not an error.
func testDelete(t *testing.T, b remote.Bucket) {
	ctx := context.Background()
	put(t, b, "d/x", []byte("x"), remote.PutOptions{})
	put(t, b, "d/y", []byte("y"), remote.PutOptions{})
	if err := b.Delete(ctx, "d/x", ""); err != nil {
		t.Fatal(err)
	}
	_, err := b.Stat(ctx, "d/x")
	wantErr(t, "stat after delete", err, remote.ErrNotFound)
	_, err = b.Get(ctx, "d/x", 0, -1)
	wantErr(t, "get after delete", err, remote.ErrNotFound)
	if got := keys(list(t, b, "d/")); len(got) != 1 || got[0] != "d/y" {
		t.Errorf("list after delete: %q", got)
	}
	for _, key := range []string{"d/x", "never/was", "d"} {
		if err := b.Delete(ctx, key, ""); err != nil {
			t.Errorf("delete of missing %s: %v", key, err)
		}
	}
	if got := get(t, b, "d/y", 0, -1); string(got) != "y" {
		t.Errorf("deleting a folder-like prefix harmed d/y: %q", got)
	}
}

// testDeleteIfMatch: a conditional Delete removes only the version it names.
func testDeleteIfMatch(t *testing.T, b remote.Bucket) {
	ctx := context.Background()
	v1 := put(t, b, "lease", []byte("mine"), remote.PutOptions{})
	v2 := put(t, b, "lease", []byte("theirs"), remote.PutOptions{})
	err := b.Delete(ctx, "lease", v1.ETag)
	wantErr(t, "delete with a stale ETag", err, remote.ErrPreconditionFailed)
	if got := get(t, b, "lease", 0, -1); string(got) != "theirs" {
		t.Errorf("a refused delete changed the object: %q", got)
	}
	if err := b.Delete(ctx, "lease", v2.ETag); err != nil {
		t.Fatalf("delete with the current ETag: %v", err)
	}
	_, err = b.Stat(ctx, "lease")
	wantErr(t, "stat after conditional delete", err, remote.ErrNotFound)
	if err := b.Delete(ctx, "lease", v2.ETag); err != nil {
		t.Errorf("conditional delete of a missing object: %v", err)
	}
}

// testMultipart: objects above a backend's multipart threshold keep every
// guarantee: round trip, ranges across part boundaries, both conditions.
func testMultipart(t *testing.T, b remote.Bucket) {
	m, ok := b.(multiparter)
	if !ok {
		t.Skip("backend has a single upload path")
	}
	ctx := context.Background()
	th := m.MultipartThreshold()
	data := payload(9, int(2*th+12345))
	info := put(t, b, "big", data, remote.PutOptions{IfAbsent: true})
	if info.Size != int64(len(data)) {
		t.Errorf("put returned size %d, want %d", info.Size, len(data))
	}
	if got := get(t, b, "big", 0, -1); !bytes.Equal(got, data) {
		t.Fatalf("multipart round trip: %d bytes differ from %d", len(got), len(data))
	}
	if got := get(t, b, "big", th-10, 20); !bytes.Equal(got, data[th-10:th+10]) {
		t.Errorf("range across a part boundary differs")
	}
	if st := stat(t, b, "big"); st.ETag != info.ETag || st.Size != info.Size {
		t.Errorf("stat %+v, put returned %+v", st, info)
	}
	_, err := b.Put(ctx, "big", bytes.NewReader(data), int64(len(data)), remote.PutOptions{IfAbsent: true})
	wantErr(t, "multipart put if absent over an object", err, remote.ErrExists)
	_, err = b.Put(ctx, "big", bytes.NewReader(data), int64(len(data)), remote.PutOptions{IfMatch: "0123456789abcdef0123456789abcdef"})
	wantErr(t, "multipart put with a wrong ETag", err, remote.ErrPreconditionFailed)
	data2 := payload(10, len(data))
	info2 := put(t, b, "big", data2, remote.PutOptions{IfMatch: info.ETag})
	if info2.ETag == info.ETag {
		t.Errorf("multipart overwrite kept the ETag")
	}
	if got := get(t, b, "big", 0, -1); !bytes.Equal(got, data2) {
		t.Errorf("multipart compare-and-swap: bytes differ")
	}
	if got := keys(list(t, b, "")); len(got) != 1 {
		t.Errorf("multipart uploads left objects behind: %q", got)
	}
}
