package checkout

import (
	"strings"
	"testing"
)

func TestParseMode(t *testing.T) {
	tests := []struct {
		in      string
		want    Mode
		wantErr bool
	}{
		{"auto", Auto, false},
		{"copy", Copy, false},
		{"reflink", Reflink, false},
		{"hardlink", Hardlink, false},
		{"", Auto, true},
		{"Copy", Auto, true},
		{"symlink", Auto, true},
		{" copy", Auto, true},
	}
	for _, tt := range tests {
		got, err := ParseMode(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseMode(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil {
			for _, name := range []string{"auto", "copy", "reflink", "hardlink", tt.in} {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("ParseMode(%q) error %q does not name %q", tt.in, err, name)
				}
			}
		}
	}
}

func TestModeString(t *testing.T) {
	for m := Auto; m <= Hardlink; m++ {
		got, err := ParseMode(m.String())
		if err != nil || got != m {
			t.Errorf("ParseMode(%v.String()) = %v, %v", m, got, err)
		}
	}
	if s := Mode(9).String(); s != "Mode(9)" {
		t.Errorf("Mode(9).String() = %q", s)
	}
	if Mode(0) != Auto {
		t.Error("the zero Mode is not Auto")
	}
}
