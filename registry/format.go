package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/trove-ml/trove/manifest"
	"github.com/trove-ml/trove/objects"
	"github.com/trove-ml/trove/refs"
)

// Format is the format of an encoded [Registry]. Readers accept
// MinFormat..Format; writers write Format.
const (
	MinFormat = 1
	Format    = 1
)

// Limits on a registry ref. They bound what a decoder accepts from a bucket
// or a damaged database before it allocates for the content.
const (
	// MaxEncodedSize is the largest encoded registry accepted: 64 MiB. A
	// link encodes in about 250 bytes, so this holds some 250,000 links, far
	// more than a curated catalogue needs, and still one bucket object that
	// a compare-and-swap rewrites in well under a second.
	MaxEncodedSize = 64 << 20

	// MaxDescriptionLen is the longest registry description in bytes:
	// room for a page of Markdown.
	MaxDescriptionLen = 64 << 10

	// MaxUserLen is the longest user name (an admin or who linked), in
	// bytes; artifact names have the same limit.
	MaxUserLen = manifest.MaxArtifactNameLen
)

// Link states, persisted. A link is never removed from its collection's
// log, so its number is never given out again.
const (
	// LinkLive marks a link that resolves.
	LinkLive = "live"
	// LinkUnlinked marks a link removed by unlink. It no longer resolves;
	// the version it named keeps its TTL off (see [LinkedRecords]).
	LinkUnlinked = "unlinked"
)

// Registry is one registry: what it accepts, who administers it, and its
// collections. It is the value of the ref "registry/<name>". The zero
// Registry accepts nothing and holds nothing.
type Registry struct {
	// Format is the encoding format; set by Encode.
	Format int `json:"format"`
	// Counter grows on every write, so encodings (and a bucket's ETag)
	// always differ.
	Counter uint64 `json:"counter"`
	// Description says what the registry is for.
	Description string `json:"description,omitempty"`
	// Types lists the accepted artifact types, sorted and unique. Types
	// are only ever added.
	Types []string `json:"types,omitempty"`
	// AnyType means every type is accepted. It is never turned off.
	AnyType bool `json:"anyType,omitempty"`
	// Protected lists aliases that only admins may move or remove, in any
	// collection of the registry; sorted and unique.
	Protected []string `json:"protected,omitempty"`
	// Admins lists the users who may change the registry's settings and
	// protected aliases; sorted and unique.
	Admins []string `json:"admins,omitempty"`
	// Created and CreatedBy say when and by whom the registry was created;
	// zero for a core registry that was never written.
	Created   time.Time `json:"created,omitzero"`
	CreatedBy string    `json:"createdBy,omitempty"`
	// Collections maps a collection's name to its link log.
	Collections map[string]*Collection `json:"collections,omitempty"`
}

// Collection is a named list of links to artifact versions, shaped like an
// artifact's log ([refs.Log]): links are numbered v0, v1, … in link order,
// "latest" is the live link with the highest number, custom aliases name one
// link each.
type Collection struct {
	// Type is the artifact type the collection accepts, fixed by its first
	// link.
	Type string `json:"type"`
	// Next is the number the next link gets. It never decreases.
	Next int `json:"next"`
	// Links lists links in number order, unlinked ones included.
	Links []Link `json:"links"`
	// Aliases maps custom alias names to live link numbers.
	Aliases map[string]int `json:"aliases,omitempty"`
}

// Link is one entry of a [Collection]: a pointer to a version record.
// Linking copies no data.
type Link struct {
	// N is the link's number in its collection (the collection's vN).
	N int `json:"n"`
	// Artifact is the linked artifact's name.
	Artifact string `json:"artifact"`
	// Version is the artifact version's number when it was linked: a
	// version that had not reached a remote may be renumbered when it
	// does, so Record is what a link resolves by, and what it names now is
	// found from Record ([VersionsNow]). Version is history, and the best
	// guess only while the record is not in this repository's log.
	Version int `json:"version"`
	// Record is the id of the linked version record.
	Record objects.ID `json:"record"`
	// Linked and By say when and by whom the link was made.
	Linked time.Time `json:"linked"`
	By     string    `json:"by"`
	// State is LinkLive or LinkUnlinked.
	State string `json:"state"`
	// TTLOff records that linking turned the version's TTL off
	// (PRODUCT.md: "Linking a version into a registry turns its TTL off").
	// Format 1 always writes true; retention reads it through
	// [LinkedRecords] and [TTLOff]. Unlinking leaves it set: the TTL does
	// not come back.
	TTLOff bool `json:"ttlOff"`
	// Unlinked and UnlinkedBy say when and by whom the link was unlinked;
	// zero while it is live.
	Unlinked   time.Time `json:"unlinked,omitzero"`
	UnlinkedBy string    `json:"unlinkedBy,omitempty"`
}

