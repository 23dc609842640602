package gitpair

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/trove-ml/trove/objects"
)

func testPin(path, artifact string, n int, alias string) Pin {
	return Pin{Path: path, Artifact: artifact, Version: n, Alias: alias,
		Digest: objects.Sum([]byte("root " + path)), Record: objects.Sum([]byte("record " + path))}
}

func pinLine(p Pin) string {
	return fmt.Sprintf("%s\t%s\tv%d\t%s\t%s\t%s", p.Path, p.Artifact, p.Version, p.Alias, p.Digest, p.Record)
}

// TestLockKnownEncoding pins the format: a change here is a format change.
func TestLockKnownEncoding(t *testing.T) {
	l := &Lock{}
	for _, p := range []Pin{testPin("models/base", "resnet", 0, "registry/model/resnet:prod"), testPin("data/mnist", "mnist", 3, "best")} {
		if err := l.Set(p); err != nil {
			t.Fatal(err)
		}
	}
	want := "trove.lock 1\n" +
		"# path\tartifact\tversion\talias\tcontent digest\trecord (written by 'trove pin'; commit with your code)\n" +
		"data/mnist\tmnist\tv3\tbest\t" + objects.Sum([]byte("root data/mnist")).String() + "\t" + objects.Sum([]byte("record data/mnist")).String() + "\n" +
		"models/base\tresnet\tv0\tregistry/model/resnet:prod\t" + objects.Sum([]byte("root models/base")).String() + "\t" + objects.Sum([]byte("record models/base")).String() + "\n"
	enc, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(enc); got != want {
		t.Fatalf("encoding:\n%s\nwant:\n%s", got, want)
	}
	back, err := Decode([]byte(want))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, l) {
		t.Fatalf("round trip: %+v, want %+v", back, l)
	}
}

func TestDecode(t *testing.T) {
	a, b := testPin("data/a", "a", 1, "latest"), testPin("data/b", "b", 0, "best")
	head := "trove.lock 1\n"
	for _, tc := range []struct {
		name, in string
		want     []Pin
		err      error
		msg      string // substring of the error
	}{
		{name: "empty lock", in: head},
		{name: "sorted on read", in: head + pinLine(b) + "\n" + pinLine(a) + "\n", want: []Pin{a, b}},
		{name: "comments blank lines and CRLF", in: "# hi\r\n\r\n" + head + "# x\r\n" + pinLine(a) + "\r\n", want: []Pin{a}},
		{name: "no final newline", in: head + pinLine(a), want: []Pin{a}},
		// Why writers refuse paths starting with '#': the line is a comment.
		{name: "a pin-shaped comment", in: head + pinLine(testPin("#c", "c", 0, "latest")) + "\n" + pinLine(a) + "\n", want: []Pin{a}},
		{name: "empty file", in: "", err: ErrBadLock, msg: "line 1: no \"trove.lock 1\" header"},
		{name: "bad header", in: "trove.lok 1\n", err: ErrBadLock, msg: "line 1: want the header"},
		{name: "future format", in: "trove.lock 2\n", err: ErrBadLock, msg: "line 1: format 2 (this trove reads 1..1"},
		{name: "format not a number", in: "trove.lock 01\n", err: ErrBadLock, msg: "not a number"},
		{name: "conflict marker", in: head + pinLine(a) + "\n<<<<<<< HEAD\n" + pinLine(b) + "\n=======\n>>>>>>> theirs\n", err: ErrLockConflict, msg: "line 3: Git conflict marker \"<<<<<<<\""},
		{name: "conflict marker before bad lines", in: "garbage\n=======\n", err: ErrLockConflict, msg: "line 2:"},
		{name: "too few fields", in: head + "data/a\ta\tv1\n", err: ErrBadLock, msg: "line 2: want 6 tab-separated fields"},
		{name: "spaces not tabs", in: head + strings.ReplaceAll(pinLine(a), "\t", " ") + "\n", err: ErrBadLock, msg: "line 2: want 6"},
		{name: "bad version", in: head + strings.Replace(pinLine(a), "\tv1\t", "\t1\t", 1) + "\n", err: ErrBadLock, msg: "line 2: version \"1\""},
		{name: "bad digest", in: head + strings.Replace(pinLine(a), a.Digest.String(), "xyz", 1) + "\n", err: ErrBadLock, msg: "line 2: digest"},
		{name: "upper-case record", in: head + strings.Replace(pinLine(a), a.Record.String(), strings.ToUpper(a.Record.String()), 1) + "\n", err: ErrBadLock, msg: "record"},
		{name: "bad artifact", in: head + strings.Replace(pinLine(a), "\ta\t", "\ta b\t", 1) + "\n", err: ErrBadLock, msg: "artifact name"},
		{name: "absolute path", in: head + "/" + pinLine(a) + "\n", err: ErrBadLock, msg: "is absolute"},
		{name: "dotdot path", in: head + "../" + pinLine(a) + "\n", err: ErrBadLock, msg: "not clean"},
		{name: "path in .git", in: head + ".git/" + pinLine(a) + "\n", err: ErrBadLock, msg: "lies in .git"},
		{name: "path in .trove", in: head + ".trove/" + pinLine(a) + "\n", err: ErrBadLock, msg: "lies in .trove"},
		{name: "registry alias without selector", in: head + strings.Replace(pinLine(a), "\tlatest\t", "\tregistry/m/c\t", 1) + "\n", err: ErrBadLock, msg: "registry name"},
		{name: "duplicate", in: head + pinLine(a) + "\n" + pinLine(a) + "\n", err: ErrBadLock, msg: "line 3: data/a is pinned twice (lines 2 and 3)"},
		{name: "nested", in: head + pinLine(a) + "\n" + pinLine(testPin("data/a/x", "x", 0, "latest")) + "\n", err: ErrBadLock, msg: "line 3: data/a/x lies inside the pin at data/a (line 2)"},
		{name: "too large", in: head + strings.Repeat("#", MaxLockSize), err: ErrBadLock, msg: "the limit is"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Decode([]byte(tc.in))
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("err = %v, want %v containing %q", err, tc.err, tc.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(l.Pins, tc.want) {
				t.Fatalf("pins = %+v, want %+v", l.Pins, tc.want)
			}
		})
	}
}

