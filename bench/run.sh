#!/usr/bin/env bash
# Benchmarks: the snapshot core, SIP parsing, outbound routing and group call distribution
# (Google Benchmark), and GET /api/v1/users?q= over 100,000 users under wrk. Loopback only;
# the server is stopped by pid. Usage: bench/run.sh BUILD_DIR
set -euo pipefail
build=${1:-build/release}
users=${BENCH_USERS:-100000}
duration=${BENCH_SECONDS:-10}

echo "== snapshot core (100k users, 10k groups, 1M memberships)"
"$build/bench/snapshot_bench" --benchmark_min_time=0.2

echo "== SIP parser"
"$build/bench/sip_parse_bench" --benchmark_min_time=0.2

echo "== outbound routing (1,000 rules, 10,000 groups, 50,000 users)"
"$build/bench/routing_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

echo "== group call distribution (500 members, each ring strategy)"
"$build/bench/distribution_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

echo "== GET /api/v1/users?q= over $users users (wrk, ${duration}s per query)"
dir=$(mktemp -d)
port=${BENCH_PORT:-18431}
token=bench-admin-token-0123456789
"$build/bench/seed_users" "$dir/cohort.db" "$users"
COHORT_ADMIN_TOKEN=$token "$build/src/app/cohort" serve --data-dir "$dir" \
  --http "127.0.0.1:$port" --log-level warn > "$dir/stdout" 2> "$dir/stderr" &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 100); do grep -q listening "$dir/stdout" 2>/dev/null && break; sleep 0.1; done
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
echo "server RSS with $users users: $((rss_kb / 1024)) MiB"
# A common prefix (many matches, first page found early), a rare one, and no match at all
# (the worst case: every user is scanned).
for q in "ana" "user99999%40" "zzzz"; do
  echo "-- q=$q"
  wrk -t2 -c8 -d"${duration}s" --latency -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port/api/v1/users?q=$q&limit=50" | grep -E 'Requests/sec|50%|90%|99%|Latency '
done

cleanup
trap - EXIT
echo "== REGISTER with digest auth, Cohort and Kamailio side by side"
"$(dirname "$0")/sip/register_bench.sh" "$build"
echo "== outbound calls through a trunk, Cohort and Kamailio side by side"
"$(dirname "$0")/sip/call_bench.sh" "$build"
echo "== memory per active call (Cohort)"
"$(dirname "$0")/sip/call_memory.sh" "$build"
echo "== group calls from a trunk (simultaneous ring, parallel forking), Cohort and Kamailio"
"$(dirname "$0")/sip/group_bench.sh" "$build"
echo "== the console in Chromium: first-page JS, time to interactive, Users search over 100,000 users"
"$(dirname "$0")/console/run.sh" "$build"
echo "== media: voicemail playback and recording, RTP relay beside rtpengine (issue 13)"
"$(dirname "$0")/media/media_bench.sh" "$build"
