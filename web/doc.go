// Package web serves a read-only web UI of a repository: artifacts and
// their versions, a version's description, metadata, files, diff and
// manifest, runs, registries and collections, and the lineage graph around
// any version. `trove ui` runs it. Everything it needs is in the binary
// (templates and static files embedded); pages run no script and load
// nothing from elsewhere.
//
// # Pages
//
// Every page is GET (HEAD too); any other method is answered 405. Names
// in paths are artifact, registry and collection names ([A-Za-z0-9_.-])
// and run ids; SEL is "vN", "latest" or a custom alias; file paths go in
// the query. "latest" is what it is for every trove command: the newest
// live version whose TTL has not run out.
//
//	/ and /artifacts                  artifacts: ?type=T&q=TEXT&after=NAME&limit=N
//	/artifacts/NAME                   versions, newest first: ?before=vN&limit=N
//	/artifacts/NAME/SEL               a version
//	/artifacts/NAME/SEL/files         one folder: ?path=DIR&after=NAME&limit=N
//	                                  (?path=FILE describes one entry)
//	/artifacts/NAME/SEL/file?path=P   download one file (verified bytes)
//	/artifacts/NAME/SEL/manifest      download the manifest (manifest.WriteJSON)
//	/artifacts/NAME/SEL/diff          changes from ?against=SEL or OTHER:SEL
//	                                  (default: the live version before)
//	/artifacts/NAME/SEL/lineage       the graph: ?direction=both|upstream|downstream&depth=1..20
//	/runs                             runs, newest first: ?before=ID&limit=N
//	/runs/ID                          a run
//	/registries                       registries
//	/registries/REG                   a registry's collections
//	/registries/REG/COLL              a collection's links
//	/static/…                         the stylesheet and icon
//
// # JSON
//
// Every page is also JSON at the same path, asked for with ?format=json
// or an Accept header naming application/json and not text/html. The
// JSON is the page's view: the structs in this package with their json
// tags (artifactsView, versionsView, versionView, filesView, diffView,
// lineageView, runsView, runView, registriesView, registryView,
// collectionView), and errors are {"status": 404, "error": "…", "busy":
// true when another trove process holds the repository}. In short:
//
//	/artifacts        {"artifacts":[{"name","type","versions","latest","size","files","created"}],
//	                   "types":[…],"type","q","after","next","limit"}
//	/artifacts/NAME   {"artifact","type","live","next","versions":[{"version","state","deleted",
//	                   "aliases","tags","created","digest","record","size","files","ttl",
//	                   "ttlSource","expires","remaining","runs":[{"id","label","state"}]}],
//	                   "before","more","limit"}
//	/…/SEL            the version's row as above, and "description" (Markdown source),
//	                  "metadata", "creator", "ttlGiven", "parent", "links":[{"registry",
//	                  "collection","link","aliases","protected"}], "usedBy", "root" (the
//	                  first 100 entries of the top folder), "rootMore", "notHere" (the
//	                  version was fetched, not pulled: its files are on the remote)
//	/…/SEL/files      {"artifact","version","path","entry","entries":[{"name","path","kind",
//	                   "size","files","mode","digest","target","uri"}],"size","files",
//	                   "after","next","limit"}
//	/…/SEL/file       with JSON asked for: the entry, as in "entries", instead of the bytes
//	/…/SEL/diff       {"artifact","version","against","againstArtifact","againstVersion",
//	                   "changes":[{"op","path","kind","oldSize","newSize","oldDigest",
//	                   "newDigest"}],"counts","truncated","limit"}
//	/…/SEL/lineage    {"artifact","version","state","direction","depth","graph" (package
//	                   lineage's graph JSON, format 1, as `trove lineage --json` prints
//	                   it),"layout":{"width","height",
//	                   "nodes":{ID:{"x","y","width","height"}},"edges":[{"from","to",
//	                   "points"}]},"note"}
//	/runs             {"runs":[{"id","label","name","jobType","state","outcome","started",
//	                   "ended","user","host","command","gitCommit","inputs","outputs"}],
//	                   "before","more","limit"}
//	/runs/ID          a run's row and "args","dir","pid","gitDirty","exitCode","signal",
//	                  "duration","config","inputVersions","outputVersions":[{"artifact",
//	                  "record","then","current","state"}]
//	/registries       {"registries":[{"name","description","core","types","anyType",
//	                   "protected","admins","created","createdBy","collections"}]}
//	/registries/REG   a registry's row and "collectionList":[{"name","type","links","latest"}]
//	/registries/R/C   {"registry","collection","type","protected","latest","links":[{"n",
//	                   "version","linked","by","state","aliases":[{"name","protected"}],
//	                   "unlinked","unlinkedBy"}]}
//
// Fields are added, never renamed or removed. Times are RFC 3339; sizes
// bytes; digests and record ids lower-case hex. Version numbers are always
// strings "vN", as in the command line's --json (docs/CLI.md): fields
// called "version" (and "latest", "againstVersion", "then", "current", the
// "before" and "more" of an artifact's versions, and a registry link's
// number in its collection, "n" and "link"), the lineage graph's nodes
// included. A registry link's "version" and a collection row's "latest"
// are objects; a version named with its artifact, NAME:vN, is in a field
// called "against" or "label", never "version". Counts ("versions",
// "live", "next", "links", "collections", "inputs", "outputs") are
// numbers.
//
// # The repository lock
//
// A repository is one Pebble database that one process at a time may
// open. The server therefore does not hold it: each request opens it
// ([OpenFunc], which `trove ui` gives a short lock wait, 10 s by default),
// requests in flight together share that opening, and it is closed when
// the last of them ends and [DefaultLinger] passes with no new one. So
// commits, pushes and GC run between page loads, and a page asked for
// while one of them holds the repository waits for it up to the lock wait
// and then answers 503 "busy" with Retry-After. The cost is an open per
// burst of requests (milliseconds for a Pebble database of refs and
// indexes); the gain is that `trove ui` can stay up all day beside the
// work. Two things would otherwise keep the repository from the work:
//
//   - Requests that never pause (a page polled every 100 ms) would keep
//     one opening alive for good. After 2 s open, new requests wait for
//     those in flight to end; the repository closes, and nothing opens
//     it for 600 ms, longer than a waiting command's longest pause
//     between tries of the lock (500 ms).
//   - A download whose client reads slowly, or not at all, would hold it
//     for as long as the connection stays open. A download's body is
//     written to an unnamed temp file in the repository's tmp folder,
//     verified, and only then sent, after the repository was let go.
//
// # Access
//
// `trove ui` binds to 127.0.0.1 by default and gives the server a token
// ([Options.Token]) unless told not to (--no-token, on loopback only):
// every local user of a shared machine can connect to 127.0.0.1, though
// the project's folder may be closed to them. A server without a token
// serves only requests whose Host is a loopback name (127.0.0.0/8, ::1,
// localhost), which keeps a web page elsewhere from reading the UI
// through the visitor's browser by pointing a name of its own at
// 127.0.0.1 (DNS rebinding). With a token every request must carry it, as
// "Authorization: Bearer TOKEN", or ?token=TOKEN (answered with an
// HttpOnly, SameSite=Strict cookie and a redirect to the same address
// without the token), or that cookie. Tokens are compared in constant
// time.
//
// # Safety
//
// Nothing a user wrote is trusted: artifact logs and registries may come
// from a remote anyone with write access to the bucket could have written.
//
//   - Pages are html/template: every name, alias, tag, path, metadata key
//     and value, run name, command and config value is escaped for where
//     it lands, and URLs are built from path-escaped parts, never taken
//     from data. Reference URIs and symlink targets are shown as text,
//     never as links.
//   - Invisible characters (control characters, bidirectional overrides,
//     zero-width characters, invalid UTF-8) are shown as escapes ("\x1b",
//     "\u202e"), so a file name cannot pass for another.
//   - Descriptions are Markdown rendered by goldmark without raw HTML
//     (dropped) and without javascript:, vbscript:, file: or data: links.
//   - Every response carries a Content-Security-Policy that allows no
//     script at all and styles and images only from the UI, and nosniff,
//     frame and referrer headers.
//   - Downloads are application/octet-stream attachments, read from the
//     store by the digest the version's tree names (repo.WriteFileContent
//     verifies every chunk and the whole file); a path is only looked up
//     in the tree (manifest.Lookup), never opened on disk. The body is
//     whole and verified before its first byte goes out (see above), so
//     a failed verification is an error page, never a download that
//     looks complete; range requests are answered.
//   - The lineage layout engine sees box sizes and edges only, no text;
//     the server draws the SVG itself.
//
// # Layout engines
//
// The server draws lineage graphs with whatever [Layouter] it is given
// ([Options.Layout]); without one it lists the nodes. Two engines exist:
//
//   - web/gonumlayout, the default: a layered left-to-right layout in
//     pure Go (gonum's graph/topo for cycles and order, a few loops for
//     the geometry). It does nothing until a graph is drawn.
//   - web/dotlayout: Graphviz's dot, run as WebAssembly through
//     github.com/goccy/go-graphviz. It is built only with the
//     trove_graphviz build tag (`go build -tags trove_graphviz
//     ./cmd/trove`, and `go test -tags trove_graphviz ./web/dotlayout`),
//     because go-graphviz compiles its WebAssembly module in a package
//     init: every command of a binary linking it, `trove --version`
//     included, would start tens of milliseconds slower and peak about
//     25 MB larger. With the tag, `trove ui` uses dot (cmd/trove
//     ui_layout_graphviz.go).
//
// # Large repositories
//
// Lists are paged with cursors. A folder page reads only the tree nodes
// that hold it (manifest.ListDir), so a folder of a million files browses
// as fast as a small one; the manifest download is written out as the
// tree is read, to the temp file downloads use. The artifact
// list reads every artifact log once (the type of most, for the filter)
// and, per row, the registry links and the latest version's record (more
// records when the newest versions' TTLs ran out); the runs list reads the run refs up to
// its page. Lineage graphs of more than 400 nodes are listed, not drawn.
package web
