#!/usr/bin/env bash
# test.sh -- the whole test suite: installs the pinned tools the tests need,
# then go vet, staticcheck, a build for macOS (trove runs there too; the
# Linux-only parts have portable fallbacks) and go test -race over every
# package.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-tools.sh
scripts/install-browser.sh
export PATH="$(go env GOPATH)/bin:$PATH"
echo "== go vet"; go vet ./...
echo "== staticcheck"; staticcheck ./...
echo "== go build for darwin/arm64"; GOOS=darwin GOARCH=arm64 go build -o /dev/null ./...
echo "== go test -race"; go test -race -count=1 -timeout 20m ./...
