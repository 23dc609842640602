package main

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/trove-ml/trove/objects"
)

// A stored file's URL is trove://DIGEST/PATH: the content digest of a
// version (its tree's BLAKE3, which 'trove show' prints and which names
// the version wherever a version name goes) and the file's path in it,
// each element percent-encoded. It names the bytes, not a version's
// number or alias, so it never changes meaning (numbers can, when a push
// renumbers), and whatever versions share that content give the same
// file. 'trove cat URL' writes it; W&B's entries have the same kind of
// URL (wandb-artifact://ID/PATH).
const fileURLScheme = "trove://"

// fileURL returns the URL of the file at path p of the version whose
// content digest is root.
func fileURL(root objects.ID, p string) string {
	elems := strings.Split(p, "/")
	for i, el := range elems {
		elems[i] = url.PathEscape(el)
	}
	return fileURLScheme + root.String() + "/" + strings.Join(elems, "/")
}

// parseFileURL splits a URL made by fileURL into the content digest and
// the path.
func parseFileURL(s string) (root objects.ID, p string, err error) {
	rest, ok := strings.CutPrefix(s, fileURLScheme)
	if !ok {
		return root, "", fmt.Errorf("%q is not a trove:// URL", s)
	}
	digest, escaped, ok := strings.Cut(rest, "/")
	if root, err = objects.ParseID(digest); err != nil || !ok || escaped == "" {
		return objects.ID{}, "", fmt.Errorf("%q: want trove://DIGEST/PATH, with the 64 hex digits of a version's digest (as 'trove ls --json' gives)", s)
	}
	elems := strings.Split(escaped, "/")
	for i, el := range elems {
		if elems[i], err = url.PathUnescape(el); err != nil {
			return objects.ID{}, "", fmt.Errorf("%q: path element %q: %v", s, el, err)
		}
	}
	return root, strings.Join(elems, "/"), nil
}
