package manifest

import (
	"io/fs"
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	for _, tc := range []struct {
		what, s string
		want    string // "" for valid
	}{
		{"artifact name", "mnist", ""},
		{"artifact name", "my_data-set.v2", ""},
		{"type", strings.Repeat("a", 128), ""},
		{"artifact name", "", "artifact name is empty"},
		{"alias", ".", `alias "." is not allowed`},
		{"alias", "..", `alias ".." is not allowed`},
		{"type", strings.Repeat("a", 129), "129 characters long (the limit is 128)"},
		{"artifact name", "a/b", `artifact name "a/b": '/' at byte 1 is not allowed; use only letters, digits, '_', '.' and '-'`},
		{"artifact name", "a b", `' ' at byte 1`},
		{"alias", "bést", `'é' at byte 1`},
		{"alias", "a:b", `':' at byte 1`},
	} {
		err := ValidateName(tc.what, tc.s)
		if tc.want == "" {
			if err != nil {
				t.Errorf("ValidateName(%q) = %v", tc.s, err)
			}
			continue
		}
		wantErr(t, err, ErrInvalid, tc.want)
	}
}

func TestValidPathElement(t *testing.T) {
	for _, tc := range []struct {
		name string
		want string
	}{
		{"a.txt", ""},
		{".hidden", ""},
		{"...", ""},
		{"with space and ünïcode", ""},
		{`back\slash:colon`, ""},
		{strings.Repeat("x", MaxNameLen), ""},
		{"", "empty file name"},
		{".", `"." is not allowed`},
		{"..", `".." is not allowed`},
		{"a/b", "contains '/'"},
		{"a\x00b", "NUL"},
		{"\xc3\x28", "not valid UTF-8"},
		{strings.Repeat("x", MaxNameLen+1), "1025 bytes long"},
	} {
		err := ValidPathElement(tc.name)
		if tc.want == "" {
			if err != nil {
				t.Errorf("ValidPathElement(%q) = %v", tc.name, err)
			}
			continue
		}
		wantErr(t, err, ErrInvalid, tc.want)
	}
}

func TestFileMode(t *testing.T) {
	for perm, want := range map[fs.FileMode]uint32{0o644: ModeFile, 0o600: ModeFile, 0o755: ModeExec, 0o700: ModeExec, 0o744: ModeExec, 0o001: ModeExec} {
		if got := FileMode(perm); got != want {
			t.Errorf("FileMode(%#o) = %#o, want %#o", perm, got, want)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindFile: "file", KindDir: "dir", KindSymlink: "symlink", KindRef: "ref", KindRefLocation: "ref-location", 0: "kind(0)", 6: "kind(6)"} {
		if k.String() != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, k.String(), want)
		}
	}
}
