// Package lineage records runs, the executions that make and use versions,
// and answers which run logged a version, which versions a run used, and
// the graph those edges form. Reproducibility, rollback and audit rest on
// it: from a model back to the data and code it came from, and from a
// dataset forward to everything made from it.
//
// # Runs
//
// A [Run] is one execution: an id, a name, a job type, a config, the
// command line, the working folder (relative to the project), user, host,
// start and end, how it ended (exit code, or the signal that killed it),
// the project's Git commit and whether tracked files were dirty
// ([ReadGit]), and the versions it used (inputs) and logged (outputs).
// Run ids are ULIDs ([NewID]): 48 bits of start time in milliseconds and
// 80 random bits in Crockford base32, so they sort by start time and
// never collide between people sharing a remote.
//
// While a run runs it is a mutable ref, "runs/<id>" in the repository's
// refs (the same key-value store as artifact logs), holding the whole run
// as canonical JSON; inputs and outputs are added to it as the run's
// commands report them ([Store.AddInput], [Store.AddOutput]). When it
// ends ([Store.Finish]) its run record is written: immutable canonical
// JSON stored as a blob of type [objects.TypeRun] and named by its
// BLAKE3. Only after the record is flushed does the ref change to name it
// (keeping a summary without inputs and outputs, for listings), so a ref
// never names a record that is not durable. A run that is recorded at once,
// such as the implicit one-command run of a commit made outside any run,
// goes through [Store.Log].
//
// # Run record (blob type 5, format 1)
//
// Canonical JSON: encoding/json's output for these fields in this order,
// map keys sorted, empty optional fields left out, no insignificant space.
// The decoder re-encodes and rejects anything that is not byte-identical.
//
//	{"format":1,"id":"01JD3Q…","name":"…","jobType":"train",
//	 "config":{"lr":"0.1"},"command":["python","train.py"],"dir":"src",
//	 "user":"ana","host":"gpu1","pid":4242,
//	 "git":{"commit":"<40 or 64 hex>","dirty":false},
//	 "started":"2026-11-26T01:02:03.004Z","ended":"…",
//	 "state":"finished|failed|killed","exitCode":0,"signal":"SIGTERM",
//	 "inputs":[{"record":"<version record id>","artifact":"mnist","version":1}],
//	 "outputs":[…]}
//
// exitCode is present exactly when the state is finished (0) or failed
// (non-zero); signal exactly when it is killed. Inputs and outputs are
// sorted by record id, each once; version is the number the version had
// when the edge was made. Limits ([MaxVersionsPerRun], [MaxConfigKeys],
// [MaxCommandBytes], …) keep a record under the 4 MiB inline blob limit.
//
// # Run ref (format 1)
//
//	{"format":1,"run":{<run, state "running", with inputs and outputs>}}
//	{"format":1,"record":"<run record id>","run":{<run without inputs/outputs>}}
//
// # Edges
//
// Edges point at version record ids, never at numbers: a version that
// has not reached a remote may be renumbered when it does. They are rows
// of their own namespace of the repository database (repo.NSLineage),
// keyed both ways so that every lineage question is a prefix scan:
//
//	u/<record>/<run>      run used version      (who used this version)
//	o/<record>/<run>      run logged version    (who logged this version)
//	r/<run>/i/<record>    run used version      (what this run used)
//	r/<run>/o/<record>    run logged version    (what this run logged)
//
// A record id is 64 lower-case hex digits and a run id 26 ULID digits. The
// value of each key is a format byte (1), the version's number when the
// edge was made (uvarint) and its artifact name.
//
// # Invariants
//
// The runs are the truth and the edges an index of them: every edge is
// written after the run ref or record holding it, so a crash can lose an
// edge but never invent one, and [Store.Reindex] rebuilds the index from
// the runs alone. [Store.Finish] writes all of a run's edges again, so a
// run that ended has a whole index. A run record is written once and never
// changed; an ended run takes no more inputs or outputs ([ErrEnded]).
// A run id names one run everywhere: importing a record of a run known
// here with another record is refused ([ErrConflict]).
//
// # Sharing
//
// Run records hold their inputs and outputs, so they are all a remote
// needs. Push sends the records of runs touching the pushed versions
// ([Store.RecordsFor]) with the version records; fetch stores the fetched
// run record blobs and calls [Store.Import], which creates their refs and
// edges (or [Store.Reindex] after a bulk fetch). Lineage on a fresh clone
// then matches the original's for every version fetched. Running runs are
// local until they end.
//
// # Graphs
//
// [Store.Graph] walks breadth first from a version: upstream to the runs
// that logged it and the versions those used, downstream to the runs that
// used it and the versions those logged, up to a depth counted in runs.
// Versions are named by their current number (read from the artifact's
// log once per query). A graph renders as a text tree ([Graph.WriteText]),
// Graphviz DOT ([Graph.WriteDOT]) or JSON ([Graph.WriteJSON]).
//
// # Graph JSON (format 1)
//
// Stable: fields are added, never changed in meaning or removed, without
// raising format. Nodes are sorted by kind (versions first) and id, edges
// by from and to.
//
//	{
//	  "format": 1,
//	  "root": "<record id of the version asked about>",
//	  "direction": "both" | "upstream" | "downstream",
//	  "depth": 3,                       // 0: no limit
//	  "nodes": [
//	    {"kind": "version", "id": "<record id>", "label": "mnist:v1",
//	     "distance": 1,                 // runs between it and the root
//	     "more": true,                  // neighbours cut by the depth limit (omitted if false)
//	     "artifact": "mnist", "version": "v1", "type": "dataset",
//	     "state": "live" | "deleted" | "unknown"},
//	    {"kind": "run", "id": "<run id>", "label": "train", "distance": 1,
//	     "name": "train", "jobType": "train",
//	     "state": "running" | "finished" | "failed" | "killed" | "unknown",
//	     "exitCode": 0, "signal": "SIGTERM",
//	     "started": "<RFC 3339>", "ended": "<RFC 3339>",
//	     "git": {"commit": "…", "dirty": false}}
//	  ],
//	  "edges": [
//	    {"from": "<record id>", "to": "<run id>", "kind": "input"},   // run used version
//	    {"from": "<run id>", "to": "<record id>", "kind": "output"}   // run logged version
//	  ]
//	}
//
// Optional fields (name, jobType, exitCode, signal, ended, git, type) are
// omitted when empty. Version numbers are always strings "vN", as in all
// of trove's JSON (docs/CLI.md): a version's "version" is its number now.
// A version's "state" is "unknown" when no artifact log here names its
// record.
//
// # What lineage leaves to others
//
// Resolving names to versions, and the commit and pull that make and use
// them, are package repo's; cmd/trove connects them to runs (TROVE_RUN_ID,
// --run). Garbage collection must treat run refs as roots of their
// records; deleting a version leaves its edges (lineage outlives the
// data), and graphs show such versions as deleted or unknown.
package lineage
