#!/usr/bin/env bash
# gc.sh -- the GC benchmark of issue 7: a local repository with VERSIONS versions of the 1 GiB
# big/model.bin of mkdata.sh, each `mkdata.sh mutate`d before its commit; half of them deleted
# (v0, v2, v4, …); then `trove gc` timed, with the bytes it freed and its peak RSS.
#
# Usage: bench/gc.sh WORK_DIR [MKDATA]
#   WORK_DIR  scratch (data/, proj/, trove, gc-*.txt); must not be inside the repository
#   MKDATA    path of mkdata.sh (default: $MKDATA, else ../shared/bench/mkdata.sh beside the
#             repository root, as compare.sh)
# Env:
#   VERSIONS=100      versions committed (half are deleted)
#   BIG_BYTES=…       mkdata.sh knob (default 1 GiB); smaller for smoke runs, e.g. $((64<<20))
#   TROVE=path        trove binary; default: go build from this checkout into WORK_DIR
#   REUSE=0           1 = keep the versions built by an earlier run with the same VERSIONS and
#                       BIG_BYTES (skips the slow part; the deletions and GC run on a fresh copy)
#   THRESHOLD=25%     trove gc --repack-threshold (the default); e.g. 1% also rewrites the packs
#                       of the first version, whose chunks later versions overwrote in part
# Output (stdout and WORK_DIR/gc-result.txt): repository bytes before and after (du -sb of
# .trove), bytes and objects freed as trove counts them, wall/user/sys seconds and max RSS (GNU
# time %M, KiB) of `trove gc --dry-run`, `trove gc` and the `trove fsck` after it.
# This is a benchmark, not a test: nothing here runs in CI.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/.." && pwd)
WORK=$(realpath -m "${1:?usage: gc.sh WORK_DIR [MKDATA]}")
MK=${2:-${MKDATA:-$HERE/../../shared/bench/mkdata.sh}}
[[ -f $MK ]] || { echo "mkdata.sh not found at $MK (pass it as 2nd argument or MKDATA=)"; exit 2; }
MK=$(realpath "$MK")
VERSIONS=${VERSIONS:-100}; REUSE=${REUSE:-0}; THRESHOLD=${THRESHOLD:-25%}
case "$WORK/" in /|"$ROOT"/*) echo "refusing WORK=$WORK (not / nor inside the repository)"; exit 2;; esac
[[ -x /usr/bin/time ]] || { echo "missing GNU time (/usr/bin/time): run bench/install-peers.sh"; exit 2; }
(( VERSIONS >= 2 )) || { echo "VERSIONS must be at least 2"; exit 2; }
mkdir -p "$WORK"
if [[ -z ${TROVE:-} ]]; then
  (cd "$ROOT" && CGO_ENABLED=0 go build -o "$WORK/trove" ./cmd/trove)
  TROVE=$WORK/trove
fi
T() { "$TROVE" --no-progress -C "$1" "${@:2}"; }

built="$WORK/built-$VERSIONS-${BIG_BYTES:-1073741824}"
if [[ $REUSE != 1 || ! -f $built ]]; then
  rm -rf "$WORK/data" "$WORK/base" "$built"
  echo "gen: $VERSIONS versions of a ${BIG_BYTES:-1073741824}-byte file (slow: one full commit each)"
  # Only big/ is wanted: the small files are removed so that mutate leaves them alone.
  NFILES=1 NDIRS=1 bash "$MK" gen "$WORK/data" >/dev/null
  rm -rf "$WORK/data/many"
  mkdir -p "$WORK/base" && T "$WORK/base" init >/dev/null
  start=$(date +%s)
  T "$WORK/base" commit model --type model "$WORK/data/big" >/dev/null
  for ((i = 1; i < VERSIONS; i++)); do
    bash "$MK" mutate "$WORK/data" "$i" >/dev/null
    T "$WORK/base" commit model "$WORK/data/big" >/dev/null
  done
  echo "committed $VERSIONS versions in $(( $(date +%s) - start )) s"
  touch "$built"
fi

# The deletions and GC run on a copy, so REUSE=1 can repeat them.
rm -rf "$WORK/proj" && cp -a "$WORK/base" "$WORK/proj"
for ((n = 0; n < VERSIONS; n += 2)); do T "$WORK/proj" delete "model:v$n" >/dev/null; done
before=$(du -sb "$WORK/proj/.trove" | cut -f1)
sync
timed() { # name, command...: runs it under GNU time, appends "name wall user sys rss" to $WORK/gc-times
  local name=$1; shift
  /usr/bin/time -f "$name %e %U %S %M" -a -o "$WORK/gc-times" "$@"
}
rm -f "$WORK/gc-times"
timed dry-run "$TROVE" --no-progress -C "$WORK/proj" gc --repack-threshold "$THRESHOLD" --dry-run --json >"$WORK/gc-plan.json"
timed gc "$TROVE" --no-progress -C "$WORK/proj" gc --repack-threshold "$THRESHOLD" --json >"$WORK/gc-run.json"
sync
after=$(du -sb "$WORK/proj/.trove" | cut -f1)
timed fsck "$TROVE" --no-progress -C "$WORK/proj" fsck >/dev/null
{
  echo "trove gc benchmark: $VERSIONS versions of a ${BIG_BYTES:-1073741824}-byte file, each mutated; $(( (VERSIONS + 1) / 2 )) deleted; repack threshold $THRESHOLD"
  echo "machine: $(nproc) cores, $(uname -sr); trove $("$TROVE" --version | awk '{print $NF}')"
  echo "repository (.trove, du -sb): before $before B, after $after B, freed $((before - after)) B"
  python3 - "$WORK/gc-run.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"trove gc: freed {r['objects']} objects, {r['bytes']} B; {r['packsDeleted']} packs deleted, "
      f"{r['packsRewritten']} rewritten; {len(r['expired'])} expired; {r['reachable']} blobs reachable")
PY
  printf '%-8s %8s %8s %8s %10s\n' step wall_s user_s sys_s maxrss_KiB
  while read -r name wall user sys rss; do printf '%-8s %8s %8s %8s %10s\n' "$name" "$wall" "$user" "$sys" "$rss"; done <"$WORK/gc-times"
} | tee "$WORK/gc-result.txt"
