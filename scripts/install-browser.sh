#!/usr/bin/env bash
# install-browser.sh -- installs Debian's chromium, which the browser tests
# of the web UI drive (web/browser_test.go, through chromedp). Idempotent:
# does nothing when /usr/bin/chromium is there. Needs root (or sudo) and
# apt; elsewhere it says what to do and leaves the tests to skip (or, with
# CI set, to fail).
set -euo pipefail

if [[ -x /usr/bin/chromium ]]; then
	exit 0
fi
if ! command -v apt-get >/dev/null; then
	echo "install-browser.sh: no apt-get here; install chromium at /usr/bin/chromium (or set TROVE_CHROMIUM) to run the browser tests" >&2
	exit 0
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
	sudo=(sudo)
fi
echo "== installing chromium (apt-get install -y chromium)"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q chromium
