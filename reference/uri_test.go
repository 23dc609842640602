package reference

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Location
		name string
		err  string // substring of the error; "" for none
	}{
		{in: "s3://bucket/data/mnist", want: Location{Scheme: "s3", Bucket: "bucket", Key: "data/mnist"}, name: "mnist"},
		{in: "s3://bucket/data/mnist/", want: Location{Scheme: "s3", Bucket: "bucket", Key: "data/mnist/"}, name: "mnist"},
		{in: "S3://bucket", want: Location{Scheme: "s3", Bucket: "bucket"}, name: "bucket"},
		{in: "s3://bucket/", want: Location{Scheme: "s3", Bucket: "bucket"}, name: "bucket"},
		{in: "gs://b.example/a b/%41?x#y", want: Location{Scheme: "gs", Bucket: "b.example", Key: "a b/%41?x#y"}, name: "%41?x#y"},
		{in: "https://host:8443/files/model.bin?rev=2", want: Location{Scheme: "https", URL: "https://host:8443/files/model.bin?rev=2"}, name: "model.bin"},
		{in: "http://host/", want: Location{Scheme: "http", URL: "http://host/"}, name: "host"},
		{in: "http://host/a%20b", want: Location{Scheme: "http", URL: "http://host/a%20b"}, name: "a b"},
		{in: "file:///data/mnist", want: Location{Scheme: "file", Path: "/data/mnist"}, name: "mnist"},
		{in: "file://localhost/data/./x/../mnist/", want: Location{Scheme: "file", Path: "/data/mnist"}, name: "mnist"},
		{in: "file:///data/a%20b", want: Location{Scheme: "file", Path: "/data/a b"}, name: "a b"},

		{in: "", err: "empty URI"},
		{in: "s3://AKIA:SECRET@bucket/x", err: `"s3://***@bucket/x": credentials in the URI`},
		{in: "s3://AKIA:SE/CRET@bucket/x", err: `"s3://***@bucket/x": credentials in the URI`},
		{in: "https://user:SECRET@host/f", err: `"https://***@host/f": credentials in the URI`},
		{in: "file://user@/data/x", err: "credentials in the URI"},
		{in: "ftp://host/x", err: `unknown scheme "ftp"`},
		{in: "s3:/bucket/x", err: "two slashes"},
		{in: "/data/mnist", err: "not a URI"},
		{in: "s3://", err: "no bucket"},
		{in: "s3:///key", err: "no bucket"},
		{in: "s3://bu*ket/x", err: "bucket name"},
		{in: "s3://bucket//x", err: "starts with '/'"},
		{in: "s3://bucket/" + strings.Repeat("k", 1025), err: "key is 1025 bytes"},
		{in: "s3://bucket/a\nb", err: "control character"},
		{in: "s3://bucket/\xff", err: "UTF-8"},
		{in: "http:///path", err: "no host"},
		{in: "https://user:pw@host/x", err: "credentials"},
		{in: "http://host/x#frag", err: "fragment"},
		{in: "http://host/%zz", err: "invalid URL escape"},
		{in: "file://server/share/x", err: "local path"},
		{in: "file:relative", err: "two slashes"},
		{in: "file:///", err: "root folder"},
		{in: "file:///data?x", err: "no query"},
	} {
		loc, err := Parse(tc.in)
		switch {
		case tc.err != "":
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "SECRET") {
				t.Errorf("Parse(%q) = %+v, %v; want an ErrInvalid saying %q (and no secret)", tc.in, loc, err, tc.err)
			}
			continue
		case err != nil:
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		case loc != tc.want:
			t.Errorf("Parse(%q) = %+v, want %+v", tc.in, loc, tc.want)
		}
		if name, err := loc.Name(); err != nil || name != tc.name {
			t.Errorf("Parse(%q).Name() = %q, %v; want %q", tc.in, name, err, tc.name)
		}
		if again, err := Parse(loc.String()); err != nil || again != loc {
			t.Errorf("Parse(%q).String() = %q parses to %+v, %v", tc.in, loc.String(), again, err)
		}
	}
}

func TestNameInvalid(t *testing.T) {
	for _, in := range []string{"s3://bucket/x/..", "http://host/a/%2E%2E"} {
		loc, err := Parse(in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if name, err := loc.Name(); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q).Name() = %q, %v; want ErrInvalid", in, name, err)
		}
	}
}