func TestLockSet(t *testing.T) {
	l := &Lock{}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(l.Set(testPin("data/b", "b", 0, "latest")))
	must(l.Set(testPin("data/a", "a", 0, "latest")))
	must(l.Set(testPin("data/a.b", "ab", 0, "latest")))
	repl := testPin("data/a", "a", 5, "best")
	must(l.Set(repl))
	if got, _ := l.Find("data/a"); got != repl {
		t.Fatalf("replace: %+v", got)
	}
	for _, bad := range []Pin{testPin("data/a/x", "x", 0, "latest"), testPin("data", "d", 0, "latest"), testPin("../x", "x", 0, "latest"), testPin(".", "x", 0, "latest"), testPin("#c", "c", 0, "latest")} {
		if err := l.Set(bad); !errors.Is(err, ErrBadPin) {
			t.Errorf("Set(%s) = %v, want ErrBadPin", bad.Path, err)
		}
	}
	var paths []string
	for _, p := range l.Pins {
		paths = append(paths, p.Path)
	}
	if strings.Join(paths, " ") != "data/a data/a.b data/b" {
		t.Fatalf("paths = %v", paths)
	}
	if !l.Remove("data/a.b") || l.Remove("data/a.b") {
		t.Fatal("Remove")
	}
	enc, err := l.Encode()
	must(err)
	back, err := Decode(enc)
	must(err)
	if !reflect.DeepEqual(back, l) {
		t.Fatalf("round trip %+v", back)
	}
}

func TestCheckPath(t *testing.T) {
	for _, tc := range []struct {
		path string
		msg  string // substring of the error; "" for a good path
	}{
		{"data/ds", ""},
		{"data/#c", ""},
		{"a#b", ""},
		{"#c", "starts with '#', which trove.lock reads as a comment; rename it, or put it under a folder (e.g. data/#c)"},
		{"#", "starts with '#'"},
		{"#data/ds", "starts with '#'"},
		{"", "the project folder itself"},
		{"/abs", "is absolute"},
		{"a\\b", "control character or '\\'"},
		{"a\tb", "control character"},
		{"a/../b", "not clean"},
		{".trove/x", "lies in .trove"},
		{LockName, "the lock file itself"},
	} {
		err := CheckPath(tc.path)
		if tc.msg == "" && err != nil || tc.msg != "" && (err == nil || !strings.Contains(err.Error(), tc.msg)) {
			t.Errorf("CheckPath(%q) = %v, want %q", tc.path, err, tc.msg)
		}
	}
}

