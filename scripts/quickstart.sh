#!/usr/bin/env bash
# quickstart.sh -- trove's main job end to end, on a temp folder:
# init, commit a small generated dataset, change it, commit again, alias,
# pull, verify; then share it through a file:// remote and pull it into a
# fresh repository. Usage: scripts/quickstart.sh [TROVE_BINARY]
set -euo pipefail
trove=$(realpath "${1:-bin/trove}")
work=$(mktemp -d "${TMPDIR:-/tmp}/trove-quickstart.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
say() { printf '\n$ %s\n' "$*"; "$@"; }

mkdir -p project/data/train project/data/test
for i in $(seq 1 50); do head -c $((RANDOM * 4 + 1)) /dev/urandom > "project/data/train/img$i.bin"; done
for i in $(seq 1 10); do head -c $((RANDOM + 1)) /dev/urandom > "project/data/test/img$i.bin"; done
head -c $((3 << 20)) /dev/urandom > project/data/weights.bin
cd project

say "$trove" init
say "$trove" commit mnist --type dataset data -m "first cut" --meta source=quickstart --alias raw
# The same content again makes no new version.
say "$trove" commit mnist data
# Change the dataset: one new file, one changed in place.
head -c 1000 /dev/urandom > data/train/img51.bin
printf 'patched' | dd of=data/weights.bin bs=1 seek=1000000 conv=notrunc status=none
say "$trove" commit mnist data -m "more training images" --tag cleaned
say "$trove" alias set mnist:v1 best
say "$trove" log mnist
say "$trove" diff mnist:v0 mnist:best
say "$trove" pull mnist:best -o ../restored
say "$trove" verify mnist:best ../restored
# Verification catches a changed byte, with exit status 3.
printf 'x' | dd of=../restored/weights.bin bs=1 seek=5 conv=notrunc status=none
set +e; say "$trove" verify mnist:best ../restored; code=$?; set -e
[[ $code == 3 ]] || { echo "verify should have exited 3, got $code"; exit 1; }
# A pull never overwrites a changed file on its own (exit status 1, nothing
# written); --force puts the version's bytes back.
set +e; say "$trove" pull mnist:best -o ../restored; code=$?; set -e
[[ $code == 1 ]] || { echo "pull over a changed file should have exited 1, got $code"; exit 1; }
say "$trove" pull --force mnist:best -o ../restored
say "$trove" verify mnist:best ../restored
say "$trove" fsck

# Share through a file:// remote (an S3 bucket works the same way) and pull
# into a fresh repository that knows only the remote.
mkdir "$work/remote"
say "$trove" remote add origin "file://$work/remote"
say "$trove" push
mkdir ../teammate && cd ../teammate
say "$trove" init
say "$trove" remote add origin "file://$work/remote"
say "$trove" pull mnist:best -o data
say "$trove" verify mnist:best data
say "$trove" log mnist
echo; echo "quickstart: ok"
