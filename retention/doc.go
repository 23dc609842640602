// Package retention decides how long versions live: their TTL, the
// project's default, per-artifact retention policies, and which versions
// have run out. It computes; it deletes nothing but log entries
// ([Expire]), and leaves content to package gc.
//
// # TTL
//
// A version's TTL is a period ("30d", "12h", "1d12h"), "never", or
// "inherit" (the project's default, `trove config set ttl.default 90d`,
// which applies to existing and future versions alike). It always counts
// from the version's creation time, also when it is set later. The TTL in
// force is, first match wins:
//
//  1. "never" when any registry link, live or unlinked, names the version
//     record: linking turns the TTL off for good (PRODUCT.md, TTL);
//  2. the ref-level override in the artifact log ([refs.Version.TTL]),
//     written by `trove ttl set`;
//  3. the TTL in the version record, as given at commit;
//  4. the project default, for "inherit" or no TTL at all; a project
//     without one keeps versions forever.
//
// A version whose TTL has run out at the injected clock's now is expired:
// it no longer resolves ("expired on …"), its aliases are released, and
// the next GC records it deleted and sweeps its content, unless a pin
// holds it ([Status.HeldBy]; pins are the work tree's trove.lock and every
// branch tip's, gitpair.Pins): as `trove delete`
// refuses a pinned version, a TTL does not get round a pin. A pinned,
// expired version stays expired (it does not resolve by name), but it
// does not go ([Status.Goes]), and the pin still checks it out. Expiry is
// computed at read time, so changing the default moves every inheriting
// version's expiry at once, and no background job is needed.
//
// # Retention policies
//
// A [Policy] ("keep the last N versions", optionally also every version
// with a custom alias) expires older versions that nothing else holds:
// a live registry link or a pin (in any branch's trove.lock) holds a
// version, and with KeepAliased so does a custom alias. Against expiry,
// only a pin holds (a link turns the TTL off instead). Policies are
// applied by GC, where every hold (pins included) is known; `trove
// retention show` and `trove gc --dry-run` preview them.
//
// # Guard rail
//
// [Config.TTLAdmins], when not empty, restricts setting TTLs, the default
// and policies to the users it names ([Settings.MaySet]), as W&B lets team
// admins restrict who may edit TTL policies. Like protected aliases it is
// a guard against mistakes, not access control.
//
// # What retention leaves to others
//
// Reading records and logs, and registry links and pins, is the caller's;
// [Evaluate] takes them as values and functions, so it is a pure function
// of its inputs and of now. Deleting content is package gc's.
package retention
