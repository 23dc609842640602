package reference

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/trove-ml/trove/manifest"
)

// listed is one entry a Source listed, flattened for comparison.
type listed struct {
	Path, Name, URI, Kind, Checksum, VersionID string
	Size                                       int64
}

func flatten(p string, e manifest.Entry) listed {
	l := listed{Path: p, Name: e.Name, Size: e.Size}
	if e.Ref != nil {
		l.URI, l.Kind, l.Checksum, l.VersionID = e.Ref.URI, e.Ref.ChecksumKind, e.Ref.Checksum, e.Ref.VersionID
	}
	return l
}

// listAll lists src and returns what it listed.
func listAll(t *testing.T, src *Source) ([]listed, []manifest.Entry, error) {
	t.Helper()
	var out []listed
	var ents []manifest.Entry
	err := src.List(context.Background(), func(p string, e manifest.Entry) error {
		out = append(out, flatten(p, e))
		ents = append(ents, e)
		return nil
	})
	return out, ents, err
}

// mustList lists uri through r and fails the test on error.
func mustList(t *testing.T, r *Resolver, uri string, o SourceOptions) ([]listed, []manifest.Entry) {
	t.Helper()
	src, err := r.Source(uri, o)
	if err != nil {
		t.Fatal(err)
	}
	l, e, err := listAll(t, src)
	if err != nil {
		t.Fatalf("list %s: %v", uri, err)
	}
	return l, e
}

// listErr lists uri and returns the error, failing the test on success.
func listErr(t *testing.T, r *Resolver, uri string, o SourceOptions) error {
	t.Helper()
	src, err := r.Source(uri, o)
	if err != nil {
		return err
	}
	_, _, err = listAll(t, src)
	if err == nil {
		t.Fatalf("list %s: no error", uri)
	}
	return err
}

// paths returns the paths of a listing.
func paths(l []listed) []string {
	var p []string
	for _, x := range l {
		p = append(p, x.Path)
	}
	return p
}

// fetch fetches e through r and returns the content.
func fetch(r *Resolver, e manifest.Entry) ([]byte, error) {
	var b bytesWriter
	err := r.Fetch(context.Background(), e, &b)
	return b.b, err
}

type bytesWriter struct{ b []byte }

func (w *bytesWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

var _ io.Writer = (*bytesWriter)(nil)

// wantErr fails unless err matches target.
func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v: want %v", err, target)
	}
}
