package remotetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/trove-ml/trove/remote"
)

// testPutGet: Put stores exactly size bytes and returns the info that Stat
// and List report; Get with a negative length reads the whole object.
func testPutGet(t *testing.T, b remote.Bucket) {
	for i, n := range []int{0, 1, 4096, 1<<20 + 3} {
		key := "objects/size-" + string(rune('a'+i))
		data := payload(uint64(n), n)
		info := put(t, b, key, data, remote.PutOptions{ContentType: "application/octet-stream"})
		if info.Key != key || info.Size != int64(n) || info.ETag == "" {
			t.Errorf("put %s: info %+v, want key, size %d and an ETag", key, info, n)
		}
		if strings.Contains(info.ETag, `"`) {
			t.Errorf("put %s: ETag %s is quoted", key, info.ETag)
		}
		checkModTime(t, "put "+key, info.ModTime)
		if got := get(t, b, key, 0, -1); !bytes.Equal(got, data) {
			t.Errorf("get %s: %d bytes differ from the %d put", key, len(got), n)
		}
		st := stat(t, b, key)
		if err := sameInfo(st, info); err != nil {
			t.Errorf("stat %s after put: %v", key, err)
		}
		checkModTime(t, "stat "+key, st.ModTime)
		ls := list(t, b, key)
		if len(ls) != 1 || sameInfo(ls[0], st) != nil {
			t.Errorf("list %s: %+v, want exactly %+v", key, ls, st)
		}
	}
}

// testGetRange: ranges are cut at the end, off == size reads nothing, and
// off beyond the size is ErrInvalidRange.
func testGetRange(t *testing.T, b remote.Bucket) {
	data := payload(7, 10000)
	put(t, b, "r", data, remote.PutOptions{})
	put(t, b, "empty", nil, remote.PutOptions{})
	tests := []struct {
		key         string
		off, length int64
		want        []byte
	}{
		{"r", 0, -1, data},
		{"r", 0, 10, data[:10]},
		{"r", 1234, 1, data[1234:1235]},
		{"r", 9000, -1, data[9000:]},
		{"r", 9990, 100, data[9990:]}, // runs past the end: cut
		{"r", 9999, 1, data[9999:]},
		{"r", 10000, -1, nil}, // off == size
		{"r", 10000, 5, nil},
		{"r", 500, 0, nil},
		{"empty", 0, -1, nil},
		{"empty", 0, 10, nil},
	}
	for _, tc := range tests {
		got, err := read(b, tc.key, tc.off, tc.length)
		if err != nil {
			t.Errorf("get %s off %d length %d: %v", tc.key, tc.off, tc.length, err)
			continue
		}
		if !bytes.Equal(got, tc.want) {
			t.Errorf("get %s off %d length %d: %d bytes, want %d", tc.key, tc.off, tc.length, len(got), len(tc.want))
		}
	}
	for _, off := range []int64{10001, 1 << 40} {
		_, err := read(b, "r", off, -1)
		wantErr(t, "get beyond the end", err, remote.ErrInvalidRange)
	}
	_, err := read(b, "empty", 1, -1)
	wantErr(t, "get beyond the end of an empty object", err, remote.ErrInvalidRange)
}

// testMissing: Stat and Get of a missing key are ErrNotFound, also where a
// longer key has the missing one as a folder-like prefix.
func testMissing(t *testing.T, b remote.Bucket) {
	ctx := context.Background()
	put(t, b, "dir/child", []byte("x"), remote.PutOptions{})
	for _, key := range []string{"nothing", "dir", "dir/child/deeper", "dir/chil"} {
		_, err := b.Stat(ctx, key)
		wantErr(t, "stat "+key, err, remote.ErrNotFound)
		_, err = b.Get(ctx, key, 0, -1)
		wantErr(t, "get "+key, err, remote.ErrNotFound)
		_, err = b.Get(ctx, key, 5, 10)
		wantErr(t, "ranged get "+key, err, remote.ErrNotFound)
	}
	if got := list(t, b, "nothing"); len(got) != 0 {
		t.Errorf("list of a missing prefix: %v", keys(got))
	}
}

