#!/usr/bin/env bash
# remote.sh -- time trove push/pull against rclone copying the same folders to the SAME local S3
# server (versitygw, POSIX backend) in ONE run, on the shared mkdata.sh dataset; then measure what
# a push after `mkdata.sh mutate` uploads and what pulling one 1 MiB file out of the 1 GiB version
# downloads. Targets (issue 3): push and pull throughput >= 1.2x rclone's; push after mutate
# uploads <= 3 % of the dataset's bytes; the one-file pull transfers < 8 MiB.
#
# Usage: bench/remote.sh DATASET_DIR WORK_DIR [MKDATA]
#   DATASET_DIR  pristine dataset (`mkdata.sh gen DATASET_DIR`); never modified (copied into
#                WORK_DIR/live first, since mutate changes files). Generated here if absent.
#   WORK_DIR     scratch; remote.sh writes WORK_DIR/{home,logs,live,run,one,s3.*,remote-*,aws-ls.*}
#   MKDATA       path of mkdata.sh (default: $MKDATA, else $(dirname "$0")/../../shared/bench/mkdata.sh)
# Env:
#   TRIALS=3  DATASETS="big many"
#   TROVE=path        trove binary; default: `CGO_ENABLED=0 go build -o WORK_DIR/trove ./cmd/trove` from the repo
#   VERSITYGW=path    default: versitygw on PATH, else in $(go env GOBIN) or $(go env GOPATH)/bin
#                     (scripts/install-test-tools.sh installs v1.8.0 there)
#   AWS=/usr/bin/aws  Debian's awscli (bench/install-peers.sh); lists what trove pushed
#   RCLONE_FLAGS=     extra flags for every `rclone copy` (default: none, rclone's defaults)
#   DROP_CACHES=0     1 = drop the page cache before every timed step (needs root)
#   KEEP=0            1 = keep WORK_DIR/{live,run,one} and the server's folder at the end
#   BIG_BYTES NFILES NDIRS MIN_KIB MAX_KIB   mkdata.sh knobs, for smoke tests only, e.g.
#     BIG_BYTES=$((64<<20)) NFILES=2000 TRIALS=1 bench/remote.sh /tmp/ds-smoke /tmp/work-smoke
#   (read from an existing dataset; set ones that disagree with it are an error)
#
# The server: `versitygw --access K --secret S --region us-east-1 --port 127.0.0.1:PORT
# --keep-alive --quiet posix WORK/s3.XXXXXX` on a free port, stopped on exit. Buckets
# `trove-bench` and `rclone-bench` are made with `aws s3api create-bucket` (versitygw v1.8.0
# answers 400 for a bare mkdir'd folder: it keeps the bucket's owner and ACL in xattrs).
# Credentials come from AWS_* variables; rclone is configured only by RCLONE_CONFIG_V_* variables
# (remote V:, provider Other, path-style, RCLONE_CONFIG=/dev/null): no config file is written.
#
# Per trial and dataset (big/ = 1 GiB model.bin, many/ = 20,000 small files); the order of trove
# and rclone alternates from trial to trial:
#   push  trove : fresh repo `trove init` + `trove commit <ds> --type dataset live/<ds>` + `trove
#                 remote add origin s3://trove-bench/t<trial>-<ds> --endpoint URL` (untimed), then
#                 `trove --no-progress push --json` (timed). Trial 1: the prefix is listed with
#                 `aws --endpoint-url URL s3 ls --recursive s3://trove-bench/t1-<ds>/` (printed,
#                 checked for trove-format, refs/artifacts/<ds>, index/, packs/).
#         rclone: `rclone copy live/<ds> V:rclone-bench/t<trial>/<ds>`
#   pull  trove : FRESH repo with only the remote configured (untimed), then
#                 `trove --no-progress pull <ds>:latest -o <empty>/<ds> --json` (timed)
#         rclone: `rclone copy V:rclone-bench/t<trial>/<ds> <empty>/<ds>`
#   every pull is checked against `mkdata.sh manifest` of live/<ds>.
# Once, after the trials (on the last trial's push repo and prefix):
#   mutate   : `mkdata.sh mutate live 1`, commit, `trove push --json` (timed); uploaded bytes as a %
#              of the dataset; then a fresh repo pulls it and the manifest is checked
#   one-file : a fresh repo commits one/big/ = live/big/model.bin (hard link) + a 1 MiB file
#              sample-1mib.bin as artifact `one`, pushes it to s3://trove-bench/one; another
#              fresh repo runs `trove pull one:latest --prefix big/sample-1mib.bin --json`
# Measured: GNU time '%e %U %S %M'; `sync` after the step; for pushes the growth of the prefix's
# folder on the server (du -sb), for pulls the bytes the server process wrote (wchar of
# /proc/PID/io: responses on its sockets); trove's JSON bytes (push "bytes", pull "bytesDownloaded").
# Output: WORK/remote-raw.csv (one row per step), WORK/remote-table.md (header, tables), stdout.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/.." && pwd)
DATA=$(realpath -m "${1:?usage: remote.sh DATASET_DIR WORK_DIR [MKDATA]}")
WORK=$(realpath -m "${2:?usage: remote.sh DATASET_DIR WORK_DIR [MKDATA]}")
MK=${3:-${MKDATA:-$HERE/../../shared/bench/mkdata.sh}}
[[ -f $MK ]] || { echo "mkdata.sh not found at $MK (pass it as 3rd argument or MKDATA=)"; exit 2; }
MK=$(realpath "$MK")
DATASETS=${DATASETS:-big many}; TRIALS=${TRIALS:-3}; DROP_CACHES=${DROP_CACHES:-0}; KEEP=${KEEP:-0}
AWS=${AWS:-/usr/bin/aws}; RCLONE_FLAGS=${RCLONE_FLAGS:-}
case "$WORK/" in /|"$DATA"/*) echo "refusing WORK=$WORK"; exit 2;; esac
case "$DATA/" in "$WORK"/*) echo "dataset must not be inside WORK"; exit 2;; esac
case "$WORK/" in "$ROOT"/*) echo "WORK must not be inside the repository ($ROOT)"; exit 2;; esac
for ds in $DATASETS; do case $ds in big|many) ;; *) echo "unknown dataset $ds (big, many)"; exit 2;; esac; done
for b in rclone "$AWS" python3; do command -v "$b" >/dev/null || { echo "missing $b: run bench/install-peers.sh"; exit 2; }; done
[[ -x /usr/bin/time ]] || { echo "missing GNU time (/usr/bin/time): run bench/install-peers.sh"; exit 2; }
if [[ -z ${VERSITYGW:-} ]]; then
  VERSITYGW=$(command -v versitygw || true)
  for d in "$(go env GOBIN 2>/dev/null || true)" "$(go env GOPATH 2>/dev/null | cut -d: -f1)/bin"; do
    [[ -z $VERSITYGW && -n $d && -x $d/versitygw ]] && VERSITYGW=$d/versitygw
  done
fi
[[ -n $VERSITYGW && -x $VERSITYGW ]] || { echo "versitygw not found: run scripts/install-test-tools.sh (or set VERSITYGW=)"; exit 2; }

# ---- dataset: generate if absent, else read its shape so mutate matches what gen made
if [[ ! -e $DATA ]]; then
  echo "generating dataset in $DATA"; "$MK" gen "$DATA"
fi
[[ -f $DATA/big/model.bin && -d $DATA/many ]] || { echo "not a mkdata.sh dataset: $DATA"; exit 2; }
shape() { # VAR actual
  local want=${!1:-}
  if [[ -n $want && $want != "$2" ]]; then echo "$1=$want but the dataset in $DATA has $2"; exit 2; fi
  export "$1=$2"; }
shape BIG_BYTES "$(stat -c %s "$DATA/big/model.bin")"
shape NFILES "$(find "$DATA/many" -type f -name 'f*.bin' | wc -l)"
shape NDIRS "$(find "$DATA/many" -mindepth 1 -maxdepth 1 -type d | wc -l)"
[[ -z $(find "$DATA/many" -type f -name 'new_*' -print -quit) ]] || { echo "$DATA was mutated: use a pristine dataset"; exit 2; }

# ---- disk: live copy + push repo + both buckets + pull repo + restore, ~7x the dataset at the peak
need_kb=$(du -sk "$DATA" | cut -f1); mkdir -p "$WORK/home" "$WORK/logs"
avail_kb=$(df -Pk "$WORK" | awk 'NR==2{print $4}')
(( avail_kb > 7 * need_kb )) || { echo "need ~$((7*need_kb/1024/1024)) GiB free in $WORK, have $((avail_kb/1024/1024)) GiB"; exit 2; }

# ---- trove binary (built before HOME moves, so Go's caches stay where they are)
if [[ -n ${TROVE:-} ]]; then TROVE=$(realpath "$TROVE")
else echo "building trove"; (cd "$ROOT" && CGO_ENABLED=0 go build -o "$WORK/trove" ./cmd/trove); TROVE=$WORK/trove; fi
[[ -x $TROVE ]] || { echo "trove binary not executable: $TROVE"; exit 2; }
VGW_VERSION=$(go version -m "$VERSITYGW" 2>/dev/null | awk '$1=="mod"{print $3; exit}' || true)

# ---- environment: nothing from the user's AWS/rclone setup leaks in; plain HTTP to 127.0.0.1
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_CA_BUNDLE AWS_DEFAULT_PROFILE
export HOME=$WORK/home XDG_CACHE_HOME=$WORK/home/.cache XDG_CONFIG_HOME=$WORK/home/.config TROVE_NO_PROGRESS=1
export AWS_ACCESS_KEY_ID=trovebenchaccess AWS_SECRET_ACCESS_KEY=trovebenchsecret
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_PAGER=
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export NO_PROXY=127.0.0.1 no_proxy=127.0.0.1 RCLONE_CONFIG=/dev/null

# ---- the server
S3DIR=$(mktemp -d "$WORK/s3.XXXXXX"); VPID=
stop_server() {
  if [[ -n $VPID ]] && kill -0 "$VPID" 2>/dev/null; then
    kill -TERM "$VPID" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$VPID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$VPID" 2>/dev/null || true; wait "$VPID" 2>/dev/null || true
  fi
  VPID=
}
cleanup() {
  stop_server
  if [[ $KEEP != 1 ]]; then rm -rf "$S3DIR" "$WORK/run" "$WORK/one" "$WORK/live"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
for try in 1 2 3; do   # another process may take the free port before the server binds it
  PORT=$(free_port)
  "$VERSITYGW" --access "$AWS_ACCESS_KEY_ID" --secret "$AWS_SECRET_ACCESS_KEY" --region "$AWS_REGION" \
    --port "127.0.0.1:$PORT" --keep-alive --quiet posix "$S3DIR" > "$WORK/logs/versitygw.$try.log" 2>&1 &
  VPID=$!
  for _ in $(seq 1 75); do   # 15 s
    kill -0 "$VPID" 2>/dev/null || break
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break 2; fi
    sleep 0.2
  done
  stop_server
done
[[ -n $VPID ]] || { echo "versitygw did not start:"; tail -5 "$WORK/logs/versitygw."*.log; exit 1; }
EP=http://127.0.0.1:$PORT
for b in trove-bench rclone-bench; do
  "$AWS" --endpoint-url "$EP" s3api create-bucket --bucket "$b" > /dev/null
done
export RCLONE_CONFIG_V_TYPE=s3 RCLONE_CONFIG_V_PROVIDER=Other RCLONE_CONFIG_V_ENV_AUTH=false
export RCLONE_CONFIG_V_ENDPOINT=$EP RCLONE_CONFIG_V_REGION=$AWS_REGION RCLONE_CONFIG_V_FORCE_PATH_STYLE=true
export RCLONE_CONFIG_V_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID RCLONE_CONFIG_V_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
export RCLONE_CONFIG_V_NO_CHECK_BUCKET=true
echo "versitygw $VGW_VERSION on $EP (pid $VPID), folder $S3DIR"

# ---- the live copy (mutate changes it) and its manifests
LIVE=$WORK/live; rm -rf "$LIVE"; mkdir -p "$LIVE"
for ds in $DATASETS; do cp -a "$DATA/$ds" "$LIVE/$ds"; "$MK" manifest "$LIVE/$ds" > "$WORK/manifest.$ds.txt"; done

RAW=$WORK/remote-raw.csv; MD=$WORK/remote-table.md
[[ -f $RAW ]] && mv -f "$RAW" "$RAW.prev"
echo "trial,tool,ds,op,logical_bytes,files,wall_s,user_s,sys_s,maxrss_kb,sync_s,tool_bytes,packs,bucket_growth,server_sent,ok" > "$RAW"

{
  echo "remote.sh run $(date -u +%Y-%m-%dT%H:%M:%SZ); $(nproc) cores; $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM; $(uname -sr); load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "dataset: BIG_BYTES=$BIG_BYTES NFILES=$NFILES NDIRS=$NDIRS; TRIALS=$TRIALS; DATASETS=$DATASETS; DROP_CACHES=$DROP_CACHES"
  echo "trove: $("$TROVE" --version 2>/dev/null | head -1) (git $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && [[ -n $(git --no-optional-locks status --porcelain 2>/dev/null) ]] && echo ', dirty tree'))"
  echo "rclone: $(rclone version 2>/dev/null | head -1); flags: ${RCLONE_FLAGS:-(defaults)}"
  echo "server: versitygw $VGW_VERSION, posix backend, 127.0.0.1; awscli: $("$AWS" --version 2>&1 | cut -d' ' -f1)"
} > "$WORK/remote-header.txt"
cat "$WORK/remote-header.txt"

logical() { find "$1" -type f -printf '%s\n' | awk '{s+=$1} END{print s+0}'; }
nfiles() { find "$1" -type f | wc -l; }
sizeb() { [[ -e $1 ]] && du -sb "$1" | cut -f1 || echo 0; }
now() { date +%s.%N; }
wchar() { awk '$1=="wchar:"{print $2}' "/proc/$VPID/io"; }
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get(sys.argv[2], ""))' "$1" "$2" 2>/dev/null || true; }
tv() { "$TROVE" --no-progress "$@"; }
fresh_repo() { # DIR [with remote PREFIX]
  rm -rf "$1"; mkdir -p "$1"; tv -C "$1" init
  [[ -z ${2:-} ]] || tv -C "$1" remote add origin "s3://trove-bench/$2" --endpoint "$EP"; }

FAILS=0
# step TRIAL TOOL DS OP LOGICAL_DIR WATCH -- CMD...   runs CMD timed (stdout to the step's .out,
# stderr to its .log). WATCH: for a push the server folder whose growth is recorded, for a pull
# the folder checked against the manifest (`-` = none). Sets OUT (stdout file) and OK.
step() {
  local trial=$1 tool=$2 ds=$3 op=$4 ldir=$5 watch=$6; shift 7
  local base=$WORK/logs/$tool.$ds.$op.$trial tf=$WORK/time.txt gb="" ga="" w0="" w1="" lb nf
  OUT=$base.out; OK=ok; rm -f "$tf"
  printf '$' > "$base.log"; printf ' %q' "$@" >> "$base.log"; echo >> "$base.log"
  [[ $op == push* && $watch != - ]] && gb=$(sizeb "$watch")
  sync; if [[ $DROP_CACHES == 1 ]]; then echo 3 > /proc/sys/vm/drop_caches; fi
  [[ $op == pull* ]] && w0=$(wchar)
  if ! /usr/bin/time -q -f '%e %U %S %M' -o "$tf" "$@" > "$OUT" 2>> "$base.log"; then
    OK=FAILED; echo "FAILED: $tool $ds $op: $* (log $base.log)"; tail -5 "$base.log"; tail -5 "$OUT"
  fi
  [[ $op == pull* ]] && w1=$(wchar)
  local s0 s1; s0=$(now); sync; s1=$(now)
  local wall=0 user=0 sys=0 rss=0; [[ -s $tf ]] && read -r wall user sys rss < <(tail -1 "$tf")
  [[ $op == push* && $watch != - ]] && ga=$(sizeb "$watch")
  if [[ $op == pull* && $watch != - && $OK == ok ]]; then
    if ! diff "$WORK/manifest.$ds.txt" <("$MK" manifest "$watch") > "$base.diff"; then
      OK=MISMATCH; echo "MISMATCH: $tool $ds $op differs from live/$ds ($base.diff)"; head -5 "$base.diff"
    fi
  fi
  [[ $OK == ok ]] || FAILS=$((FAILS + 1))
  local tb="" packs=""
  if [[ $tool == trove* && -s $OUT ]]; then
    if [[ $op == push* ]]; then tb=$(jget "$OUT" bytes); packs=$(jget "$OUT" packs); else tb=$(jget "$OUT" bytesDownloaded); fi
  fi
  lb=$(logical "$ldir"); nf=$(nfiles "$ldir")
  local growth="" sent=""
  [[ -n $ga ]] && growth=$((ga - gb)); [[ -n $w1 ]] && sent=$((w1 - w0))
  echo "$trial,$tool,$ds,$op,$lb,$nf,$wall,$user,$sys,$rss,$(python3 -c "print(round($s1-$s0,3))"),$tb,$packs,$growth,$sent,$OK" >> "$RAW"
  local tl=$trial; [[ $trial == [0-9]* ]] && tl=t$trial
  printf '%-6s %-5s %-13s %-6s wall %7.2fs %8.1f MB/s cpu %7.2fs rss %5d MiB%s%s%s  %s\n' \
    "$tool" "$ds" "$op" "$tl" "$wall" "$(python3 -c "print($lb/max($wall,1e-3)/1e6)")" \
    "$(python3 -c "print($user+$sys)")" $((rss/1024)) "${tb:+  trove bytes $tb}" \
    "${growth:+  bucket +$growth B}" "${sent:+  server sent $sent B}" "$OK"
}

# aws_ls PREFIX DS JSON: list what trove pushed with Debian's awscli, print it, check its shape
aws_ls() {
  local pfx=$1 ds=$2 json=$3 out=$WORK/aws-ls.$2.txt np
  echo "\$ aws --endpoint-url $EP s3 ls --recursive s3://trove-bench/$pfx/"
  if ! "$AWS" --endpoint-url "$EP" s3 ls --recursive "s3://trove-bench/$pfx/" > "$out" 2> "$out.err"; then
    echo "FAILED: aws s3 ls ($out.err)"; cat "$out.err"; FAILS=$((FAILS + 1)); return
  fi
  rm -f "$out.err"; cat "$out"
  np=$(awk -v p="$pfx/packs/" 'index($4, p) == 1' "$out" | wc -l)
  if awk -v p="$pfx/" -v ds="$ds" '$4 == p "trove-format" {f=1} $4 == p "refs/artifacts/" ds {r=1}
       index($4, p "index/") == 1 {i=1} END {exit !(f && r && i)}' "$out" && [[ $np == "$(jget "$json" packs)" ]]; then
    echo "awscli: $(wc -l < "$out") objects, $np packs (= push's \"packs\"), trove-format, refs/artifacts/$ds, index/: ok"
  else
    echo "awscli listing of $pfx lacks trove-format, refs/artifacts/$ds, index/ or has $np packs, not $(jget "$json" packs)"
    FAILS=$((FAILS + 1))
  fi
}

RUN=$WORK/run; RST=$RUN/restore
for trial in $(seq 1 "$TRIALS"); do
  if (( trial % 2 )); then order="trove rclone"; else order="rclone trove"; fi
  for ds in $DATASETS; do
    PR=$RUN/push-$ds; PL=$RUN/pull-$ds; TP=t$trial-$ds; RP=rclone-bench/t$trial/$ds
    fresh_repo "$PR" "$TP" > "$WORK/logs/setup.$ds.$trial.log" 2>&1 \
      && tv -C "$PR" commit "$ds" --type dataset "$LIVE/$ds" >> "$WORK/logs/setup.$ds.$trial.log" 2>&1 \
      || { echo "FAILED: trove setup for $ds ($WORK/logs/setup.$ds.$trial.log)"; tail -5 "$WORK/logs/setup.$ds.$trial.log"; exit 1; }
    for tool in $order; do
      if [[ $tool == trove ]]; then
        step "$trial" trove "$ds" push "$LIVE/$ds" "$S3DIR/trove-bench/$TP" -- "$TROVE" --no-progress -C "$PR" push --json
        if [[ $trial == 1 && $OK == ok ]]; then aws_ls "$TP" "$ds" "$OUT"; fi
      else
        # shellcheck disable=SC2086
        step "$trial" rclone "$ds" push "$LIVE/$ds" "$S3DIR/$RP" -- rclone copy $RCLONE_FLAGS "$LIVE/$ds" "V:$RP"
      fi
    done
    for tool in $order; do
      rm -rf "$RST" && mkdir -p "$RST"
      if [[ $tool == trove ]]; then
        fresh_repo "$PL" "$TP" > "$WORK/logs/setup-pull.$ds.$trial.log" 2>&1 \
          || { echo "FAILED: trove pull setup for $ds ($WORK/logs/setup-pull.$ds.$trial.log)"; exit 1; }
        step "$trial" trove "$ds" pull "$LIVE/$ds" "$RST/$ds" -- "$TROVE" --no-progress -C "$PL" pull "$ds:latest" -o "$RST/$ds" --json
        rm -rf "$PL"
      else
        # shellcheck disable=SC2086
        step "$trial" rclone "$ds" pull "$LIVE/$ds" "$RST/$ds" -- rclone copy $RCLONE_FLAGS "V:$RP" "$RST/$ds"
      fi
    done
    rm -rf "$RST" "${S3DIR:?}/$RP"
    if [[ $trial != "$TRIALS" ]]; then rm -rf "$PR" "${S3DIR:?}/trove-bench/$TP"; fi
  done
done

# ---- push after mutate, on the last trial's push repo and prefix; then a fresh pull of it
"$MK" mutate "$LIVE" 1 > "$WORK/logs/mkdata-mutate.log"
for ds in $DATASETS; do
  PR=$RUN/push-$ds; PL=$RUN/pull-$ds; TP=t$TRIALS-$ds
  "$MK" manifest "$LIVE/$ds" > "$WORK/manifest.$ds.txt"
  tv -C "$PR" commit "$ds" --type dataset "$LIVE/$ds" > "$WORK/logs/setup.$ds.mutate.log" 2>&1 \
    || { echo "FAILED: trove commit after mutate ($WORK/logs/setup.$ds.mutate.log)"; exit 1; }
  step mutate trove "$ds" push-mutated "$LIVE/$ds" "$S3DIR/trove-bench/$TP" -- "$TROVE" --no-progress -C "$PR" push --json
  rm -rf "$RST" && mkdir -p "$RST"
  fresh_repo "$PL" "$TP" > "$WORK/logs/setup-pull.$ds.mutate.log" 2>&1
  step mutate trove "$ds" pull-mutated "$LIVE/$ds" "$RST/$ds" -- "$TROVE" --no-progress -C "$PL" pull "$ds:latest" -o "$RST/$ds" --json
  rm -rf "$RST" "$PL" "$PR" "${S3DIR:?}/trove-bench/$TP"
done

# ---- one 1 MiB file out of the 1 GiB version
if [[ " $DATASETS " == *" big "* ]]; then
  ONE=$WORK/one; rm -rf "$ONE"; mkdir -p "$ONE/src/big"
  ln "$LIVE/big/model.bin" "$ONE/src/big/model.bin"
  python3 -c 'import random, sys; sys.stdout.buffer.write(random.Random(1).randbytes(1 << 20))' > "$ONE/src/big/sample-1mib.bin"
  b3sum "$ONE/src/big/sample-1mib.bin" | cut -d' ' -f1 > "$WORK/one.b3"
  { fresh_repo "$ONE/push" one && tv -C "$ONE/push" commit one --type dataset "$ONE/src" \
      && tv -C "$ONE/push" push; } > "$WORK/logs/setup.one.log" 2>&1 \
    || { echo "FAILED: trove setup for one ($WORK/logs/setup.one.log)"; tail -5 "$WORK/logs/setup.one.log"; exit 1; }
  tail -1 "$WORK/logs/setup.one.log"
  fresh_repo "$ONE/pull" one > "$WORK/logs/setup-pull.one.log" 2>&1
  step one trove one pull-one-file "$ONE/src/big/sample-1mib.bin" - -- "$TROVE" --no-progress -C "$ONE/pull" pull one:latest -o "$ONE/out" --prefix big/sample-1mib.bin --json
  got=$(cd "$ONE/out" 2>/dev/null && find . -type f | sort | tr '\n' ' ')
  if [[ $got != "./big/sample-1mib.bin " || $(b3sum "$ONE/out/big/sample-1mib.bin" | cut -d' ' -f1) != "$(cat "$WORK/one.b3")" ]]; then
    echo "MISMATCH: one-file pull wrote '$got' (want ./big/sample-1mib.bin with its content)"
    sed -i '$ s/,ok$/,MISMATCH/' "$RAW"; FAILS=$((FAILS + 1))
  fi
  echo "version one: $(tv -C "$ONE/pull" ls one:latest 2>/dev/null | head -5 | tr '\n' ';')"
fi
echo "load average at end $(cut -d' ' -f1-3 /proc/loadavg)" >> "$WORK/remote-header.txt"

python3 - "$RAW" "$MD" "$WORK/remote-header.txt" "$WORK" <<'PY'
import csv, sys, os, statistics as st
rows = list(csv.DictReader(open(sys.argv[1])))
work = sys.argv[4]
def f(r, k): return float(r[k]) if r[k] not in ("", None) else None
def mb_s(r): return int(r["logical_bytes"]) / max(float(r["wall_s"]), 1e-3) / 1e6
def cpu(r): return float(r["user_s"]) + float(r["sys_s"])
def mib(b): return f"{b/2**20:,.2f} MiB"
def oks(rs): return ",".join(sorted(set(r["ok"] for r in rs)))
out = [open(sys.argv[3]).read().rstrip(), ""]

# Throughput: trove vs rclone, same trial, same server
main = [r for r in rows if r["op"] in ("push", "pull")]
dss = list(dict.fromkeys(r["ds"] for r in main))
out += ["### Push and pull throughput (medians over trials; MB = 10^6 bytes of dataset files)", "",
        "| data | op | dataset | trove s (median; min..max, n) | trove MB/s | trove CPU s | rclone s (median; min..max, n) | rclone MB/s | rclone CPU s | trove / rclone throughput | target ≥ 1.2 | ok |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|"]
for ds in dss:
    for op in ("push", "pull"):
        g = {t: {r["trial"]: r for r in main if r["ds"] == ds and r["op"] == op and r["tool"] == t} for t in ("trove", "rclone")}
        if not g["trove"] or not g["rclone"]: continue
        def desc(rs):
            w = [float(r["wall_s"]) for r in rs]
            return f"{st.median(w):.2f} ({min(w):.2f}..{max(w):.2f}, n={len(w)})"
        tr, rc = list(g["trove"].values()), list(g["rclone"].values())
        trials = sorted(set(g["trove"]) & set(g["rclone"]), key=int)
        ratio = st.median(float(g["rclone"][t]["wall_s"]) / max(float(g["trove"][t]["wall_s"]), 1e-3) for t in trials)
        lb = st.median(int(r["logical_bytes"]) for r in tr)
        tmb = lb / max(st.median(float(r["wall_s"]) for r in tr), 1e-3) / 1e6
        rmb = lb / max(st.median(float(r["wall_s"]) for r in rc), 1e-3) / 1e6
        out.append(f"| {ds} | {op} | {mib(lb)} | {desc(tr)} | {tmb:,.0f} | {st.median(cpu(r) for r in tr):.2f} | "
                   f"{desc(rc)} | {rmb:,.0f} | {st.median(cpu(r) for r in rc):.2f} | {ratio:.2f} | "
                   f"{'met' if ratio >= 1.2 else 'missed'} | trove {oks(tr)}, rclone {oks(rc)} |")

# Push after mutate
mut = {r["ds"]: r for r in rows if r["op"] == "push-mutated"}
pm = {r["ds"]: r for r in rows if r["op"] == "pull-mutated"}
if mut:
    out += ["", "### Push after `mkdata.sh mutate` (one run, on the last trial's repository and prefix)", "",
            "| data | dataset after mutate | trove push `bytes` | % of dataset | bucket growth (du -sb) | % of dataset | packs | push s | fresh pull of it: s, ok | target ≤ 3 % |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for ds, r in mut.items():
        lb = int(r["logical_bytes"]); tb = int(r["tool_bytes"] or 0); gr = int(r["bucket_growth"] or 0)
        p = pm.get(ds)
        pull = f"{float(p['wall_s']):.2f}, {p['ok']}" if p else "—"
        pct = 100 * tb / lb; gpct = 100 * gr / lb
        out.append(f"| {ds} | {mib(lb)} | {tb:,} ({mib(tb)}) | {pct:.2f} % | {gr:,} ({mib(gr)}) | {gpct:.2f} % | "
                   f"{r['packs']} | {float(r['wall_s']):.2f} | {pull} | {'met' if max(pct, gpct) <= 3 else 'missed'} ({r['ok']}) |")
    tl = sum(int(r["logical_bytes"]) for r in mut.values()); tt = sum(int(r["tool_bytes"] or 0) for r in mut.values())
    tg = sum(int(r["bucket_growth"] or 0) for r in mut.values())
    if len(mut) > 1:
        out.append(f"| all | {mib(tl)} | {tt:,} ({mib(tt)}) | {100*tt/tl:.2f} % | {tg:,} ({mib(tg)}) | {100*tg/tl:.2f} % | | | | "
                   f"{'met' if 100*max(tt, tg)/tl <= 3 else 'missed'} |")

# One file out of the 1 GiB version
one = [r for r in rows if r["op"] == "pull-one-file"]
if one:
    r = one[0]; tb = int(r["tool_bytes"] or 0); sent = int(r["server_sent"] or 0)
    out += ["", "### One 1 MiB file out of the 1 GiB version (fresh repository, `--prefix big/sample-1mib.bin`)", "",
            "| version | file | file size | trove `bytesDownloaded` | server bytes sent (wchar) | pull s | target < 8 MiB | ok |",
            "|---|---|---|---|---|---|---|---|"]
    out.append(f"| one: big/model.bin + big/sample-1mib.bin | big/sample-1mib.bin | {mib(int(r['logical_bytes']))} | "
               f"{tb:,} ({mib(tb)}) | {sent:,} ({mib(sent)}) | {float(r['wall_s']):.2f} | "
               f"{'met' if max(tb, sent) < 8 * 2**20 else 'missed'} | {r['ok']} |")

ls = [os.path.join(work, f"aws-ls.{ds}.txt") for ds in ("big", "many")]
ls = [p for p in ls if os.path.exists(p)]
if ls:
    out += ["", "### What trove pushed, listed by awscli (trial 1)", ""]
    for p in ls:
        lines = open(p).read().splitlines()
        out.append(f"- `{os.path.basename(p)}`: {len(lines)} objects, {sum(int(l.split()[2]) for l in lines):,} bytes")
s = "\n".join(out); print(s); open(sys.argv[2], "w").write(s + "\n")
PY
echo "raw: $RAW; tables: $MD; awscli listings: $WORK/aws-ls.*.txt"
if ((FAILS)); then echo "$FAILS step(s) FAILED or MISMATCHED: see $WORK/logs"; exit 1; fi
