package lineage

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trove-ml/trove/objects"
)

func TestRunLifecycle(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	ds, model := e.version(t, "ds", "dataset"), e.version(t, "model", "model")
	git := &GitInfo{Commit: strings.Repeat("0123456789", 4), Dirty: false}
	r, err := e.s.Start(ctx, StartOptions{
		Name: "baseline", JobType: "train", Config: map[string]string{"lr": "0.1"},
		Command: []string{"python", "train.py"}, Dir: ".", User: "ana", Host: "gpu1", PID: 7, Git: git,
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.State != StateRunning || !ValidID(r.ID) {
		t.Fatalf("started run: %+v", r)
	}
	if got, err := e.s.Active(ctx, strings.ToLower(r.ID)); err != nil || got.ID != r.ID {
		t.Fatalf("Active(lower-case id) = %v, %v", got, err)
	}
	if _, err := e.s.AddInput(ctx, r.ID, ds); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.AddOutput(ctx, r.ID, model); err != nil {
		t.Fatal(err)
	}
	end := e.clock.Add(time.Hour)
	fin, err := e.s.Finish(ctx, r.ID, End{Time: end, Signal: "SIGINT"})
	if err != nil {
		t.Fatal(err)
	}
	if fin.State != StateKilled || fin.Signal != "SIGINT" || !fin.Ended.Equal(end) {
		t.Fatalf("finished run: %+v", fin)
	}
	got, err := e.s.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, fin) {
		t.Fatalf("Get after Finish:\n got %+v\nwant %+v", got, fin)
	}
	if got.Git == nil || *got.Git != *git || got.Config["lr"] != "0.1" || len(got.Inputs) != 1 || got.Outputs[0] != model {
		t.Fatalf("record lost fields: %+v", got)
	}
	// The ref names a durable record of type run.
	rec, err := e.s.RecordID(r.ID)
	if err != nil || rec.IsZero() {
		t.Fatalf("RecordID = %v, %v", rec, err)
	}
	if _, typ, err := e.r.Store().Get(ctx, rec, nil); err != nil || typ != objects.TypeRun {
		t.Fatalf("record blob: %v %v", typ, err)
	}
	// Ended runs take nothing more, and end once.
	if _, err := e.s.AddInput(ctx, r.ID, model); !errors.Is(err, ErrEnded) {
		t.Fatalf("AddInput after end: %v", err)
	}
	if _, err := e.s.Finish(ctx, r.ID, End{}); !errors.Is(err, ErrEnded) {
		t.Fatalf("second Finish: %v", err)
	}
	if _, err := e.s.Active(ctx, r.ID); !errors.Is(err, ErrEnded) {
		t.Fatalf("Active of an ended run: %v", err)
	}
	// Find by prefix, in any case.
	if got, err := e.s.Find(ctx, strings.ToLower(r.ID[:20])); err != nil || got.ID != r.ID {
		t.Fatalf("Find(prefix) = %v, %v", got, err)
	}
	if _, err := e.s.Find(ctx, "7ZZZ"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Find(no match) = %v", err)
	}
	if _, err := e.s.Get(ctx, "7ZZZZZZZZZ0000000000000000"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(missing) = %v", err)
	}
	// Bad start options write nothing.
	if _, err := e.s.Start(ctx, StartOptions{JobType: "bad type"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Start(bad job type) = %v", err)
	}
	n := 0
	e.s.Runs(ctx, func(*Run) error { n++; return nil })
	if n != 1 {
		t.Fatalf("%d runs after a refused start, want 1", n)
	}
}

func TestFindAmbiguous(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for range 2 {
		if _, err := e.s.Start(ctx, StartOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// Both ids start with the same day's timestamp digits.
	if _, err := e.s.Find(ctx, "0"); !errors.Is(err, ErrAmbiguous) {
		t.Fatalf("Find(0) = %v, want ErrAmbiguous", err)
	}
}

// TestLogImport: an implicit run logged in one repository travels as its
// record alone: imported into another, it gives the same run and the same
// lineage, and importing again changes nothing.
func TestLogImport(t *testing.T) {
	ctx := context.Background()
	a, b := newEnv(t), newEnv(t)
	va := a.version(t, "ds", "dataset")
	b.version(t, "ds", "dataset")
	id, err := a.s.NewID()
	if err != nil {
		t.Fatal(err)
	}
	start := a.clock
	run := &Run{ID: id, JobType: "commit", Command: []string{"trove", "commit", "ds", "data"}, Started: start,
		Ended: start.Add(time.Second), State: StateFinished, Outputs: []VersionRef{va}}
	recs, err := a.s.Log(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	rec := recs[0]
	if again, err := a.s.Log(ctx, run); err != nil || again[0] != rec {
		t.Fatalf("Log again = %v, %v; want the same record, no error", again, err)
	}
	recs, err = a.s.RecordsFor(ctx, []objects.ID{va.Record})
	if err != nil || len(recs) != 1 || recs[0] != rec {
		t.Fatalf("RecordsFor = %v, %v; want [%s]", recs, err, rec)
	}

	// Copy the blob as a fetch would, then import.
	blob, _, err := a.r.Store().Get(ctx, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := b.r.Store().NewWriter()
	if _, err := w.PutBlob(ctx, objects.TypeRun, blob); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{1, 0} {
		n, err := b.s.Import(ctx, []objects.ID{rec, rec})
		if err != nil || n != want {
			t.Fatalf("Import #%d = %d, %v; want %d", i, n, err, want)
		}
	}
	ga, _ := a.s.Get(ctx, id)
	gb, err := b.s.Get(ctx, id)
	if err != nil || !reflect.DeepEqual(ga, gb) {
		t.Fatalf("imported run differs:\n%+v\n%+v (%v)", ga, gb, err)
	}
	var ja, jb strings.Builder
	for _, x := range []struct {
		e *env
		w *strings.Builder
	}{{a, &ja}, {b, &jb}} {
		g, err := x.e.s.Graph(ctx, va, GraphOptions{})
		if err != nil {
			t.Fatal(err)
		}
		g.WriteJSON(x.w)
	}
	if ja.String() != jb.String() {
		t.Fatalf("lineage differs after import:\n%s\n%s", ja.String(), jb.String())
	}

	// A run of the same id with another record is a conflict.
	run.Ended = run.Ended.Add(time.Second)
	other, err := EncodeRecord(run)
	if err != nil {
		t.Fatal(err)
	}
	w = b.r.Store().NewWriter()
	oid, _ := w.PutBlob(ctx, objects.TypeRun, other)
	w.Flush(ctx)
	if n, err := b.s.Import(ctx, []objects.ID{oid}); !errors.Is(err, ErrConflict) || n != 0 {
		t.Fatalf("Import(conflicting record) = %d, %v", n, err)
	}
	// A blob that is not a run record is refused as corrupt.
	if _, err := b.s.Import(ctx, []objects.ID{va.Record}); err == nil {
		t.Fatal("Import of a missing blob succeeded")
	}
}
