#!/usr/bin/env bash
# bench-references.sh -- times `trove commit --ref` on large references (issue 4):
#   s3    S3_OBJECTS objects (default 100,000) in 100 folders of a local versitygw (POSIX
#         backend, 127.0.0.1, no versioning), recorded twice: the first commit, and an
#         unchanged one (which lists everything again and makes no version)
#   file  FILES files (default 1,000,000) in folders of 1,000 under WORK_DIR/tree, recorded
#         twice: the first commit hashes every file, the second finds them in the stat cache
# and prints wall time, objects per second and peak RSS (GNU time %M) of each commit.
# Targets: >= 20,000 objects/s listed and recorded for S3 on loopback; peak RSS <= 256 MiB
# at 1,000,000 entries. A benchmark, not a test: nothing here runs in CI.
#
# Usage: scripts/bench-references.sh WORK_DIR
#   WORK_DIR  scratch (not inside the repository); the data is made once and reused by
#             later runs: WORK_DIR/{s3,tree} (the file tree takes ~4 GB of disk for 1,000,000)
# Env:
#   S3_OBJECTS=100000 FILES=1000000  sizes (0 skips that part)
#   TROVE=path      trove binary; default: built from this checkout into WORK_DIR/trove
#   VERSITYGW=path  default: versitygw on PATH, else in $(go env GOBIN) or $(go env GOPATH)/bin
#                   (scripts/install-test-tools.sh installs it)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/.." && pwd)
WORK=$(realpath -m "${1:?usage: bench-references.sh WORK_DIR}")
S3_OBJECTS=${S3_OBJECTS:-100000}; FILES=${FILES:-1000000}
case "$WORK/" in /|"$ROOT"/*) echo "WORK_DIR must not be / or inside the repository ($ROOT)"; exit 2;; esac
[[ -x /usr/bin/time ]] || { echo "missing GNU time (/usr/bin/time)"; exit 2; }
mkdir -p "$WORK"

if [[ -z ${TROVE:-} ]]; then
  (cd "$ROOT" && CGO_ENABLED=0 go build -o "$WORK/trove" ./cmd/trove)
  TROVE=$WORK/trove
fi
(cd "$ROOT" && go build -o "$WORK/refbench" ./scripts/refbench)

# timed NAME CMD...: runs CMD under GNU time in the project folder; prints a result line.
timed() {
  local name=$1 n=$2 f=$WORK/${1// /-}; shift 2
  /usr/bin/time -o "$WORK/time.out" -f '%e %M' "$@" >"$f.out" 2>"$f.err" ||
    { echo "$name failed:"; cat "$f.err"; exit 1; }
  read -r wall rss <"$WORK/time.out"
  awk -v name="$name" -v n="$n" -v wall="$wall" -v rss="$rss" 'BEGIN {
    printf "%-22s %9d objects  %7.2f s  %9.0f objects/s  peak RSS %6.1f MiB\n", name, n, wall, (wall > 0 ? n / wall : 0), rss / 1024 }'
}

project() { # a fresh repository in WORK/$1
  rm -rf "${WORK:?}/$1"; mkdir -p "$WORK/$1"
  (cd "$WORK/$1" && "$TROVE" init >/dev/null)
}

if (( S3_OBJECTS > 0 )); then
  if [[ -z ${VERSITYGW:-} ]]; then
    VERSITYGW=$(command -v versitygw || true)
    for d in "$(go env GOBIN 2>/dev/null || true)" "$(go env GOPATH 2>/dev/null | cut -d: -f1)/bin"; do
      [[ -z $VERSITYGW && -n $d && -x $d/versitygw ]] && VERSITYGW=$d/versitygw
    done
  fi
  [[ -n $VERSITYGW && -x $VERSITYGW ]] || { echo "versitygw not found: run scripts/install-test-tools.sh (or set VERSITYGW=)"; exit 2; }
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$WORK/s3"
  "$VERSITYGW" --access benchaccess --secret benchsecret --region us-east-1 --port "127.0.0.1:$port" \
    --keep-alive --quiet posix "$WORK/s3" >"$WORK/versitygw.log" 2>&1 &
  gw=$!
  trap 'kill $gw 2>/dev/null || true' EXIT
  export AWS_ACCESS_KEY_ID=benchaccess AWS_SECRET_ACCESS_KEY=benchsecret AWS_SESSION_TOKEN= AWS_PROFILE= \
    AWS_REGION=us-east-1 AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_CONFIG_FILE=/dev/null \
    AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  marker=$WORK/s3/.bench-$S3_OBJECTS
  if [[ ! -e $marker ]]; then
    "$WORK/refbench" s3 -endpoint "$AWS_ENDPOINT_URL" -bucket bench -prefix "objs$S3_OBJECTS" -n "$S3_OBJECTS" -per-dir $(( (S3_OBJECTS + 99) / 100 ))
    touch "$marker"
  fi
  project s3proj
  cd "$WORK/s3proj"
  timed "s3 commit" "$S3_OBJECTS" "$TROVE" --no-progress commit s3bench --type dataset --ref "s3://bench/objs$S3_OBJECTS"
  timed "s3 commit unchanged" "$S3_OBJECTS" "$TROVE" --no-progress commit s3bench --ref "s3://bench/objs$S3_OBJECTS"
  grep -q "no change" "$WORK/s3-commit-unchanged.out" || { echo "the unchanged commit made a version"; exit 1; }
  cd "$WORK"
  kill $gw; wait $gw 2>/dev/null || true; trap - EXIT
fi

if (( FILES > 0 )); then
  marker=$WORK/tree/.bench-$FILES
  if [[ ! -e $marker ]]; then
    rm -rf "$WORK/tree"
    "$WORK/refbench" files -dir "$WORK/tree/files" -n "$FILES"
    touch "$marker"
  fi
  project fileproj
  cd "$WORK/fileproj"
  timed "file commit" "$FILES" "$TROVE" --no-progress commit filebench --type dataset --ref "file://$WORK/tree/files"
  timed "file commit unchanged" "$FILES" "$TROVE" --no-progress commit filebench --ref "file://$WORK/tree/files"
  grep -q "no change" "$WORK/file-commit-unchanged.out" || { echo "the unchanged commit made a version"; exit 1; }
fi
