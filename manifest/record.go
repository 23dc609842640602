package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/trove-ml/trove/internal/canon"
	"github.com/trove-ml/trove/internal/jsonquote"
	"github.com/trove-ml/trove/objects"
)

// Version record format (blob type 4).
const (
	// RecordFormat is the record format this package writes and the
	// highest it reads.
	RecordFormat = 1
	// MinRecordFormat is the lowest record format this package reads.
	MinRecordFormat = 1

	// MaxRecordSize is the largest encoded record: the limit on blobs kept
	// inline in the repository database (ARCHITECTURE.md, Pebble key space).
	MaxRecordSize = 4 << 20
	// MaxDescriptionSize is the longest description in bytes.
	MaxDescriptionSize = 256 << 10
	// maxRecordFieldLen bounds the short text fields (user, host, run,
	// TTL).
	maxRecordFieldLen = 1024
)

// Record is a version record: what a version holds and who made it, when.
// Its id (the BLAKE3 of [Record.Encode]) is what aliases, registry links,
// pins and lineage edges point at.
type Record struct {
	Artifact    string     // artifact name ([ValidateName] rules)
	Type        string     // artifact type ([ValidateName] rules)
	Root        objects.ID // root tree: the version's content digest
	Files       int64      // non-directory entries in the tree
	Size        int64      // bytes in the tree, references included
	Description string
	// Metadata is a JSON object; Encode stores it in canonical form
	// ([CanonicalMetadata]), and an empty object is stored as none.
	Metadata json.RawMessage
	Created  time.Time // stored in UTC with nanoseconds
	Creator  Creator
	// TTL is the retention period as the user gave it ("30d", "never",
	// "inherit"), or empty for none recorded. Encode does not interpret it.
	TTL string
	// Parent is the record of the artifact's latest version when this one
	// was made, or zero for the first.
	Parent objects.ID
}

// Creator says who and what made a version.
type Creator struct {
	User string
	Host string
	Run  string   // run id, when made inside `trove run`
	Git  *GitInfo // the project's Git state, when in a work tree
}

// GitInfo is the Git state of the project when a version was made.
type GitInfo struct {
	Commit string // full commit id in lower-case hex (40 or 64 digits)
	Dirty  bool   // the work tree had uncommitted changes
}

// Encode returns the canonical JSON encoding of r: fields in a fixed
// order (format, artifact, type, root, files, size, description, metadata,
// created, creator{user, host, run, git{commit, dirty}}, ttl, parent), empty
// optional fields left out, strings escaped one way, times in RFC 3339
// UTC with as many fraction digits as needed, no insignificant space. An r
// that cannot be recorded is an error wrapping [ErrInvalid].
func (r *Record) Encode() ([]byte, error) {
	if err := ValidateName("artifact name", r.Artifact); err != nil {
		return nil, err
	}
	if err := ValidateName("type", r.Type); err != nil {
		return nil, err
	}
	switch {
	case r.Root.IsZero():
		return nil, invalidf("record: no root tree")
	case r.Files < 0 || r.Size < 0:
		return nil, invalidf("record: negative file count %d or size %d", r.Files, r.Size)
	case r.Created.IsZero():
		return nil, invalidf("record: no creation time")
	case r.Created.UTC().Year() < 0 || r.Created.UTC().Year() > 9999:
		return nil, invalidf("record: creation time %v is outside years 0..9999", r.Created)
	case len(r.Description) > MaxDescriptionSize:
		return nil, invalidf("record: description is %d bytes (the limit is %d)", len(r.Description), MaxDescriptionSize)
	case !utf8.ValidString(r.Description):
		return nil, invalidf("record: description is not valid UTF-8")
	}
	for _, f := range []struct{ what, s string }{
		{"creator user", r.Creator.User}, {"creator host", r.Creator.Host},
		{"creator run", r.Creator.Run}, {"TTL", r.TTL},
	} {
		if len(f.s) > maxRecordFieldLen || !utf8.ValidString(f.s) {
			return nil, invalidf("record: %s %.40q is not valid UTF-8 of at most %d bytes", f.what, f.s, maxRecordFieldLen)
		}
	}
	if g := r.Creator.Git; g != nil {
		if c := g.Commit; !canon.GitCommit(c) {
			return nil, invalidf("record: git commit %q is not 40 or 64 lower-case hex digits", c)
		}
	}
	var meta []byte
	if len(bytes.TrimSpace(r.Metadata)) > 0 {
		var err error
		if meta, err = CanonicalMetadata(r.Metadata); err != nil {
			return nil, err
		}
		if string(meta) == "{}" {
			meta = nil
		}
	}

	b := make([]byte, 0, 256+len(r.Description)+len(meta))
	b = append(b, `{"format":`...)
	b = strconv.AppendInt(b, RecordFormat, 10)
	b = appendField(b, "artifact", r.Artifact)
	b = appendField(b, "type", r.Type)
	b = appendField(b, "root", r.Root.String())
	b = append(b, `,"files":`...)
	b = strconv.AppendInt(b, r.Files, 10)
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, r.Size, 10)
	if r.Description != "" {
		b = appendField(b, "description", r.Description)
	}
	if meta != nil {
		b = append(b, `,"metadata":`...)
		b = append(b, meta...)
	}
	b = appendField(b, "created", r.Created.UTC().Format(time.RFC3339Nano))
	if c := r.Creator; c.User != "" || c.Host != "" || c.Run != "" || c.Git != nil {
		b = append(b, `,"creator":{`...)
		n := len(b)
		for _, f := range []struct{ k, v string }{{"user", c.User}, {"host", c.Host}, {"run", c.Run}} {
			if f.v != "" {
				b = appendField(b, f.k, f.v)
			}
		}
		if c.Git != nil {
			b = append(b, `,"git":{"commit":`...)
			b = jsonquote.Canonical(b, c.Git.Commit)
			b = append(b, `,"dirty":`...)
			b = strconv.AppendBool(b, c.Git.Dirty)
			b = append(b, '}')
		}
		b = append(b[:n], b[n+1:]...) // drop the comma before the first field
		b = append(b, '}')
	}
	if r.TTL != "" {
		b = appendField(b, "ttl", r.TTL)
	}
	if !r.Parent.IsZero() {
		b = appendField(b, "parent", r.Parent.String())
	}
	b = append(b, '}')
	if len(b) > MaxRecordSize {
		return nil, invalidf("record: %d bytes encoded (the limit is %d)", len(b), MaxRecordSize)
	}
	return b, nil
}