// testListOrderAndPrefix: keys come in bytewise order (where a folder-style
// walk would put "a/…" before "a-…") and a prefix is a string prefix.
func testListOrderAndPrefix(t *testing.T, b remote.Bucket) {
	all := []string{
		"a-b", "a.x", "a/b/c", "a/c", "a0", "ab/c", "b", "packs/0f/x",
		"packs/a0/1", "packs/ab/2", "packs/ab/3", "packs/ab0/4", "z/z/z/z",
	}
	shuffled := slices.Clone(all)
	for i := range shuffled {
		j := (i*7 + 3) % len(shuffled)
		shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
	}
	for _, k := range shuffled {
		put(t, b, k, []byte(k), remote.PutOptions{})
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", all},
		{"a", all[:6]},
		{"a/", []string{"a/b/c", "a/c"}},
		{"a/b", []string{"a/b/c"}},
		{"packs/a", []string{"packs/a0/1", "packs/ab/2", "packs/ab/3", "packs/ab0/4"}},
		{"packs/ab/", []string{"packs/ab/2", "packs/ab/3"}},
		{"packs/ab/3", []string{"packs/ab/3"}},
		{"z/z/", []string{"z/z/z/z"}},
		{"nope", nil},
		{"b/", nil},
		{"../", nil},
		{"/", nil},
		{"a//", nil},
	}
	for _, tc := range tests {
		got := keys(list(t, b, tc.prefix))
		if !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("list %q:\n got %q\nwant %q", tc.prefix, got, tc.want)
		}
	}
	for _, oi := range list(t, b, "") {
		if oi.Size != int64(len(oi.Key)) || oi.ETag == "" {
			t.Errorf("list: %+v, want size %d and an ETag", oi, len(oi.Key))
		}
		checkModTime(t, "list "+oi.Key, oi.ModTime)
	}
}

// testListCallback: fn runs on the calling goroutine, once per object, and
// its error stops List and comes back unchanged.
func testListCallback(t *testing.T, b remote.Bucket) {
	for i := range 5 {
		put(t, b, "k/"+string(rune('a'+i)), []byte{byte(i)}, remote.PutOptions{})
	}
	caller := goroutineID()
	calls := 0
	stop := errors.New("stop here")
	err := b.List(context.Background(), "k/", func(oi remote.ObjectInfo) error {
		if id := goroutineID(); id != caller {
			t.Errorf("fn ran on goroutine %s, List was called on %s", id, caller)
		}
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	})
	if err != stop { //nolint:errorlint // the contract is "unchanged", not "wrapped"
		t.Errorf("list: got error %v, want fn's error unchanged", err)
	}
	if calls != 3 {
		t.Errorf("list went on after fn failed: %d calls", calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.List(ctx, "k/", func(remote.ObjectInfo) error { return nil }); err == nil {
		t.Error("list with a cancelled context succeeded")
	}
}

// testOverwrite: a plain Put replaces the object, and the ETag changes on
// every overwrite that changes the bytes, even when the size stays.
func testOverwrite(t *testing.T, b remote.Bucket) {
	seen := map[string]int{}
	for i := range 6 {
		data := payload(uint64(100+i), 1000) // same size every time
		info := put(t, b, "ref", data, remote.PutOptions{})
		if prev, ok := seen[info.ETag]; ok {
			t.Fatalf("overwrite %d got the ETag of overwrite %d: %s", i, prev, info.ETag)
		}
		seen[info.ETag] = i
		if got := get(t, b, "ref", 0, -1); !bytes.Equal(got, data) {
			t.Fatalf("overwrite %d: get returned older bytes", i)
		}
		if st := stat(t, b, "ref"); st.ETag != info.ETag {
			t.Fatalf("overwrite %d: stat ETag %s, put returned %s", i, st.ETag, info.ETag)
		}
	}
}

// testAtomicPut: readers racing with overwrites see one whole version or the
// other, never a part or a mix.
func testAtomicPut(t *testing.T, b remote.Bucket) {
	const size = 256 << 10
	versions := [][]byte{bytes.Repeat([]byte{'A'}, size), bytes.Repeat([]byte{'B'}, size)}
	put(t, b, "atomic", versions[0], remote.PutOptions{})
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		for i := 1; i <= 10; i++ {
			v := versions[i%2]
			if _, err := b.Put(context.Background(), "atomic", bytes.NewReader(v), size, remote.PutOptions{}); err != nil {
				t.Errorf("overwrite %d: %v", i, err)
				return
			}
		}
	})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				got, err := read(b, "atomic", 0, -1)
				if err != nil {
					t.Errorf("get during overwrite: %v", err)
					return
				}
				if !bytes.Equal(got, versions[0]) && !bytes.Equal(got, versions[1]) {
					t.Errorf("get during overwrite: %d bytes that are neither version", len(got))
					return
				}
			}
		})
	}
	wg.Wait()
}

