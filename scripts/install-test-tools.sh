#!/usr/bin/env bash
# install-test-tools.sh -- installs the pinned tools the tests use into
# $(go env GOBIN), or $(go env GOPATH)/bin when GOBIN is unset:
#   versitygw    the S3 server the remote tests run against (internal/s3test)
#   staticcheck  the linter scripts/test.sh runs
#   fake-gcs-server  the GCS emulator the gs:// reference tests run against (internal/gcstest)
# Idempotent: a tool already installed at its pinned version is left alone
# (checked with `go version -m`). Needs Go and the module proxy.
set -euo pipefail

tools=(
	"github.com/versity/versitygw/cmd/versitygw@v1.8.0"
	"honnef.co/go/tools/cmd/staticcheck@v0.8.2"
	"github.com/fsouza/fake-gcs-server@v1.56.1"
)

bindir=$(go env GOBIN)
if [[ -z "$bindir" ]]; then
	bindir="$(go env GOPATH | cut -d: -f1)/bin"
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

for tool in "${tools[@]}"; do
	pkg=${tool%@*}
	version=${tool##*@}
	bin="$bindir/${pkg##*/}"
	if [[ -x "$bin" ]] && go version -m "$bin" 2>/dev/null |
		awk -v pkg="$pkg" -v v="$version" '$1 == "path" && $2 == pkg { p = 1 } $1 == "mod" && $3 == v { m = 1 } END { exit !(p && m) }'; then
		echo "ok        ${pkg##*/} $version ($bin)"
		continue
	fi
	echo "install   ${pkg##*/} $version"
	# Outside any module, so the project's go.mod is neither read nor changed;
	# GOFLAGS cleared so that a -mod setting meant for the project does not
	# apply to the tool's build.
	(cd "$scratch" && GOFLAGS='' GOBIN="$bindir" go install "$tool")
done
