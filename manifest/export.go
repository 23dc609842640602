package manifest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/trove-ml/trove/internal/jsonquote"
	"github.com/trove-ml/trove/objects"
)

// JSONFormat is the version of the manifest layout [WriteJSON] writes.
const JSONFormat = 1

// WriteJSON writes the manifest of tree root to w as JSON, streaming: one
// entry per line, in [Walk] order, so memory does not grow with the tree.
// The layout is stable (a change gets a new "format"):
//
//	{"format":1,"root":"<tree id>","entries":[
//	{"path":"data","kind":"dir","size":8,"files":2,"digest":"<tree id>"},
//	{"path":"data/a.csv","kind":"file","mode":"0644","size":5,"digest":"<BLAKE3>"},
//	{"path":"data/link","kind":"symlink","target":"a.csv","digest":"<BLAKE3 of target>"},
//	{"path":"data/r","kind":"ref","size":3,"uri":"s3://b/k","checksumKind":"etag","checksum":"\"e\"","versionId":"v"},
//	{"path":"data/u","kind":"ref-location","uri":"s3://b/p/"}
//	],"files":4,"size":8}
//
// Digests are lower-case hex; a reference's digest is present only when
// known, and versionId only when recorded. "files" and "size" at the end
// total the non-directory entries, as in a version record.
func WriteJSON(ctx context.Context, w io.Writer, g BlobGetter, root objects.ID) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	b := make([]byte, 0, 512)
	b = append(b, `{"format":`...)
	b = strconv.AppendInt(b, JSONFormat, 10)
	b = append(b, `,"root":"`...)
	b = append(b, root.String()...)
	b = append(b, `","entries":[`...)
	var files, size int64
	first := true
	err := Walk(ctx, g, root, func(p string, e Entry) error {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, "\n{\"path\":"...)
		b = jsonquote.Canonical(b, p)
		b = append(b, `,"kind":"`...)
		b = append(b, e.Kind.String()...)
		b = append(b, '"')
		if e.Kind == KindFile {
			b = append(b, `,"mode":"0`...)
			b = strconv.AppendUint(b, uint64(e.Mode), 8)
			b = append(b, '"')
		}
		if e.Kind != KindSymlink && e.Kind != KindRefLocation {
			b = append(b, `,"size":`...)
			b = strconv.AppendInt(b, e.Size, 10)
		}
		if e.Kind == KindDir {
			b = append(b, `,"files":`...)
			b = strconv.AppendInt(b, e.Files, 10)
		} else {
			files++
			size += e.Size
		}
		if e.Kind == KindSymlink {
			b = append(b, `,"target":`...)
			b = jsonquote.Canonical(b, e.Target)
		}
		if r := e.Ref; r != nil {
			b = append(b, `,"uri":`...)
			b = jsonquote.Canonical(b, r.URI)
			for _, f := range [...]struct{ k, v string }{{"checksumKind", r.ChecksumKind}, {"checksum", r.Checksum}, {"versionId", r.VersionID}} {
				if f.v != "" {
					b = appendField(b, f.k, f.v)
				}
			}
		}
		if !e.Digest.IsZero() {
			b = appendField(b, "digest", e.Digest.String())
		}
		b = append(b, '}')
		if _, err := bw.Write(b); err != nil {
			return fmt.Errorf("manifest: write JSON manifest: %w", err)
		}
		b = b[:0]
		return nil
	})
	if err != nil {
		return err
	}
	b = append(b, "\n],\"files\":"...)
	b = strconv.AppendInt(b, files, 10)
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, size, 10)
	b = append(b, "}\n"...)
	if _, err := bw.Write(b); err != nil {
		return fmt.Errorf("manifest: write JSON manifest: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("manifest: write JSON manifest: %w", err)
	}
	return nil
}

// W&B manifest constants (wandb/sdk/artifacts/artifact_manifests/
// artifact_manifest_v1.py and storage_policies/wandb_storage_policy.py).
const (
	wandbManifestVersion = 1
	wandbStoragePolicy   = "wandb-storage-policy-v1"
)

