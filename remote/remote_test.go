package remote_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/trove-ml/trove/remote"
)

func TestCheckKey(t *testing.T) {
	tests := []struct {
		key string
		ok  bool
	}{
		{"trove-format", true},
		{"packs/ab/abcdef", true},
		{"refs/artifacts/mnist.v2-final_1", true},
		{"a/.hidden", true},
		{".trove", true}, // only ".trove-" is reserved
		{"unicode/données", true},
		{strings.Repeat("k", remote.MaxKeyElemLen), true},
		{"", false},
		{"/abs", false},
		{"trailing/", false},
		{"a//b", false},
		{".", false},
		{"..", false},
		{"a/../b", false},
		{"a/./b", false},
		{"nul\x00", false},
		{`a\..\b`, false},
		{"\xff", false},
		{strings.Repeat("k", remote.MaxKeyElemLen+1), false},
		{strings.Repeat("k/", remote.MaxKeyLen/2) + "k", false},
		{remote.ReservedPrefix + "tmp-1", false},
		{"refs/" + remote.ReservedPrefix + "locks", false},
	}
	for _, tc := range tests {
		err := remote.CheckKey(tc.key)
		if (err == nil) != tc.ok {
			t.Errorf("CheckKey(%q) = %v, want ok=%v", tc.key, err, tc.ok)
		}
		if err != nil && !errors.Is(err, remote.ErrInvalidKey) {
			t.Errorf("CheckKey(%q) = %v, want ErrInvalidKey", tc.key, err)
		}
	}
}

// A key that CheckKey accepts never leaves a folder it is joined to, and
// splits into the same elements on every platform.
func FuzzCheckKey(f *testing.F) {
	for _, seed := range []string{"a/b", "../x", "a/../../b", "/", "a\\..\\b", ".trove-x", "a/./b", "x//y"} {
		f.Add(seed)
	}
	root := filepath.Join(string(os.PathSeparator), "remote", "root")
	f.Fuzz(func(t *testing.T, key string) {
		if remote.CheckKey(key) != nil {
			return
		}
		p := filepath.Join(root, filepath.FromSlash(key))
		if !strings.HasPrefix(p, root+string(os.PathSeparator)) {
			t.Fatalf("valid key %q escapes to %s", key, p)
		}
		if rel, _ := filepath.Rel(root, p); filepath.ToSlash(rel) != key {
			t.Fatalf("valid key %q is not its own path: %s", key, rel)
		}
	})
}

func TestCheckPut(t *testing.T) {
	if err := remote.CheckPut("k", 0, remote.PutOptions{IfAbsent: true}); err != nil {
		t.Error(err)
	}
	if err := remote.CheckPut("k", -1, remote.PutOptions{}); err == nil {
		t.Error("negative size accepted")
	}
	if err := remote.CheckPut("k", 1, remote.PutOptions{IfAbsent: true, IfMatch: "e"}); err == nil {
		t.Error("IfAbsent with IfMatch accepted")
	}
	if err := remote.CheckPut("../k", 1, remote.PutOptions{}); !errors.Is(err, remote.ErrInvalidKey) {
		t.Errorf("bad key: %v", err)
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestIsTransient(t *testing.T) {
	var _ net.Error = timeoutErr{}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", errors.New("400 bad request"), false},
		{"marked", remote.Transient(errors.New("503 SlowDown")), true},
		{"marked and wrapped", fmt.Errorf("put x: %w", remote.Transient(errors.New("500"))), true},
		{"not found", fmt.Errorf("stat: %w", remote.ErrNotFound), false},
		{"marked not found", remote.Transient(remote.ErrNotFound), false},
		{"exists", remote.ErrExists, false},
		{"precondition", remote.Transient(fmt.Errorf("x: %w", remote.ErrPreconditionFailed)), false},
		{"permission", remote.ErrPermission, false},
		{"invalid key", remote.ErrInvalidKey, false},
		{"bucket not found", remote.ErrBucketNotFound, false},
		{"cancelled", remote.Transient(context.Canceled), false},
		{"deadline", context.DeadlineExceeded, true},
		{"net timeout", &net.OpError{Op: "read", Err: timeoutErr{}}, true},
		{"reset", &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, true},
		{"refused", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{"broken pipe", syscall.EPIPE, true},
		{"cut short", fmt.Errorf("body: %w", io.ErrUnexpectedEOF), true},
		{"EOF", io.EOF, false},
	}
	for _, tc := range tests {
		if got := remote.IsTransient(tc.err); got != tc.want {
			t.Errorf("%s: IsTransient(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
	if remote.Transient(nil) != nil {
		t.Error("Transient(nil) is not nil")
	}
	// Marking keeps the cause visible.
	cause := errors.New("cause")
	if err := remote.Transient(cause); !errors.Is(err, cause) || err.Error() != "cause" {
		t.Errorf("Transient hides its cause: %v", err)
	}
}

// wrapper is the smallest Unwrapper.
type wrapper struct{ remote.Bucket }

func (w wrapper) Unwrap() remote.Bucket { return w.Bucket }

type leaf struct{ remote.Bucket }

func TestAs(t *testing.T) {
	l := &leaf{}
	b := wrapper{wrapper{l}}
	if got, ok := remote.As[*leaf](b); !ok || got != l {
		t.Errorf("As did not find the leaf through two wrappers")
	}
	if _, ok := remote.As[*leaf](wrapper{nil}); ok {
		t.Errorf("As found a leaf in an empty wrapper")
	}
}
