#!/usr/bin/env bash
# The console's performance figures (issue 10, "Performance"): JavaScript shipped for the
# first page, time to interactive in Chromium on loopback, and Users search latency over
# 100,000 users, measured with playwright-core driving Debian's Chromium headless.
#   bench/console/run.sh BUILD_DIR
# Environment: BENCH_CONSOLE_USERS (100000), BENCH_CONSOLE_LOADS (10 cold loads),
# BENCH_CONSOLE_SEARCHES (50), BENCH_CONSOLE_PORT (the first free one in 18400-18499),
# BENCH_CONSOLE_TYPING_MS (80 ms between keys), CHROMIUM_BIN (/usr/bin/chromium),
# BENCH_CONSOLE_JSON (write the figures there as JSON), BENCH_CONSOLE_STRICT=1 (exit 1 when a
# target is missed).
# Loopback only; the server is stopped by pid when the script ends.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$(cd "${1:-$root/build/release}" && pwd)"
users=${BENCH_CONSOLE_USERS:-100000}
chromium_bin=${CHROMIUM_BIN:-/usr/bin/chromium}

for f in "$build/bench/seed_users" "$build/src/app/cohort"; do
  [ -x "$f" ] || { echo "console bench: no $f (build it first: make build)" >&2; exit 1; }
done
if [ ! -f "$root/web/dist/index.html" ]; then
  echo "console bench: no built console at web/dist (cd web && npm ci && npm run build)" >&2
  exit 1
fi
if [ ! -x "$chromium_bin" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
fi
# playwright-core from the end-to-end tests' install (never a downloaded browser).
if [ ! -f "$root/tests/e2e/node_modules/playwright-core/package.json" ]; then
  (cd "$root/tests/e2e" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

dir=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

# The console as built right now: the server reads it once at start-up, and the gzip sizes
# are computed from the same copy, so a rebuild of web/dist during the run changes neither.
mkdir -p "$dir/console" "$dir/data"
cp -a "$root/web/dist/." "$dir/console/"

port=${BENCH_CONSOLE_PORT:-}
if [ -z "$port" ]; then
  for p in $(seq 18400 18499); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
  done
fi
[ -n "$port" ] || { echo "console bench: no free port in 18400-18499" >&2; exit 1; }

token="bench-console-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
"$build/bench/seed_users" "$dir/data/cohort.db" "$users"
COHORT_ADMIN_TOKEN=$token "$build/src/app/cohort" serve --data-dir "$dir/data" \
  --http "127.0.0.1:$port" --sip 127.0.0.1:0 --console-dir "$dir/console" \
  --log-level warn > "$dir/stdout" 2> "$dir/stderr" &
pid=$!
for _ in $(seq 300); do
  grep -q listening "$dir/stdout" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$dir/stderr" >&2; exit 1; }
  sleep 0.1
done
grep -q listening "$dir/stdout" || { echo "console bench: the server did not start" >&2; cat "$dir/stderr" >&2; exit 1; }
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
echo "cohort serve on 127.0.0.1:$port with $users users (RSS $((rss_kb / 1024)) MiB)"

# One admin with a console password, created with the bootstrap token.
email=bench.admin@console.example
password="bench-console-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
code=$(curl -s -o "$dir/admin.json" -w '%{http_code}' -X POST "http://127.0.0.1:$port/api/v1/users" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "{\"name\": \"Bench Admin\", \"email\": \"$email\", \"extension\": \"9000\", \"role\": \"admin\", \"password\": \"$password\"}")
if [ "$code" != 201 ]; then
  echo "console bench: creating the admin answered $code: $(cat "$dir/admin.json")" >&2
  exit 1
fi

status=0
BENCH_URL="http://127.0.0.1:$port" BENCH_EMAIL=$email BENCH_PASSWORD=$password \
  BENCH_DIST="$dir/console" BENCH_USERS=$users CHROMIUM_BIN=$chromium_bin \
  BENCH_PROFILE_DIR="$dir/profile" \
  node "$here/console_bench.mjs" || status=$?
if [ -s "$dir/stderr" ]; then
  echo "-- server warnings and errors during the run:"
  tail -n 20 "$dir/stderr"
fi
exit "$status"
