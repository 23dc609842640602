package lineage

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
)

// EdgeKind says how a run and a version are related. Values are persisted
// (as the first letter of edge keys); never change them.
type EdgeKind string

// Edge kinds. Edges point the way data flows: an input edge goes from the
// version to the run that used it, an output edge from the run to the
// version it logged.
const (
	Input  EdgeKind = "input"
	Output EdgeKind = "output"
)

// Edge keys in the lineage namespace (see the package documentation):
//
//	u/<record>/<run>     run used version       (inputs by version)
//	o/<record>/<run>     run logged version     (producers by version)
//	r/<run>/i/<record>   run used version       (inputs by run)
//	r/<run>/o/<record>   run logged version     (outputs by run)
//
// Record ids are 64 lower-case hex digits, run ids 26 ULID digits, so every
// part has a fixed length and a prefix scan finds one side's neighbours.
const (
	edgeValueFormat = 1
	recordHexLen    = 2 * objects.IDSize
)

func byVersionPrefix(k EdgeKind, record objects.ID) []byte {
	c := "u/"
	if k == Output {
		c = "o/"
	}
	return []byte(c + record.String() + "/")
}

func byRunPrefix(k EdgeKind, run string) []byte {
	c := "/i/"
	if k == Output {
		c = "/o/"
	}
	return []byte("r/" + run + c)
}

// edgeKeys returns the two keys of one edge.
func edgeKeys(k EdgeKind, run string, record objects.ID) [2][]byte {
	return [2][]byte{
		append(byVersionPrefix(k, record), run...),
		append(byRunPrefix(k, run), record.String()...),
	}
}

// encodeEdgeValue is the value of both keys of an edge: format byte,
// version number at the time (uvarint), artifact name.
func encodeEdgeValue(v VersionRef) []byte {
	b := []byte{edgeValueFormat}
	b = binary.AppendUvarint(b, uint64(v.Version))
	return append(b, v.Artifact...)
}

// decodeEdgeValue decodes an edge value for the version with record id.
func decodeEdgeValue(record objects.ID, b []byte) (VersionRef, error) {
	if len(b) < 1 || b[0] != edgeValueFormat {
		return VersionRef{}, corruptf("edge value for %s: bad format byte", record.Short())
	}
	n, l := binary.Uvarint(b[1:])
	if l <= 0 || n > 1<<31 || binary.PutUvarint(make([]byte, binary.MaxVarintLen64), n) != l {
		return VersionRef{}, corruptf("edge value for %s: bad version number", record.Short())
	}
	name := string(b[1+l:])
	if err := manifest.ValidateName("artifact name", name); err != nil {
		return VersionRef{}, corruptf("edge value for %s: %v", record.Short(), err)
	}
	return VersionRef{Record: record, Artifact: name, Version: int(n)}, nil
}

// parseEdgeKey splits a key of the lineage namespace into its parts.
func parseEdgeKey(key []byte) (k EdgeKind, run string, record objects.ID, err error) {
	s := string(key)
	bad := func() (EdgeKind, string, objects.ID, error) {
		return "", "", objects.ID{}, corruptf("edge key %.120q", s)
	}
	var rec string
	switch {
	case len(s) == 2+recordHexLen+1+IDLen && (s[0] == 'u' || s[0] == 'o') && s[1] == '/' && s[2+recordHexLen] == '/':
		k, rec, run = Input, s[2:2+recordHexLen], s[3+recordHexLen:]
		if s[0] == 'o' {
			k = Output
		}
	case len(s) == 2+IDLen+3+recordHexLen && strings.HasPrefix(s, "r/") &&
		(s[2+IDLen:5+IDLen] == "/i/" || s[2+IDLen:5+IDLen] == "/o/"):
		k, run, rec = Input, s[2:2+IDLen], s[5+IDLen:]
		if s[3+IDLen] == 'o' {
			k = Output
		}
	default:
		return bad()
	}
	if !ValidID(run) {
		return bad()
	}
	if record, err = objects.ParseCanonicalID(rec); err != nil {
		return bad()
	}
	return k, run, record, nil
}

// scanVersion calls fn for every run with an edge of kind k to the version
// with id record, in run id order (so in start order).
func (s *Store) scanVersion(ctx context.Context, k EdgeKind, record objects.ID, fn func(run string, v VersionRef) error) error {
	p := byVersionPrefix(k, record)
	return s.edges.Scan(ctx, p, func(key, val []byte) error {
		run := string(key[len(p):])
		if !ValidID(run) {
			return corruptf("edge key %.120q", key)
		}
		v, err := decodeEdgeValue(record, val)
		if err != nil {
			return err
		}
		return fn(run, v)
	})
}

// scanRun calls fn for every version with an edge of kind k to run, in
// record id order.
func (s *Store) scanRun(ctx context.Context, k EdgeKind, run string, fn func(v VersionRef) error) error {
	p := byRunPrefix(k, run)
	return s.edges.Scan(ctx, p, func(key, val []byte) error {
		rec, err := objects.ParseCanonicalID(string(key[len(p):]))
		if err != nil {
			return corruptf("edge key %.120q: %v", key, err)
		}
		v, err := decodeEdgeValue(rec, val)
		if err != nil {
			return err
		}
		return fn(v)
	})
}

// edgeSet is the edges of some runs, key to value.
type edgeSet map[string][]byte

func (es edgeSet) add(r *Run) {
	for _, l := range []struct {
		k  EdgeKind
		vs []VersionRef
	}{{Input, r.Inputs}, {Output, r.Outputs}} {
		for _, v := range l.vs {
			val := encodeEdgeValue(v)
			for _, key := range edgeKeys(l.k, r.ID, v.Record) {
				es[string(key)] = val
			}
		}
	}
}

// writeEdges sets the edges of runs in one transaction. Setting an edge
// that exists is harmless, so this is idempotent.
func (s *Store) writeEdges(ctx context.Context, runs ...*Run) error {
	es := edgeSet{}
	for _, r := range runs {
		es.add(r)
	}
	if len(es) == 0 {
		return nil
	}
	err := s.edges.Update(ctx, func(tx refs.Txn) error {
		for k, v := range es {
			if err := tx.Set([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("lineage: write edges: %w", err)
	}
	return nil
}
