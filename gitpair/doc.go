// Package gitpair pairs a trove project with Git: the trove.lock format
// that pins versions to paths, reading it at any Git commit, and the Git
// hooks that push what a Git push needs and check out pinned data after a
// Git checkout. It knows Git (through go-git) and the lock format, not the
// repository: package gitpair/workspace applies a lock to a project with
// a repository (package repo), and GC, deletion and cache eviction read
// the pins that hold versions through [Pins].
//
// # trove.lock (format 1)
//
// trove.lock sits in the project folder (the one holding .trove, normally
// the Git work tree's top) and is committed with the code. It is UTF-8
// text, one pin per line, meant to be read in diffs and merged by Git:
//
//	trove.lock 1
//	# path	artifact	version	alias	content digest	record (…)
//	data/mnist	mnist	v3	best	<64 hex digits>	<64 hex digits>
//	models/base	resnet	v0	registry/model/resnet:prod	<64 hex>	<64 hex>
//
// The first line that is neither blank nor a comment is the header,
// "trove.lock" SP format number; readers accept formats
// [MinLockFormat]..[LockFormat] and name the range when refusing one. Each
// pin line has six fields separated by one TAB:
//
//   - path: where the version's files are materialised, relative to the
//     project folder, '/'-separated, clean, never the folder itself, nor in
//     .git or .trove, and never inside another pin's path. It never
//     starts with '#': the line would read as a comment ([CheckPath]).
//   - artifact: the artifact's name.
//   - version: "vN", the version's number when pinned. Numbers of versions
//     not pushed yet are provisional (ARCHITECTURE.md, "Remotes"), so this
//     field is for people; the record identifies the version.
//   - alias: what the pin follows for 'trove pin --update' and the
//     "behind" check of 'trove status': an alias of the artifact ("best",
//     "latest", "v3"), or a whole registry name
//     ("registry/model/resnet:prod") for pins made through a registry.
//   - content digest: the version's root tree id. A pushed version whose
//     content equalled the remote's latest became that version, so its
//     own record never reached the remote; readers then take the live
//     version with this digest.
//   - record: the version record's id, what the pin holds live against
//     deletion and GC.
//
// Writers ([Lock.Encode]) write the header, one comment line naming the
// columns, and the pins sorted bytewise by path, so an unchanged lock is
// an unchanged file and two people pinning different paths merge cleanly.
// They refuse ([ErrBadPin]) a lock that would not read back as itself: a
// bad field, a path pinned twice or nested, a path starting with '#'.
// Readers ([Decode]) also accept blank lines, '#' comments, CRLF line ends
// and pins in any order, and reject with an error naming the line: Git
// conflict markers ([ErrLockConflict], checked first, since they explain
// everything else wrong with a half-merged file), a missing or unknown
// header, a wrong number of fields, a bad path, name, number or id, a path
// pinned twice, and nested pins ([ErrBadLock]). Files larger than
// [MaxLockSize] are refused before they are read.
//
// # Git
//
// [FindGit] finds the work tree around a folder as Git does, following
// ".git" files, so linked worktrees (git worktree add) and submodules
// work; go-git opens them with EnableDotGitCommonDir. [Git.LockAt] reads
// trove.lock from a commit's tree without touching the work tree or the
// index. [Git.PushedLocks] reads the locks of the commits a push sends,
// given the pre-push hook's input ([ParsePrePush]).
//
// # Pins that hold versions
//
// [Pins] returns every pin that keeps a version from GC and deletion: the
// work tree's trove.lock as it is now (committed or not), and trove.lock
// at the tip of every branch the work tree's repository knows, local
// (refs/heads/*) and remote-tracking (refs/remotes/*, as fresh as the
// last 'git fetch'), read from Git's objects. A teammate's branch, or
// main while you work on another, must still find its data when checked
// out. Each distinct tip commit's tree is looked at once and each distinct
// lock parsed once (by blob hash), so thousands of branches sharing a few
// locks cost little more than one. A lock that does not parse at a tip is
// an error naming the branch, never read as no pins. Commits below the
// tips, tags, stashes and other linked worktrees' uncommitted locks are
// not read: a version pinned only there goes when it expires.
//
// # Hooks
//
// [Git.InstallHooks] writes pre-push, post-checkout, post-merge and
// post-rewrite hooks into the folder Git runs hooks from (core.hooksPath,
// else the common Git folder's hooks, shared by linked worktrees). Each is
// a short POSIX sh script that runs 'trove hooks run NAME' with Git's
// arguments and input; the work is done in Go. A hook that was already
// there is never overwritten: it is renamed NAME.pre-trove and trove's
// hook runs it first (for pre-push and post-rewrite with the same standard
// input, and a failing pre-push stops the push). [Git.UninstallHooks]
// removes trove's hooks and renames the chained ones back; a hook trove
// did not write is never touched. Hooks are recognised by a marker on
// their second line.
//
// What the hooks do (package gitpair/workspace): pre-push pushes every
// version the pushed commits pin that the trove remote lacks, and refuses
// the push if a tip pins a version that is nowhere; post-checkout and
// post-merge run 'trove checkout'. Both skip their work while a rebase is
// in progress ([Git.RebaseInProgress]), and post-checkout skips file
// checkouts (its third argument is 0), as DVC and git-lfs do.
// post-rewrite catches up when a rebase ends (its first argument is
// "rebase"; 'git pull --rebase' too): Git runs it with HEAD and the work
// tree final but before it removes the rebase's state, so it does not
// look at RebaseInProgress. After 'git commit --amend' ("amend") it does
// nothing: the commit's files are checked out already.
package gitpair
