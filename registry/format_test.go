package registry

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trove-ml/trove/objects"
)

func sample() *Registry {
	t0 := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	return &Registry{
		Counter:     7,
		Description: "models we ship",
		Types:       []string{"model"},
		Protected:   []string{"production"},
		Admins:      []string{"ana"},
		Created:     t0,
		CreatedBy:   "ana",
		Collections: map[string]*Collection{
			"classifier": {
				Type: "model",
				Next: 2,
				Links: []Link{
					{N: 0, Artifact: "cnn", Version: 3, Record: objects.Sum([]byte("a")), Linked: t0.Add(time.Hour), By: "ana", State: LinkUnlinked, TTLOff: true, Unlinked: t0.Add(2 * time.Hour), UnlinkedBy: "bob"},
					{N: 1, Artifact: "cnn", Version: 4, Record: objects.Sum([]byte("b")), Linked: t0.Add(3 * time.Hour), By: "bob", State: LinkLive, TTLOff: true},
				},
				Aliases: map[string]int{"production": 1},
			},
		},
	}
}

// sampleEncoding pins format 1: changing it breaks every stored registry.
const sampleEncoding = `{"format":1,"counter":7,"description":"models we ship","types":["model"],"protected":["production"],"admins":["ana"],"created":"2026-11-26T01:00:00Z","createdBy":"ana","collections":{"classifier":{"type":"model","next":2,"links":[{"n":0,"artifact":"cnn","version":3,"record":"17762fddd969a453925d65717ac3eea21320b66b54342fde15128d6caf21215f","linked":"2026-11-26T02:00:00Z","by":"ana","state":"unlinked","ttlOff":true,"unlinked":"2026-11-26T03:00:00Z","unlinkedBy":"bob"},{"n":1,"artifact":"cnn","version":4,"record":"10e5cf3d3c8a4f9f3468c8cc58eea84892a22fdadbc1acb22410190044c1d553","linked":"2026-11-26T04:00:00Z","by":"bob","state":"live","ttlOff":true}],"aliases":{"production":1}}}}`

func TestKnownEncoding(t *testing.T) {
	b, err := sample().Encode()
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != sampleEncoding {
		t.Fatalf("encoding changed:\n got %s\nwant %s", b, sampleEncoding)
	}
	g, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := g.Encode()
	if err != nil || !bytes.Equal(b, b2) {
		t.Fatalf("re-encoding differs (%v):\n%s", err, b2)
	}
}

func TestEncodeCanonical(t *testing.T) {
	g := sample()
	g.Types = []string{"model", "eval", "model"}
	g.Admins = []string{"zed", "ana"}
	loc := time.FixedZone("X", 3600)
	g.Created = g.Created.In(loc)
	b, err := g.Encode()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"types":["eval","model"]`, `"admins":["ana","zed"]`, `"created":"2026-11-26T01:00:00Z"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("encoding lacks %s:\n%s", want, b)
		}
	}
	if g.Types[0] != "model" {
		t.Errorf("Encode changed its receiver")
	}
}

func TestDecodeRejects(t *testing.T) {
	good := sampleEncoding
	for _, tc := range []struct {
		name, old, new string
		want           error
	}{
		{"newer format", `"format":1`, `"format":2`, ErrUnsupportedFormat},
		{"format 0", `"format":1`, `"format":0`, ErrCorrupt},
		{"unknown field", `"counter":7`, `"counter":7,"owner":"x"`, ErrCorrupt},
		{"unsorted types", `"types":["model"]`, `"types":["model","eval"]`, ErrCorrupt},
		{"duplicate admin", `"admins":["ana"]`, `"admins":["ana","ana"]`, ErrCorrupt},
		{"no types", `"types":["model"],`, ``, ErrCorrupt},
		{"bad collection name", `"classifier":{`, `"a b":{`, ErrCorrupt},
		{"link past next", `"next":2`, `"next":1`, ErrCorrupt},
		{"alias on unlinked", `"aliases":{"production":1}`, `"aliases":{"production":0}`, ErrCorrupt},
		{"alias on missing", `"aliases":{"production":1}`, `"aliases":{"production":5}`, ErrCorrupt},
		{"reserved alias", `"aliases":{"production":1}`, `"aliases":{"latest":1}`, ErrCorrupt},
		{"unknown state", `"state":"live"`, `"state":"gone"`, ErrCorrupt},
		{"ttl on", `"by":"bob","state":"live","ttlOff":true`, `"by":"bob","state":"live","ttlOff":false`, ErrCorrupt},
		{"zero record", `"record":"10e5cf3d3c8a4f9f3468c8cc58eea84892a22fdadbc1acb22410190044c1d553"`, `"record":"0000000000000000000000000000000000000000000000000000000000000000"`, ErrCorrupt},
		{"type not accepted", `"type":"model","next"`, `"type":"eval","next"`, ErrCorrupt},
		{"trailing data", `}}}}`, `}}}} {}`, ErrCorrupt},
		{"null collection", `"collections":{"classifier":{`, `"collections":{"x":null,"classifier":{`, ErrCorrupt},
		{"space in user", `"by":"bob"`, `"by":"b ob"`, ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(good, tc.old) {
				t.Fatalf("sample lacks %s", tc.old)
			}
			_, err := Decode([]byte(strings.Replace(good, tc.old, tc.new, 1)))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if errors.Is(tc.want, ErrCorrupt) && !errors.Is(err, objects.ErrCorrupt) {
				t.Fatalf("corruption does not match objects.ErrCorrupt: %v", err)
			}
		})
	}
	if _, err := Decode(bytes.Repeat([]byte(" "), MaxEncodedSize+1)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("oversized: %v", err)
	}
}

