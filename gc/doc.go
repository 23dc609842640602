// Package gc is trove's garbage collector: mark and sweep over the local
// store and over remotes, with a written set of safety margins, and the
// local cache's eviction down to a size budget.
//
// # Plan, then execute
//
// Every collection is two steps. Planning reads and decides; it changes
// nothing, and its result is a value ([Plan], [RemotePlan], [PrunePlan])
// that `trove gc --dry-run` prints: which versions expire, which packs are
// deleted or rewritten, which blobs and bytes go. Executing carries a plan
// out in a fixed order (below) and re-checks liveness before it deletes.
//
// # Mark
//
// Roots ([FindRoots]) are every live version in every artifact log that
// has not expired or that a pin holds (package retention decides expiry,
// holds and policies), every version record a live registry link names,
// and every record pinned in trove.lock, the work tree's and the one at
// every local and remote-tracking branch tip (gitpair.Pins). An expired
// version a pin holds is kept and listed as held ([Roots.Held]): GC never
// records a pinned version deleted, as `trove delete` never deletes one. Marking walks from each root record through its tree
// (manifest.Reach: tree nodes, file maps, chunks) and marks what it meets
// (about 60 bytes of memory per reachable blob). Run records are always
// kept: lineage outlives data. A tree or file map that is not in the store
// (a version fetched but never pulled, content evicted to a remote) cannot
// be walked and is counted as not local; nothing below it is here either,
// because pull downloads trees before the chunks they reach.
//
// # Sweep, locally
//
// Unmarked inline blobs and file-map keys are dropped. Each pack is judged
// by its live share: a pack with no live blob is deleted, one whose dead
// share passes [Safety.RepackThreshold] is rewritten (live blobs copied to
// a new pack), and the unreferenced index entries of the packs kept are
// dropped. Execution order, each step durable before the next:
//
//  1. versions that expired (and no pin holds) or that a policy expires
//     are recorded deleted in their logs (their aliases released, their
//     numbers never reused);
//  2. packs are rewritten: new pack durable, then one synced index batch
//     moves the live blobs and forgets the old pack, then its file goes;
//  3. dead packs: index batch first, file after;
//  4. dead index entries, inline blobs and file-map keys;
//  5. stray pack files (left by crashes) and records of missing files.
//
// A process killed anywhere leaves a store that passes fsck (at worst with
// stray-pack warnings), and the next GC finishes the job. The repository
// lock keeps every other trove process out for the whole run, so no commit
// can interleave; [Safety.Grace] still protects packs younger than it.
//
// # Sweep, on a remote
//
// Other people push while GC runs, and their clients cache the remote's
// indexes, so a remote is collected in two stages a grace period apart
// (see [Safety] for each margin and the race it closes):
//
//  1. versions that go are recorded deleted in the remote's logs, by
//     compare-and-swap;
//  2. the roots are re-read; if they moved, the plan is made again;
//  3. packs to rewrite: new packs, then the indexes naming them, uploaded;
//  4. indexes naming dropped packs are replaced: the replacement uploaded
//     first, then the old index deleted (If-Match its ETag);
//  5. the dropped packs, now named by no index, are condemned: listed in
//     an object gc/condemned/<time>-<random> written after step 4;
//  6. packs condemned by an earlier GC at least [Safety.Grace] ago (by the
//     store's clock) are deleted, If-Match their ETag, unless something
//     live reaches one of their blobs again (a push that relied on an old
//     index): then the pack is put back in an index instead;
//  7. what interrupted uploads left (a file remote's temp files, S3
//     multipart uploads never completed; see [remote.Unfinished]) is
//     removed once older than [Safety.Grace]: an upload in progress is
//     younger, and one removed under a stalled Put only makes it fail;
//  8. this repository's cache of the remote's indexes is rebuilt from the
//     indexes now there, so it never names a deleted pack.
//
// Nothing younger than the grace period is deleted or condemned: packs and
// indexes of a push in progress are left alone.
//
// # Cache pruning
//
// [PlanPrune] evicts locally stored chunks that a remote holds, least
// recently used pack first (objects records a pack's last read at most
// once a minute), until the local packs fit a budget. That the remote
// holds a chunk is checked, not assumed: its remote pack's table is read
// and must list the chunk where the index says. Chunks of versions that
// have not reached the remote are never evicted. Pull downloads evicted
// chunks again on demand.
//
// # What gc leaves to others
//
// Expiry rules are package retention's; the formats of packs, indexes and
// logs belong to objects, remote/packindex and refs. gc talks to the local
// store through [Store] and to a remote through remote.Repository.
package gc
