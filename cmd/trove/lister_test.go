package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestFileListerJSON: ls streams its JSON element by element, and must
// write the very document that encoding the whole list writes.
func TestFileListerJSON(t *testing.T) {
	files := []fileJSON{
		{Path: "a/b.bin", Kind: "file", Mode: "0644", Size: 12, Digest: strings.Repeat("ab", 32), URL: "trove://x/a/b.bin"},
		{Path: "<&>\u00e9\u2028", Kind: "symlink", Mode: "0777", Target: "../t"},
		{Path: "r", Kind: "ref", Mode: "0644", Size: 1 << 40, Digest: "etag", URL: "s3://b/k", ChecksumKind: "etag", VersionID: "v1"},
	}
	for n := range len(files) + 1 {
		var got, want bytes.Buffer
		if err := printFiles(env{stdout: &got}, true, files[:n]); err != nil {
			t.Fatal(err)
		}
		if err := printJSON(&want, nonNil(files[:n])); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%d files: streamed\n%s\nwant\n%s", n, got.String(), want.String())
		}
		var back []fileJSON
		if err := json.Unmarshal(got.Bytes(), &back); err != nil || len(back) != n {
			t.Errorf("%d files: %d decoded, %v", n, len(back), err)
		}
	}
}

// TestFileListerText: the text table is aligned as one table up to
// lsBlock rows, and a longer listing keeps every row, aligned per block.
func TestFileListerText(t *testing.T) {
	var out bytes.Buffer
	l := newFileLister(&out, false)
	n := lsBlock + 3
	for i := range n {
		if err := l.add(fileJSON{Path: fmt.Sprintf("f%d", i), Mode: "0644", Size: int64(i), Digest: "d", URL: "u"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("%d lines, want %d", len(lines), n)
	}
	// In the first block, sizes up to 65535 take 5 digits: every row's
	// digest starts at the same column. The last block's sizes all have
	// 5 digits too, and the rows keep their order.
	col := strings.Index(lines[0], " d ")
	for i, ln := range lines {
		if got := strings.Index(ln, " d "); got != col {
			t.Fatalf("line %d %q: digest at %d, want %d", i, ln, got, col)
		}
		if !strings.Contains(ln, fmt.Sprintf(" f%d ", i)) {
			t.Fatalf("line %d is %q", i, ln)
		}
	}
}