// TestEncodeRefuses: the writer never writes a lock that would not read
// back as itself, however the Lock was put together; WriteLock then
// leaves the file alone.
func TestEncodeRefuses(t *testing.T) {
	good := testPin("data/a", "a", 0, "latest")
	badName := testPin("data/b", "b", 0, "latest")
	badName.Artifact = "b c"
	noRecord := testPin("data/b", "b", 0, "latest")
	noRecord.Record = objects.ID{}
	for _, tc := range []struct {
		name string
		pins []Pin
		msg  string
	}{
		{"comment path", []Pin{good, testPin("#c", "c", 0, "latest")}, "starts with '#'"},
		{"comment path alone", []Pin{testPin("#", "c", 0, "latest")}, "starts with '#'"},
		{"twice", []Pin{good, good}, "data/a is pinned twice"},
		{"nested", []Pin{testPin("data/a/x/y", "x", 0, "latest"), good}, "data/a/x/y lies inside the pin at data/a"},
		{"bad artifact", []Pin{good, badName}, "artifact name"},
		{"no record", []Pin{noRecord}, "digest and record must be set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &Lock{Pins: tc.pins}
			if b, err := l.Encode(); !errors.Is(err, ErrBadPin) || !strings.Contains(err.Error(), tc.msg) || b != nil {
				t.Fatalf("Encode = %q, %v; want ErrBadPin containing %q", b, err, tc.msg)
			}
			dir := t.TempDir()
			before := []byte("trove.lock 1\n")
			os.WriteFile(filepath.Join(dir, LockName), before, 0o644)
			if err := WriteLock(dir, l); !errors.Is(err, ErrBadPin) {
				t.Fatalf("WriteLock = %v, want ErrBadPin", err)
			}
			if after, _ := os.ReadFile(filepath.Join(dir, LockName)); string(after) != string(before) {
				t.Fatalf("WriteLock changed the file: %q", after)
			}
		})
	}
}

func TestPinFollows(t *testing.T) {
	for _, tc := range []struct{ alias, want string }{
		{"best", "mnist:best"}, {"v3", "mnist:v3"}, {"registry/dataset/digits:prod", "registry/dataset/digits:prod"},
	} {
		if got := testPin("d", "mnist", 3, tc.alias).Follows(); got != tc.want {
			t.Errorf("Follows(%s) = %s, want %s", tc.alias, got, tc.want)
		}
	}
}

func TestReadWriteLock(t *testing.T) {
	dir := t.TempDir()
	l, err := ReadLock(dir)
	if err != nil || len(l.Pins) != 0 {
		t.Fatalf("missing lock: %v %v", l, err)
	}
	if err := l.Set(testPin("data/a", "a", 1, "latest")); err != nil {
		t.Fatal(err)
	}
	if err := WriteLock(dir, l); err != nil {
		t.Fatal(err)
	}
	pins, err := Pins(t.Context(), dir)
	if err != nil || len(pins) != 1 || pins[0].Pin != l.Pins[0] || strings.Join(pins[0].In, ",") != WorkTreeLock {
		t.Fatalf("Pins = %v, %v", pins, err)
	}
	os.WriteFile(filepath.Join(dir, LockName), []byte("trove.lock 1\n<<<<<<< ours\n"), 0o644)
	if _, err := Pins(t.Context(), dir); !errors.Is(err, ErrLockConflict) || !strings.Contains(err.Error(), filepath.Join(dir, LockName)+": ") {
		t.Fatalf("conflicted lock: %v", err)
	}
}

func ExampleDecode() {
	l, err := Decode([]byte("trove.lock 1\n" +
		"data/mnist\tmnist\tv3\tbest\t" + strings.Repeat("ab", 32) + "\t" + strings.Repeat("cd", 32) + "\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	p := l.Pins[0]
	fmt.Println(p.Path, p.Name(), p.Follows())
	_, err = Decode([]byte("trove.lock 1\n<<<<<<< HEAD\n"))
	fmt.Println(err)
	// Output:
	// data/mnist mnist:v3 mnist:best
	// gitpair: trove.lock has an unresolved merge conflict: line 2: Git conflict marker "<<<<<<<" (keep one line per path, or take one side with 'git checkout --ours trove.lock' or '--theirs', then run 'trove checkout')
}
