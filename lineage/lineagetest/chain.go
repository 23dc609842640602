package lineagetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/trove-ml/trove/lineage"
	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
)

// Chain artifact names.
const (
	Checkpoints = "ckpt"    // type model
	Metrics     = "metrics" // type results
)

// Chain builds a training chain of n runs, as resumed training makes:
// run i uses ckpt:v(i-1) and metrics:v(i-1) and logs ckpt:vi and
// metrics:vi, so there are n runs, 2n versions and 4n-2 edges, and
// ckpt:v(n-1) has n runs upstream. Version records are real (stored
// through objs, with synthetic content digests: no trees or files exist);
// the artifact logs are written straight into refsKV, one value each; the
// runs are logged through s at once. Ids are deterministic for a given
// start. It returns ckpt:v0 and ckpt:v(n-1).
func Chain(ctx context.Context, refsKV refs.KV, objs lineage.Objects, s *lineage.Store, n int, start time.Time) (first, last lineage.VersionRef, err error) {
	if n < 1 {
		return first, last, fmt.Errorf("lineagetest: chain of %d runs", n)
	}
	rnd := rand.NewChaCha8([32]byte{7})
	ids := make([]string, n)
	for i := range ids {
		if ids[i], err = lineage.NewID(start.Add(time.Duration(i)*time.Minute), rnd); err != nil {
			return first, last, err
		}
	}
	w := objs.NewWriter()
	versions := map[string][]lineage.VersionRef{}
	for _, a := range []struct{ name, typ string }{{Checkpoints, "model"}, {Metrics, "results"}} {
		l := &refs.Log{Type: a.typ, Next: n, Counter: 1}
		var parent objects.ID
		for i := range n {
			created := start.Add(time.Duration(i) * time.Minute).UTC()
			rec := &manifest.Record{
				Artifact: a.name, Type: a.typ, Root: objects.Sum(fmt.Appendf(nil, "root %s:v%d", a.name, i)),
				Files: 1, Size: 1 << 20, Created: created, Creator: manifest.Creator{User: "bench", Run: ids[i]}, Parent: parent,
			}
			enc, err := rec.Encode()
			if err != nil {
				return first, last, err
			}
			id, err := w.PutBlob(ctx, objects.TypeRecord, enc)
			if err != nil {
				w.Abort()
				return first, last, err
			}
			parent = id
			l.Versions = append(l.Versions, refs.Version{N: i, Record: id, Root: rec.Root, Created: created, State: refs.StateLive})
			versions[a.name] = append(versions[a.name], lineage.VersionRef{Record: id, Artifact: a.name, Version: i})
		}
		enc, err := l.Encode()
		if err != nil {
			return first, last, err
		}
		// Order matters: records are durable before the log names them.
		if err := w.Flush(ctx); err != nil {
			return first, last, err
		}
		err = refsKV.Update(ctx, func(tx refs.Txn) error { return tx.Set([]byte("artifacts/"+a.name), enc) })
		if err != nil {
			return first, last, err
		}
	}
	ckpt, metrics := versions[Checkpoints], versions[Metrics]
	runs := make([]*lineage.Run, n)
	for i := range n {
		t := start.Add(time.Duration(i) * time.Minute)
		r := &lineage.Run{
			ID: ids[i], Name: fmt.Sprintf("epoch-%d", i), JobType: "train", Command: []string{"python", "train.py", "--resume"},
			Config: map[string]string{"epoch": fmt.Sprint(i)}, Started: t, Ended: t.Add(30 * time.Second),
			State:   lineage.StateFinished,
			Outputs: []lineage.VersionRef{ckpt[i], metrics[i]},
		}
		if i > 0 {
			r.Inputs = []lineage.VersionRef{ckpt[i-1], metrics[i-1]}
		}
		runs[i] = r
	}
	if _, err := s.Log(ctx, runs...); err != nil {
		return first, last, err
	}
	return ckpt[0], ckpt[n-1], nil
}