// testReaderKeepsOneWrite: a reader opened before an overwrite returns the
// bytes of one write.
func testReaderKeepsOneWrite(t *testing.T, b remote.Bucket) {
	old := payload(1, 1<<20)
	put(t, b, "obj", old, remote.PutOptions{})
	rc, err := b.Get(context.Background(), "obj", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	first := make([]byte, 1)
	if _, err := io.ReadFull(rc, first); err != nil {
		t.Fatal(err)
	}
	repl := payload(2, 1<<20)
	put(t, b, "obj", repl, remote.PutOptions{})
	rest, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	got := append(first, rest...)
	if !bytes.Equal(got, old) && !bytes.Equal(got, repl) {
		t.Errorf("reader mixed two writes")
	}
}

// failingReader returns its data and then an error.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// testShortBody: a body shorter than size, or one that fails, publishes
// nothing: a new key stays missing, an old object stays as it was.
func testShortBody(t *testing.T, b remote.Bucket) {
	ctx := context.Background()
	_, err := b.Put(ctx, "short", bytes.NewReader([]byte("abc")), 10, remote.PutOptions{})
	if err == nil {
		t.Fatal("put of a 3-byte body as 10 bytes succeeded")
	}
	_, err = b.Stat(ctx, "short")
	wantErr(t, "stat after a short put", err, remote.ErrNotFound)

	old := put(t, b, "kept", []byte("old content"), remote.PutOptions{})
	boom := errors.New("disk on fire")
	_, err = b.Put(ctx, "kept", &failingReader{data: []byte("new"), err: boom}, 11, remote.PutOptions{})
	if err == nil {
		t.Fatal("put of a failing body succeeded")
	}
	if got := get(t, b, "kept", 0, -1); string(got) != "old content" {
		t.Errorf("a failed overwrite changed the object to %q", got)
	}
	if st := stat(t, b, "kept"); st.ETag != old.ETag {
		t.Errorf("a failed overwrite changed the ETag")
	}
	if got := keys(list(t, b, "")); !slices.Equal(got, []string{"kept"}) {
		t.Errorf("failed puts left objects behind: %q", got)
	}
}

// testCancelledPut: a Put whose context is done publishes nothing.
func testCancelledPut(t *testing.T, b remote.Bucket) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	data := payload(3, 4096)
	if _, err := b.Put(ctx, "cancelled", bytes.NewReader(data), int64(len(data)), remote.PutOptions{}); err == nil {
		t.Fatal("put with a cancelled context succeeded")
	}
	_, err := b.Stat(context.Background(), "cancelled")
	wantErr(t, "stat after a cancelled put", err, remote.ErrNotFound)
}

// testInvalidKeys: every method rejects a key CheckKey rejects, with
// ErrInvalidKey, and creates nothing.
func testInvalidKeys(t *testing.T, b remote.Bucket) {
	ctx := context.Background()
	bad := []string{
		"", "/abs", "trailing/", "a//b", ".", "..", "../escape", "a/../../b",
		"a/./b", "nul\x00byte", "\xff\xfe", strings.Repeat("k", remote.MaxKeyLen+1),
		strings.Repeat("e", remote.MaxKeyElemLen+1), remote.ReservedPrefix + "tmp-x",
		"a/" + remote.ReservedPrefix + "locks",
	}
	for _, key := range bad {
		_, err := b.Stat(ctx, key)
		wantErr(t, "stat "+key, err, remote.ErrInvalidKey)
		_, err = b.Get(ctx, key, 0, -1)
		wantErr(t, "get "+key, err, remote.ErrInvalidKey)
		_, err = b.Put(ctx, key, strings.NewReader("x"), 1, remote.PutOptions{})
		wantErr(t, "put "+key, err, remote.ErrInvalidKey)
		_, err = b.Put(ctx, key, strings.NewReader("x"), 1, remote.PutOptions{IfAbsent: true})
		wantErr(t, "put if absent "+key, err, remote.ErrInvalidKey)
		err = b.Delete(ctx, key, "")
		wantErr(t, "delete "+key, err, remote.ErrInvalidKey)
		if remote.IsTransient(err) {
			t.Errorf("an invalid key counts as transient")
		}
	}
	if got := list(t, b, ""); len(got) != 0 {
		t.Errorf("invalid keys created objects: %q", keys(got))
	}
	// Longest valid key.
	long := strings.Repeat(strings.Repeat("k", 100)+"/", 9) + "end"
	put(t, b, long, []byte("deep"), remote.PutOptions{})
	if got := get(t, b, long, 0, -1); string(got) != "deep" {
		t.Errorf("deep key: got %q", got)
	}
}

// testLocation: Location names the bucket.
func testLocation(t *testing.T, b remote.Bucket) {
	loc := b.Location()
	if !strings.Contains(loc, "://") {
		t.Errorf("Location() = %q, want a URL", loc)
	}
}
