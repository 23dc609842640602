#!/usr/bin/env bash
# install-peers.sh -- install the peers that bench/compare.sh and bench/remote.sh time, from
# Debian's packages.
#
# Usage: bench/install-peers.sh            (as root, or with sudo available)
# Env:   WITH_CASYNC=1   also install casync (not in compare.sh's default TOOLS)
#
# Versions are pinned to what Debian 12 (bookworm) ships, so that numbers from different
# machines compare. Idempotent: a package already installed at the pinned version is left alone;
# one installed at another version is reported and left alone too (the version is printed by
# compare.sh in its results header). `apt-get update` runs only if something must be installed.
set -euo pipefail

# package=version (Debian 12 bookworm)
PINS=(
  "git-lfs=3.3.0-1+deb12u2"
  "restic=0.14.0-1+b5"
  "borgbackup=1.2.4-1"
  "b3sum=1.2.0-1+b4"      # mkdata.sh manifest uses it (same BLAKE3 digests as trove ls)
  "time=1.9-0.2"          # GNU time, /usr/bin/time
  "rclone=1.60.1+dfsg-2+b5"   # remote.sh: the S3 copy trove's push/pull is timed against
  "awscli=2.9.19-1"           # remote.sh: lists what trove pushed (/usr/bin/aws)
)
[[ ${WITH_CASYNC:-0} == 1 ]] && PINS+=("casync=2+20201210-1+b1")

SUDO=; [[ $(id -u) == 0 ]] || SUDO=sudo
installed() { dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null | awk '$3=="installed"{print $4}'; }

todo=()
for pin in "${PINS[@]}"; do
  pkg=${pin%%=*}; want=${pin#*=}; have=$(installed "$pkg" || true)
  if [[ -z $have ]]; then
    todo+=("$pin")
  elif [[ $have == "$want" ]]; then
    echo "ok       $pkg $have"
  else
    echo "WARNING  $pkg $have installed, pinned $want: left as is"
  fi
done

if ((${#todo[@]})); then
  echo "install  ${todo[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  if ! $SUDO apt-get install -y -q --no-install-recommends "${todo[@]}"; then
    echo "install-peers: pinned install failed (is this Debian 12 bookworm? a point release may have" >&2
    echo "replaced a version). Install the packages without pins: apt-get install -y ${todo[*]%%=*}" >&2
    exit 1
  fi
fi

for b in git git-lfs restic borg b3sum /usr/bin/time rclone /usr/bin/aws; do
  command -v "$b" >/dev/null || { echo "install-peers: $b still missing" >&2; exit 1; }
done
echo "peers ready: $(git lfs version | cut -d' ' -f1); $(restic version | cut -d' ' -f1-2); $(borg --version)"
echo "remote peers ready: $(rclone version | head -1); $(/usr/bin/aws --version 2>&1 | cut -d' ' -f1)"
