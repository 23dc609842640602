#!/usr/bin/env bash
# million.sh -- trove on one folder of N small files (default a million), the
# shape of an image dataset unpacked flat, where whatever a command holds per
# file shows: commit, unchanged re-commit, ls (text and --json), pull into an
# empty folder, re-pull into it, verify. Prints the wall time and peak RSS of
# each step.
#
# Usage: bench/million.sh WORK_DIR [N]
#   WORK_DIR  scratch, created; on tmpfs (/dev/shm) the steps time trove, on a
#             disk they time the disk as well. Deleted at the end unless KEEP=1.
#   N         files, default 1000000 (each holds its own path: N distinct blobs)
# Env: TROVE=path (default: build from this checkout into WORK_DIR), KEEP=0.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/.." && pwd)
WORK=$(realpath -m "${1:?usage: million.sh WORK_DIR [N]}")
N=${2:-1000000}
case "$WORK/" in /|"$ROOT"/*) echo "refusing WORK_DIR=$WORK (inside the repository or /)"; exit 2;; esac
[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "N=$N: want a positive number of files"; exit 2; }
[[ -x /usr/bin/time ]] || { echo "missing GNU time (/usr/bin/time): run bench/install-peers.sh"; exit 2; }
[[ -e $WORK ]] && { echo "$WORK exists: give a new folder"; exit 2; }
mkdir -p "$WORK"
[[ ${KEEP:-0} == 1 ]] || trap 'rm -rf "$WORK"' EXIT
if [[ -z ${TROVE:-} ]]; then
  (cd "$ROOT" && CGO_ENABLED=0 go build -o "$WORK/trove" ./cmd/trove); TROVE=$WORK/trove
fi
(cd "$ROOT" && go build -o "$WORK/refbench" ./scripts/refbench)
"$WORK/refbench" files -dir "$WORK/data/flat" -n "$N" -per-dir "$N"
mkdir "$WORK/proj" && cd "$WORK/proj" && "$TROVE" init >/dev/null

printf '%-12s %9s %10s\n' step wall_s peak_MiB
step() { # NAME CMD...: run CMD, print its wall time and peak RSS
  local name=$1; shift
  /usr/bin/time -o "$WORK/time" -f '%e %M' "$@" >/dev/null
  read -r wall kb <"$WORK/time"
  printf '%-12s %9s %10d\n' "$name" "$wall" $((kb / 1024))
}
step commit   "$TROVE" --no-progress commit flat --type dataset "$WORK/data/flat"
step recommit "$TROVE" --no-progress commit flat --type dataset "$WORK/data/flat"
step ls       "$TROVE" ls flat
step ls-json  "$TROVE" ls --json flat
step pull     "$TROVE" --no-progress pull flat -o "$WORK/out"
step re-pull  "$TROVE" --no-progress pull flat -o "$WORK/out"
step verify   "$TROVE" --no-progress verify flat "$WORK/out"