// Encode returns the canonical encoding of g: fixed field order, sorted map
// keys and sets, times in UTC, no insignificant space. It does not change g.
func (g *Registry) Encode() ([]byte, error) {
	c := g.Clone()
	c.Format = Format
	c.normalize()
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("registry: refusing to encode: %w", err)
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("registry: encode: %w", err)
	}
	if len(b) > MaxEncodedSize {
		return nil, fmt.Errorf("%w: the registry would encode in %d bytes (the limit is %d); make a new registry", ErrInvalid, len(b), MaxEncodedSize)
	}
	return b, nil
}

// Decode parses an encoded Registry and checks its invariants. Errors wrap
// [ErrCorrupt], or [ErrUnsupportedFormat] for a format this build does not
// read.
func Decode(b []byte) (*Registry, error) {
	if len(b) > MaxEncodedSize {
		return nil, corruptf("registry ref is %d bytes (the limit is %d)", len(b), MaxEncodedSize)
	}
	// Read the format first, so a newer format is reported as such and
	// not as unknown fields.
	var head struct {
		Format int `json:"format"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, corruptf("registry ref: %v", err)
	}
	if head.Format < MinFormat {
		return nil, corruptf("registry ref: format %d (reads %d..%d)", head.Format, MinFormat, Format)
	}
	if head.Format > Format {
		return nil, fmt.Errorf("%w: registry format %d (reads %d..%d)", ErrUnsupportedFormat, head.Format, MinFormat, Format)
	}
	var g Registry
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		return nil, corruptf("registry ref: %v", err)
	}
	if dec.More() {
		return nil, corruptf("registry ref: trailing data")
	}
	if err := g.check(); err != nil {
		return nil, corruptf("%v", err)
	}
	return &g, nil
}

// normalize puts g in canonical form: sets sorted and unique, times in UTC.
func (g *Registry) normalize() {
	for _, s := range []*[]string{&g.Types, &g.Protected, &g.Admins} {
		sort.Strings(*s)
		*s = slices.Compact(*s)
		if len(*s) == 0 {
			*s = nil
		}
	}
	g.Created = g.Created.UTC()
	for _, c := range g.Collections {
		for i := range c.Links {
			l := &c.Links[i]
			l.Linked = l.Linked.UTC()
			l.Unlinked = l.Unlinked.UTC()
		}
		if len(c.Aliases) == 0 {
			c.Aliases = nil
		}
	}
	if len(g.Collections) == 0 {
		g.Collections = nil
	}
}

// check verifies g's invariants. Decode runs it on every read, so nothing
// decoded from a bucket or a damaged database is trusted further.
func (g *Registry) check() error {
	if len(g.Description) > MaxDescriptionLen || !utf8.ValidString(g.Description) {
		return fmt.Errorf("description is not valid UTF-8 of at most %d bytes", MaxDescriptionLen)
	}
	if !g.AnyType && len(g.Types) == 0 {
		return fmt.Errorf("accepts no artifact type")
	}
	if err := checkSet("type", g.Types, func(s string) error { return manifest.ValidateName("type", s) }); err != nil {
		return err
	}
	if err := checkSet("protected alias", g.Protected, checkAlias); err != nil {
		return err
	}
	if err := checkSet("admin", g.Admins, checkUser); err != nil {
		return err
	}
	if g.CreatedBy != "" {
		if err := checkUser(g.CreatedBy); err != nil {
			return err
		}
	}
	if err := checkTime("created", g.Created); err != nil {
		return err
	}
	for name, c := range g.Collections {
		if err := manifest.ValidateName("collection name", name); err != nil {
			return err
		}
		if c == nil {
			return fmt.Errorf("collection %q is null", name)
		}
		if err := c.check(); err != nil {
			return fmt.Errorf("collection %q: %w", name, err)
		}
		if !g.accepts(c.Type) {
			return fmt.Errorf("collection %q has type %q, which the registry does not accept", name, c.Type)
		}
	}
	return nil
}

func (c *Collection) check() error {
	if err := manifest.ValidateName("type", c.Type); err != nil {
		return err
	}
	prev := -1
	for _, l := range c.Links {
		if l.N <= prev || l.N >= c.Next {
			return fmt.Errorf("link v%d out of order (next %d)", l.N, c.Next)
		}
		prev = l.N
		if err := manifest.ValidateName("artifact name", l.Artifact); err != nil {
			return fmt.Errorf("link v%d: %w", l.N, err)
		}
		if l.Version < 0 {
			return fmt.Errorf("link v%d: negative artifact version %d", l.N, l.Version)
		}
		if l.Record.IsZero() {
			return fmt.Errorf("link v%d: no version record", l.N)
		}
		if err := checkUser(l.By); err != nil {
			return fmt.Errorf("link v%d: %w", l.N, err)
		}
		if l.Linked.IsZero() {
			return fmt.Errorf("link v%d: no link time", l.N)
		}
		for _, t := range []struct {
			what string
			t    time.Time
		}{{"linked", l.Linked}, {"unlinked", l.Unlinked}} {
			if err := checkTime(t.what, t.t); err != nil {
				return fmt.Errorf("link v%d: %w", l.N, err)
			}
		}
		if !l.TTLOff {
			return fmt.Errorf("link v%d: ttlOff is false (format %d links always turn the TTL off)", l.N, Format)
		}
		switch l.State {
		case LinkLive:
			if !l.Unlinked.IsZero() || l.UnlinkedBy != "" {
				return fmt.Errorf("link v%d is live but records an unlink", l.N)
			}
		case LinkUnlinked:
			if l.UnlinkedBy != "" {
				if err := checkUser(l.UnlinkedBy); err != nil {
					return fmt.Errorf("link v%d: %w", l.N, err)
				}
			}
		default:
			return fmt.Errorf("link v%d has unknown state %q", l.N, l.State)
		}
	}
	if c.Next < 0 {
		return fmt.Errorf("negative next number %d", c.Next)
	}
	for a, n := range c.Aliases {
		if err := checkAlias(a); err != nil {
			return err
		}
		l, ok := c.link(n)
		if !ok || l.State != LinkLive {
			return fmt.Errorf("alias %q names v%d, which is not a live link", a, n)
		}
	}
	return nil
}

// checkTime checks that t is spelled in UTC and within the years JSON
// times can spell (1 to 9999), so that encoding never fails and every time
// has one spelling.
func checkTime(what string, t time.Time) error {
	if _, off := t.Zone(); off != 0 {
		return fmt.Errorf("%s time %s is not in UTC", what, t.Format(time.RFC3339))
	}
	if y := t.Year(); y < 1 || y > 9999 {
		return fmt.Errorf("%s time has year %d (want 1 to 9999)", what, y)
	}
	return nil
}

// checkSet checks that s is sorted, unique and that every element passes
// valid.
func checkSet(what string, s []string, valid func(string) error) error {
	for i, v := range s {
		if i > 0 && s[i-1] >= v {
			return fmt.Errorf("%s list is not sorted and unique at %q", what, v)
		}
		if err := valid(v); err != nil {
			return err
		}
	}
	return nil
}

// checkAlias checks a custom alias: the name rules of artifact names and
// not one trove manages itself ("latest", "vN").
func checkAlias(a string) error {
	if err := manifest.ValidateName("alias", a); err != nil {
		return err
	}
	return refs.CheckAlias(a)
}

// checkUser checks a user name: 1 to MaxUserLen bytes of UTF-8 without
// control characters or spaces. User names come from $TROVE_USER or the
// login name, which may hold characters artifact names may not ('@', '\').
func checkUser(u string) error {
	if u == "" || len(u) > MaxUserLen || !utf8.ValidString(u) {
		return fmt.Errorf("user name %.40q must be 1 to %d bytes of UTF-8", u, MaxUserLen)
	}
	for _, r := range u {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return fmt.Errorf("user name %q contains %q; use no spaces or control characters", u, r)
		}
	}
	return nil
}

// accepts reports whether the registry accepts artifact type t.
func (g *Registry) accepts(t string) bool {
	_, ok := slices.BinarySearch(g.Types, t)
	return g.AnyType || ok
}

// IsAdmin reports whether user is one of the registry's admins.
func (g *Registry) IsAdmin(user string) bool {
	_, ok := slices.BinarySearch(g.Admins, user)
	return ok
}

// IsProtected reports whether alias is protected in this registry.
func (g *Registry) IsProtected(alias string) bool {
	_, ok := slices.BinarySearch(g.Protected, alias)
	return ok
}

// Accepts reports whether the registry accepts artifact type t.
func (g *Registry) Accepts(t string) bool { return g.accepts(t) }

// CollectionNames returns the names of g's collections, sorted.
func (g *Registry) CollectionNames() []string {
	out := make([]string, 0, len(g.Collections))
	for n := range g.Collections {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Clone returns a deep copy of g.
func (g *Registry) Clone() *Registry {
	c := *g
	c.Types = slices.Clone(g.Types)
	c.Protected = slices.Clone(g.Protected)
	c.Admins = slices.Clone(g.Admins)
	if g.Collections != nil {
		c.Collections = make(map[string]*Collection, len(g.Collections))
		for n, col := range g.Collections {
			c.Collections[n] = col.clone()
		}
	}
	return &c
}

// clone returns a deep copy of c; nil stays nil.
func (c *Collection) clone() *Collection {
	if c == nil {
		return nil
	}
	cc := *c
	cc.Links = slices.Clone(c.Links)
	if c.Aliases != nil {
		cc.Aliases = maps.Clone(c.Aliases)
	}
	return &cc
}

// link returns link n, live or unlinked.
func (c *Collection) link(n int) (Link, bool) {
	if i := c.find(n); i >= 0 {
		return c.Links[i], true
	}
	return Link{}, false
}

// find returns the index of link n in c.Links, or -1.
func (c *Collection) find(n int) int {
	i := sort.Search(len(c.Links), func(i int) bool { return c.Links[i].N >= n })
	if i < len(c.Links) && c.Links[i].N == n {
		return i
	}
	return -1
}

// Latest returns the live link with the highest number: the most recently
// linked one.
func (c *Collection) Latest() (Link, bool) {
	for i := len(c.Links) - 1; i >= 0; i-- {
		if c.Links[i].State == LinkLive {
			return c.Links[i], true
		}
	}
	return Link{}, false
}

// AliasesOf returns the custom aliases of link n, sorted.
func (c *Collection) AliasesOf(n int) []string {
	var out []string
	for a, m := range c.Aliases {
		if m == n {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

// LiveCount returns the number of live links.
func (c *Collection) LiveCount() int {
	n := 0
	for _, l := range c.Links {
		if l.State == LinkLive {
			n++
		}
	}
	return n
}

// Select finds the link a selector names: "latest" (or ""), "vN" or a
// custom alias. An unlinked link is an error wrapping [ErrUnlinked]; a
// selector naming nothing wraps [ErrNoLink].
func (c *Collection) Select(sel string) (Link, error) {
	if sel == "" || sel == "latest" {
		l, ok := c.Latest()
		if !ok {
			return Link{}, fmt.Errorf("%w: no live links", ErrNoLink)
		}
		return l, nil
	}
	n, isNum := refs.ParseVersionNumber(sel)
	if !isNum {
		var ok bool
		if n, ok = c.Aliases[sel]; !ok {
			return Link{}, fmt.Errorf("%w: no alias %q", ErrNoLink, sel)
		}
	}
	l, ok := c.link(n)
	if !ok {
		if c.Next == 0 {
			return Link{}, fmt.Errorf("%w: no link v%d (the collection has no links)", ErrNoLink, n)
		}
		return Link{}, fmt.Errorf("%w: no link v%d (links run v0..v%d)", ErrNoLink, n, c.Next-1)
	}
	if l.State != LinkLive {
		return Link{}, fmt.Errorf("%w: v%d was unlinked", ErrUnlinked, n)
	}
	return l, nil
}
