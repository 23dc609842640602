package main

import (
	"path/filepath"
	"reflect"
	"testing"
)

// TestRepeatableFlagsKeepCommas: a repeatable flag takes one value each
// time it is given; a comma inside it is not a separator.
func TestRepeatableFlagsKeepCommas(t *testing.T) {
	dir := newProject(t)
	writeFiles(t, dir, map[string]string{"d/f": "x"})
	mustTrove(t, dir, "commit", "m", "--type", "model", filepath.Join(dir, "d"),
		"--meta", "layers=[1,2,3]", "--meta", `note="a, b"`, "--tag", "t1", "--tag", "t2")
	var show struct {
		Metadata map[string]any `json:"metadata"`
		Tags     []string       `json:"tags"`
	}
	troveJSON(t, dir, &show, "show", "m:v0")
	want := map[string]any{"layers": []any{1.0, 2.0, 3.0}, "note": "a, b"}
	if !reflect.DeepEqual(show.Metadata, want) {
		t.Errorf("metadata %v, want %v", show.Metadata, want)
	}
	if !reflect.DeepEqual(show.Tags, []string{"t1", "t2"}) {
		t.Errorf("tags %v, want [t1 t2]", show.Tags)
	}
}
