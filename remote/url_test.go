package remote_test

import (
	"strings"
	"testing"

	"github.com/trove-ml/trove/remote"
)

func TestURLCredentials(t *testing.T) {
	tests := []struct {
		raw      string
		clean    string // "" means raw, unchanged
		redacted string // "" means raw, unchanged
		secret   string // must not appear in the redacted form
	}{
		{raw: "s3://bkt/p"},
		{raw: "s3://bkt"},
		{raw: "file:///mnt/shared/trove"},
		{raw: "file:///mnt/a@b/c"},    // '@' in a path is no user info
		{raw: "s3://bkt/models@v2/x"}, // nor in a prefix
		{raw: "http://127.0.0.1:9000"},
		{raw: "http://[::1]:9000/a@b"},
		{raw: "https://minio.example.com"},
		{raw: "not a url"},
		{"s3://AKIAXXX:secret@bkt/p", "s3://bkt/p", "s3://***@bkt/p", "secret"},
		{"s3://AKIAXXX@bkt/p", "s3://bkt/p", "s3://***@bkt/p", "AKIAXXX"},
		{"s3://:secret@bkt", "s3://bkt", "s3://***@bkt", "secret"},
		{"s3://AK:se@cr@bkt/p", "s3://bkt/p", "s3://***@bkt/p", "se@cr"},
		// AWS secret keys may hold '/', which ends the authority early.
		{"s3://AKIAXXX:wJal/rXU+tnF@bkt/p", "s3://bkt/p", "s3://***@bkt/p", "wJal/rXU"},
		{"file://me:pw@localhost/srv/trove", "file://localhost/srv/trove", "file://***@localhost/srv/trove", "pw"},
		{"https://user:pass@minio.example.com:9000", "https://minio.example.com:9000", "https://***@minio.example.com:9000", "pass"},
		{"http://u:p@[::1]:9000", "http://[::1]:9000", "http://***@[::1]:9000", "u:p"},
	}
	for _, tc := range tests {
		wantClean, wantRedacted := tc.clean, tc.redacted
		if wantClean == "" {
			wantClean, wantRedacted = tc.raw, tc.raw
		}
		clean, found := remote.URLCredentials(tc.raw)
		if clean != wantClean || found != (tc.clean != "") {
			t.Errorf("URLCredentials(%q) = %q, %v; want %q, %v", tc.raw, clean, found, wantClean, tc.clean != "")
		}
		red := remote.RedactURL(tc.raw)
		if red != wantRedacted {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.raw, red, wantRedacted)
		}
		if tc.secret != "" && strings.Contains(red, tc.secret) {
			t.Errorf("RedactURL(%q) = %q shows the secret", tc.raw, red)
		}
	}
}

// FuzzURLCredentials: whatever the input, the URL without credentials has
// none left to find, and the redacted URL holds no user info but "***".
func FuzzURLCredentials(f *testing.F) {
	for _, s := range []string{"s3://KEY:SECRET@bkt/p", "s3://KEY:se/cret@bkt", "https://u@h:9000", "file:///a:b@c", "s3://[::1]:9000/b", "s3://bkt/p", "", "://@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		clean, found := remote.URLCredentials(raw)
		if !found && clean != raw {
			t.Fatalf("URLCredentials(%q) changed it to %q but found nothing", raw, clean)
		}
		if found {
			if again, still := remote.URLCredentials(clean); still {
				t.Fatalf("URLCredentials(%q) = %q, which still has user info (%q)", raw, clean, again)
			}
			red := remote.RedactURL(raw)
			if c, ok := remote.URLCredentials(red); !ok || c != clean {
				t.Fatalf("RedactURL(%q) = %q: want %q with ***@ in its place", raw, red, clean)
			}
		}
	})
}
