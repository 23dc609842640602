// Package workspace keeps a project's pinned data in line with its
// trove.lock: it pins versions to paths, materialises them after a Git
// checkout, reports what differs, and pushes what a Git push needs. It is
// the layer between the trove.lock format and Git (package gitpair) and
// the repository (package repo); the CLI calls one method per command.
//
// # Pins and paths
//
// A pin's path is relative to the project folder (the one holding .trove
// and trove.lock). [Workspace.PinPath] refuses a path outside it, the
// folder itself, and paths in .git or .trove. Materialising refuses a path
// whose existing folders include a symbolic link (ErrUnsafePath): a lock
// from someone else's commit must never make trove write outside the
// project. Pinning adds "/PATH/" to the project's .gitignore (in a Git
// work tree), since the files belong to trove; unpinning removes that line
// and leaves the files.
//
// # Finding a pinned version
//
// A pin names its version by record id. The version is looked up in the
// artifact's log by record, then by content digest (a version that
// collapsed into an equal one when pushed), then, for checkout, again
// after fetching the artifact's log from the default remote. A record
// found only as deleted, or found nowhere, is [ErrPinGone], with a message
// that names the path and says how to move or drop the pin.
//
// # Checkout state
//
// .trove/checkout (JSON, format 1) records for each path the version last
// materialised there. When a checkout moves a path to another version, the
// files only the old version had are removed if they still hold the old
// content; files anyone changed or added stay. The file is a cache: if it
// is lost, nothing is removed and nothing is lost. At the new version's
// own paths the rule is repo.Pull's: what trove did not place, or what
// changed since, is replaced only with CheckoutOptions.Force. Status reads
// the state too, to tell a folder that still holds the version trove
// placed before trove.lock changed (a plain checkout replaces it,
// PinStatus.Stale) from files changed since (only Force does).
//
// # Order of writes
//
// Pin checks the lock first (nothing is written for a path that nests in
// another pin), then writes the files, then trove.lock (atomically), then
// .gitignore. A failure part-way leaves trove.lock as it was.
package workspace