// FuzzDecode: Decode never panics, and whatever it accepts re-encodes to a
// canonical form that decodes to the same encoding.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(sampleEncoding))
	b, _ := core(CoreModel).Encode()
	f.Add(b)
	f.Add([]byte(`{"format":1,"counter":1,"anyType":true}`))
	f.Add([]byte(`{"format":1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := Decode(b)
		if err != nil {
			return
		}
		enc, err := g.Encode()
		if err != nil {
			t.Fatalf("decoded registry does not encode: %v", err)
		}
		g2, err := Decode(enc)
		if err != nil {
			t.Fatalf("canonical encoding does not decode: %v\n%s", err, enc)
		}
		enc2, err := g2.Encode()
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding not stable (%v):\n%s\n%s", err, enc, enc2)
		}
	})
}

func TestMergeNilBaseAndInputsUnchanged(t *testing.T) {
	a, b := sample(), sample()
	b.Types = append(b.Types, "zz")
	b.Collections["classifier"].Links = append(b.Collections["classifier"].Links,
		Link{N: 2, Artifact: "cnn", Version: 5, Record: objects.Sum([]byte("c")), Linked: time.Unix(0, 0), By: "bob", State: LinkLive, TTLOff: true})
	b.Collections["classifier"].Next = 3
	encA, _ := a.Encode()
	encB, _ := b.Encode()
	m, rep, err := Merge(nil, a, b)
	if err != nil {
		t.Fatal(err)
	}
	// No base: every link of both sides is new. The remote's keep their
	// numbers; local ones equal to a remote live link collapse onto it, and
	// the local link that is unlinked is appended as unlinked.
	c := m.Collections["classifier"]
	if c.Next != 4 || len(c.Links) != 4 || c.Links[3].State != LinkUnlinked || c.Links[3].Record != objects.Sum([]byte("a")) {
		t.Fatalf("merged links: %+v", c.Links)
	}
	if len(rep.Renumbered) != 2 {
		t.Fatalf("report: %+v", rep)
	}
	if m.Counter != 8 || len(m.Types) != 2 {
		t.Fatalf("counter %d types %v", m.Counter, m.Types)
	}
	if e, _ := a.Encode(); !bytes.Equal(e, encA) {
		t.Fatal("Merge changed local")
	}
	if e, _ := b.Encode(); !bytes.Equal(e, encB) {
		t.Fatal("Merge changed remote")
	}
	// A collection of another type on the remote keeps its name; ours is
	// renamed. Two different descriptions: the remote's stands, reported.
	b.Collections["classifier"].Type = "zz"
	b.Description = "theirs"
	a.Description = "ours"
	m, rep, err = Merge(sample(), a, b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Description != "theirs" || m.Collections["classifier"].Type != "zz" || m.Collections["classifier-model"] == nil {
		t.Fatalf("merged: description %q, collections %v", m.Description, m.CollectionNames())
	}
	if len(rep.Renamed) != 1 || rep.Renamed[0] != (Renamed{From: "classifier", To: "classifier-model", Type: "model", RemoteType: "zz"}) {
		t.Fatalf("renamed: %+v", rep.Renamed)
	}
	if len(rep.NotApplied) != 1 || rep.NotApplied[0].What != "description" {
		t.Fatalf("not applied: %+v", rep.NotApplied)
	}
}
