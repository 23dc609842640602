// Package registry keeps trove's registries: organisation-level, curated
// catalogues in which teams link the artifact versions that matter, and
// from which others pull by alias (W&B Registry).
//
// # Registries
//
// A registry accepts a set of artifact types (or any type), has a
// description, a set of protected aliases and a set of admins, and holds
// collections. Accepted types are only ever added: collections of a type
// may exist, so removing it would leave them unacceptable.
//
// # Core registries
//
// The core registries "model" (accepts type model) and "dataset" (accepts
// dataset) always exist. They are implicit: until something is written to
// one there is no ref, and reads return its starting value (no admins, no
// collections). The first write (a link, an admin) materialises it. So a
// fresh repository, or a clone that has fetched nothing, has both without
// writing anything, and two clones that each materialise "model" merge
// like any other concurrent change ([Merge] with a nil base).
//
// # Collections and links
//
// A collection is a link log shaped like an artifact log ([refs.Log]):
// links are numbered v0, v1, … in link order, "latest" is the live link
// with the highest number (the most recently linked), "vN" is implicit,
// and custom aliases name one live link each and move when set elsewhere.
// A collection accepts the type of its first link, for good. Linking
// creates the collection if it is missing (the registry must exist) and
// copies no data: a link records the artifact's name, the version's number
// at link time, the id of its version record (what it resolves by: numbers
// may change when a version first reaches a remote), when and by whom.
// What a link names now is found from its record in the artifact's log
// ([Resolve], [VersionsNow]); the number at link time is history only. Unlinking marks the link "unlinked" and drops its
// aliases; the link stays in the log, so numbers are never reused.
// Linking a version that a live link already names adds no link.
//
// # Layout
//
// Each registry is one ref, "registry/<name>", in the repository's refs
// namespace (beside "artifacts/<name>"), holding canonical JSON (format 1;
// fixed field order, sorted keys and sets, UTC times, no spaces):
//
//	{"format":1,"counter":7,"description":"…","types":["model"],
//	 "protected":["production"],"admins":["ana"],
//	 "created":"2026-11-26T01:00:00Z","createdBy":"ana",
//	 "collections":{"classifier":{"type":"model","next":2,
//	   "links":[{"n":0,"artifact":"cnn","version":3,"record":"<id>",
//	     "linked":"2026-11-26T02:00:00Z","by":"ana","state":"live","ttlOff":true}, …],
//	   "aliases":{"production":1}}}}
//
// "anyType":true replaces "types" for registries that accept any type. An
// unlinked link carries "state":"unlinked", "unlinked" and "unlinkedBy".
// One ref per registry means every change (a link with its aliases, an
// alias move, a setting) is one atomic update of one value: in Pebble it is
// one transaction, so two linkers in one repository get distinct numbers;
// in a bucket it is one compare-and-swap. The counter grows on every write,
// so the bytes and a bucket's ETag always change. [Decode] checks every
// invariant (sorted sets, names, link order, aliases naming live links)
// and rejects unknown fields and formats; its limits are named constants.
//
// # Sharing
//
// Push and fetch merge a registry with the remote's through
// [Merge](base, local, remote), base being the remote's as last seen. Links
// always merge: each side's new links are appended in order (local ones
// renumbered after the remote's), and unlinks win. Settings and aliases
// merge three-way. Where both sides changed the same alias or setting,
// the remote's change stands (it was published first, as for artifact
// aliases) and the local one is reported as not applied
// ([MergeReport.NotApplied]) with the command that applies it again, so a
// conflict in one registry never stops a push or fetch. A protected alias
// is never overridden silently in either direction: a conflicting local
// change to one is reported like any other, and one the remote protected
// meanwhile is not changed by a local change made without an admin.
//
// # Protection and admins
//
// A registry's protected aliases can be set, moved or removed only by a
// caller who says so (--admin) and whose identity (repo Options.User:
// $TROVE_USER or the login name) is one of its admins. Changing settings
// (types, protected aliases, admins) needs an admin once the registry has
// any; a registry without admins (the core ones at first) lets anyone add
// the first admin, and protecting an alias requires one. A custom
// registry's creator is its first admin; the last admin cannot be removed.
// A version held by a protected alias cannot be deleted ([Holds]).
//
// This is a guard against mistakes, not access control. On a bare bucket
// anyone who can write the bucket can write a registry ref, identities are
// what each user claims, and nothing can stop a modified client. Real
// access control is the bucket's IAM (for example, read-only credentials
// for most people and write access for the admins); a server remote may
// enforce these rules later.
//
// # TTL and retention
//
// Linking a version turns its TTL off, and unlinking does not bring it
// back (PRODUCT.md, TTL). The link records it ("ttlOff":true). The
// retention and GC code (not built yet) must read it through
// [LinkedRecords] (one scan for a whole run) or [TTLOff] (one version):
// every record named by any link, live or unlinked, never expires, and
// every record named by a live link is a GC root. `trove delete` must call
// [Holds] and refuse while a hold [Hold.Blocks].
//
// # What registry leaves to others
//
// The caller resolves the version to link (package repo) and passes its
// record id, number and type; the record must be durable first
// (invariant 3). Package repo resolves registry paths through [Resolve].
// Pushing and fetching registry refs is the remotes' work.
package registry
