#!/usr/bin/env bash
# The end-to-end tests of the console: Playwright driving Debian's Chromium against a real
# `cohort serve` (one per test file, port 0, loopback). Called by `make test`.
#   tests/e2e/run.sh [playwright test arguments...]
# Environment: COHORT_BIN (default build/release/src/app/cohort), COHORT_CONSOLE_DIR
# (default web/dist), CHROMIUM_BIN
# (default /usr/bin/chromium), E2E_WORKERS (default 2). Artefacts (screenshots, server logs,
# report) go to build/e2e/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"

# Chromium from Debian (and the rest of the project's packages, installed only if missing).
"$root/scripts/deps.sh" chromium

# Never a downloaded browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export PLAYWRIGHT_BROWSERS_PATH=0
stamp=node_modules/.e2e-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi

bin="${COHORT_BIN:-$root/build/release/src/app/cohort}"
if [ ! -x "$bin" ]; then
  echo "e2e: no server binary at $bin: build it first (make build), or set COHORT_BIN" >&2
  exit 1
fi
console_dir="${COHORT_CONSOLE_DIR:-$root/web/dist}"
if [ ! -f "$console_dir/index.html" ]; then
  echo "e2e: no built console at $console_dir/index.html: build it first (make build, or cd web && npm ci && npm run build)" >&2
  exit 1
fi
export COHORT_BIN="$bin"
chromium_bin="${CHROMIUM_BIN:-/usr/bin/chromium}"
if [ ! -x "$chromium_bin" ]; then
  echo "e2e: no Chromium at $chromium_bin (apt-get install chromium)" >&2
  exit 1
fi
if [ -z "${COHORT_ADMIN_TOKEN:-}" ] || [ "${#COHORT_ADMIN_TOKEN}" -lt 16 ]; then
  COHORT_ADMIN_TOKEN="e2e-admin-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  export COHORT_ADMIN_TOKEN
fi

rm -rf "$root/build/e2e/screenshots" "$root/build/e2e/logs"
mkdir -p "$root/build/e2e"
exec npx --no-install playwright test "$@"