// appendField appends ,"key":"value".
func appendField(b []byte, key, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return jsonquote.Canonical(b, value)
}

// recordJSON is the wire form, used only to parse; Encode writes the
// canonical bytes itself and DecodeRecord compares against them.
type recordJSON struct {
	Format      json.Number     `json:"format"`
	Artifact    string          `json:"artifact"`
	Type        string          `json:"type"`
	Root        string          `json:"root"`
	Files       int64           `json:"files"`
	Size        int64           `json:"size"`
	Description string          `json:"description"`
	Metadata    json.RawMessage `json:"metadata"`
	Created     string          `json:"created"`
	Creator     *struct {
		User string `json:"user"`
		Host string `json:"host"`
		Run  string `json:"run"`
		Git  *struct {
			Commit string `json:"commit"`
			Dirty  bool   `json:"dirty"`
		} `json:"git"`
	} `json:"creator"`
	TTL    string `json:"ttl"`
	Parent string `json:"parent"`
}

// DecodeRecord decodes a version record. It accepts exactly the bytes
// [Record.Encode] produces: anything else (unknown or repeated fields,
// another field order, spacing or escaping, non-canonical metadata or
// times) is an error wrapping [ErrCorrupt]. A format version outside
// [MinRecordFormat]..[RecordFormat] is an error wrapping
// [ErrUnsupportedFormat]. The result does not alias b.
func DecodeRecord(b []byte) (*Record, error) {
	if len(b) > MaxRecordSize {
		return nil, corruptf("record: %d bytes (the limit is %d)", len(b), MaxRecordSize)
	}
	var head struct {
		Format *json.Number `json:"format"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, corruptf("record: %v", err)
	}
	if head.Format == nil {
		return nil, corruptf("record: no format field")
	}
	if v, err := head.Format.Int64(); err != nil || v < MinRecordFormat || v > RecordFormat {
		return nil, fmt.Errorf("%w: record format %s (reads %d..%d)", ErrUnsupportedFormat, head.Format, MinRecordFormat, RecordFormat)
	}
	var w recordJSON
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&w); err != nil {
		return nil, corruptf("record: %v", err)
	}
	r := &Record{
		Artifact:    w.Artifact,
		Type:        w.Type,
		Files:       w.Files,
		Size:        w.Size,
		Description: w.Description,
		TTL:         w.TTL,
	}
	var err error
	if r.Root, err = objects.ParseCanonicalID(w.Root); err != nil {
		return nil, corruptf("record: root: %v", err)
	}
	if w.Parent != "" {
		if r.Parent, err = objects.ParseCanonicalID(w.Parent); err != nil {
			return nil, corruptf("record: parent: %v", err)
		}
	}
	if r.Created, err = time.Parse(time.RFC3339Nano, w.Created); err != nil {
		return nil, corruptf("record: created: %v", err)
	}
	r.Created = r.Created.UTC()
	if len(w.Metadata) > 0 {
		r.Metadata = append(json.RawMessage(nil), w.Metadata...)
	}
	if c := w.Creator; c != nil {
		r.Creator = Creator{User: c.User, Host: c.Host, Run: c.Run}
		if c.Git != nil {
			r.Creator.Git = &GitInfo{Commit: c.Git.Commit, Dirty: c.Git.Dirty}
		}
	}
	again, err := r.Encode()
	if err != nil {
		return nil, corruptf("record: %v", err)
	}
	if !bytes.Equal(again, b) {
		return nil, corruptf("record is not in canonical form (differs from byte %d)", canon.FirstDiff(again, b))
	}
	return r, nil
}
