package lineage

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trove-ml/trove/objects"
)

// zeroReader reads zeros: deterministic ids in tests.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestNewID(t *testing.T) {
	tests := []struct {
		ms   int64
		want string
	}{
		{0, "00000000000000000000000000"},
		// The ULID specification's example timestamp.
		{1469918176385, "01ARYZ6S410000000000000000"},
		{1<<48 - 1, "7ZZZZZZZZZ0000000000000000"},
	}
	for _, tt := range tests {
		id, err := NewID(time.UnixMilli(tt.ms), zeroReader{})
		if err != nil {
			t.Fatal(err)
		}
		if id != tt.want {
			t.Errorf("NewID(%d) = %s, want %s", tt.ms, id, tt.want)
		}
		if !ValidID(id) {
			t.Errorf("ValidID(%s) = false", id)
		}
		if got, ok := IDTime(id); !ok || got.UnixMilli() != tt.ms {
			t.Errorf("IDTime(%s) = %v, %v; want %d ms", id, got, ok, tt.ms)
		}
	}
	if _, err := NewID(time.UnixMilli(1<<48), zeroReader{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("NewID past 2^48 ms: %v, want ErrInvalid", err)
	}
	// All bits of the random part land in the id.
	id, _ := NewID(time.UnixMilli(0), bytes.NewReader(bytes.Repeat([]byte{0xff}, 10)))
	if id != "0000000000ZZZZZZZZZZZZZZZZ" {
		t.Errorf("random part: %s", id)
	}
	for _, bad := range []string{"", "01ARYZ6S41000000000000000", "81ARYZ6S410000000000000000", "01ARYZ6S41000000000000000I", "01aryz6s410000000000000000"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
	if NormalizeID("01aryz6s410000000000000000") != "01ARYZ6S410000000000000000" {
		t.Error("NormalizeID does not upper-case")
	}
}

// sampleRun is a run with every field set.
func sampleRun() *Run {
	start := time.Date(2026, 11, 26, 1, 2, 3, 4000000, time.UTC)
	return &Run{
		ID: "01JD3Q0000AAAAAAAAAAAAAAAA", Name: "train <big>", JobType: "train",
		Config:  map[string]string{"lr": "0.1", "epochs": "3"},
		Command: []string{"python", "train.py", "--lr=0.1"},
		Dir:     "src", User: "ana", Host: "gpu1", PID: 4242,
		Git:     &GitInfo{Commit: strings.Repeat("ab", 20), Dirty: true},
		Started: start, Ended: start.Add(90 * time.Second),
		State: StateFailed, ExitCode: 3,
		Inputs: []VersionRef{
			{Record: objects.Sum([]byte("a")), Artifact: "mnist", Version: 1},
		},
		Outputs: sortVersions([]VersionRef{
			{Record: objects.Sum([]byte("b")), Artifact: "model", Version: 0},
			{Record: objects.Sum([]byte("c")), Artifact: "metrics", Version: 7},
		}),
	}
}

// TestRecordKnownAnswer pins the run record format: these bytes are what
// remotes hold, so any change here is a format change.
func TestRecordKnownAnswer(t *testing.T) {
	b, err := EncodeRecord(sampleRun())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"format":1,"id":"01JD3Q0000AAAAAAAAAAAAAAAA","name":"train \u003cbig\u003e","jobType":"train",` +
		`"config":{"epochs":"3","lr":"0.1"},"command":["python","train.py","--lr=0.1"],"dir":"src",` +
		`"user":"ana","host":"gpu1","pid":4242,"git":{"commit":"abababababababababababababababababababab","dirty":true},` +
		`"started":"2026-11-26T01:02:03.004Z","ended":"2026-11-26T01:03:33.004Z","state":"failed","exitCode":3,` +
		`"inputs":[{"record":"17762fddd969a453925d65717ac3eea21320b66b54342fde15128d6caf21215f","artifact":"mnist","version":1}],` +
		`"outputs":[{"record":"10e5cf3d3c8a4f9f3468c8cc58eea84892a22fdadbc1acb22410190044c1d553","artifact":"model","version":0},` +
		`{"record":"ea7aa1fc9efdbe106dbb70369a75e9671fa29d52bd55536711bf197477b8f021","artifact":"metrics","version":7}]}`
	if string(b) != want {
		t.Fatalf("encoding changed:\n got %s\nwant %s", b, want)
	}
	// The record's id, what run refs and remotes name it by.
	if id := objects.Sum(b).String(); id != "8a846a5a818cbfb79de7754eb761da4823e16c5a54c12f2c7981fd3a27d4da58" {
		t.Fatalf("record id changed: %s", id)
	}
	r, err := DecodeRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := EncodeRecord(r)
	if !bytes.Equal(again, b) {
		t.Fatalf("round trip differs:\n%s\n%s", again, b)
	}
	// A finished run carries exitCode 0; a killed one a signal and no code.
	r.State, r.ExitCode = StateFinished, 0
	if b, _ := EncodeRecord(r); !strings.Contains(string(b), `"state":"finished","exitCode":0,`) {
		t.Errorf("finished: %s", b)
	}
	r.State, r.Signal = StateKilled, "SIGTERM"
	if b, _ := EncodeRecord(r); !strings.Contains(string(b), `"state":"killed","signal":"SIGTERM",`) {
		t.Errorf("killed: %s", b)
	}
}

func TestRecordInvalid(t *testing.T) {
	good, err := EncodeRecord(sampleRun())
	if err != nil {
		t.Fatal(err)
	}
	rep := func(old, new string) []byte { return []byte(strings.Replace(string(good), old, new, 1)) }
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"not json", []byte("{"), ErrCorrupt},
		{"no format", rep(`"format":1,`, ``), ErrCorrupt},
		{"future format", rep(`"format":1`, `"format":2`), ErrUnsupportedFormat},
		{"unknown field", rep(`"pid":4242`, `"pid":4242,"x":1`), ErrCorrupt},
		{"spacing", rep(`"pid":4242`, `"pid": 4242`), ErrCorrupt},
		{"repeated field", rep(`"pid":4242`, `"pid":4242,"pid":4242`), ErrCorrupt},
		{"field order", rep(`"user":"ana","host":"gpu1"`, `"host":"gpu1","user":"ana"`), ErrCorrupt},
		{"escaping", rep(`\u003cbig\u003e`, `<big>`), ErrCorrupt},
		{"time zone", rep(`"started":"2026-11-26T01:02:03.004Z"`, `"started":"2026-11-26T02:02:03.004+01:00"`), ErrCorrupt},
		{"running record", rep(`"state":"failed","exitCode":3`, `"state":"running"`), ErrCorrupt},
		{"failed with 0", rep(`"exitCode":3`, `"exitCode":0`), ErrCorrupt},
		{"no exit code", rep(`,"exitCode":3`, ``), ErrCorrupt},
		{"unknown state", rep(`"failed"`, `"exploded"`), ErrCorrupt},
		{"bad id", rep(`01JD3Q0000AAAAAAAAAAAAAAAA`, `01JD3Q0000AAAAAAAAAAAAAAAI`), ErrCorrupt},
		{"upper-case record", rep(objects.Sum([]byte("a")).String(), strings.ToUpper(objects.Sum([]byte("a")).String())), ErrCorrupt},
		{"bad git", rep(`"commit":"abab`, `"commit":"xbab`), ErrCorrupt},
		{"ends before start", rep(`"ended":"2026-11-26T01:03:33.004Z"`, `"ended":"2026-11-26T01:00:00Z"`), ErrCorrupt},
		{"bad artifact", rep(`"artifact":"mnist"`, `"artifact":"mn ist"`), ErrCorrupt},
		{"empty config", rep(`"config":{"epochs":"3","lr":"0.1"}`, `"config":{}`), ErrCorrupt},
		{"trailing", append(append([]byte(nil), good...), ' '), ErrCorrupt},
	}
	// Unsorted outputs.
	outs := strings.SplitN(string(good), `"outputs":[`, 2)
	parts := strings.SplitN(strings.TrimSuffix(outs[1], "]}"), "},{", 2)
	tests = append(tests, struct {
		name string
		b    []byte
		want error
	}{"unsorted outputs", []byte(outs[0] + `"outputs":[` + strings.TrimPrefix(parts[1], "{") + "},{" + strings.TrimSuffix(parts[0], "}") + "}]}"), ErrCorrupt})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := DecodeRecord(tt.b)
			if !errors.Is(err, tt.want) {
				t.Fatalf("DecodeRecord = %v, %v; want %v", r, err, tt.want)
			}
			if errors.Is(tt.want, ErrCorrupt) && !errors.Is(err, objects.ErrCorrupt) {
				t.Fatalf("%v does not wrap objects.ErrCorrupt", err)
			}
		})
	}
}

func TestRunValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(r *Run)
	}{
		{"control char in name", func(r *Run) { r.Name = "a\nb" }},
		{"bad job type", func(r *Run) { r.JobType = "train model" }},
		{"config key with =", func(r *Run) { r.Config["a=b"] = "c" }},
		{"empty config key", func(r *Run) { r.Config[""] = "c" }},
		{"too many config keys", func(r *Run) {
			for i := range MaxConfigKeys + 1 {
				r.Config[strings.Repeat("k", i+1)] = ""
			}
		}},
		{"huge command", func(r *Run) { r.Command = []string{strings.Repeat("x", MaxCommandBytes)} }},
		{"invalid utf-8 argument", func(r *Run) { r.Command = []string{"\xff"} }},
		{"negative pid", func(r *Run) { r.PID = -1 }},
		{"no start", func(r *Run) { r.Started = time.Time{} }},
		{"running with end", func(r *Run) { r.State = StateRunning }},
		{"killed without signal", func(r *Run) { r.State, r.ExitCode = StateKilled, 0 }},
		{"duplicate input", func(r *Run) { r.Inputs = append(r.Inputs, r.Inputs[0]) }},
		{"zero record", func(r *Run) { r.Inputs[0].Record = objects.ID{} }},
		{"negative version", func(r *Run) { r.Inputs[0].Version = -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sampleRun()
			tt.edit(r)
			if _, err := EncodeRecord(r); !errors.Is(err, ErrInvalid) {
				t.Fatalf("EncodeRecord = %v, want ErrInvalid", err)
			}
		})
	}
	r := sampleRun()
	r.State, r.Ended, r.ExitCode = StateRunning, time.Time{}, 0
	if _, err := EncodeRecord(r); !errors.Is(err, ErrInvalid) {
		t.Fatalf("record of a running run: %v", err)
	}
}

func TestRefRoundTrip(t *testing.T) {
	r := sampleRun()
	rec := objects.Sum([]byte("record"))
	for _, rr := range []*runRef{
		{Record: rec, Run: r},
		{Run: func() *Run {
			c := r.clone()
			c.State, c.Ended, c.ExitCode = StateRunning, time.Time{}, 0
			return c
		}()},
	} {
		b, err := rr.encode()
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeRef(b)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if got.Record != rr.Record || got.Run.State != rr.Run.State {
			t.Fatalf("round trip: %+v", got)
		}
		if !got.Record.IsZero() && (got.Run.Inputs != nil || got.Run.Outputs != nil) {
			t.Fatalf("an ended run's ref keeps inputs: %s", b)
		}
		if got.Record.IsZero() && len(got.Run.Outputs) != 2 {
			t.Fatalf("a running run's ref lost outputs: %s", b)
		}
	}
	// A ref that names a record while running is refused.
	c := r.clone()
	c.State, c.Ended, c.ExitCode = StateRunning, time.Time{}, 0
	if _, err := (&runRef{Record: rec, Run: c}).encode(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("running ref with a record: %v", err)
	}
}

func TestEdgeKeys(t *testing.T) {
	rec := objects.Sum([]byte("v"))
	run := "01JD3Q0000AAAAAAAAAAAAAAAA"
	for _, k := range []EdgeKind{Input, Output} {
		for _, key := range edgeKeys(k, run, rec) {
			gk, grun, grec, err := parseEdgeKey(key)
			if err != nil || gk != k || grun != run || grec != rec {
				t.Errorf("parseEdgeKey(%s) = %v %v %v %v", key, gk, grun, grec, err)
			}
		}
	}
	v := VersionRef{Record: rec, Artifact: "mnist", Version: 300}
	got, err := decodeEdgeValue(rec, encodeEdgeValue(v))
	if err != nil || got != v {
		t.Fatalf("edge value round trip: %v %v", got, err)
	}
	for _, bad := range [][]byte{nil, {2, 0, 'a'}, {1, 0x80, 0, 'a'}, {1, 0}, {1, 0, ' '}} {
		if _, err := decodeEdgeValue(rec, bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("decodeEdgeValue(%q) = %v", bad, err)
		}
	}
}
