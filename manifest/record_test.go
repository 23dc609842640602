package manifest

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trove-ml/trove/objects"
)

func testRecord() *Record {
	return &Record{
		Artifact:    "mnist",
		Type:        "dataset",
		Root:        objects.Sum([]byte("root")),
		Files:       20000,
		Size:        310000000,
		Description: "digits <28x28> & \"labels\"\n",
		Metadata:    json.RawMessage(`{ "z": 1, "a": {"y": [1.50, "x"], "b": null} }`),
		Created:     time.Date(2026, 11, 26, 1, 2, 3, 4, time.FixedZone("CET", 3600)),
		Creator:     Creator{User: "ana", Host: "gpu1", Run: "r1", Git: &GitInfo{Commit: strings.Repeat("ab", 20)}},
		TTL:         "30d",
		Parent:      objects.Sum([]byte("parent")),
	}
}

func TestRecordKnownAnswer(t *testing.T) {
	b, err := testRecord().Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"format":1,"artifact":"mnist","type":"dataset",` +
		`"root":"` + objects.Sum([]byte("root")).String() + `","files":20000,"size":310000000,` +
		`"description":"digits <28x28> & \"labels\"\n",` +
		`"metadata":{"a":{"b":null,"y":[1.50,"x"]},"z":1},` +
		`"created":"2026-11-26T00:02:03.000000004Z",` +
		`"creator":{"user":"ana","host":"gpu1","run":"r1","git":{"commit":"` + strings.Repeat("ab", 20) + `","dirty":false}},` +
		`"ttl":"30d","parent":"` + objects.Sum([]byte("parent")).String() + `"}`
	if string(b) != want {
		t.Fatalf("encoding\n got %s\nwant %s", b, want)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	minimal := &Record{Artifact: "m", Type: "model", Root: objects.Sum(nil), Created: time.Unix(1, 0)}
	onlyGit := *minimal
	onlyGit.Creator.Git = &GitInfo{Commit: strings.Repeat("0", 64), Dirty: true}
	emptyMeta := *minimal
	emptyMeta.Metadata = json.RawMessage(`{}`)
	for i, r := range []*Record{testRecord(), minimal, &onlyGit, &emptyMeta} {
		b, err := r.Encode()
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		got, err := DecodeRecord(b)
		if err != nil {
			t.Fatalf("%d: decode %s: %v", i, b, err)
		}
		again, err := got.Encode()
		if err != nil || string(again) != string(b) {
			t.Fatalf("%d: re-encoding differs:\n%s\n%s", i, again, b)
		}
		if !got.Created.Equal(r.Created) || got.Created.Location() != time.UTC {
			t.Errorf("%d: created %v, want %v in UTC", i, got.Created, r.Created)
		}
		want := *r
		want.Created = got.Created
		if string(want.Metadata) == "{}" {
			want.Metadata = nil
		}
		if want.Metadata != nil {
			want.Metadata, _ = CanonicalMetadata(want.Metadata)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("%d: round trip\n got %+v\nwant %+v", i, *got, want)
		}
	}
	if !strings.Contains(string(mustEncode(t, minimal)), `"files":0,"size":0,"created"`) {
		t.Errorf("minimal record %s", mustEncode(t, minimal))
	}
}

func mustEncode(t *testing.T, r *Record) []byte {
	t.Helper()
	b, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRecordEncodeRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Record)
		want string
	}{
		{"bad artifact name", func(r *Record) { r.Artifact = "a/b" }, `artifact name "a/b"`},
		{"empty type", func(r *Record) { r.Type = "" }, "type is empty"},
		{"no root", func(r *Record) { r.Root = objects.ID{} }, "no root"},
		{"negative size", func(r *Record) { r.Size = -1 }, "negative"},
		{"no time", func(r *Record) { r.Created = time.Time{} }, "no creation time"},
		{"bad metadata", func(r *Record) { r.Metadata = json.RawMessage(`[1]`) }, "must be a JSON object"},
		{"bad git commit", func(r *Record) { r.Creator.Git.Commit = "HEAD" }, "git commit"},
		{"bad UTF-8", func(r *Record) { r.Description = "\xff" }, "UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := testRecord()
			tc.edit(r)
			_, err := r.Encode()
			wantErr(t, err, ErrInvalid, tc.want)
		})
	}
}

func TestDecodeRecordRejects(t *testing.T) {
	good := string(mustEncode(t, testRecord()))
	for _, tc := range []struct {
		name   string
		b      string
		target error
		want   string
	}{
		{"not JSON", "{", ErrCorrupt, "record"},
		{"no format", `{"artifact":"a"}`, ErrCorrupt, "no format"},
		{"future format", strings.Replace(good, `"format":1`, `"format":2`, 1), ErrUnsupportedFormat, "record format 2 (reads 1..1)"},
		{"format zero", strings.Replace(good, `"format":1`, `"format":0`, 1), ErrUnsupportedFormat, "record format 0"},
		{"format not an integer", strings.Replace(good, `"format":1`, `"format":1.0`, 1), ErrUnsupportedFormat, "record format 1.0"},
		{"space", strings.Replace(good, `"type":`, `"type": `, 1), ErrCorrupt, "not in canonical form"},
		{"trailing newline", good + "\n", ErrCorrupt, "not in canonical form"},
		{"reordered fields", strings.Replace(good, `"artifact":"mnist","type":"dataset"`, `"type":"dataset","artifact":"mnist"`, 1), ErrCorrupt, "canonical"},
		{"unknown field", strings.Replace(good, `"ttl"`, `"color":"red","ttl"`, 1), ErrCorrupt, "unknown field"},
		{"repeated field", strings.Replace(good, `"ttl":"30d"`, `"ttl":"1d","ttl":"30d"`, 1), ErrCorrupt, "canonical"},
		{"upper-case id", strings.Replace(good, objects.Sum([]byte("root")).String(), strings.ToUpper(objects.Sum([]byte("root")).String()), 1), ErrCorrupt, "lower-case hex"},
		{"non-UTC time", strings.Replace(good, "2026-11-26T00:02:03.000000004Z", "2026-11-26T01:02:03.000000004+01:00", 1), ErrCorrupt, "canonical"},
		{"unsorted metadata", strings.Replace(good, `{"a":{"b":null,"y":[1.50,"x"]},"z":1}`, `{"z":1,"a":{"b":null,"y":[1.50,"x"]}}`, 1), ErrCorrupt, "canonical"},
		{"escaped slash", strings.Replace(good, `"ana"`, `"\u0061na"`, 1), ErrCorrupt, "canonical"},
		{"HTML escape", strings.Replace(good, `<28x28>`, `\u003c28x28>`, 1), ErrCorrupt, "canonical"},
		{"bad artifact", strings.Replace(good, `"mnist"`, `"mn ist"`, 1), ErrCorrupt, "artifact name"},
		{"empty metadata", strings.Replace(good, `{"a":{"b":null,"y":[1.50,"x"]},"z":1}`, `{}`, 1), ErrCorrupt, "canonical"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := DecodeRecord([]byte(tc.b))
			if r != nil {
				t.Error("DecodeRecord returned a record with an error")
			}
			wantErr(t, err, tc.target, tc.want)
			if errors.Is(err, ErrCorrupt) && errors.Is(err, ErrUnsupportedFormat) {
				t.Error("error is both corrupt and unsupported")
			}
		})
	}
}
