#!/usr/bin/env bash
# compare.sh -- time trove and its peers (restic, borg, git-lfs; casync optional) in ONE run on
# the shared mkdata.sh dataset, with the step structure of shared/bench/peers.sh.
#
# Usage: bench/compare.sh DATASET_DIR WORK_DIR [MKDATA]
#   DATASET_DIR  pristine dataset (`mkdata.sh gen DATASET_DIR`); never modified. Generated here
#                first if it does not exist yet (with the BIG_BYTES/NFILES/... knobs below).
#   WORK_DIR     scratch; compare.sh only writes WORK_DIR/{home,logs,run,trove,compare-*}
#   MKDATA       path of mkdata.sh (default: $MKDATA, else ../shared/bench/mkdata.sh beside the
#                repository root, i.e. $(dirname "$0")/../../shared/bench/mkdata.sh)
# Env:
#   TOOLS="trove restic borg gitlfs"  (casync also understood)   DATASETS="big many"   TRIALS=3
#   TROVE=path        trove binary; default: `CGO_ENABLED=0 go build -o WORK_DIR/trove ./cmd/trove` from the repo
#   DROP_CACHES=0     1 = drop the page cache before every timed step (needs root)
#   KEEP=0            1 = keep the last trial's repos/restores under WORK_DIR/run/<tool>/<ds>
#   CLEANUP=end       when the 20,000-file trees (live copy, repo, restore) are deleted: `end` moves
#                     them aside and deletes them after the last trial; `each` deletes them right
#                     after their steps, as shared/bench/peers.sh does. On ext4 without a journal,
#                     every file created within 60-360 s of a mass deletion in its block group
#                     skips each deleted inode (recently_deleted() in fs/ext4/ialloc.c), so with
#                     `each` a 20,000-file restore is timed against the previous tool's cleanup.
#   BIG_BYTES NFILES NDIRS MIN_KIB MAX_KIB INSERT_AT   mkdata.sh knobs, for smoke tests only, e.g.
#     BIG_BYTES=$((64<<20)) NFILES=2000 TRIALS=1 bench/compare.sh /tmp/ds /tmp/work
#   BIG_BYTES, NFILES and NDIRS are read from an existing dataset (mutate must match what gen
#   made); set ones that disagree with it are an error. INSERT_AT defaults to 123 MiB, or to half
#   the big file when that is smaller (so a smoke-size insert still shifts data).
#
# Per trial, tool and dataset (big/ = 1 GiB model.bin, many/ = 20,000 small files); tool order
# rotates from trial to trial so that no tool always runs first:
#   setup (untimed) : fresh copy of the pristine dataset into WORK/run/<tool>/<ds>/live/<ds>, fresh repo
#   add             : first add/commit of the dataset
#   recommit        : add/commit again, nothing changed
#   mutate          : `mkdata.sh mutate` (scattered in-place overwrites, new small files), commit
#   insert          : big only: `mkdata.sh insert` (100 B inserted, shifts the rest), commit
#   restore         : latest version into an empty dir; checked against `mkdata.sh manifest` of
#                     the live tree; a mismatch is recorded in the ok column
# Commands (repo creation is untimed):
#   trove  : `trove init` in live/; step = `cd live && trove --no-progress commit <ds> --type
#            dataset <ds>`; restore = `trove --no-progress pull <ds>:latest -o <dst>/<ds>`;
#            repo = live/.trove
#   restic : restic init; step = `restic backup <ds>`; restore = `restic restore latest --target dst`
#   borg   : borg init -e none; step = `borg create repo::vN <ds>`; restore = `borg extract`
#   gitlfs : git init + git lfs track '*.bin'; step = `git add -A && git commit` (recommit
#            --allow-empty); restore = `git clone <live repo> dst`; repo = live/<ds>/.git
#   casync : step = `casync make`; restore = `casync extract`
# Measured per step: GNU time '%e %U %S %M' (wall, user, sys, max RSS of the largest process),
# `sync` after the step (sync_s: data the tool left dirty), repo growth `du -sb` (new bytes stored).
# Output: WORK/compare-raw.csv (one row per trial/tool/ds/step), WORK/compare-table.md (header,
# medians, ratios trove/peer), also on stdout. A previous compare-raw.csv becomes .prev.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/.." && pwd)
DATA=$(realpath -m "${1:?usage: compare.sh DATASET_DIR WORK_DIR [MKDATA]}")
WORK=$(realpath -m "${2:?usage: compare.sh DATASET_DIR WORK_DIR [MKDATA]}")
MK=${3:-${MKDATA:-$HERE/../../shared/bench/mkdata.sh}}
[[ -f $MK ]] || { echo "mkdata.sh not found at $MK (pass it as 3rd argument or MKDATA=)"; exit 2; }
MK=$(realpath "$MK")
TOOLS=${TOOLS:-trove restic borg gitlfs}; DATASETS=${DATASETS:-big many}; TRIALS=${TRIALS:-3}
DROP_CACHES=${DROP_CACHES:-0}; KEEP=${KEEP:-0}; CLEANUP=${CLEANUP:-end}
case $CLEANUP in end|each) ;; *) echo "CLEANUP=$CLEANUP: want end or each"; exit 2;; esac
case "$WORK/" in /|"$DATA"/*) echo "refusing WORK=$WORK"; exit 2;; esac
case "$DATA/" in "$WORK"/*) echo "dataset must not be inside WORK"; exit 2;; esac
case "$WORK/" in "$ROOT"/*) echo "WORK must not be inside the repository ($ROOT)"; exit 2;; esac
for ds in $DATASETS; do case $ds in big|many) ;; *) echo "unknown dataset $ds (big, many)"; exit 2;; esac; done
for t in $TOOLS; do case $t in trove) need=;; gitlfs) need="git git-lfs";; restic|borg|casync) need=$t;;
  *) echo "unknown tool $t (trove restic borg gitlfs casync)"; exit 2;; esac
  for b in $need; do command -v "$b" >/dev/null || { echo "missing $b: run bench/install-peers.sh"; exit 2; }; done; done
[[ -x /usr/bin/time ]] || { echo "missing GNU time (/usr/bin/time): run bench/install-peers.sh"; exit 2; }
command -v b3sum >/dev/null || echo "note: b3sum missing, restore checks use sha256sum (slower)"

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
export INSERT_AT=${INSERT_AT:-$(( BIG_BYTES / 2 < 128974848 ? BIG_BYTES / 2 : 128974848 ))}

# ---- disk: each tool/dataset needs about live copy + repo (all versions) + restore; with
#      CLEANUP=end the 20,000-file trees of every tool and trial stay until the end
need_kb=$(du -sk "$DATA" | cut -f1); mkdir -p "$WORK/home" "$WORK/logs"
if [[ $CLEANUP == end && " $DATASETS " == *" many "* ]]; then
  need_kb=$(( need_kb + $(du -sk "$DATA/many" | cut -f1) * 3 * $(wc -w <<< "$TOOLS") * TRIALS / 5 ))
fi
avail_kb=$(df -Pk "$WORK" | awk 'NR==2{print $4}')
(( avail_kb > 5 * need_kb )) || { echo "need ~$((5*need_kb/1024/1024)) GiB free in $WORK, have $((avail_kb/1024/1024)) GiB"; exit 2; }

# ---- trove binary
if [[ " $TOOLS " == *" trove "* ]]; then
  if [[ -n ${TROVE:-} ]]; then TROVE=$(realpath "$TROVE")
  else echo "building trove"; (cd "$ROOT" && CGO_ENABLED=0 go build -o "$WORK/trove" ./cmd/trove); TROVE=$WORK/trove; fi
  [[ -x $TROVE ]] || { echo "trove binary not executable: $TROVE"; exit 2; }
fi

export HOME=$WORK/home GIT_CONFIG_NOSYSTEM=1 TROVE_NO_PROGRESS=1 XDG_CACHE_HOME=$WORK/home/.cache
if [[ " $TOOLS " == *" gitlfs "* ]]; then
  git lfs install --skip-repo >/dev/null          # smudge/clean filters in WORK/home/.gitconfig
  git config --global user.name bench; git config --global user.email bench@example.invalid
  git config --global init.defaultBranch main; git config --global advice.detachedHead false
fi
export RESTIC_PASSWORD=bench BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes
export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes BORG_DELETE_I_KNOW_WHAT_I_AM_DOING=YES

RAW=$WORK/compare-raw.csv; MD=$WORK/compare-table.md
[[ -f $RAW ]] && mv -f "$RAW" "$RAW.prev"
echo "trial,tool,ds,step,logical_bytes,wall_s,user_s,sys_s,maxrss_kb,sync_s,repo_before,repo_after,repo_disk_after,aux_after,ok" > "$RAW"

# ---- results header: what ran, on what
ver() { case $1 in
  trove)  "$TROVE" --version 2>/dev/null | head -1 || echo "trove (no --version)";;
  restic) restic version | cut -d' ' -f1-2;;
  borg)   borg --version;;
  gitlfs) echo "$(git --version); $(git lfs version | cut -d' ' -f1)";;
  casync) echo "casync $(casync --version 2>/dev/null | head -1)";; esac; }
{
  echo "compare.sh run $(date -u +%Y-%m-%dT%H:%M:%SZ); $(nproc) cores; $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM; $(uname -sr)"
  echo "dataset: BIG_BYTES=$BIG_BYTES NFILES=$NFILES NDIRS=$NDIRS INSERT_AT=$INSERT_AT; TRIALS=$TRIALS; DATASETS=$DATASETS; DROP_CACHES=$DROP_CACHES; CLEANUP=$CLEANUP"
  if [[ " $TOOLS " == *" trove "* ]]; then
    echo "trove: $(ver trove) (git $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && [[ -n $(git --no-optional-locks status --porcelain 2>/dev/null) ]] && echo ', dirty tree'))"
  fi
  for t in $TOOLS; do [[ $t == trove ]] || echo "$t: $(ver "$t")"; done
} > "$WORK/compare-header.txt"
cat "$WORK/compare-header.txt"

sizeb() { [[ -e $1 ]] && du -sb "$1" | cut -f1 || echo 0; }
diskb() { [[ -e $1 ]] && du -sB1 "$1" | cut -f1 || echo 0; }
logical() { find "$1" \( -name .git -o -name .gitattributes \) -prune -o -type f -printf '%s\n' | awk '{s+=$1} END{print s+0}'; }
now() { date +%s.%N; }
q() { printf '%q' "$1"; }

# per-tool hooks: setup (sets REPO and AUX), cmd_<tool> NAME [recommit], rcmd_<tool>
setup_trove()   { REPO=$L/.trove; AUX=; (cd "$L" && "$TROVE" --no-progress init); }
cmd_trove()     { echo "cd $(q "$L") && $(q "$TROVE") --no-progress commit $ds --type dataset $ds"; }
rcmd_trove()    { echo "cd $(q "$L") && $(q "$TROVE") --no-progress pull $ds:latest -o $(q "$RST/$ds")"; }
setup_gitlfs()  { REPO=$L/$ds/.git; AUX=; (cd "$L/$ds" && git init -q && git lfs install --local >/dev/null \
                  && git lfs track '*.bin' >/dev/null && git config gc.autoDetach false); }
cmd_gitlfs()    { echo "cd $(q "$L/$ds") && git add -A && git commit -q ${2:+--allow-empty} -m $1"; }
rcmd_gitlfs()   { echo "git clone -q $(q "$L/$ds") $(q "$RST/$ds")"; }
setup_restic()  { REPO=$T/repo; AUX=$T/cache; export RESTIC_CACHE_DIR=$AUX; restic -r "$REPO" init; }
cmd_restic()    { echo "cd $(q "$L") && restic -r $(q "$REPO") backup -q $ds"; }
rcmd_restic()   { echo "restic -r $(q "$REPO") restore latest --target $(q "$RST") -q"; }
setup_borg()    { REPO=$T/repo; AUX=$T/borgbase; export BORG_BASE_DIR=$AUX; borg init -e none "$REPO"; }
cmd_borg()      { echo "cd $(q "$L") && borg create $(q "$REPO::$1") $ds"; }
rcmd_borg()     { echo "mkdir -p $(q "$RST") && cd $(q "$RST") && borg extract $(q "$REPO::$LATEST")"; }
setup_casync()  { REPO=$T/repo; AUX=; mkdir -p "$REPO/store"; }
cmd_casync()    { echo "casync make --store=$(q "$REPO/store") $(q "$REPO/$1.caidx") $(q "$L/$ds") >/dev/null"; }
rcmd_casync()   { echo "casync extract --store=$(q "$REPO/store") $(q "$REPO/$LATEST.caidx") $(q "$RST/$ds")"; }

FAILS=0
step() { # step NAME CMD
  local name=$1 cmd=$2 lb rb ra tf=$T/time.txt log=$WORK/logs/$tool.$ds.$1.$trial.log ok=ok; rm -f "$tf"
  lb=$(logical "$L/$ds"); rb=$(sizeb "$REPO")
  sync; if [[ $DROP_CACHES == 1 ]]; then echo 3 > /proc/sys/vm/drop_caches; fi
  echo "\$ $cmd" > "$log"
  if ! /usr/bin/time -q -f '%e %U %S %M' -o "$tf" bash -c "$cmd" >> "$log" 2>&1; then
    ok=FAILED; echo "FAILED: $tool $ds $name: $cmd (log $log)"; tail -5 "$log"
  fi
  local s0 s1; s0=$(now); sync; s1=$(now)
  local wall=0 user=0 sys=0 rss=0; [[ -s $tf ]] && read -r wall user sys rss < <(tail -1 "$tf")
  if [[ $name == restore && $ok == ok ]]; then
    if ! diff <("$MK" manifest "$L/$ds") <("$MK" manifest "$RST/$ds") > "$WORK/logs/$tool.$ds.restore-diff.$trial.log"; then
      ok=MISMATCH; echo "MISMATCH: $tool $ds restore differs from the live tree ($WORK/logs/$tool.$ds.restore-diff.$trial.log)"
      head -5 "$WORK/logs/$tool.$ds.restore-diff.$trial.log"
    fi
  fi
  [[ $ok == ok ]] || FAILS=$((FAILS + 1))
  ra=$(sizeb "$REPO")
  echo "$trial,$tool,$ds,$name,$lb,$wall,$user,$sys,$rss,$(python3 -c "print(round($s1-$s0,3))"),$rb,$ra,$(diskb "$REPO"),$(sizeb "${AUX:-/nonexistent}"),$ok" >> "$RAW"
  printf '%-7s %-5s %-9s t%s wall %7.2fs cpu %7.2fs rss %6d MiB  +%d B  repo %d B  %s\n' \
    "$tool" "$ds" "$name" "$trial" "$wall" "$(python3 -c "print($user+$sys)")" $((rss/1024)) \
    $((ra - rb)) "$ra" "$ok"
}

# CLEANUP=end: trees move here and are deleted when the run ends, however it ends.
TRASH=$WORK/trash
trap 'rm -rf "$TRASH"' EXIT
read -r -a tools <<< "$TOOLS"; n=${#tools[@]}
for trial in $(seq 1 "$TRIALS"); do
  for ((i = 0; i < n; i++)); do
    tool=${tools[$(( (i + trial - 1) % n ))]}
    for ds in $DATASETS; do
      T=$WORK/run/$tool/$ds; L=$T/live; RST=$T/restore; LATEST=v2
      rm -rf "$T"; mkdir -p "$L"; cp -a "$DATA/$ds" "$L/$ds"
      if ! "setup_$tool" > "$WORK/logs/$tool.$ds.setup.$trial.log" 2>&1; then
        echo "FAILED: $tool $ds setup (log $WORK/logs/$tool.$ds.setup.$trial.log)"; tail -5 "$WORK/logs/$tool.$ds.setup.$trial.log"
        FAILS=$((FAILS + 1)); continue
      fi
      step add      "$(cmd_"$tool" v1)"
      step recommit "$(cmd_"$tool" v1b recommit)"
      "$MK" mutate "$L" 1 > "$WORK/logs/$tool.$ds.mkdata-mutate.$trial.log"
      step mutate   "$(cmd_"$tool" v2)"
      if [[ $ds == big ]]; then
        "$MK" insert "$L" 1 > "$WORK/logs/$tool.$ds.mkdata-insert.$trial.log"
        step insert "$(cmd_"$tool" v3)"; LATEST=v3
      fi
      rm -rf "$RST"; mkdir -p "$RST"
      step restore  "$(rcmd_"$tool")"
      if [[ $KEEP != 1 || $trial != "$TRIALS" ]]; then
        if [[ $CLEANUP == end && $ds == many ]]; then
          mkdir -p "$TRASH"; mv "$T" "$TRASH/$tool.$ds.$trial"
        else rm -rf "$T"; fi
      fi
    done
  done
done

python3 - "$RAW" "$MD" "$WORK/compare-header.txt" <<'PY'
import csv, sys, statistics as st
rows = list(csv.DictReader(open(sys.argv[1])))
STEPS = ["add", "recommit", "mutate", "insert", "restore"]
order = []
groups = {}
for r in rows:
    k = (r["tool"], r["ds"], r["step"])
    if k not in groups:
        order.append(k)
    groups.setdefault(k, []).append(r)
tools = list(dict.fromkeys(r["tool"] for r in rows))
dss = list(dict.fromkeys(r["ds"] for r in rows))
keys = [(t, d, s) for d in dss for s in STEPS for t in tools if (t, d, s) in groups]

def cpu(r): return float(r["user_s"]) + float(r["sys_s"])
def new(r): return int(r["repo_after"]) - int(r["repo_before"])
def mib(b): return f"{b/2**20:,.1f} MiB"
METRICS = {"wall": lambda r: float(r["wall_s"]), "cpu": cpu,
           "rss": lambda r: int(r["maxrss_kb"]), "new": new}

out = [open(sys.argv[3]).read().rstrip(), "",
       "### Medians", "",
       "| tool | data | step | wall s (median; min..max, n) | CPU s (user+sys) | MB/s | max RSS MiB | new bytes stored | repo size | aux cache | sync s after | ok |",
       "|---|---|---|---|---|---|---|---|---|---|---|---|"]
for k in keys:
    tool, ds, step = k; rs = groups[k]
    walls = [float(r["wall_s"]) for r in rs]; w = st.median(walls)
    lb = st.median(int(r["logical_bytes"]) for r in rs); n = st.median(new(r) for r in rs)
    ok = ",".join(sorted(set(r["ok"] for r in rs)))
    out.append(f"| {tool} | {ds} | {step} | {w:.2f} ({min(walls):.2f}..{max(walls):.2f}, n={len(rs)}) | "
               f"{st.median(cpu(r) for r in rs):.2f} | {lb/max(w,1e-3)/1e6:,.0f} | "
               f"{st.median(int(r['maxrss_kb']) for r in rs)/1024:,.0f} | {n:,.0f} ({mib(n)}) | "
               f"{mib(st.median(int(r['repo_after']) for r in rs))} | {mib(st.median(int(r['aux_after']) for r in rs))} | "
               f"{st.median(float(r['sync_s']) for r in rs):.2f} | {ok} |")

# Ratios trove/peer: per trial (trove and the peer ran minutes apart in the same trial), then
# the median over trials. < 1 = trove faster / leaner / stores less.
def fmt(x):
    return f"{x:.2f}" if x >= 0.01 or x == 0 else f"{x:.3f}"
def cell(pairs):  # pairs of (trove, peer) values, one per trial
    vals = [a / b for a, b in pairs if a >= 0 and b > 0]
    if vals: return fmt(st.median(vals))
    a, b = st.median(a for a, _ in pairs), st.median(b for _, b in pairs)
    if a == 0 and b == 0: return "— (both 0)"
    return f"n/a (trove {a:+,.0f}, peer {b:+,.0f})"  # a repository that shrank, or a peer at 0
peers = [t for t in tools if t != "trove"]
if "trove" in tools and peers:
    out += ["", "### Ratios trove / peer (median over trials of the per-trial ratio; < 1 = trove better)", "",
            "| data | step | peer | wall | CPU | max RSS | new bytes stored | trove ok | peer ok |",
            "|---|---|---|---|---|---|---|---|---|"]
    for ds in dss:
        for step in STEPS:
            tr = {r["trial"]: r for r in groups.get(("trove", ds, step), [])}
            if not tr: continue
            for p in peers:
                pr = {r["trial"]: r for r in groups.get((p, ds, step), [])}
                trials = sorted(set(tr) & set(pr), key=int)
                if not trials: continue
                cells = [cell([(f(tr[t]), f(pr[t])) for t in trials]) for f in METRICS.values()]
                tok = ",".join(sorted(set(tr[t]["ok"] for t in trials)))
                pok = ",".join(sorted(set(pr[t]["ok"] for t in trials)))
                out.append(f"| {ds} | {step} | {p} | " + " | ".join(cells) + f" | {tok} | {pok} |")
s = "\n".join(out); print(s); open(sys.argv[2], "w").write(s + "\n")
PY
echo "raw: $RAW; tables: $MD"
if ((FAILS)); then echo "$FAILS step(s) FAILED or MISMATCHED: see $WORK/logs"; exit 1; fi