// WriteWandb writes the manifest of tree root to w in the layout of W&B's
// wandb_manifest.json (manifest version 1), so tools that read W&B
// artifacts can read a trove version:
//
//	{"version":1,"storagePolicy":"wandb-storage-policy-v1",
//	 "storagePolicyConfig":{"storageLayout":"V2"},
//	 "contents":{
//	  "data/a.csv":{"digest":"<base64 MD5>","size":5},
//	  "data/r":{"digest":"\"etag\"","ref":"s3://b/k","size":3,"extra":{"etag":"\"etag\"","versionID":"v"}},
//	  "data/u":{"digest":"s3://b/p/","ref":"s3://b/p/"}}}
//
// W&B names files by MD5, which trove does not keep: md5 is called for
// each file, in order, and returns the base64 of the MD5 of its content
// (the caller hashes the bytes, from a pulled copy or the store); its
// error stops the export and is returned unchanged. It is called too for
// each reference whose checksum is a BLAKE3 ([ChecksumBLAKE3]: a local
// file, or an HTTP object served with no ETag), whose MD5 W&B records as
// its digest (the caller reads the source and checks it against the
// BLAKE3). Any other reference's digest
// is its checksum (an ETag for S3, GCS and HTTP, as W&B records it), with
// "etag" and "versionID" in "extra" as W&B writes them; a location-only
// reference gets its URI as digest, as W&B does with checksum off.
//
// W&B manifests list files only: directories are implied by paths, and
// symbolic links, which W&B cannot represent, are left out. Contents are
// written in [Walk] order, one entry per line, as they are read; the JSON
// object's key order carries no meaning for W&B.
func WriteWandb(ctx context.Context, w io.Writer, g BlobGetter, root objects.ID, md5 func(path string, e Entry) (string, error)) error {
	if md5 == nil {
		return invalidf("WriteWandb: no MD5 function")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	b := make([]byte, 0, 512)
	b = append(b, `{"version":`...)
	b = strconv.AppendInt(b, wandbManifestVersion, 10)
	b = append(b, `,"storagePolicy":"`+wandbStoragePolicy+`","storagePolicyConfig":{"storageLayout":"V2"},"contents":{`...)
	first := true
	err := Walk(ctx, g, root, func(p string, e Entry) error {
		if e.Kind == KindDir || e.Kind == KindSymlink {
			return nil
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '\n')
		b = jsonquote.Canonical(b, p)
		b = append(b, `:{"digest":`...)
		switch e.Kind {
		case KindFile:
			sum, err := md5(p, e)
			if err != nil {
				return err
			}
			b = jsonquote.Canonical(b, sum)
			b = append(b, `,"size":`...)
			b = strconv.AppendInt(b, e.Size, 10)
		case KindRef:
			sum := e.Ref.Checksum
			if e.Ref.ChecksumKind == ChecksumBLAKE3 {
				// Content trove hashed itself (a local file, or an HTTP
				// object with no ETag): W&B records its MD5.
				var err error
				if sum, err = md5(p, e); err != nil {
					return err
				}
			}
			b = jsonquote.Canonical(b, sum)
			b = appendField(b, "ref", e.Ref.URI)
			b = append(b, `,"size":`...)
			b = strconv.AppendInt(b, e.Size, 10)
			b = appendWandbExtra(b, e.Ref)
		case KindRefLocation:
			b = jsonquote.Canonical(b, e.Ref.URI)
			b = appendField(b, "ref", e.Ref.URI)
		}
		b = append(b, '}')
		if _, err := bw.Write(b); err != nil {
			return fmt.Errorf("manifest: write W&B manifest: %w", err)
		}
		b = b[:0]
		return nil
	})
	if err != nil {
		return err
	}
	b = append(b, "}}\n"...)
	if _, err := bw.Write(b); err != nil {
		return fmt.Errorf("manifest: write W&B manifest: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("manifest: write W&B manifest: %w", err)
	}
	return nil
}

// appendWandbExtra appends the "extra" object W&B's reference handlers
// write: the ETag, and the object version (S3 version id, GCS generation).
func appendWandbExtra(b []byte, r *Reference) []byte {
	var etag bool
	switch r.ChecksumKind {
	case "etag", "etag+versionid", "etag+generation":
		etag = true
	}
	version := r.VersionID
	if r.ChecksumKind == ChecksumBLAKE3 {
		// Content trove hashed: a VersionID is information (an HTTP
		// object's Last-Modified date), no version W&B could fetch.
		version = ""
	}
	if !etag && version == "" {
		return b
	}
	b = append(b, `,"extra":{`...)
	n := len(b)
	if etag {
		b = appendField(b, "etag", r.Checksum)
	}
	if version != "" {
		b = appendField(b, "versionID", version)
	}
	b = append(b[:n], b[n+1:]...) // drop the comma before the first field
	return append(b, '}')
}
